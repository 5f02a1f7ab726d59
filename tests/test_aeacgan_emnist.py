"""aeacgan_emnist.py: the AE-ACGAN's three updates, text rendering, the EMNIST loader and the CLI."""

import gzip
import json
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import aeacgan_emnist
from common import aeacgan, data, io, networks, plotting
from tests.helpers import changed, one_line_error, snapshot

LATENT = 8
CLASSES = 10
FAST = ["--dataset", "mnist", "--steps", "2", "--checkpoint-every", "1", "--sample-every", "2",
        "--batch-size", "8", "--latent-dim", str(LATENT)]


def make_model():
    model = aeacgan_emnist.build_gan(LATENT, CLASSES)
    model.compile(*(keras.optimizers.Adam(1e-3) for _ in range(3)))
    return model


def real_batch(model, batch_size=8):
    rng = np.random.default_rng(0)
    images = tf.constant(rng.uniform(-1, 1, (batch_size, 28, 28, 1)).astype("float32"))
    labels = tf.constant(rng.integers(0, CLASSES, batch_size).astype("int32"))
    return model.split_batch((images, labels))


# ---- the model ---------------------------------------------------------------------------------
def test_label_reaches_the_generator():
    model = make_model()
    noise = np.random.default_rng(1).uniform(size=(4, LATENT)).astype("float32")
    outputs = [np.asarray(model.generator([noise, np.eye(CLASSES, dtype="float32")[[label] * 4]]))
               for label in (2, 7)]
    assert np.abs(outputs[0] - outputs[1]).mean() > 1e-4


def test_discriminator_infers_the_class_without_being_given_it():
    model = make_model()
    assert len(model.discriminator.inputs) == 1
    validity, class_logits = model.discriminator(np.zeros((3, 28, 28, 1), "float32"))
    assert validity.shape == (3, 1) and class_logits.shape == (3, CLASSES)


def test_autoencoder_step_trains_encoder_and_generator_only():
    model = make_model()
    real, conditions = real_batch(model)
    parts = {"encoder": model.encoder.trainable_variables, "generator": model.generator.trainable_variables,
             "discriminator": model.discriminator.variables}
    before = {name: snapshot(variables) for name, variables in parts.items()}
    losses = model.auxiliary_steps(real, conditions)
    assert set(losses) == {"ae_loss"} and np.isfinite(float(losses["ae_loss"]))
    assert all(changed(before["encoder"], parts["encoder"]))
    assert all(changed(before["generator"], parts["generator"]))
    assert not any(changed(before["discriminator"], parts["discriminator"]))


def test_discriminator_and_generator_steps_leave_the_encoder_alone():
    model = make_model()
    real, conditions = real_batch(model)
    encoder_before = snapshot(model.encoder.variables)
    d_before = snapshot(model.discriminator.trainable_variables)
    model.discriminator_step(real, conditions)
    assert all(changed(d_before, model.discriminator.trainable_variables))
    # trainable_variables: the dropout and input-noise layers' seed states do advance on every pass.
    d_before = snapshot(model.discriminator.trainable_variables)
    model.generator_step(8)
    assert not any(changed(d_before, model.discriminator.trainable_variables))
    assert not any(changed(encoder_before, model.encoder.variables))


def test_train_step_reports_all_three_losses():
    model = make_model()
    real, conditions = real_batch(model)
    labels = tf.argmax(conditions, axis=1)
    logs = model.train_step((real, labels))
    assert {"d_loss_step", "g_loss_step", "ae_loss_step"} <= set(logs)


