"""dataprocess.py and infogan_timeseries.py on tiny generated fixtures (never the real data)."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import dataprocess
import infogan_timeseries
from common import sequence_infogan as infogan
from common import trajectories as traj
from tests.helpers import changed, one_line_error, snapshot

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
        dims = [np.round(rng.normal(size=length), 4) for _ in range(traj.NUM_CHANNELS)]
        if index % 2:
            dims[1] = dims[1][:-3]  # a shortened dimension, as in the archive
        cases.append(dims)
        labels.append((index * 7 + (split == "test")) % traj.NUM_CLASSES)
    return cases, np.array(labels)


def write_arff(raw_dir, split, cases, labels, padded=STEPS):
    for dimension in range(traj.NUM_CHANNELS):
        lines = ["% tiny fixture", f"@relation CharacterTrajectoriesDimension{dimension + 1}"]
        lines += [f"@attribute att{step} numeric" for step in range(padded)]
        lines += ["@attribute target {" + ",".join(str(label) for label in range(1, 21)) + "}", "@data"]
        for dims, label in zip(cases, labels):
            values = [repr(float(value)) for value in dims[dimension]]
            lines.append(",".join(values + ["?"] * (padded - len(values))) + f",{label + 1}")
        (raw_dir / traj.arff_name(dimension + 1, split)).write_text("\n".join(lines) + "\n")


def write_ts(raw_dir, split, cases, labels):
    lines = ["# tiny fixture", "@problemName CharacterTrajectories", "@univariate false", "@dimensions 3",
             "@classLabel true " + " ".join(str(label) for label in range(1, 21)), "@data"]
    for dims, label in zip(cases, labels):
        lines.append(":".join(",".join(repr(float(value)) for value in dim) for dim in dims) + f":{label + 1}")
    (raw_dir / traj.ts_name(split)).write_text("\n".join(lines) + "\n")


@pytest.fixture
def raw_fixture(tmp_path):
    splits = {split: tiny_cases(split) for split in traj.SPLITS}
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
                                 for split in traj.SPLITS} | {"class_names"}
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


def test_bad_raw_value_is_one_line_error(raw_fixture, tmp_path, capsys):
    _, arff_dir, _ = raw_fixture
    bad = arff_dir / traj.arff_name(2, "test")
    lines = bad.read_text().splitlines()
    lines[-1] = "oops," + lines[-1]
    bad.write_text("\n".join(lines))
    assert dataprocess.main(["--raw-dir", str(arff_dir), "--out", str(tmp_path / "x.npz")]) != 0
    one_line_error(capsys, f"{bad}:")
    assert not (tmp_path / "x.npz").exists()


def test_raw_file_without_data_section(tmp_path, capsys):
    for split in traj.SPLITS:
        (tmp_path / traj.ts_name(split)).write_text("@problemName x\n1,2:3\n")
    assert dataprocess.main(["--raw-dir", str(tmp_path), "--out", str(tmp_path / "x.npz")]) != 0
    one_line_error(capsys, "no '@data' line")


def test_missing_raw_files_offline_name_the_url(tmp_path, offline, capsys):
    assert dataprocess.main(["--data-dir", str(tmp_path)]) != 0
    one_line_error(capsys, traj.CANONICAL_ARFF_URL)
    assert not (tmp_path / traj.NPZ_NAME).exists()


# ---- the InfoGAN -------------------------------------------------------------------------------
def make_gan():
    model = infogan_timeseries.build_gan(LATENT, STEPS)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return model


def test_letter_and_codes_reach_the_generator():
    model = make_gan()
    noise = tf.random.normal((4, LATENT), seed=1)
    codes = tf.zeros((4, infogan_timeseries.NUM_CODES))
    letters = {label: tf.one_hot([label] * 4, traj.NUM_CLASSES) for label in (3, 14)}
    by_letter = {label: np.asarray(model.generate(noise, (one_hot, codes))) for label, one_hot in letters.items()}
    assert np.abs(by_letter[3] - by_letter[14]).mean() > 1e-4
    swept = [np.asarray(model.generate(noise, (letters[14], tf.fill((4, 2), value)))) for value in (-1.0, 1.0)]
    assert np.abs(swept[0] - swept[1]).mean() > 1e-4


def test_discriminator_step_changes_d_and_q_only():
    model = make_gan()
    rng = np.random.default_rng(0)
    real = traj.with_pen_down(rng.normal(size=(8, STEPS, 3)).astype("float32"), np.full(8, STEPS // 2))
    batch = (tf.constant(real), tf.constant(np.arange(8, dtype="int32")))
    d_before = snapshot(model.discriminator.trainable_variables)
    g_before = snapshot(model.generator.trainable_variables)
    loss = model.discriminator_step(*model.split_batch(batch))
    assert np.isfinite(float(loss))
    assert all(changed(d_before, model.discriminator.trainable_variables))
    assert not any(changed(g_before, model.generator.trainable_variables))


def test_generator_step_changes_g_only():
    model = make_gan()
    d_before, g_before = snapshot(model.discriminator.variables), snapshot(model.generator.trainable_variables)
    assert np.isfinite(float(model.generator_step(8)))
    assert all(changed(g_before, model.generator.trainable_variables))
    assert not any(changed(d_before, model.discriminator.variables))


def test_end_signal_sets_lengths_and_csv_rows():
    raw = np.ones((2, 6, 4), dtype="float32")
    raw[0, 4:, 3] = 0.1  # stops writing after 4 steps
    velocities, lengths = traj.split_pen_down(raw)
    np.testing.assert_array_equal(lengths, [4, 6])
    assert not velocities[0, 4:].any()
    frame = traj.sequences_frame(velocities, lengths, [14, 0])
    assert list(frame.columns) == ["sample", "label", "letter", "step", "x", "y", "force"]
    assert len(frame) == 10 and list(frame["letter"][:4]) == ["s"] * 4 and list(frame["step"][:4]) == [0, 1, 2, 3]


def test_r_squared():
    truth = np.linspace(-1, 1, 50)[:, None]
    np.testing.assert_allclose(infogan.r_squared(truth, truth), [1.0])
    assert infogan.r_squared(truth, np.zeros_like(truth))[0] < 0.01


# ---- the script through main(argv) --------------------------------------------------------------
def write_tiny_npz(path, count=40, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {"class_names": np.array(traj.CLASS_NAMES)}
    for split in traj.SPLITS:
        lengths = rng.integers(STEPS // 2, STEPS + 1, count).astype(np.int32)
        x = rng.normal(size=(count, STEPS, 3)).astype(np.float32)
        x[np.arange(STEPS)[None, :] >= lengths[:, None]] = 0.0
        arrays.update({
            f"x_{split}": x, f"lengths_{split}": lengths, f"dim_lengths_{split}": np.repeat(lengths[:, None], 3, 1),
            f"y_{split}": np.arange(count, dtype=np.int64) % traj.NUM_CLASSES,
        })
    np.savez(path, **arrays)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("infogan")
    data_dir = root / "data"
    data_dir.mkdir()
    write_tiny_npz(data_dir / traj.NPZ_NAME)
    judge = root / "judge.keras"
    assert infogan_timeseries.main(["--train-judge", "--data-dir", str(data_dir), "--judge", str(judge)]) == 0
    assert infogan_timeseries.main(FAST + ["--data-dir", str(data_dir), "--out-dir", str(root / "run")]) == 0
    return {"root": root, "data": data_dir, "judge": judge, "generator": root / "run" / "infogan_timeseries.h5"}


def test_training_writes_generator_q_network_and_samples(trained):
    run_dir = trained["root"] / "run"
    for name in ("infogan_timeseries.h5", "infogan_timeseries.keras", "infogan_timeseries_q.keras",
                 "losses.png", "checkpoint.npz", "samples/step_000002.png"):
        assert (run_dir / name).is_file(), name


def test_letter_with_codes_gives_grid_sweep_and_csv(trained, tmp_path):
    csv = tmp_path / "s.csv"
    assert infogan_timeseries.main(["--generator", str(trained["generator"]), "--letter", "s", "--codes", "0.5", "-1",
                                    "--samples", "3", "--csv", str(csv), "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "infogan_timeseries_letter_s.png").is_file()
    assert (tmp_path / "infogan_timeseries_style_s.png").is_file()
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["sample", "label", "letter", "step", "x", "y", "force"]
    assert set(frame["label"]) == {14} and set(frame["letter"]) == {"s"} and set(frame["sample"]) == {0, 1, 2}


def test_without_letter_labels_cycle(trained, tmp_path):
    csv = tmp_path / "all.csv"
    assert infogan_timeseries.main(["--generator", str(trained["generator"]), "--samples", "23", "--csv", str(csv),
                                    "--out-dir", str(tmp_path)]) == 0
    labels = pd.read_csv(csv).groupby("sample")["label"].first()
    np.testing.assert_array_equal(labels, np.arange(23) % traj.NUM_CLASSES)
    assert (tmp_path / "infogan_timeseries_letters.png").is_file()


def test_evaluate_writes_metrics(trained, tmp_path, capsys):
    metrics_path = tmp_path / "m.json"
    assert infogan_timeseries.main(["--generator", str(trained["generator"]), "--evaluate", "--samples", "40",
                                    "--data-dir", str(trained["data"]), "--judge", str(trained["judge"]),
                                    "--metrics-json", str(metrics_path)]) == 0
    report = json.loads(metrics_path.read_text())
    assert len(report["label_fidelity_per_letter"]) == traj.NUM_CLASSES and len(report["code_r2"]) == 2
    assert 0 <= report["discriminative_score"] <= 0.5 and 0 <= report["judge_real_test_accuracy"] <= 1
    assert "mean label fidelity" in capsys.readouterr().out


@pytest.mark.parametrize(("flags", "message"), [
    (["--letter", "f"], "--letter must be one of a b c"),
    (["--label", "20"], "--label must be between 0 and 19; got 20"),
])
def test_bad_letter_or_label(trained, tmp_path, capsys, flags, message):
    assert infogan_timeseries.main(["--generator", str(trained["generator"]), "--out-dir", str(tmp_path)] + flags) != 0
    one_line_error(capsys, message)
    assert list(tmp_path.iterdir()) == []


def test_letter_needs_generator(capsys):
    assert infogan_timeseries.main(["--letter", "s"]) != 0
    one_line_error(capsys, "--letter/--label need --generator")


def test_corrupt_generator_file(tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n garbage")
    assert infogan_timeseries.main(["--generator", str(bad), "--out-dir", str(tmp_path / "out")]) != 0
    one_line_error(capsys, str(bad))


def test_image_generator_is_refused(tmp_path, capsys):
    from common import io, networks

    path = tmp_path / "cgan.keras"
    io.save_model(networks.build_dcgan_generator(LATENT, num_classes=10), path)
    assert infogan_timeseries.main(["--generator", str(path), "--out-dir", str(tmp_path / "out")]) != 0
    one_line_error(capsys, "must be an infogan_timeseries generator")


def test_missing_dataset_offline(tmp_path, offline, capsys):
    assert infogan_timeseries.main(["--data-dir", str(tmp_path / "none"), "--out-dir", str(tmp_path / "run")]) != 0
    one_line_error(capsys, "CharacterTrajectoriesDimension1_TRAIN.arff")
    assert not (tmp_path / "run").exists()
