"""The generators shipped in models/ load offline and generate what they promise, judged by the judge."""

import subprocess
import sys

import numpy as np
import pytest

import cgan_mnist
from common import aeacgan, data, image_gan, io, metrics
from tests.conftest import ROOT

MODELS = ROOT / "models"
SAMPLES_PER_DIGIT = 50


def judge_for(dataset):
    classifier, _ = metrics.load_judge(MODELS / f"judge_{dataset}.keras")
    return classifier


@pytest.fixture(scope="module")
def judge():
    return judge_for("mnist")


def judged_classes(judge, images):
    return metrics.predict_classes(judge, data.images_to_unit_range(images))


def test_shipped_cgan_draws_the_requested_digits(judge):
    generator, latent_dim = image_gan.load_generator(MODELS / "cgan_mnist.h5", conditional=True, num_classes=10)
    labels = np.repeat(np.arange(10), SAMPLES_PER_DIGIT)
    images = image_gan.generate(generator, image_gan.sample_noise(len(labels), latent_dim, seed=7), labels)
    accuracy = metrics.per_class_accuracy(labels, judged_classes(judge, images), 10)
    assert accuracy.min() >= 0.9, accuracy


@pytest.mark.parametrize("dataset, min_accuracy", [("mnist", 0.9), ("fashion_mnist", 0.75)])
def test_shipped_aeacgan_draws_the_requested_classes(dataset, min_accuracy):
    path = MODELS / f"aeacgan_{dataset}.h5"
    settings = aeacgan.read_sidecar(path)
    assert settings["dataset"] == dataset
    generator, latent_dim = image_gan.load_generator(path, conditional=True, num_classes=10)
    labels = np.repeat(np.arange(10), SAMPLES_PER_DIGIT)
    images = image_gan.generate(generator, image_gan.sample_uniform_noise(len(labels), latent_dim, seed=7), labels)
    predicted = metrics.predict_classes(judge_for(dataset), data.images_to_unit_range(images))
    assert metrics.per_class_accuracy(labels, predicted, 10).mean() >= min_accuracy


def test_shipped_aeacgan_writes_text_offline(tmp_path):
    """The README's `--text` command, as a user runs it."""
    result = subprocess.run(
        [sys.executable, "aeacgan_emnist.py", "--generator", "models/aeacgan_mnist.h5", "--text", "2026 11 22",
         "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "aeacgan_mnist_text.png").is_file()


@pytest.mark.parametrize("name", ["dcgan_mnist", "mlp_gan_mnist"])
def test_shipped_unconditional_generators_cover_every_digit(judge, name):
    generator, latent_dim = image_gan.load_generator(MODELS / f"{name}.h5", conditional=False)
    images = image_gan.generate(generator, image_gan.sample_noise(1000, latent_dim, seed=7))
    fractions = metrics.class_fractions(judged_classes(judge, images), 10)
    assert fractions.min() >= 0.04 and fractions.max() <= 0.16, fractions


@pytest.mark.parametrize("name", ["dcgan_mnist", "mlp_gan_mnist", "cgan_mnist", "aeacgan_mnist",
                                  "aeacgan_fashion_mnist"])
def test_keras_and_h5_files_hold_the_same_generator(name):
    from common.io import load_model

    h5, native = load_model(MODELS / f"{name}.h5"), load_model(MODELS / f"{name}.keras")
    latent_dim = h5.inputs[0].shape[-1]
    inputs = [np.random.default_rng(0).normal(size=(3, latent_dim)).astype("float32")]
    if len(h5.inputs) == 2:
        inputs.append(np.eye(10, dtype="float32")[[1, 5, 9]])
    inputs = inputs if len(inputs) == 2 else inputs[0]
    np.testing.assert_allclose(h5(inputs), native(inputs), atol=1e-6)


def test_readme_command_works_offline_from_the_checkout(tmp_path):
    """`python3 cgan_mnist.py --generator=models/cgan_mnist.h5 --digit=8`, as a user runs it."""
    result = subprocess.run(
        [sys.executable, "cgan_mnist.py", "--generator=models/cgan_mnist.h5", "--digit=8", "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "cgan_mnist_digit8.png").is_file()


def test_cgan_main_rejects_bad_digit_for_shipped_model(tmp_path, capsys):
    assert cgan_mnist.main([f"--generator={MODELS / 'cgan_mnist.h5'}", "--digit=12", "--out-dir", str(tmp_path)]) != 0
    assert "--digit must be between 0 and 9; got 12" in capsys.readouterr().err


@pytest.mark.parametrize("name, columns", [("timegan_stocks", ["Open", "High", "Low", "Close", "Adj_Close", "Volume"]),
                                           ("timegan_sines", [f"sine_{index}" for index in range(1, 6)])])
def test_shipped_timegan_writes_windows_in_original_units(tmp_path, name, columns):
    """`python3 timegan.py --generator models/<name>.h5 --samples N --csv PATH` without any data."""
    import pandas as pd

    import timegan

    csv = tmp_path / "windows.csv"
    assert timegan.main(["--generator", str(MODELS / f"{name}.h5"), "--samples", "20", "--csv", str(csv),
                         "--out-dir", str(tmp_path)]) == 0
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["sample", "step", *columns]
    assert len(frame) == 20 * 24 and frame["step"].max() == 23
    scaler = io.read_sidecar(MODELS / f"{name}.h5")["scaler"]
    values = frame[columns].to_numpy()
    span = np.asarray(scaler["max"]) - np.asarray(scaler["min"])
    assert np.all(values >= np.asarray(scaler["min"]) - 1e-6 * span)
    assert np.all(values <= np.asarray(scaler["max"]) + 1e-6 * span)
    # Generated windows vary: not one window repeated.
    assert frame.groupby("sample")[columns[0]].mean().std() > 0


def test_shipped_cgan_timeseries_writes_regime_scenarios_offline(tmp_path):
    """`python3 cgan_timeseries.py --generator models/cgan_timeseries.h5 --regime R --csv PATH`, no data needed."""
    import pandas as pd

    import cgan_timeseries

    settings = io.read_sidecar(MODELS / "cgan_timeseries.h5")
    spread = {}
    for regime in ("low", "high"):
        csv = tmp_path / f"{regime}.csv"
        assert cgan_timeseries.main(["--generator", str(MODELS / "cgan_timeseries.h5"), "--regime", regime,
                                     "--samples", "400", "--csv", str(csv), "--out-dir", str(tmp_path)]) == 0
        frame = pd.read_csv(csv)
        assert list(frame.columns) == ["scenario", "step", "regime", *settings["assets"]]
        returns = frame[settings["assets"]].to_numpy()
        assert np.isfinite(returns).all()
        spread[regime] = returns.std(axis=0)
    # Each asset's daily spread follows its regime's volatility: stormy scenarios swing more.
    low_vol, high_vol = (np.asarray(settings["regime_asset_vol"][name]) for name in ("low", "high"))
    np.testing.assert_allclose(spread["high"] / spread["low"], high_vol / low_vol, rtol=0.35)
    assert np.all(spread["high"] > spread["low"])
