"""aeacgan_emnist.py: the AE-ACGAN's three updates, text rendering, diversity and the CLI."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import aeacgan_emnist
from common import io, plotting
from common.errors import ToolkitError
from common.images import data, evaluation, model, names, networks, writing
from tests.conftest import make_tiny_data_dir

LATENT = 8
CLASSES = 10
FAST = ["--dataset", "mnist", "--steps", "2", "--checkpoint-every", "1", "--sample-every", "2",
        "--batch-size", "8", "--latent-dim", str(LATENT)]


def make_model():
    gan = model.build_aeacgan(LATENT, CLASSES)
    gan.compile(*(keras.optimizers.Adam(1e-3) for _ in range(3)))
    return gan


def bar_glyph():
    """A 28x28 glyph: a bright vertical bar at the left edge, on black."""
    glyph = np.zeros((28, 28), np.uint8)
    glyph[:, :3] = 255
    return glyph


def real_batch(gan, batch_size=8):
    rng = np.random.default_rng(0)
    images = tf.constant(rng.uniform(-1, 1, (batch_size, 28, 28, 1)).astype("float32"))
    labels = tf.constant(rng.integers(0, CLASSES, batch_size).astype("int32"))
    return gan.split_batch((images, labels))


# ---- the model ---------------------------------------------------------------------------------
def test_label_reaches_the_generator():
    gan = make_model()
    noise = np.random.default_rng(1).uniform(size=(4, LATENT)).astype("float32")
    outputs = [np.asarray(gan.generator([noise, np.eye(CLASSES, dtype="float32")[[label] * 4]]))
               for label in (2, 7)]
    assert np.abs(outputs[0] - outputs[1]).mean() > 1e-4


def test_discriminator_infers_the_class_without_being_given_it():
    gan = make_model()
    assert len(gan.discriminator.inputs) == 1
    validity, class_logits = gan.discriminator(np.zeros((3, 28, 28, 1), "float32"))
    assert validity.shape == (3, 1) and class_logits.shape == (3, CLASSES)


def test_autoencoder_step_trains_encoder_and_generator_only(snapshot, changed):
    gan = make_model()
    real, conditions = real_batch(gan)
    parts = {"encoder": gan.encoder.trainable_variables, "generator": gan.generator.trainable_variables,
             "discriminator": gan.discriminator.variables}
    before = {name: snapshot(variables) for name, variables in parts.items()}
    losses = gan.auxiliary_steps(real, conditions)
    assert set(losses) == {"ae_loss"} and np.isfinite(float(losses["ae_loss"]))
    assert all(changed(before["encoder"], parts["encoder"]))
    assert all(changed(before["generator"], parts["generator"]))
    assert not any(changed(before["discriminator"], parts["discriminator"]))


def test_discriminator_and_generator_steps_leave_the_encoder_alone(snapshot, changed):
    gan = make_model()
    real, conditions = real_batch(gan)
    encoder_before = snapshot(gan.encoder.variables)
    d_before = snapshot(gan.discriminator.trainable_variables)
    gan.discriminator_step(real, conditions)
    assert all(changed(d_before, gan.discriminator.trainable_variables))
    # trainable_variables: the dropout and input-noise layers' seed states do advance on every pass.
    d_before = snapshot(gan.discriminator.trainable_variables)
    gan.generator_step(8)
    assert not any(changed(d_before, gan.discriminator.trainable_variables))
    assert not any(changed(encoder_before, gan.encoder.variables))


def test_train_step_reports_all_three_losses():
    gan = make_model()
    real, conditions = real_batch(gan)
    labels = tf.argmax(conditions, axis=1)
    logs = gan.train_step((real, labels))
    assert {"d_loss_step", "g_loss_step", "ae_loss_step"} <= set(logs)


def test_latent_codes_live_in_the_unit_cube():
    gan = make_model()
    noise = np.asarray(gan.sample_noise(256))
    codes = np.asarray(gan.encoder(np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")))
    for values in (noise, codes):
        assert values.min() >= 0 and values.max() <= 1


# ---- writing text ------------------------------------------------------------------------------
def test_text_width_grows_with_the_string_and_spaces_are_blank():
    generator = make_model().generator
    style = np.full(LATENT, 0.5, "float32")
    pages = {text: writing.render_text(generator, writing.text_to_labels(text, list("0123456789")), style)
             for text in ("1", "12", "1 2")}
    advance = writing.GLYPH_SIZE + writing.LETTER_SPACING
    assert pages["12"].shape[1] - pages["1"].shape[1] == advance
    assert pages["1 2"].shape[1] - pages["12"].shape[1] == advance
    assert {page.shape[0] for page in pages.values()} == {writing.GLYPH_SIZE + 2 * writing.MARGIN}
    space = pages["1 2"][:, writing.MARGIN + advance:writing.MARGIN + 2 * advance - writing.LETTER_SPACING]
    assert np.all(space == 255)
    first_glyph = pages["1 2"][writing.MARGIN:-writing.MARGIN, writing.MARGIN:writing.MARGIN + writing.GLYPH_SIZE]
    assert first_glyph.std() > 0


def test_one_style_for_every_glyph():
    generator = make_model().generator
    labels = writing.text_to_labels("33", list("0123456789"))
    page = writing.render_text(generator, labels, np.full(LATENT, 0.3, "float32"))
    start, advance = writing.MARGIN, writing.GLYPH_SIZE + writing.LETTER_SPACING
    first = page[:, start:start + writing.GLYPH_SIZE]
    second = page[:, start + advance:start + advance + writing.GLYPH_SIZE]
    np.testing.assert_array_equal(first, second)


def test_text_labels_fall_back_to_the_other_case():
    letters = names.class_names("emnist", "letters")
    assert writing.text_to_labels("aZ b", letters) == [0, 25, None, 1]
    byclass = names.class_names("emnist", "byclass")
    assert writing.text_to_labels("aA", byclass) == [36, 10]


def test_diversity_is_zero_for_copies_and_positive_for_different_images():
    rng = np.random.default_rng(0)
    distinct = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    copies = np.repeat(distinct[:1], 20, axis=0)
    labels = np.arange(20) % 2
    np.testing.assert_allclose(evaluation.within_class_diversity(copies, labels, 2, 10, seed=0), 0, atol=1e-6)
    assert np.all(evaluation.within_class_diversity(distinct, labels, 2, 10, seed=0) > 1)


# ---- data and files --------------------------------------------------------------------------------
def test_emnist_offline_names_the_file_and_source(tmp_path, offline, one_line_error):
    status = aeacgan_emnist.main(["--dataset", "emnist", "--data-dir", str(tmp_path), "--steps", "1"])
    assert status == 2
    err = one_line_error("gzip.zip is not in")
    assert data.EMNIST_URL in err


# ---- the script --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny AE-ACGAN trained for two steps on a tiny MNIST, and an (untrained) judge for it."""
    root = tmp_path_factory.mktemp("aeacgan")
    data_dir = make_tiny_data_dir(root)
    assert aeacgan_emnist.main(FAST + ["--data-dir", str(data_dir), "--out-dir", str(root / "run")]) == 0
    judge = root / "judge.keras"
    io.save_model(networks.build_image_classifier(CLASSES), judge)
    return {"root": root, "data": data_dir, "generator": root / "run" / "aeacgan_mnist.h5", "judge": judge}


