"""cimtrain: analog compute-in-memory chips and the extended straight-through estimator for PyTorch models.

    import torch, torchvision, cimtrain
    model = cimtrain.convert_to_analog(torchvision.models.resnet18(num_classes=10),
                                       cimtrain.ChipConfig.preset("rram"), mode="ste", level=2)
    ...  # an ordinary PyTorch training loop: forwards read a fresh simulated chip, gradients are the float layer's
    results = cimtrain.evaluate_on_chips(model, test_batches, levels=[1, 2, 3], instances=10)

Built by the project's CMake against Debian's python3-torch (the same libtorch as the C++ library); import
it with PYTHONPATH=build/python. The C++ program's documentation is the reference for every model and
number (README.md, docs/design.md).
"""
import torch  # first: the extension links the libtorch this import loads

from . import _C
from ._C import ConfigError, DataError
from .chip_config import ChipConfig
from .context import AnalogContext
from . import nn
from .convert import analog_modules, contexts_of, convert_to_analog, convert_to_digital, set_level, set_mode
from .deploy import (accuracy, calibrate, chip_error_budget, clear_chip, evaluate_on_chips, program_chip,
                     program_neft, reestimate_batchnorm, trained_batchnorm)
from . import neft, data, models

__version__ = "0.2.0"
GRADIENT_MODES = ("clean", "gaussian", "full", "ste", "ste-nograd", "ste-detach", "neft")


def set_threads(threads: int = 0) -> int:
    """LibTorch's intra-op threads: `threads`, or the machine's cores for 0 (as the cimtrain program does;
    Debian's torch starts with 1). Returns the count set."""
    return _C.set_threads(threads)


__all__ = ["ChipConfig", "AnalogContext", "ConfigError", "DataError", "nn", "neft", "data", "models",
           "convert_to_analog", "convert_to_digital", "analog_modules", "contexts_of", "set_mode", "set_level",
           "program_chip", "program_neft", "calibrate", "clear_chip", "evaluate_on_chips", "accuracy",
           "reestimate_batchnorm", "trained_batchnorm",
           "chip_error_budget", "set_threads", "GRADIENT_MODES"]