def test_latent_codes_live_in_the_unit_cube():
    model = make_model()
    noise = np.asarray(model.sample_noise(256))
    codes = np.asarray(model.encoder(np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")))
    for values in (noise, codes):
        assert values.min() >= 0 and values.max() <= 1


# ---- writing text ------------------------------------------------------------------------------
def test_text_width_grows_with_the_string_and_spaces_are_blank():
    generator = make_model().generator
    style = np.full(LATENT, 0.5, "float32")
    pages = {text: aeacgan.render_text(generator, aeacgan.text_to_labels(text, list("0123456789")), style, CLASSES)
             for text in ("1", "12", "1 2")}
    advance = aeacgan.GLYPH_SIZE + aeacgan.LETTER_SPACING
    assert pages["12"].shape[1] - pages["1"].shape[1] == advance
    assert pages["1 2"].shape[1] - pages["12"].shape[1] == advance
    assert {page.shape[0] for page in pages.values()} == {aeacgan.GLYPH_SIZE + 2 * aeacgan.MARGIN}
    space = pages["1 2"][:, aeacgan.MARGIN + advance:aeacgan.MARGIN + 2 * advance - aeacgan.LETTER_SPACING]
    assert np.all(space == 255)
    first_glyph = pages["1 2"][aeacgan.MARGIN:-aeacgan.MARGIN, aeacgan.MARGIN:aeacgan.MARGIN + aeacgan.GLYPH_SIZE]
    assert first_glyph.std() > 0


def test_one_style_for_every_glyph():
    generator = make_model().generator
    labels = aeacgan.text_to_labels("33", list("0123456789"))
    page = aeacgan.render_text(generator, labels, np.full(LATENT, 0.3, "float32"), CLASSES)
    start, advance = aeacgan.MARGIN, aeacgan.GLYPH_SIZE + aeacgan.LETTER_SPACING
    first = page[:, start:start + aeacgan.GLYPH_SIZE]
    second = page[:, start + advance:start + advance + aeacgan.GLYPH_SIZE]
    np.testing.assert_array_equal(first, second)


def test_text_labels_fall_back_to_the_other_case():
    letters = data.class_names("emnist", "letters")
    assert aeacgan.text_to_labels("aZ b", letters) == [0, 25, None, 1]
    byclass = data.class_names("emnist", "byclass")
    assert aeacgan.text_to_labels("aA", byclass) == [36, 10]


def test_diversity_is_zero_for_copies_and_positive_for_different_images():
    rng = np.random.default_rng(0)
    distinct = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    copies = np.repeat(distinct[:1], 20, axis=0)
    labels = np.arange(20) % 2
    np.testing.assert_allclose(aeacgan.within_class_diversity(copies, labels, 2, 10, seed=0), 0, atol=1e-6)
    assert np.all(aeacgan.within_class_diversity(distinct, labels, 2, 10, seed=0) > 1)


# ---- EMNIST ------------------------------------------------------------------------------------
def idx_bytes(array):
    """An uncompressed IDX file (uint8) for `array`, as in the official distribution."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


def upright_glyphs(count):
    """Images with a bright vertical bar at the left edge: a transposition turns it into a top row."""
    images = np.zeros((count, 28, 28), np.uint8)
    images[:, :, :3] = 255
    return images


def emnist_files(split, labels):
    """The four official `emnist-<split>-*` files (gzipped), holding transposed images as EMNIST does."""
    images = upright_glyphs(len(labels)).transpose(0, 2, 1)
    files = {}
    for prefix in ("train", "test"):
        files[f"emnist-{split}-{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images))
        files[f"emnist-{split}-{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(np.asarray(labels)))
    return files


def test_emnist_loader_turns_images_upright_and_numbers_letters_from_zero(tmp_path):
    for name, content in emnist_files("letters", np.arange(1, 27)).items():
        (tmp_path / name).write_bytes(content)
    (x_train, y_train), (x_test, y_test) = data.load_emnist("letters", tmp_path)
    np.testing.assert_array_equal(x_train, upright_glyphs(26))
    np.testing.assert_array_equal(y_test, np.arange(26))
    assert x_test.shape == (26, 28, 28) and y_train.dtype == np.int64


def test_emnist_loader_reads_the_official_zip(tmp_path):
    with zipfile.ZipFile(tmp_path / data.EMNIST_ZIP, "w") as archive:
        for name, content in emnist_files("byclass", np.arange(62)).items():
            archive.writestr(data.EMNIST_ZIP_FOLDER + name, content)
    (x_train, y_train), _ = data.load_labelled_images("emnist", tmp_path, "byclass")
    np.testing.assert_array_equal(x_train[0], upright_glyphs(1)[0])
    np.testing.assert_array_equal(y_train, np.arange(62))


def test_emnist_labels_out_of_range_are_refused(tmp_path):
    for name, content in emnist_files("balanced", np.arange(60)).items():
        (tmp_path / name).write_bytes(content)
    with pytest.raises(data.ToolkitError, match="labels must be in 0..46; got 0..59"):
        data.load_emnist("balanced", tmp_path)


def test_emnist_offline_names_the_file_and_source(tmp_path, offline, capsys):
    status = aeacgan_emnist.main(["--dataset", "emnist", "--data-dir", str(tmp_path), "--steps", "1"])
    assert status == 2
    err = one_line_error(capsys, "gzip.zip is not in")
    assert data.EMNIST_URL in err


def test_balanced_batches_draw_classes_uniformly():
    labels = np.array([0] * 950 + [1] * 50)
    images = np.zeros((len(labels), 28, 28), np.uint8)
    batches = data.image_batches(images, labels, batch_size=200, seed=0, balance_classes=True)
    drawn = np.concatenate([batch_labels.numpy() for _, batch_labels in batches.take(5)])
    assert 0.4 < np.mean(drawn == 1) < 0.6


# ---- the script --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny AE-ACGAN trained for two steps on a tiny MNIST, and an (untrained) judge for it."""
    from tests.conftest import make_tiny_data_dir

    root = tmp_path_factory.mktemp("aeacgan")
    data_dir = make_tiny_data_dir(root)
    assert aeacgan_emnist.main(FAST + ["--data-dir", str(data_dir), "--out-dir", str(root / "run")]) == 0
    judge = root / "judge.keras"
    io.save_model(networks.build_image_classifier(CLASSES), judge)
    return {"root": root, "data": data_dir, "generator": root / "run" / "aeacgan_mnist.h5", "judge": judge}


def test_training_saves_generator_encoder_and_settings(trained):
    generator = trained["generator"]
    for path in (generator, generator.with_suffix(".keras"), aeacgan.encoder_path(generator),
                 io.sidecar_path(generator), trained["root"] / "run" / "checkpoint.npz"):
        assert path.is_file(), path
    settings = json.loads(io.sidecar_path(generator).read_text())
    assert settings["class_names"] == list("0123456789") and settings["latent_dim"] == LATENT


def test_resume_restores_all_three_optimizers(trained, tmp_path):
    args = FAST[:2] + ["--data-dir", str(trained["data"]), "--out-dir", str(tmp_path), "--batch-size", "8",
                       "--latent-dim", str(LATENT)]
    assert aeacgan_emnist.main(args + ["--steps", "2"]) == 0
    assert aeacgan_emnist.main(args + ["--steps", "3", "--resume"]) == 0
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["step"] == [1, 2, 3]
    assert len(history["ae_loss"]) == 3 and all(np.isfinite(history["ae_loss"]))


def test_text_png_is_written(trained, tmp_path, capsys):
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--text", "2026 11 22",
                                "--out-dir", str(tmp_path)]) == 0
    page = plotting.read_grayscale_image(tmp_path / "aeacgan_mnist_text.png")
    advance = aeacgan.GLYPH_SIZE + aeacgan.LETTER_SPACING
    assert page.shape == (aeacgan.GLYPH_SIZE + 2 * aeacgan.MARGIN, 2 * aeacgan.MARGIN + 10 * advance - 2)


