"""The Python examples run at a tiny budget (the README gives their full commands)."""
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT, require_data


def run_example(name, *args):
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "python" / name), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("model,data", [("resnet18", "cifar10"), ("custom", "fashion-mnist")])
def test_train_any_model(model, data, tmp_path):
    pytest.importorskip("torchvision")
    require_data(data)
    out = run_example("train_any_model.py", "--model", model, "--data", data, "--train-limit", 64, "--test-limit", 32,
                      "--float-epochs", 1, "--ste-epochs", 1, "--batch", 32, "--levels", "2", "--instances", 1,
                      "--calibration", 16, "--out", tmp_path)
    assert "after STE fine-tuning" in out and (tmp_path / "results.json").exists()


def test_custom_noise():
    require_data("fashion-mnist")
    out = run_example("custom_noise.py", "--train-limit", 256, "--test-limit", 64, "--float-epochs", 1,
                      "--ste-epochs", 1, "--instances", 2)
    assert "weak bit lines" in out
