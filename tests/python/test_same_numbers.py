"""The Python copy of a C++ model, with the checkpoint's weights, computes the same numbers as the C++ model
bit for bit: training-mode chip outputs and gradients in every gradient mode for the same seed, the outputs of
the same chip instance in eval mode, and `cimtrain eval`'s Monte-Carlo accuracies."""
import json

import pytest
import torch

import cimtrain
from conftest import run_cimtrain


def python_copy(checkpoint, meta, mode, level, seed):
    config = meta["config"]
    model = cimtrain.models.by_name(config["model"], meta["in_channels"], meta["num_classes"])
    cimtrain.models.load_cimtrain_checkpoint(model, checkpoint)
    return cimtrain.convert_to_analog(model, cimtrain.ChipConfig.preset(config["preset"]), mode=mode, level=level,
                                      seed=seed)


def batch(n=24):
    x, y = cimtrain.data.load_images("fashion-mnist", "test", limit=n)
    return x, y


@pytest.mark.parametrize("mode", ["ste", "full", "clean", "gaussian", "neft", "ste-nograd", "ste-detach"])
def test_training_outputs_gradients_and_chip_instances_are_bit_identical(small_cnn_checkpoint, mode):
    path, meta = small_cnn_checkpoint
    x, y = batch()
    ref = cimtrain._C._reference_outputs(str(path), x, y, mode, 2.0, 7, 3, 0.05, 0.1, 4.0)
    model = python_copy(path, meta, mode, 2.0, seed=0)
    ctx = cimtrain.contexts_of(model)[0]
    ctx.reseed(7)
    ctx.gaussian_sigma = 0.05
    ctx.set_neft(0.1, 4.0)
    model.train()
    logits = model(x)
    torch.nn.functional.cross_entropy(logits, y).backward()
    assert torch.equal(logits.detach(), ref["train_logits"])
    grads = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
    assert set(grads) == set(ref["grads"])
    for name, g in grads.items():
        assert torch.equal(g, ref["grads"][name]), name
    buffers = dict(model.named_buffers())
    for name, b in ref["buffers"].items():
        assert torch.equal(buffers[name], b), name  # BatchNorm's running statistics, updated alike
    model.eval()
    cimtrain.program_chip(model, seed=7, instance=3, level=2.0)
    with torch.no_grad():
        assert torch.equal(model(x), ref["eval_logits"])


def test_monte_carlo_accuracies_equal_cimtrain_eval(small_cnn_checkpoint, tmp_path):
    path, meta = small_cnn_checkpoint
    proc = run_cimtrain("eval", "--checkpoint", path, "--level", "1,3", "--instances", 2, "--seed", 5, "--limit", 300,
                        "--calibration", 64, "--json", "--plot", tmp_path / "eval.png")
    expected = json.loads(proc.stdout)["levels"]
    model = python_copy(path, meta, "ste", 1.0, seed=0)
    x, y = cimtrain.data.load_images("fashion-mnist", "test", limit=300)
    calibration, _ = cimtrain.data.load_images("fashion-mnist", "train", limit=64)
    got = cimtrain.evaluate_on_chips(model, list(cimtrain.data.batches(x, y, 256)), levels=[1, 3], instances=2, seed=5,
                                     calibration=calibration, progress=False)
    assert [r["values"] for r in got] == [r["values"] for r in expected]
    assert [r["ci95"] for r in got] == [r["ci95"] for r in expected]


def test_batchnorm_reestimation_equals_cimtrain_eval(small_cnn_checkpoint, tmp_path):
    """Per-instance BatchNorm re-estimation (eval --batchnorm) gives the same accuracies in Python and C++, and
    the float figure with statistics re-estimated in float; the trained statistics come back afterwards."""
    path, meta = small_cnn_checkpoint
    proc = run_cimtrain("eval", "--checkpoint", path, "--level", "2", "--instances", 2, "--seed", 3, "--limit", 300,
                        "--calibration", 64, "--batchnorm", 256, "--json", "--plot", tmp_path / "eval.png")
    expected = json.loads(proc.stdout)
    model = python_copy(path, meta, "ste", 1.0, seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = cimtrain.data.load_images("fashion-mnist", "test", limit=300)
    data = list(cimtrain.data.batches(x, y, 256))
    calibration, _ = cimtrain.data.load_images("fashion-mnist", "train", limit=64)
    bn_images, _ = cimtrain.data.load_images("fashion-mnist", "train", limit=256)
    got = cimtrain.evaluate_on_chips(model, data, levels=[2], instances=2, seed=3, calibration=calibration,
                                     batchnorm=bn_images, progress=False)
    assert [r["values"] for r in got] == [r["values"] for r in expected["levels"]]
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    with cimtrain.trained_batchnorm(model):
        assert cimtrain.reestimate_batchnorm(model, bn_images) > 0
        assert cimtrain.accuracy(model, data) == expected["clean_batchnorm"]
    assert all(torch.equal(before[k], model.state_dict()[k]) for k in before)


def test_output_calibration_equals_cimtrain_eval(small_cnn_checkpoint, tmp_path):
    """eval --calibrate-output and evaluate_on_chips(calibrate_output=True) read the same instances alike."""
    path, meta = small_cnn_checkpoint
    proc = run_cimtrain("eval", "--checkpoint", path, "--level", "1", "--instances", 2, "--seed", 4, "--limit", 300,
                        "--calibration", 64, "--calibrate-output", "--json", "--plot", tmp_path / "eval.png")
    expected = json.loads(proc.stdout)
    assert expected["calibrate_output"] is True
    model = python_copy(path, meta, "ste", 1.0, seed=0)
    x, y = cimtrain.data.load_images("fashion-mnist", "test", limit=300)
    calibration, _ = cimtrain.data.load_images("fashion-mnist", "train", limit=64)
    got = cimtrain.evaluate_on_chips(model, list(cimtrain.data.batches(x, y, 256)), levels=[1], instances=2, seed=4,
                                     calibration=calibration, calibrate_output=True, progress=False)
    assert [r["values"] for r in got] == [r["values"] for r in expected["levels"]]
