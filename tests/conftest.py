"""Shared fixtures: small generated datasets (the real data is never needed by the tests)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

TINY_TRAIN = 64
TINY_TEST = 40
# A training run in a subprocess (a worker, a fresh interpreter) must end within this many seconds.
SUBPROCESS_TIMEOUT = 600
# cgan_mnist.py flags for a three-step run on the tiny data.
CGAN_FAST = ["--steps", "3", "--batch-size", "8", "--checkpoint-every", "1", "--sample-every", "3"]


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


@pytest.fixture
def one_line_error(capsys):
    """A checker: stderr so far is one line containing `contains`, with no traceback; returns the line."""

    def check(contains):
        err = capsys.readouterr().err.strip()
        assert contains in err, err
        assert "\n" not in err and "Traceback" not in err, err
        return err

    return check


@pytest.fixture
def snapshot():
    """A function: copies of the given variables' current values."""

    def take(variables):
        return [np.array(variable.numpy()) for variable in variables]

    return take


@pytest.fixture
def changed():
    """A function: for each variable, whether its value differs from an earlier `snapshot`."""

    def compare(before, variables):
        return [not np.array_equal(old, variable.numpy()) for old, variable in zip(before, variables)]

    return compare


# ---- a tiny GAN for the core's tests (dense networks on 6-feature rows: fast, and family-free) ----
TINY_LATENT = 8
TINY_CLASSES = 10
TINY_FEATURES = 6


def _tiny_generator(conditional):
    import keras

    noise = keras.Input((TINY_LATENT,), name="noise")
    inputs = [noise, keras.Input((TINY_CLASSES,), name="label")] if conditional else noise
    hidden = keras.layers.Concatenate()(inputs) if conditional else noise
    hidden = keras.layers.Dense(16, activation="relu")(hidden)
    rows = keras.layers.Dense(TINY_FEATURES, activation="tanh")(hidden)
    return keras.Model(inputs, rows, name="tiny_generator")


def _tiny_discriminator(conditional):
    import keras

    rows = keras.Input((TINY_FEATURES,), name="rows")
    inputs = [rows, keras.Input((TINY_CLASSES,), name="label")] if conditional else rows
    hidden = keras.layers.Concatenate()(inputs) if conditional else rows
    hidden = keras.layers.Dense(16, activation="relu")(hidden)
    return keras.Model(inputs, keras.layers.Dense(1)(hidden), name="tiny_discriminator")


@pytest.fixture
def make_gan():
    """A factory: make_gan(conditional) -> a compiled tiny GAN (or ConditionalGAN over 10 classes)."""
    import keras

    from common import gan

    def build(conditional=False):
        generator, discriminator = _tiny_generator(conditional), _tiny_discriminator(conditional)
        model = (gan.ConditionalGAN(generator, discriminator, TINY_LATENT, TINY_CLASSES) if conditional
                 else gan.GAN(generator, discriminator, TINY_LATENT))
        model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
        return model

    return build


@pytest.fixture
def real_batch():
    """A factory: real_batch(batch_size=8) -> (rows float32 (batch, 6) in [-1, 1], int32 labels (batch,))."""
    import tensorflow as tf

    def make(batch_size=8):
        rng = np.random.default_rng(0)
        rows = tf.constant(rng.uniform(-1, 1, (batch_size, TINY_FEATURES)).astype("float32"))
        labels = tf.constant(rng.integers(0, TINY_CLASSES, batch_size).astype("int32"))
        return rows, labels

    return make