def test_style_from_a_glyph_changes_the_writing(trained, tmp_path):
    pages = []
    for index, glyph in enumerate((upright_glyphs(1)[0], 255 - upright_glyphs(1)[0].T)):
        glyph_path = tmp_path / f"glyph{index}.png"
        plotting.save_grayscale_image(glyph, glyph_path)
        out_dir = tmp_path / f"out{index}"
        assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--text", "7",
                                    "--style-from", str(glyph_path), "--out-dir", str(out_dir)]) == 0
        pages.append(plotting.read_grayscale_image(out_dir / "aeacgan_mnist_text.png"))
    assert np.abs(pages[0].astype(int) - pages[1].astype(int)).max() > 0


def test_char_writes_one_class_grid_and_csv(trained, tmp_path):
    csv = tmp_path / "sevens.csv"
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--char", "7", "--samples", "5",
                                "--csv", str(csv), "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "aeacgan_mnist_class7.png").is_file()
    frame = pd.read_csv(csv)
    assert set(frame["label"]) == {7} and len(frame) == 5 and len(frame.columns) == 785


def test_evaluate_reports_judge_autoencoder_and_diversity(trained, tmp_path):
    report_path = tmp_path / "metrics.json"
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--evaluate", "--samples", "40",
                                "--judge", str(trained["judge"]), "--data-dir", str(trained["data"]),
                                "--metrics-json", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert len(report["judge_accuracy_per_class"]) == CLASSES
    assert 0 <= report["reconstruction_mae"] <= 1
    assert len(report["diversity_ratio_per_class"]) == CLASSES and report["diversity_ratio_mean"] > 0
    assert report["frechet_distance"] >= 0


@pytest.mark.parametrize("argv, message", [
    (["--text", "12a"], "--text can only use the characters this model writes (0123456789) and spaces; got 'a'"),
    (["--text", "   "], "--text must contain at least one character"),
    (["--label", "10"], "--label must be between 0 and 9; got 10"),
    (["--char", "x"], "got 'x'"),
    (["--text", "1", "--char", "1"], "choose one of --text, --label and --char"),
])
def test_bad_generation_requests_are_one_line_errors(trained, tmp_path, capsys, argv, message):
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--out-dir", str(tmp_path)] + argv) == 2
    one_line_error(capsys, message)
    assert not list(tmp_path.iterdir())


def test_style_image_must_be_a_glyph(trained, tmp_path, capsys):
    big = tmp_path / "big.png"
    plotting.save_grayscale_image(np.zeros((40, 30), np.uint8), big)
    assert aeacgan_emnist.main(["--generator", str(trained["generator"]), "--text", "1",
                                "--style-from", str(big), "--out-dir", str(tmp_path / "out")]) == 2
    one_line_error(capsys, "--style-from must be a 28x28 glyph image; got (40, 30)")


@pytest.mark.parametrize("argv, message", [
    (["--text", "12"], "--text needs --generator PATH"),
    (["--style-from", "x.png"], "--style-from needs --text"),
])
def test_writing_flags_need_their_partners(capsys, argv, message):
    assert aeacgan_emnist.main(argv) == 2
    one_line_error(capsys, message)


def test_generator_without_settings_file_is_refused(trained, tmp_path, capsys):
    lonely = tmp_path / "lonely.h5"
    lonely.write_bytes(trained["generator"].read_bytes())
    assert aeacgan_emnist.main(["--generator", str(lonely), "--text", "1"]) == 2
    one_line_error(capsys, "needs its settings file")


def test_text_needs_classes_that_are_characters():
    with pytest.raises(aeacgan.ToolkitError, match="--char needs a model whose classes are characters"):
        aeacgan.text_to_labels("7", data.class_names("fashion_mnist"), flag="--char")
