"""ChipConfig: a simulated chip's configuration (the C++ sim::ChipConfig), read and validated by the C++
library, with attribute access to every component's fields and their units:

    chip = ChipConfig.preset("rram")
    chip.programming_noise.sigma = 0.15   # std of ln G at level 1
    chip.unit("mapping.g_max_uS")         # 'uS'
    chip["mapping.g_max_uS"], chip["preset"]  # fields by path too (chip.preset is the constructor)
    chip.validate()                       # ConfigError with the program's message for a bad value
"""
import copy
import json
import os

from . import _C

_FIELDS = {path: (unit, meaning) for path, unit, meaning in _C.chip_config_fields()}


class ChipConfig:
    """A chip config; sections (mapping, dac, adc, ...) and their fields are attributes."""

    def __init__(self, config=None):
        """From a dict in the config JSON's form (missing fields from its "preset", default rram)."""
        data = json.loads(_C.normalized_chip_json(json.dumps(config or {})))
        object.__setattr__(self, "_data", data)

    @classmethod
    def preset(cls, name="rram"):
        """A named preset: cimtrain.ChipConfig.preset_names() lists them."""
        return cls(json.loads(_C.preset_json(name)))

    @staticmethod
    def preset_names():
        return list(_C.preset_names())

    @classmethod
    def from_json(cls, source):
        """From a JSON file's path, JSON text or a dict; read strictly (unknown fields are errors)."""
        if isinstance(source, dict):
            return cls(source)
        if isinstance(source, (str, os.PathLike)) and os.path.exists(source):
            with open(source, encoding="utf-8") as f:
                text = f.read()
        elif isinstance(source, str) and source.lstrip().startswith("{"):
            text = source
        else:
            raise _C.ConfigError(f"a chip config must be a dict, JSON text or an existing file, found {source!r}")
        try:
            return cls(json.loads(text))
        except json.JSONDecodeError as e:
            raise _C.ConfigError(f"a chip config must be JSON: {e}") from None

    def to_json(self, path=None):
        """The config as a dict (what the program's --chip-config reads); also written to `path` if given."""
        data = copy.deepcopy(self._data)
        if path is not None:
            tmp = f"{path}.tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2)
                f.write("\n")
            os.replace(tmp, path)
        return data

    def validate(self):
        """Checks every field as the C++ library does; raises ConfigError naming the field. Returns self."""
        object.__setattr__(self, "_data", json.loads(_C.normalized_chip_json(json.dumps(self._data))))
        return self

    def ideal(self):
        """This config with every non-ideality off and exact converters."""
        return ChipConfig(json.loads(_C.ideal_chip_json(json.dumps(self._data))))

    def copy(self):
        return ChipConfig(copy.deepcopy(self._data))

    @staticmethod
    def unit(path):
        """The unit of a field ("section.field"): 'uS', 'V', 's', 'K', 'LSB', 'bits', '' (dimensionless), ..."""
        return ChipConfig._field(path)[0]

    @staticmethod
    def meaning(path):
        return ChipConfig._field(path)[1]

    @staticmethod
    def fields():
        """[(path, unit, meaning)] of every field."""
        return [(p, u, m) for p, (u, m) in _FIELDS.items()]

    @staticmethod
    def _field(path):
        if path not in _FIELDS:
            raise KeyError(f"no chip config field '{path}' (fields: {', '.join(_FIELDS)})")
        return _FIELDS[path]

    def __getattr__(self, name):
        data = object.__getattribute__(self, "_data")
        if name not in data:
            raise AttributeError(f"a chip config has no field or section '{name}' (it has {', '.join(data)})")
        value = data[name]
        return _Section(self, name) if isinstance(value, dict) else value

    def __setattr__(self, name, value):
        if name not in self._data or isinstance(self._data[name], dict):
            raise AttributeError(f"'{name}' is not a top-level field of a chip config; set fields of a section "
                                 f"(e.g. config.adc.bits = 6)")
        self._data[name] = value

    def __getitem__(self, path):
        """A field by its path: config["mapping.g_max_uS"], config["preset"] (the preset's name)."""
        section, _, field = path.rpartition(".")
        self._field(path)
        return self._data[section][field] if section else self._data[field]

    def __setitem__(self, path, value):
        section, _, field = path.rpartition(".")
        self._field(path)
        (self._data[section] if section else self._data)[field] = value

    def __eq__(self, other):
        return isinstance(other, ChipConfig) and self._data == other._data

    def __repr__(self):
        return f"ChipConfig(preset={self._data['preset']!r}, level={self._data['level']})"

    def describe(self):
        """Every field with its value and unit, one per line."""
        lines = []
        for path, (unit, meaning) in _FIELDS.items():
            section, _, field = path.rpartition(".")
            value = self._data[section][field] if section else self._data[path]
            lines.append(f"{path} = {value!r}{' ' + unit if unit else ''}  # {meaning}")
        return "\n".join(lines)

    def __getstate__(self):
        return self._data

    def __setstate__(self, state):
        object.__setattr__(self, "_data", state)


class _Section:
    """One component of a chip config (e.g. config.adc): its fields as attributes, written through."""

    def __init__(self, config, name):
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_name", name)

    def _fields(self):
        return self._config._data[self._name]

    def __getattr__(self, field):
        fields = self._fields()
        if field not in fields:
            raise AttributeError(f"chip config section '{self._name}' has no field '{field}' "
                                 f"(fields: {', '.join(fields)})")
        return fields[field]

    def __setattr__(self, field, value):
        fields = self._fields()
        if field not in fields:
            raise AttributeError(f"chip config section '{self._name}' has no field '{field}' "
                                 f"(fields: {', '.join(fields)})")
        fields[field] = value

    def unit(self, field):
        return ChipConfig.unit(f"{self._name}.{field}")

    def __repr__(self):
        items = []
        for field, value in self._fields().items():
            unit = ChipConfig.unit(f"{self._name}.{field}")
            items.append(f"{field}={value!r}" + (f" [{unit}]" if unit else ""))
        return f"{self._name}({', '.join(items)})"
