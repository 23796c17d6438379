"""Analog layers as torch.nn.Modules: AnalogLinear and AnalogConv2d own ordinary nn.Parameters ("weight",
"bias": state_dict, deepcopy, pickle, torch.optim and .to() work as for nn.Linear / nn.Conv2d) and compute
through the C++ layer (nn::AnalogLayer::forward_with) in their context's gradient mode:

    clean       the float layer
    gaussian    W + sigma max|W| noise, differentiable
    full        the chip's value, gradient through a differentiable model of the programmed instance
    ste         the chip's value, the float layer's gradient (the extended straight-through estimator)
    ste-nograd, ste-detach   Algorithm 1 written out (same values and gradients as ste, more memory)
    neft        NeFT's device-variation weight noise, differentiable

In eval mode a layer reads its programmed chip instance (cimtrain.program_chip), else computes the float
layer. Without a context (before cimtrain.convert_to_analog) a layer is the float layer.
"""
import math

import torch

from . import _C
from .context import AnalogContext


class _AnalogModule(torch.nn.Module):
    """What both analog layers share: the C++ core, the context, pickling without the core."""

    def _init_analog(self, context):
        self._core = self._make_core()
        self._context = None
        self.context = context

    def _make_core(self):
        raise NotImplementedError

    @property
    def context(self):
        """The AnalogContext this layer computes in (None: the float layer)."""
        return self._context

    @context.setter
    def context(self, context):
        if context is not None and not isinstance(context, AnalogContext):
            raise TypeError(f"context must be a cimtrain.AnalogContext or None, found {type(context).__name__}")
        self._context = context
        if context is not None:
            self._core.set_context(context._ctx)

    @property
    def programmed(self):
        """True while a chip instance is programmed (eval-mode forwards read it)."""
        return self._core.programmed

    def forward(self, x):
        if self._context is None:
            return self._float_forward(x)
        return self._core.forward(x, self.weight, self.bias, self.training)

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_core"]  # rebuilt from the options: a programmed instance is not copied
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._core = self._make_core()
        if self._context is not None:
            self._core.set_context(self._context._ctx)


class AnalogLinear(_AnalogModule):
    """A drop-in for torch.nn.Linear on the chip (same arguments, parameters and initialisation)."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None, context=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        kw = {"device": device, "dtype": dtype}
        self.weight = torch.nn.Parameter(torch.empty(out_features, in_features, **kw))
        if bias:
            self.bias = torch.nn.Parameter(torch.empty(out_features, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        self._init_analog(context)

    def reset_parameters(self):
        torch.nn.Linear.reset_parameters(self)

    def _make_core(self):
        return _C.LayerCore.linear(self.in_features, self.out_features, self.bias is not None)

    def _float_forward(self, x):
        return torch.nn.functional.linear(x, self.weight, self.bias)

    @classmethod
    def from_linear(cls, linear, context=None):
        """The analog twin of a torch.nn.Linear, sharing its parameters."""
        layer = cls(linear.in_features, linear.out_features, bias=False, device="meta", context=context)
        layer.weight = linear.weight
        layer.bias = linear.bias
        layer._core = layer._make_core()
        layer.context = context
        return layer

    def to_linear(self):
        linear = torch.nn.Linear(self.in_features, self.out_features, bias=False, device="meta")
        linear.weight, linear.bias = self.weight, self.bias
        return linear

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
                f"context={self._context!r}")


def _pair(v, what):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(v) != 2 or not all(isinstance(i, int) for i in v):
        raise ValueError(f"AnalogConv2d's {what} must be an int or a pair of ints, found {v!r}")
    return v


class AnalogConv2d(_AnalogModule):
    """A drop-in for torch.nn.Conv2d on the chip (groups 1 and zero padding: the crossbar holds the kernel as
    one [out_channels, in_channels x kh x kw] matrix)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None, context=None):
        super().__init__()
        if groups != 1:
            raise ValueError(f"AnalogConv2d supports groups=1 only, found groups={groups} (keep this layer digital)")
        if padding_mode != "zeros":
            raise ValueError(f"AnalogConv2d supports padding_mode='zeros' only, found {padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        self.padding = self._explicit_padding(padding)
        self.groups, self.padding_mode = 1, "zeros"
        kw = {"device": device, "dtype": dtype}
        self.weight = torch.nn.Parameter(torch.empty(out_channels, in_channels, *self.kernel_size, **kw))
        if bias:
            self.bias = torch.nn.Parameter(torch.empty(out_channels, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        self._init_analog(context)

    def _explicit_padding(self, padding):
        if padding == "valid":
            return (0, 0)
        if padding == "same":
            if self.stride != (1, 1) or any(d * (k - 1) % 2 for k, d in zip(self.kernel_size, self.dilation)):
                raise ValueError("AnalogConv2d's padding='same' needs stride 1 and a symmetric padding, found "
                                 f"kernel {self.kernel_size}, stride {self.stride}, dilation {self.dilation}")
            return tuple(d * (k - 1) // 2 for k, d in zip(self.kernel_size, self.dilation))
        return _pair(padding, "padding")

    def reset_parameters(self):
        torch.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight[0].numel()
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            torch.nn.init.uniform_(self.bias, -bound, bound)

    def _make_core(self):
        return _C.LayerCore.conv2d(self.in_channels, self.out_channels, list(self.kernel_size), list(self.stride),
                                   list(self.padding), list(self.dilation), self.bias is not None)

    def _float_forward(self, x):
        return torch.nn.functional.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    @classmethod
    def from_conv2d(cls, conv, context=None):
        """The analog twin of a torch.nn.Conv2d, sharing its parameters."""
        layer = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                    conv.groups, bias=False, padding_mode=conv.padding_mode, device="meta", context=context)
        layer.weight = conv.weight
        layer.bias = conv.bias
        layer._core = layer._make_core()
        layer.context = context
        return layer

    def to_conv2d(self):
        conv = torch.nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size, self.stride, self.padding,
                               self.dilation, bias=False, device="meta")
        conv.weight, conv.bias = self.weight, self.bias
        return conv

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, bias={self.bias is not None}, "
                f"context={self._context!r}")
