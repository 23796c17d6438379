"""ChipConfig: presets, attribute access with units, JSON in and out, and validation errors with the
program's messages."""
import json
import pickle

import pytest

import cimtrain
from conftest import run_cimtrain


def test_presets_equal_the_programs():
    for name in cimtrain.ChipConfig.preset_names():
        printed = json.loads(run_cimtrain("chip", "--preset", name, "--print-config").stdout)
        assert cimtrain.ChipConfig.preset(name).to_json() == printed


def test_fields_are_attributes_with_units():
    chip = cimtrain.ChipConfig.preset("rram")
    assert chip.mapping.g_max_uS == 40.0 and chip.unit("mapping.g_max_uS") == "uS"
    assert chip.mapping.unit("g_min_uS") == "uS"
    assert chip.dac.unit("v_read_V") == "V" and chip.thermal.unit("tcr_per_K") == "1/K"
    assert "[uS]" in repr(chip.mapping)
    chip.programming_noise.sigma = 0.2
    assert chip["programming_noise.sigma"] == 0.2 and chip["preset"] == "rram"
    chip["adc.bits"] = 7
    assert chip.adc.bits == 7
    chip.level = 2.0
    assert chip.to_json()["programming_noise"]["sigma"] == 0.2 and chip.to_json()["level"] == 2.0
    assert len(chip.fields()) == len(chip.describe().splitlines())
    with pytest.raises(AttributeError, match="has no field 'sigmaa'"):
        chip.programming_noise.sigmaa = 1
    with pytest.raises(AttributeError, match="no field or section"):
        chip.no_such_section
    with pytest.raises(KeyError, match="no chip config field"):
        chip.unit("adc.nope")


def test_json_round_trip_from_dict_text_and_file(tmp_path):
    chip = cimtrain.ChipConfig.preset("pcm")
    chip.adc.bits = 6
    path = tmp_path / "chip.json"
    chip.to_json(path)
    assert cimtrain.ChipConfig.from_json(path) == chip
    assert cimtrain.ChipConfig.from_json(path.read_text()) == chip
    assert cimtrain.ChipConfig.from_json({"preset": "pcm", "adc": {"bits": 6}}) == chip
    assert pickle.loads(pickle.dumps(chip)) == chip
    assert chip.ideal().programming_noise.enabled is False


def test_validation_errors_are_the_programs(tmp_path):
    bad = {"preset": "rram", "adc": {"bits": 1}}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    message = run_cimtrain("chip", "--config", path, check=False).stderr
    with pytest.raises(cimtrain.ConfigError) as e:
        cimtrain.ChipConfig.from_json(bad)
    assert str(e.value) in message
    assert isinstance(e.value, ValueError)
    chip = cimtrain.ChipConfig.preset("rram")
    chip.mapping.g_min_uS = 60.0
    with pytest.raises(cimtrain.ConfigError, match="g_min"):
        chip.validate()
    with pytest.raises(cimtrain.ConfigError, match="unknown|sigmaa"):
        cimtrain.ChipConfig.from_json({"read_noise": {"sigmaa": 1}})
    with pytest.raises(cimtrain.ConfigError, match="must be JSON"):
        cimtrain.ChipConfig.from_json("{not json")