@pytest.mark.slow
def test_training_saves_generator_encoder_and_settings(trained):
    generator = trained["generator"]
    for path in (generator, generator.with_suffix(".keras"), model.encoder_path(generator),
                 io.sidecar_path(generator), trained["root"] / "run" / "checkpoint.npz"):
        assert path.is_file(), path
    stored = json.loads(io.sidecar_path(generator).read_text())
    assert (stored["format"], stored["version"]) == (model.SIDECAR_FORMAT, model.SIDECAR_VERSION)
    settings = model.read_settings(generator)
    assert settings["class_names"] == list("0123456789") and settings["latent_dim"] == LATENT
    assert (settings["dataset"], settings["split"]) == ("mnist", None)


@pytest.mark.slow
def test_resume_restores_all_three_optimizers(trained, tmp_path):
    args = FAST[:2] + ["--data-dir", str(trained["data"]), "--out-dir", str(tmp_path), "--batch-size", "8",
                       "--latent-dim", str(LATENT)]
    assert aeacgan_emnist.main(args + ["--steps", "2"]) == 0
    assert aeacgan_emnist.main(args + ["--steps", "3", "--resume"]) == 0
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["step"] == [1, 2, 3]
    assert len(history["ae_loss"]) == 3 and all(np.isfinite(history["ae_loss"]))


@pytest.mark.slow
def test_text_png_is_written(trained, tmp_path):
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--text", "2026 11 22",
                                "--out-dir", str(tmp_path)]) == 0
    page = plotting.read_grayscale_image(tmp_path / "aeacgan_mnist_text.png")
    advance = writing.GLYPH_SIZE + writing.LETTER_SPACING
    assert page.shape == (writing.GLYPH_SIZE + 2 * writing.MARGIN, 2 * writing.MARGIN + 10 * advance - 2)


