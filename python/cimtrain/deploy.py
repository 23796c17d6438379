"""Deployment of a converted model: chip instances programmed as `cimtrain eval` programs them (instance k of
level L seeded by (seed, L, k)), calibration, Monte-Carlo evaluation over instances with eval's statistics, and
the chip's error budget (`cimtrain chip --json`)."""
import contextlib
import json

import torch

from . import _C
from .chip_config import ChipConfig
from .convert import analog_modules, contexts_of


def _cores(model):
    """The C++ cores of the model's analog layers, their weights set for programming."""
    cores = []
    for _, m in analog_modules(model):
        if m.context is not None:
            m._core.set_weight(m.weight)
            cores.append(m._core)
    return cores


def _single_level(model, level):
    if level is not None:
        return float(level)
    levels = {c.level for c in contexts_of(model)}
    if len(levels) != 1:
        raise ValueError(f"the model's contexts have levels {sorted(levels)}: give program_chip a level")
    return levels.pop()


def program_chip(model, seed=0, instance=0, level=None):
    """Programs chip instance `instance` of noise `level` (default the contexts') into every analog layer: the
    instance `cimtrain eval --seed seed` evaluates as its instance k. Eval-mode forwards then read it; the
    contexts' generators are reseeded for its read noise. Returns the model."""
    if not contexts_of(model):
        raise ValueError("program_chip: the model has no analog layer with a context (convert_to_analog first)")
    _C.program_instance(_cores(model), int(seed), _single_level(model, level), int(instance))
    return model


def program_neft(model, sigma, s=1.0, seed=0, instance=0):
    """Draws instance `instance` of NeFT's device model (sigma, multiplier s) into every analog layer, as
    `cimtrain eval --noise neft` does: eval-mode forwards add that weight noise."""
    _C.program_neft_instance(_cores(model), int(seed), float(sigma), float(s), int(instance))
    return model


def clear_chip(model):
    """Forgets the programmed instances: eval-mode forwards compute the float model again."""
    _C.clear_chip([m._core for _, m in analog_modules(model)])
    return model


def _images_of(batches):
    if torch.is_tensor(batches):
        return batches
    images = [b[0] if isinstance(b, (tuple, list)) else b for b in batches]
    if not images:
        raise ValueError("calibrate: no calibration batches")
    return torch.cat(images)


def calibrate(model, batches, output=False):
    """Fixes every programmed layer's input scale and ADC full scales from one forward of `batches` (a tensor,
    or an iterable of tensors or (inputs, targets) pairs, concatenated), as a deployed chip is calibrated once;
    output=True also fits each layer's output gain and offset per channel (eval --calibrate-output)."""
    for name, m in analog_modules(model):
        if m.context is not None and not m.programmed:
            raise ValueError(f"calibrate: layer '{name}' is not programmed (program_chip first)")
    images = _images_of(batches)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), contextlib.ExitStack() as stack:
            for c in contexts_of(model):
                stack.enter_context(c.override(calibrating=True, calibrating_output=output))
            model(images)
    finally:
        model.train(was_training)
    return model


_BATCHNORMS = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)


