"""Shared by the Python package's tests: the built package on sys.path, the cimtrain program, the data sets (a
test whose data is missing is skipped here and fails in CI, as the C++ tests), and a small trained checkpoint."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("CIMTRAIN_BUILD_DIR", ROOT / "build"))
sys.path.insert(0, str(BUILD / "python"))

import torch  # noqa: E402
import cimtrain  # noqa: E402


def pytest_configure(config):
    torch.set_num_threads(1)  # the C++ reference runs on the same threads: bit-identical results


def run_cimtrain(*args, check=True):
    """Runs the cimtrain program with --threads 1; returns the completed process (text output)."""
    proc = subprocess.run([str(BUILD / "cimtrain"), "--threads", "1", *map(str, args)], capture_output=True,
                          text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"cimtrain {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def require_data(name):
    """Skips (fails under CI=true) unless data set `name` loads."""
    try:
        cimtrain.data.load_images(name, "test", limit=1)
    except cimtrain.DataError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing, and CI=true: {e}")
        pytest.skip(f"{name} is missing: {e}")


@pytest.fixture(scope="session")
def small_cnn_checkpoint(tmp_path_factory):
    """A small-cnn trained for 20 clean steps on Fashion-MNIST by the program: (path, its record)."""
    require_data("fashion-mnist")
    out = tmp_path_factory.mktemp("small-cnn")
    run_cimtrain("train", "--model", "small-cnn", "--data", "fashion-mnist", "--mode", "clean", "--steps", 20,
                 "--epochs", 1, "--batch", 32, "--eval-limit", 64, "--out", out)
    path = out / "checkpoint.pt"
    return path, json.loads(cimtrain._C.checkpoint_meta(str(path)))
