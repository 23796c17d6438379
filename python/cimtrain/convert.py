"""Converting any PyTorch model to the chip and back: every torch.nn.Linear and torch.nn.Conv2d (exactly those
types; subclasses keep their own forward) of a model, nested anywhere (Sequential, ModuleList, ModuleDict,
custom modules), becomes an AnalogLinear / AnalogConv2d sharing its parameters."""
import copy
import json

import torch

from . import _C
from .chip_config import ChipConfig
from .context import AnalogContext
from .nn import AnalogConv2d, AnalogLinear, _AnalogModule


def analog_modules(model):
    """[(name, layer)] of the model's analog layers, in registration order (the order chips are programmed in)."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, _AnalogModule)]


def contexts_of(model):
    """The distinct AnalogContexts of the model's analog layers, in order of first use."""
    seen = []
    for _, m in analog_modules(model):
        if m.context is not None and all(m.context is not c for c in seen):
            seen.append(m.context)
    return seen


def set_mode(model, mode):
    """Sets the gradient mode of every context of the model."""
    for c in contexts_of(model):
        c.mode = mode


def set_level(model, level):
    """Sets the chip noise level of every context of the model."""
    for c in contexts_of(model):
        c.level = level


def _convertible(model):
    """[(name, parent, child_key, module)] of the plain Linear and Conv2d layers, in registration order."""
    found = []
    for parent_name, parent in model.named_modules():
        for key, child in parent._modules.items():
            if child is not None and type(child) in (torch.nn.Linear, torch.nn.Conv2d):
                found.append((f"{parent_name}.{key}" if parent_name else key, parent, key, child))
    return found


def _excluded_names(candidates, exclude):
    names = [c[0] for c in candidates]
    chosen = set()
    for e in exclude:
        if e == "first" and names:
            chosen.add(names[0])
        elif e == "last" and names:
            chosen.add(names[-1])
        elif e in names:
            chosen.add(e)
        else:
            raise ValueError(f"convert_to_analog: no Linear or Conv2d layer named '{e}' to exclude "
                             f"(layers: first, last, {', '.join(names)})")
    return chosen


def convert_to_analog(model, chip=None, mode="ste", level=None, exclude=(), layer_config=None, inplace=False,
                      seed=0, **context_options):
    """Returns `model` (a deep copy unless inplace=True) with its Linear and Conv2d layers on the chip.

    chip: a ChipConfig (default the rram preset); mode: the gradient mode; level: the chip's noise level
    (default the config's); exclude: names of layers kept digital ("first" and "last" name the first and last
    convertible layer); layer_config(name, module) -> ChipConfig or None: a layer's own chip (None keeps it
    digital); layers with equal configs share one context. seed: the first context's generator; further
    options (time_s, temperature_K, gaussian_sigma, neft_sigma, neft_s, conductance_hook) go to every
    AnalogContext. A layer that cannot be analog (groups > 1, padding_mode other than zeros) is an error naming
    it: exclude it."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"convert_to_analog needs a torch.nn.Module, found {type(model).__name__}")
    chip = chip if chip is not None else ChipConfig.preset("rram")
    if not inplace:
        model = copy.deepcopy(model)
    candidates = _convertible(model)
    excluded = _excluded_names(candidates, exclude)
    contexts = {}

    def context_for(config):
        key = json.dumps(config.to_json(), sort_keys=True)
        if key not in contexts:
            n = len(contexts)
            context_seed = seed if n == 0 else _C.mix_seed([int(seed), n])
            contexts[key] = AnalogContext(config, mode=mode, seed=context_seed, level=level, **context_options)
        return contexts[key]

    for name, parent, key, child in candidates:
        if name in excluded:
            continue
        config = layer_config(name, child) if layer_config is not None else chip
        if config is None:
            continue
        try:
            context = context_for(config)
            if isinstance(child, torch.nn.Linear):
                analog = AnalogLinear.from_linear(child, context)
            else:
                analog = AnalogConv2d.from_conv2d(child, context)
        except (ValueError, TypeError) as e:
            raise type(e)(f"layer '{name}': {e}") from None
        parent._modules[key] = analog
    return model


def convert_to_digital(model, inplace=False):
    """Returns `model` (a deep copy unless inplace=True) with every analog layer a torch.nn.Linear / Conv2d
    again, sharing its parameters."""
    if not inplace:
        model = copy.deepcopy(model)
    for parent in list(model.modules()):
        for key, child in list(parent._modules.items()):
            if isinstance(child, AnalogLinear):
                parent._modules[key] = child.to_linear()
            elif isinstance(child, AnalogConv2d):
                parent._modules[key] = child.to_conv2d()
    return model