@pytest.mark.slow
def test_style_from_a_glyph_changes_the_writing(trained, tmp_path):
    pages = []
    for index, glyph in enumerate((bar_glyph(), 255 - bar_glyph().T)):
        glyph_path = tmp_path / f"glyph{index}.png"
        plotting.save_grayscale_image(glyph, glyph_path)
        out_dir = tmp_path / f"out{index}"
        assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--text", "7",
                                    "--style-from", str(glyph_path), "--out-dir", str(out_dir)]) == 0
        pages.append(plotting.read_grayscale_image(out_dir / "aeacgan_mnist_text.png"))
    assert np.abs(pages[0].astype(int) - pages[1].astype(int)).max() > 0


@pytest.mark.slow
def test_char_writes_one_class_grid_and_csv(trained, tmp_path):
    csv = tmp_path / "sevens.csv"
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--char", "7", "--samples", "5",
                                "--csv", str(csv), "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "aeacgan_mnist_class7.png").is_file()
    frame = pd.read_csv(csv)
    assert set(frame["label"]) == {7} and len(frame) == 5 and len(frame.columns) == 785


@pytest.mark.slow
def test_evaluate_reports_judge_autoencoder_and_diversity(trained, tmp_path):
    report_path = tmp_path / "metrics.json"
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--evaluate", "--samples", "40",
                                "--judge", str(trained["judge"]), "--data-dir", str(trained["data"]),
                                "--metrics-json", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert len(report["judge_accuracy_per_class"]) == CLASSES
    assert 0 <= report["reconstruction_mae"] <= 1
    assert len(report["diversity_ratio_per_class"]) == CLASSES and report["diversity_ratio_mean"] > 0
    assert report["frechet_distance"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("argv, message", [
    (["--text", "12a"], "--text can only use the characters this model writes (0123456789) and spaces; got 'a'"),
    (["--text", "   "], "--text must contain at least one character"),
    (["--label", "10"], "--label must be between 0 and 9; got 10"),
    (["--char", "x"], "got 'x'"),
    (["--text", "1", "--char", "1"], "choose one of --text, --label and --char"),
])
def test_bad_generation_requests_are_one_line_errors(trained, tmp_path, one_line_error, argv, message):
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--out-dir", str(tmp_path)] + argv) == 2
    one_line_error(message)
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_style_image_must_be_a_glyph(trained, tmp_path, one_line_error):
    big = tmp_path / "big.png"
    plotting.save_grayscale_image(np.zeros((40, 30), np.uint8), big)
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--text", "1",
                                "--style-from", str(big), "--out-dir", str(tmp_path / "out")]) == 2
    one_line_error("--style-from must be a 28x28 glyph image; got (40, 30)")


@pytest.mark.parametrize("argv, message", [
    (["--text", "12"], "--text needs --generator PATH"),
    (["--style-from", "x.png"], "--style-from needs --text"),
])
def test_writing_flags_need_their_partners(one_line_error, argv, message):
    assert aeacgan_emnist.main(argv) == 2
    one_line_error(message)


@pytest.mark.slow
def test_generator_without_settings_file_is_refused(trained, tmp_path, one_line_error):
    lonely = tmp_path / "lonely.h5"
    lonely.write_bytes(trained["generator"].read_bytes())
    assert aeacgan_emnist.main(["--generator", str(lonely), "--text", "1"]) == 2
    one_line_error("needs its settings file")


def test_missing_style_glyph_is_refused_before_loading(tmp_path, one_line_error):
    generator = tmp_path / "g.h5"
    generator.write_bytes(b"")
    assert aeacgan_emnist.main(["--generator", str(generator), "--text", "1",
                                "--style-from", str(tmp_path / "none.png")]) == 2
    one_line_error("--style-from must name an existing file")


def test_settings_of_another_format_are_refused(tmp_path, one_line_error):
    generator = tmp_path / "g.h5"
    generator.write_bytes(b"")
    io.write_json(io.sidecar_path(generator), {"format": "timegan", "version": 1})
    assert aeacgan_emnist.main(["--generator", str(generator), "--text", "1", "--out-dir", str(tmp_path / "o")]) == 2
    one_line_error(f"must be of format {model.SIDECAR_FORMAT!r}; got 'timegan'")
    assert not (tmp_path / "o").exists()


def test_text_needs_classes_that_are_characters():
    with pytest.raises(ToolkitError, match="--char needs a model whose classes are characters"):
        writing.text_to_labels("7", names.class_names("fashion_mnist"), flag="--char")