@contextlib.contextmanager
def trained_batchnorm(model):
    """A with-block that restores every BatchNorm layer's running statistics (mean, var, batch count) on exit."""
    saved = [(m, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
             for m in model.modules() if isinstance(m, _BATCHNORMS) and m.track_running_stats]
    try:
        yield model
    finally:
        with torch.no_grad():
            for m, mean, var, count in saved:
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
                m.num_batches_tracked.copy_(count)


def reestimate_batchnorm(model, batches, batch_size=128):
    """Deployment calibration of BatchNorm (as `cimtrain eval --batchnorm`): every BatchNorm layer's running
    statistics become the plain average (momentum None) of its batch statistics over `batches` (a tensor, cut
    into batches of `batch_size`, or an iterable of tensors or (inputs, targets) pairs), read through whatever
    the analog layers compute in eval mode -- the programmed chip instance, or the float model. Everything but
    BatchNorm stays in eval mode; no gradients; modes and momenta are restored. Returns the number of
    BatchNorm layers re-estimated; wrap in trained_batchnorm(model) to get the trained statistics back."""
    norms = [m for m in model.modules() if isinstance(m, _BATCHNORMS) and m.track_running_stats]
    if not norms:
        return 0
    if torch.is_tensor(batches):
        batches = torch.split(batches, int(batch_size))
    modes = [(m, m.training) for m in model.modules()]
    momenta = [m.momentum for m in norms]
    try:
        model.eval()
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
            m.train()
        with torch.no_grad():
            for b in batches:
                model(b[0] if isinstance(b, (tuple, list)) else b)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        for m, training in modes:
            m.training = training
    return len(norms)


def accuracy(model, data):
    """The fraction of correctly classified examples over `data`, an iterable of (inputs, labels) batches, in
    eval mode without autograd (as the program's accuracy)."""
    was_training = model.training
    model.eval()
    correct = seen = 0
    try:
        with torch.no_grad():
            for x, y in data:
                correct += int(model(x).argmax(1).eq(y).sum())
                seen += int(y.numel())
    finally:
        model.train(was_training)
    return correct / seen if seen else 0.0


def evaluate_on_chips(model, data, metric=accuracy, levels=(1, 2, 3), instances=5, seed=0, time_s=3600.0,
                      temperature_K=300.0, calibration=None, noise="chip", neft_s=1.0, progress=True,
                      batchnorm=None, calibrate_output=False):
    """Monte-Carlo evaluation: at each level, `instances` chip instances, each programmed once (its BatchNorm
    statistics re-estimated on `batchnorm` through it, then its ranges calibrated once on `calibration`, when
    given; the trained statistics come back after each instance), then metric(model, data). noise="neft": NeFT's device model instead,
    `levels` being its sigmas and `neft_s` its multiplier (no calibration). Returns, per level, a dict with
    level, mean, std (over instances), ci95 (Student t interval of the mean), instances and values: the same
    numbers `cimtrain eval` reports for the same model, data, seed and calibration images."""
    if noise not in ("chip", "neft"):
        raise ValueError(f"noise must be 'chip' or 'neft', found {noise!r}")
    if int(instances) < 1:
        raise ValueError(f"instances must be >= 1, found {instances}")
    contexts = contexts_of(model)
    if not contexts:
        raise ValueError("evaluate_on_chips: the model has no analog layer (convert_to_analog first)")
    levels = [float(level) for level in levels]
    if calibrate_output and calibration is None:
        raise ValueError("calibrate_output fits on the calibration images: give calibration=")
    if batchnorm is not None and not torch.is_tensor(batchnorm):
        batchnorm = list(batchnorm)  # read again for every instance
        if not batchnorm:
            raise ValueError("batchnorm: no batches")
    bar = _C.ProgressBar("chips", len(levels) * int(instances), "chips") if progress else None
    results = []
    with contextlib.ExitStack() as stack:
        for c in contexts:
            stack.enter_context(c.override(time_s=time_s, temperature_K=temperature_K))
        for level in levels:
            values = []
            for k in range(int(instances)):
                with trained_batchnorm(model):
                    if noise == "neft":
                        program_neft(model, level, neft_s, seed, k)
                        if batchnorm is not None:
                            reestimate_batchnorm(model, batchnorm)
                    else:
                        program_chip(model, seed, k, level)
                        after = calibrate_output and calibration is not None  # (as cimtrain eval)
                        if batchnorm is not None and not after:
                            reestimate_batchnorm(model, batchnorm)
                        if calibration is not None:
                            calibrate(model, calibration, output=calibrate_output)
                        if batchnorm is not None and after:
                            reestimate_batchnorm(model, batchnorm)
                    try:
                        values.append(float(metric(model, data)))
                    finally:
                        clear_chip(model)
                if bar:
                    bar.update(len(results) * int(instances) + k + 1)
            results.append(json.loads(_C.summarize(level, values)))
    if bar:
        bar.finish()
    return results


def chip_error_budget(chip=None, weights=None, rows=256, cols=256, batch=128, time_s=3600.0, temperature_K=300.0,
                      seed=0, instances=1, inputs="gaussian"):
    """The error of the chip's matrix product against the ideal integer product, in total and per non-ideality
    alone: the report of `cimtrain chip --json` as a dict. weights: a float matrix [outputs, inputs] (e.g. a
    layer's weight, quantised per row as a layer programs it), default a Gaussian cols x rows matrix;
    inputs: gaussian, relu or uniform random inputs."""
    chip = chip if chip is not None else ChipConfig.preset("rram")
    if not isinstance(chip, ChipConfig):
        raise TypeError(f"chip must be a cimtrain.ChipConfig, found {type(chip).__name__}")
    if weights is not None and weights.dim() > 2:  # a convolution's kernel: its crossbar matrix
        weights = weights.detach().flatten(1)
    return json.loads(_C.chip_error_budget(json.dumps(chip.to_json()), weights, int(rows), int(cols), int(batch),
                                           float(time_s), float(temperature_K), int(seed), int(instances), inputs))
