"""dataprocess.py and infogan_timeseries.py on tiny generated fixtures, and the shipped generator (offline)."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import dataprocess
import infogan_timeseries
from common.trajectories import data, evaluation, generation, model, names, networks
from tests.conftest import MODELS

STEPS = 24
LATENT = 4
FAST = ["--steps", "2", "--checkpoint-every", "1", "--sample-every", "2", "--batch-size", "8",
        "--latent-dim", str(LATENT)]


# ---- tiny raw files ----------------------------------------------------------------------------
def tiny_cases(split, count=5, padded=STEPS, seed=0):
    """Per-case lists of 3 dimension arrays (one dimension sometimes shorter) and labels 0..19."""
    rng = np.random.default_rng(seed + (split == "test"))
    cases, labels = [], []
    for index in range(count):
        length = int(rng.integers(padded // 2, padded + 1))
        dims = [np.round(rng.normal(size=length), 4) for _ in range(names.NUM_CHANNELS)]
        if index % 2:
            dims[1] = dims[1][:-3]  # a shortened dimension, as in the archive
        cases.append(dims)
        labels.append((index * 7 + (split == "test")) % names.NUM_CLASSES)
    return cases, np.array(labels)


def write_arff(raw_dir, split, cases, labels, padded=STEPS):
    for dimension in range(names.NUM_CHANNELS):
        lines = ["% tiny fixture", f"@relation CharacterTrajectoriesDimension{dimension + 1}"]
        lines += [f"@attribute att{step} numeric" for step in range(padded)]
        lines += ["@attribute target {" + ",".join(str(label) for label in range(1, 21)) + "}", "@data"]
        for dims, label in zip(cases, labels):
            values = [repr(float(value)) for value in dims[dimension]]
            lines.append(",".join(values + ["?"] * (padded - len(values))) + f",{label + 1}")
        (raw_dir / data.arff_name(dimension + 1, split)).write_text("\n".join(lines) + "\n")


def write_ts(raw_dir, split, cases, labels):
    lines = ["# tiny fixture", "@problemName CharacterTrajectories", "@univariate false", "@dimensions 3",
             "@classLabel true " + " ".join(str(label) for label in range(1, 21)), "@data"]
    for dims, label in zip(cases, labels):
        lines.append(":".join(",".join(repr(float(value)) for value in dim) for dim in dims) + f":{label + 1}")
    (raw_dir / data.ts_name(split)).write_text("\n".join(lines) + "\n")


@pytest.fixture
def raw_fixture(tmp_path):
    splits = {split: tiny_cases(split) for split in names.SPLITS}
    arff_dir, ts_dir = tmp_path / "arff", tmp_path / "ts"
    arff_dir.mkdir()
    ts_dir.mkdir()
    for split, (cases, labels) in splits.items():
        write_arff(arff_dir, split, cases, labels)
        write_ts(ts_dir, split, cases, labels)
    return splits, arff_dir, ts_dir


def check_layout(path, splits):
    stored = np.load(path)
    assert set(stored.files) == {f"{key}_{split}" for key in ("x", "y", "lengths", "dim_lengths")
                                 for split in names.SPLITS} | {"class_names"}
    assert list(stored["class_names"]) == list("abcdeghlmnopqrsuvwyz")
    padded = max(len(dim) for cases, _ in splits.values() for case in cases for dim in case)
    for split, (cases, labels) in splits.items():
        x = stored[f"x_{split}"]
        assert x.dtype == np.float32 and x.shape == (len(cases), padded, 3)
        assert stored[f"y_{split}"].dtype == np.int64
        np.testing.assert_array_equal(stored[f"y_{split}"], labels)
        dim_lengths = np.array([[len(dim) for dim in case] for case in cases])
        np.testing.assert_array_equal(stored[f"dim_lengths_{split}"], dim_lengths)
        np.testing.assert_array_equal(stored[f"lengths_{split}"], dim_lengths.max(axis=1))
        assert stored[f"lengths_{split}"].dtype == np.int32
        for index, dims in enumerate(cases):
            for channel, dim in enumerate(dims):
                np.testing.assert_allclose(x[index, :len(dim), channel], dim, rtol=1e-6)
                assert not x[index, len(dim):, channel].any()


@pytest.mark.parametrize("kind", ["arff", "ts"])
def test_conversion_of_tiny_raw_files(raw_fixture, tmp_path, kind):
    splits, arff_dir, ts_dir = raw_fixture
    out = tmp_path / f"{kind}.npz"
    raw_dir = arff_dir if kind == "arff" else ts_dir
    assert dataprocess.main(["--raw-dir", str(raw_dir), "--out", str(out)]) == 0
    check_layout(out, splits)


def test_bad_raw_value_is_one_line_error(raw_fixture, tmp_path, one_line_error):
    _, arff_dir, _ = raw_fixture
    bad = arff_dir / data.arff_name(2, "test")
    lines = bad.read_text().splitlines()
    lines[-1] = "oops," + lines[-1]
    bad.write_text("\n".join(lines))
    assert dataprocess.main(["--raw-dir", str(arff_dir), "--out", str(tmp_path / "x.npz")]) != 0
    one_line_error(f"{bad}:")
    assert not (tmp_path / "x.npz").exists()


def test_raw_file_without_data_section(tmp_path, one_line_error):
    for split in names.SPLITS:
        (tmp_path / data.ts_name(split)).write_text("@problemName x\n1,2:3\n")
    assert dataprocess.main(["--raw-dir", str(tmp_path), "--out", str(tmp_path / "x.npz")]) != 0
    one_line_error("no '@data' line")


def test_missing_raw_files_offline_name_the_url(tmp_path, offline, one_line_error):
    assert dataprocess.main(["--data-dir", str(tmp_path)]) != 0
    one_line_error(data.CANONICAL_ARFF_URL)
    assert not (tmp_path / names.NPZ_NAME).exists()


# ---- the InfoGAN -------------------------------------------------------------------------------
def make_gan():
    gan = model.build_gan(LATENT, STEPS)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def test_letter_and_codes_reach_the_generator():
    gan = make_gan()
    noise = tf.random.normal((4, LATENT), seed=1)
    codes = tf.zeros((4, names.NUM_CODES))
    letters = {label: tf.one_hot([label] * 4, names.NUM_CLASSES) for label in (3, 14)}
    by_letter = {label: np.asarray(gan.generate(noise, (one_hot, codes))) for label, one_hot in letters.items()}
    assert np.abs(by_letter[3] - by_letter[14]).mean() > 1e-4
    for code in range(names.NUM_CODES):
        swept = []
        for value in (-1.0, 1.0):
            one_code = np.zeros((4, names.NUM_CODES), dtype="float32")
            one_code[:, code] = value
            swept.append(np.asarray(gan.generate(noise, (letters[14], tf.constant(one_code)))))
        assert np.abs(swept[0] - swept[1]).mean() > 1e-4, code


def test_discriminator_sees_the_pen_path():
    sequences = np.ones((1, 5, names.NUM_CHANNELS + 1), dtype="float32")
    features = np.asarray(networks.discriminator_features(sequences))
    assert features.shape == (1, 5, names.NUM_CHANNELS + 3)
    np.testing.assert_allclose(features[0, :, -2], np.arange(1, 6) / networks.PATH_SCALE)


def test_discriminator_step_changes_d_and_q_only(snapshot, changed):
    gan = make_gan()
    rng = np.random.default_rng(0)
    real = data.with_pen_down(rng.normal(size=(8, STEPS, 3)).astype("float32"), np.full(8, STEPS // 2))
    batch = (tf.constant(real), tf.constant(np.arange(8, dtype="int32")))
    d_before = snapshot(gan.discriminator.trainable_variables)
    g_before = snapshot(gan.generator.trainable_variables)
    loss = gan.discriminator_step(*gan.split_batch(batch))
    assert np.isfinite(float(loss))
    assert all(changed(d_before, gan.discriminator.trainable_variables))
    assert not any(changed(g_before, gan.generator.trainable_variables))


def test_generator_step_changes_g_only(snapshot, changed):
    gan = make_gan()
    d_before, g_before = snapshot(gan.discriminator.variables), snapshot(gan.generator.trainable_variables)
    assert np.isfinite(float(gan.generator_step(8)))
    assert all(changed(g_before, gan.generator.trainable_variables))
    assert not any(changed(d_before, gan.discriminator.variables))


def test_training_batches_carry_the_end_signal_and_labels():
    rng = np.random.default_rng(0)
    lengths = np.array([3, 5, 8, 2], dtype=np.int32)
    arrays = {"x_train": rng.normal(size=(4, 8, 3)).astype("float32"), "lengths_train": lengths,
              "y_train": np.array([4, 5, 6, 7], dtype=np.int64)}
    sequences, labels = next(iter(data.training_batches(arrays, 4, seed=0)))
    order = np.argsort(labels.numpy())
    np.testing.assert_array_equal(labels.numpy()[order], [4, 5, 6, 7])
    np.testing.assert_array_equal(sequences.numpy()[order, :, 3].sum(axis=1), lengths)


def test_end_signal_sets_lengths_and_csv_rows():
    raw = np.ones((2, 6, 4), dtype="float32")
    raw[0, 4:, 3] = 0.1  # stops writing after 4 steps
    velocities, lengths = data.split_pen_down(raw)
    np.testing.assert_array_equal(lengths, [4, 6])
    assert not velocities[0, 4:].any()
    frame = data.sequences_frame(velocities, lengths, [14, 0])
    assert list(frame.columns) == ["sample", "label", "letter", "step", "x", "y", "force"]
    assert len(frame) == 10 and list(frame["letter"][:4]) == ["s"] * 4 and list(frame["step"][:4]) == [0, 1, 2, 3]


def test_r_squared():
    truth = np.linspace(-1, 1, 50)[:, None]
    np.testing.assert_allclose(evaluation.r_squared(truth, truth), [1.0])
    assert evaluation.r_squared(truth, np.zeros_like(truth))[0] < 0.01


def test_discriminative_score_separates_obvious_fakes():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(40, STEPS, 3)).astype("float32")
    assert evaluation.discriminative_score(real, real + 5.0, epochs=5, seed=0) >= 0.4


# ---- the script through main(argv) --------------------------------------------------------------
def write_tiny_npz(path, count=40, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {"class_names": np.array(names.CLASS_NAMES)}
    for split in names.SPLITS:
        lengths = rng.integers(STEPS // 2, STEPS + 1, count).astype(np.int32)
        x = rng.normal(size=(count, STEPS, 3)).astype(np.float32)
        x[np.arange(STEPS)[None, :] >= lengths[:, None]] = 0.0
        arrays.update({
            f"x_{split}": x, f"lengths_{split}": lengths, f"dim_lengths_{split}": np.repeat(lengths[:, None], 3, 1),
            f"y_{split}": np.arange(count, dtype=np.int64) % names.NUM_CLASSES,
        })
    np.savez(path, **arrays)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("infogan")
    data_dir = root / "data"
    data_dir.mkdir()
    write_tiny_npz(data_dir / names.NPZ_NAME)
    judge = root / "judge.keras"
    assert infogan_timeseries.main(["--train-judge", "--data-dir", str(data_dir), "--judge", str(judge)]) == 0
    assert infogan_timeseries.main(FAST + ["--data-dir", str(data_dir), "--out-dir", str(root / "run")]) == 0
    return {"root": root, "data": data_dir, "judge": judge, "generator": root / "run" / "infogan_timeseries.h5"}


@pytest.mark.slow
def test_training_writes_generator_q_network_and_samples(trained):
    run_dir = trained["root"] / "run"
    for name in ("infogan_timeseries.h5", "infogan_timeseries.keras", "infogan_timeseries_q.keras",
                 "losses.png", "checkpoint.npz", "samples/step_000002.png"):
        assert (run_dir / name).is_file(), name


@pytest.mark.slow
def test_letter_with_codes_gives_grid_sweep_and_csv(trained, tmp_path):
    csv = tmp_path / "s.csv"
    assert infogan_timeseries.main(["--generator", str(trained["generator"]), "--letter", "s", "--codes", "0.5", "-1",
                                    "--samples", "3", "--csv", str(csv), "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "infogan_timeseries_letter_s.png").is_file()
    assert (tmp_path / "infogan_timeseries_style_s.png").is_file()
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["sample", "label", "letter", "step", "x", "y", "force"]
    assert set(frame["label"]) == {14} and set(frame["letter"]) == {"s"} and set(frame["sample"]) == {0, 1, 2}


@pytest.mark.slow
def test_without_letter_labels_cycle(trained, tmp_path):
    csv = tmp_path / "all.csv"
    assert infogan_timeseries.main(["--generator", str(trained["generator"]), "--samples", "23", "--csv", str(csv),
                                    "--out-dir", str(tmp_path)]) == 0
    labels = pd.read_csv(csv).groupby("sample")["label"].first()
    np.testing.assert_array_equal(labels, np.arange(23) % names.NUM_CLASSES)
    assert (tmp_path / "infogan_timeseries_letters.png").is_file()


@pytest.mark.slow
def test_evaluate_writes_metrics(trained, tmp_path, capsys):
    metrics_path = tmp_path / "m.json"
    assert infogan_timeseries.main(["--generator", str(trained["generator"]), "--evaluate", "--samples", "40",
                                    "--data-dir", str(trained["data"]), "--judge", str(trained["judge"]),
                                    "--metrics-json", str(metrics_path)]) == 0
    report = json.loads(metrics_path.read_text())
    per_letter = report["label_fidelity_per_letter"]
    assert list(per_letter) == list(names.CLASS_NAMES) and report["samples"] == 40
    assert report["label_fidelity_mean"] == pytest.approx(np.mean(list(per_letter.values())))
    assert len(report["code_r2"]) == names.NUM_CODES and all(value <= 1 for value in report["code_r2"])
    assert report["mean_length_real_test"] == pytest.approx(np.load(trained["data"] / names.NPZ_NAME)
                                                            ["lengths_test"].mean())
    assert "mean label fidelity" in capsys.readouterr().out


@pytest.mark.parametrize(("flags", "message"), [
    (["--generator", "missing.h5", "--letter", "f"], "--letter must be one of a b c"),
    (["--generator", "missing.h5", "--label", "20"], "--label must be between 0 and 19; got 20"),
    (["--letter", "s"], "--letter/--label needs --generator"),
    (["--codes", "0", "1"], "--codes needs --generator"),
    (["--train-judge", "--generator", "g.h5"], "--train-judge trains the judge only"),
    (["--generator", "missing.h5"], "--generator must name an existing file; got missing.h5"),
])
def test_bad_flags_are_refused_before_anything_runs(tmp_path, one_line_error, flags, message):
    assert infogan_timeseries.main(flags + ["--out-dir", str(tmp_path / "out")]) != 0
    one_line_error(message)
    assert not (tmp_path / "out").exists()


def test_evaluate_needs_the_q_network_beside_the_generator(tmp_path, one_line_error):
    generator, judge = tmp_path / "g.h5", tmp_path / "judge.keras"
    generator.write_bytes(b"")
    judge.write_bytes(b"")
    assert infogan_timeseries.main(["--generator", str(generator), "--evaluate", "--judge", str(judge)]) != 0
    one_line_error(f"--q-network must name an existing file; got {tmp_path / 'g_q.keras'}")


def test_corrupt_generator_file(tmp_path, one_line_error):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n garbage")
    assert infogan_timeseries.main(["--generator", str(bad), "--out-dir", str(tmp_path / "out")]) != 0
    one_line_error(str(bad))


def test_other_generator_is_refused(tmp_path, one_line_error):
    from common import io

    path = tmp_path / "three_codes.keras"
    io.save_model(networks.build_generator(LATENT, names.NUM_CLASSES, 3, STEPS, names.NUM_CHANNELS), path)
    assert infogan_timeseries.main(["--generator", str(path), "--out-dir", str(tmp_path / "out")]) != 0
    one_line_error("must be an infogan_timeseries generator")


def test_missing_dataset_offline(tmp_path, offline, one_line_error):
    assert infogan_timeseries.main(["--data-dir", str(tmp_path / "none"), "--out-dir", str(tmp_path / "run")]) != 0
    one_line_error("CharacterTrajectoriesDimension1_TRAIN.arff")
    assert not (tmp_path / "run").exists()


# ---- the shipped generator (offline: no data needed) --------------------------------------------
SHIPPED_PER_LETTER = 10


@pytest.mark.slow
def test_shipped_generator_writes_the_letters_and_codes_it_is_asked_for():
    from common.io import load_model

    generator, latent_dim, steps = generation.load_generator(MODELS / "infogan_timeseries.h5")
    judge = load_model(MODELS / "judge_character_trajectories.keras")
    q_network = load_model(names.q_network_path(MODELS / "infogan_timeseries.h5"))
    labels = np.repeat(np.arange(names.NUM_CLASSES), SHIPPED_PER_LETTER)
    velocities, lengths, codes, raw = generation.generate(generator, latent_dim, labels, seed=0)
    assert velocities.shape == (len(labels), steps, names.NUM_CHANNELS)
    fidelity, _ = evaluation.accuracy(judge, velocities, labels)
    assert fidelity >= 0.85
    assert evaluation.r_squared(codes, evaluation.estimate_codes(q_network, raw)).min() >= 0.9
