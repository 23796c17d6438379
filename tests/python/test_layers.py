"""cimtrain.nn: the analog layers as torch modules. The STE's gradient is exactly the float layer's, `full`'s is
not; every gradient mode trains; parameters behave as any module's (state_dict, deepcopy, pickle, optim, .to)."""
import copy
import pickle

import pytest
import torch
import torch.nn.functional as F

import cimtrain

MODES = cimtrain.GRADIENT_MODES


def context(mode="ste", seed=1, **kw):
    return cimtrain.AnalogContext(cimtrain.ChipConfig.preset("rram"), mode=mode, seed=seed, **kw)


def layers(mode, seed=1):
    torch.manual_seed(0)
    lin = cimtrain.nn.AnalogLinear(40, 12, context=context(mode, seed))
    conv = cimtrain.nn.AnalogConv2d(3, 8, 3, stride=2, padding=1, context=context(mode, seed))
    return lin, torch.randn(16, 40), conv, torch.randn(4, 3, 9, 9)


def grads(layer, x):
    x = x.clone().requires_grad_()
    layer.zero_grad()
    y = layer(x)
    (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
    return y.detach(), x.grad, layer.weight.grad.clone(), layer.bias.grad.clone() if layer.bias is not None else None


def float_grads(layer, x):
    clean = copy.deepcopy(layer)
    clean.context.mode = "clean"
    return grads(clean, x)


@pytest.mark.parametrize("which", ["linear", "conv"])
def test_ste_gradient_is_exactly_the_float_layers_and_full_differs(which):
    lin, xl, conv, xc = layers("ste")
    layer, x = (lin, xl) if which == "linear" else (conv, xc)
    y_ste, *g_ste = grads(layer, x)
    y_clean, *g_clean = float_grads(layer, x)
    assert not torch.equal(y_ste, y_clean)  # the forward is the chip's
    for a, b in zip(g_ste, g_clean):
        assert torch.equal(a, b)  # the backward is the float layer's, exactly
    layer.context.mode = "full"
    _, *g_full = grads(layer, x)
    assert not torch.equal(g_full[1], g_clean[1])


def test_clean_mode_and_no_context_are_the_float_layer():
    lin, xl, conv, xc = layers("clean")
    assert torch.equal(lin(xl), F.linear(xl, lin.weight, lin.bias))
    assert torch.equal(conv(xc), F.conv2d(xc, conv.weight, conv.bias, 2, 1))
    bare = cimtrain.nn.AnalogLinear(40, 12)
    assert torch.equal(bare(xl), F.linear(xl, bare.weight, bare.bias))


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_trains_a_step(mode):
    lin, xl, conv, xc = layers(mode)
    lin.context.gaussian_sigma = 0.05
    for layer, x in ((lin, xl), (conv, xc)):
        before = layer.weight.detach().clone()
        opt = torch.optim.SGD(layer.parameters(), lr=0.1)
        loss = layer(x).square().mean()
        loss.backward()
        opt.step()
        assert torch.isfinite(loss) and not torch.equal(before, layer.weight)


def test_ste_variants_give_ste_values_and_gradients():
    ref = None
    for mode in ("ste", "ste-nograd", "ste-detach"):
        lin, xl, _, _ = layers(mode, seed=5)
        out = grads(lin, xl)
        if ref is None:
            ref = out
        for a, b in zip(out, ref):
            assert torch.allclose(a, b, atol=1e-5)


def test_parameters_behave_as_any_modules(tmp_path):
    lin, xl, conv, xc = layers("ste")
    assert set(lin.state_dict()) == {"weight", "bias"} and set(conv.state_dict()) == {"weight", "bias"}
    twin = cimtrain.nn.AnalogLinear(40, 12, context=context("ste"))
    twin.load_state_dict(lin.state_dict())
    assert torch.equal(twin.weight, lin.weight)
    for copied in (copy.deepcopy(conv), pickle.loads(pickle.dumps(conv))):
        # Same parameters, mode, chip and generator state: the copy reads the same noise as the original.
        assert copied.context is not conv.context and copied.context.mode == "ste"
        assert torch.equal(copied(xc), copy.deepcopy(conv)(xc))
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Sequential(lin), path)
    loaded = torch.load(path)
    assert torch.equal(loaded[0].weight, lin.weight)
    moved = copy.deepcopy(lin).to(torch.float32)
    moved.context.mode = "clean"
    assert torch.equal(moved(xl), F.linear(xl, lin.weight, lin.bias))


def test_layers_of_a_model_share_one_context_through_copies():
    ctx = context("ste")
    model = torch.nn.Sequential(cimtrain.nn.AnalogLinear(4, 4, context=ctx), cimtrain.nn.AnalogLinear(4, 2, context=ctx))
    copied = copy.deepcopy(model)
    assert copied[0].context is copied[1].context and copied[0].context is not ctx


def test_read_conditions_change_the_chip_output():
    lin, xl, _, _ = layers("ste")
    lin.eval()
    cimtrain.program_chip(lin, seed=0)
    first = lin(xl)
    lin.context.time_s = 1e7
    cimtrain.program_chip(lin, seed=0)
    assert not torch.equal(lin(xl), first)


def test_conv_arguments_are_checked():
    with pytest.raises(ValueError, match="groups=1 only"):
        cimtrain.nn.AnalogConv2d(4, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        cimtrain.nn.AnalogConv2d(4, 4, 3, padding_mode="reflect")
    assert cimtrain.nn.AnalogConv2d(4, 4, 3, padding="same").padding == (1, 1)
    with pytest.raises(ValueError, match="mode"):
        cimtrain.AnalogContext(mode="sideways")
