"""Deployment and NeFT from Python: instances are reproducible and distinct, calibration fixes the ranges, the
Monte-Carlo statistics are eval's, the error budget is `cimtrain chip --json`'s, OVF is NeFT's feedback, and a
user's conductance hook reaches the chip."""
import json
import math

import pytest
import torch

import cimtrain
from conftest import run_cimtrain


def mlp(mode="ste", **kw):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(30, 20), torch.nn.ReLU(), torch.nn.Linear(20, 4))
    return cimtrain.convert_to_analog(model, mode=mode, **kw)


def test_chip_instances_are_reproducible_distinct_and_cleared():
    model, x = mlp(), torch.randn(8, 30)
    model.eval()
    reads = []
    for k in (0, 0, 1):
        cimtrain.program_chip(model, seed=2, instance=k, level=2)
        with torch.no_grad():
            reads.append(model(x))
    assert torch.equal(reads[0], reads[1]) and not torch.equal(reads[0], reads[2])
    assert cimtrain.contexts_of(model)[0].level == 1.0  # the level was set only while programming
    cimtrain.clear_chip(model)
    assert torch.equal(model(x), cimtrain.convert_to_digital(model)(x))


def test_calibration_fixes_the_input_range():
    model, x = mlp(), torch.randn(8, 30)
    model.eval()
    with pytest.raises(ValueError, match="not programmed"):
        cimtrain.calibrate(model, x)
    cimtrain.program_chip(model, seed=1)
    cimtrain.calibrate(model, [(x, None)])
    with torch.no_grad():
        big = model(x * 10)  # beyond the calibrated range: the DAC clips
        ref = cimtrain.convert_to_digital(model)(x * 10)
    assert (big - ref).abs().max() > 0.5 * ref.abs().max()


def test_evaluate_on_chips_statistics():
    model = mlp()
    data = [(torch.randn(16, 30), torch.randint(0, 4, (16,))) for _ in range(2)]
    results = cimtrain.evaluate_on_chips(model, data, levels=[1, 4], instances=3, seed=9, progress=False)
    assert [r["level"] for r in results] == [1, 4]
    for r in results:
        v = r["values"]
        mean = sum(v) / 3
        std = math.sqrt(sum((a - mean) ** 2 for a in v) / 2)
        assert r["instances"] == 3 and r["mean"] == pytest.approx(mean) and r["std"] == pytest.approx(std)
        assert r["ci95"][0] == pytest.approx(mean - 4.303 * std / math.sqrt(3))
    again = cimtrain.evaluate_on_chips(model, data, levels=[1, 4], instances=3, seed=9, progress=False)
    assert again == results
    neft = cimtrain.evaluate_on_chips(model, data, levels=[0.1], instances=2, noise="neft", neft_s=4, progress=False)
    assert neft[0]["instances"] == 2
    with pytest.raises(ValueError, match="instances must be >= 1"):
        cimtrain.evaluate_on_chips(model, data, instances=0)


def test_error_budget_is_the_programs():
    got = cimtrain.chip_error_budget(cimtrain.ChipConfig.preset("pcm"), rows=64, cols=32, batch=16, seed=3)
    printed = json.loads(run_cimtrain("chip", "--preset", "pcm", "--rows", 64, "--cols", 32, "--batch", 16, "--seed", 3,
                                      "--json").stdout)
    assert got["relative_error"] == printed["relative_error"] and got["breakdown"] == printed["breakdown"]
    w = torch.randn(10, 50)
    own = cimtrain.chip_error_budget(weights=w, batch=8)
    assert own["relative_error"] > 0
    with pytest.raises(cimtrain.ConfigError, match="non-empty matrix"):
        cimtrain.chip_error_budget(weights=torch.randn(0, 3))


def test_ovf_is_neft_feedback_over_raised_noise():
    model, x = mlp("neft"), torch.randn(8, 30)
    cimtrain.neft.set_device(model, "rram4", sigma=0.1)
    ctx = cimtrain.contexts_of(model)[0]
    assert (ctx.neft_sigma, ctx.neft_s, ctx.mode) == (0.1, 4.0, "neft")
    state = ctx._ctx.generator_state()
    out = cimtrain.neft.ovf_logits(model, lambda: model(x), beta=0.1)
    ctx._ctx.set_generator_state(state)
    plain = model(x)
    extra = []
    for r in cimtrain.neft.OVF_RAISES:
        with ctx.override(raise_noise=r, reference_sigma=0.1):
            assert ctx.neft_sigma == pytest.approx(0.1 + r)
            extra.append(model(x))
    assert ctx.neft_sigma == 0.1
    expected = (plain - 0.1 * (extra[0] + 0.1 * extra[1] + 0.01 * extra[2])) / 4
    assert torch.allclose(out, expected, atol=1e-6)
    out.sum().backward()
    assert model[0].weight.grad is not None


def test_conductance_hook_reaches_the_chip():
    x = torch.randn(8, 30)
    seen = []

    def hook(g):
        seen.append(g.shape)
        return g

    plain, hooked = mlp(), mlp(conductance_hook=hook)
    for m in (plain, hooked):
        m.eval()
        cimtrain.program_chip(m, seed=4)
    with torch.no_grad():
        assert torch.equal(plain(x), hooked(x))  # the identity hook changes nothing
    assert len(seen) == 2 and len(seen[0]) == 4
    cimtrain.contexts_of(hooked)[0].conductance_hook = lambda g: (g * (1 + 0.3 * torch.randn_like(g))).clamp_min(0)
    cimtrain.program_chip(hooked, seed=4)
    with torch.no_grad():
        assert not torch.equal(plain(x), hooked(x))
    cimtrain.contexts_of(hooked)[0].conductance_hook = lambda g: g.flatten()
    with pytest.raises(ValueError, match="must return a tensor of shape"):
        cimtrain.program_chip(hooked, seed=4)
    cimtrain.contexts_of(hooked)[0].conductance_hook = lambda g: 1 / 0
    with pytest.raises(ZeroDivisionError):
        cimtrain.program_chip(hooked, seed=4)
