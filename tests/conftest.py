"""Shared fixtures: small generated datasets (the real data is never needed by the tests)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

TINY_TRAIN = 64
TINY_TEST = 40


def write_tiny_image_npz(path, seed=0, num_classes=10):
    """A keras-layout image npz with random uint8 images and balanced labels."""
    rng = np.random.default_rng(seed)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (TINY_TRAIN, 28, 28), dtype=np.uint8),
        y_train=np.arange(TINY_TRAIN, dtype=np.uint8) % num_classes,
        x_test=rng.integers(0, 256, (TINY_TEST, 28, 28), dtype=np.uint8),
        y_test=np.arange(TINY_TEST, dtype=np.uint8) % num_classes,
    )
    return path


def make_tiny_data_dir(root):
    """Create `root/data` holding a tiny mnist.npz and return it."""
    data_dir = root / "data"
    data_dir.mkdir()
    write_tiny_image_npz(data_dir / "mnist.npz")
    return data_dir


@pytest.fixture
def tiny_data_dir(tmp_path):
    """A data directory holding a tiny mnist.npz."""
    return make_tiny_data_dir(tmp_path)


@pytest.fixture
def offline(monkeypatch):
    """Make every download fail the way it does without a network."""
    import urllib.error

    import keras

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.utils, "get_file", refuse)
