"""The image generators shipped in models/ load offline and generate what they promise, judged by the judge."""

import subprocess
import sys

import numpy as np
import pytest

import cgan_mnist
from common import metrics
from common.images import data, generation, model
from tests.conftest import MODELS, ROOT

SAMPLES_PER_DIGIT = 50
NUM_CLASSES = 10


def judge_for(dataset):
    classifier, _ = metrics.load_judge(MODELS / f"judge_{dataset}.keras")
    return classifier


@pytest.fixture(scope="module")
def judge():
    return judge_for("mnist")


def judged_classes(judge, images):
    return metrics.predict_classes(judge, data.images_to_unit_range(images))


@pytest.mark.slow
def test_shipped_cgan_draws_the_requested_digits(judge):
    generator, latent_dim = generation.load_generator(MODELS / "cgan_mnist.h5", conditional=True,
                                                      num_classes=NUM_CLASSES)
    labels = np.repeat(np.arange(NUM_CLASSES), SAMPLES_PER_DIGIT)
    images = generation.generate(generator, generation.sample_noise(len(labels), latent_dim, seed=7), labels)
    accuracy = metrics.per_class_accuracy(labels, judged_classes(judge, images), NUM_CLASSES)
    assert accuracy.min() >= 0.9, accuracy


@pytest.mark.slow
@pytest.mark.parametrize("dataset, min_accuracy", [("mnist", 0.9), ("fashion_mnist", 0.75)])
def test_shipped_aeacgan_draws_the_requested_classes(dataset, min_accuracy):
    path = MODELS / f"aeacgan_{dataset}.h5"
    settings = model.read_settings(path)
    assert settings["dataset"] == dataset and len(settings["class_names"]) == NUM_CLASSES
    generator, latent_dim = generation.load_generator(path, conditional=True, num_classes=NUM_CLASSES)
    assert model.load_encoder(path, latent_dim).outputs[0].shape[-1] == latent_dim == settings["latent_dim"]
    labels = np.repeat(np.arange(NUM_CLASSES), SAMPLES_PER_DIGIT)
    images = generation.generate(generator, generation.sample_uniform_noise(len(labels), latent_dim, seed=7), labels)
    predicted = metrics.predict_classes(judge_for(dataset), data.images_to_unit_range(images))
    assert metrics.per_class_accuracy(labels, predicted, NUM_CLASSES).mean() >= min_accuracy


@pytest.mark.slow
def test_shipped_aeacgan_writes_text_offline(tmp_path):
    """The documented `--text` command, as a user runs it."""
    result = subprocess.run(
        [sys.executable, "aeacgan_emnist.py", "--generator", "models/aeacgan_mnist.h5", "--text", "2026 11 22",
         "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "aeacgan_mnist_text.png").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dcgan_mnist", "mlp_gan_mnist"])
def test_shipped_unconditional_generators_cover_every_digit(judge, name):
    generator, latent_dim = generation.load_generator(MODELS / f"{name}.h5", conditional=False)
    images = generation.generate(generator, generation.sample_noise(1000, latent_dim, seed=7))
    fractions = metrics.class_fractions(judged_classes(judge, images), NUM_CLASSES)
    assert fractions.min() >= 0.04 and fractions.max() <= 0.16, fractions


@pytest.mark.slow
def test_documented_command_works_offline_from_the_checkout(tmp_path):
    """`python3 cgan_mnist.py --generator=models/cgan_mnist.h5 --digit=8`, as a user runs it."""
    result = subprocess.run(
        [sys.executable, "cgan_mnist.py", "--generator=models/cgan_mnist.h5", "--digit=8", "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "cgan_mnist_digit8.png").is_file()


def test_cgan_main_rejects_bad_digit_for_shipped_model(tmp_path, one_line_error):
    assert cgan_mnist.main([f"--generator={MODELS / 'cgan_mnist.h5'}", "--digit=12", "--out-dir", str(tmp_path)]) != 0
    one_line_error("--digit must be between 0 and 9; got 12")
