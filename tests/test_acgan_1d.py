"""The tabular ACGAN: model, scaler, CSV layout, generation flags, evaluation and bad input, on tiny CSVs."""

import json
import shutil

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import acgan_1d
from common import io
from common.tabular import data, evaluation, generation, networks
from tests.conftest import MODELS

LATENT = 4
# Label column in the middle and numeric labels whose text order differs from their numeric order.
COLUMNS = ["width", "kind", "height", "weight"]
LABEL = "kind"
CLASS_ROWS = {"3": 10, "7": 14, "11": 20}
FAST = ["--steps", "3", "--batch-size", "8", "--checkpoint-every", "3", "--sample-every", "3",
        "--latent-dim", str(LATENT), "--label-column", LABEL]


def write_table(path, class_rows=None, seed=0):
    """A labelled CSV with three features whose means depend on the class."""
    rng = np.random.default_rng(seed)
    frames = []
    for label, count in (class_rows or CLASS_ROWS).items():
        centre = float(label)
        frames.append(pd.DataFrame({
            "width": np.round(rng.normal(centre, 0.5, count), 3),
            "kind": [label] * count,
            "height": np.round(rng.normal(-centre, 1.0, count), 2),
            "weight": rng.integers(0, 100, count),
        }))
    frame = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=seed)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """An untrained generator saved as training saves one (with its settings), and its train and test CSVs.

    Generation and evaluation need a generator of the right shape, not a good one.
    """
    root = tmp_path_factory.mktemp("acgan_1d")
    train_csv = write_table(root / "train.csv")
    test_csv = write_table(root / "test.csv", seed=1)
    table = data.read_table(train_csv, LABEL)
    info = generation.ModelInfo.from_table(table, data.check_classes(table))
    keras.utils.set_random_seed(0)
    path = root / "run" / "acgan_1d.h5"
    generation.save_settings(info, path)
    io.save_model(networks.build_generator(LATENT, len(info.classes), len(info.feature_columns)), path)
    return {"root": root, "train": train_csv, "test": test_csv, "generator": path}


@pytest.fixture(scope="module")
def training_run(tmp_path_factory):
    """A run folder after three training steps on a tiny CSV, and that CSV."""
    root = tmp_path_factory.mktemp("acgan_1d_run")
    train_csv = write_table(root / "train.csv")
    assert acgan_1d.main(FAST + ["--data", str(train_csv), "--out-dir", str(root / "run")]) == 0
    return {"train": train_csv, "run": root / "run"}


def read_strings(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# ---- the model -------------------------------------------------------------------------------
def make_acgan(num_classes=3, num_features=5):
    model = networks.build_acgan(LATENT, num_classes, num_features)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return model


def test_discriminator_has_validity_and_class_heads_and_no_label_input():
    model = make_acgan()
    assert len(model.discriminator.inputs) == 1
    validity, class_logits = model.discriminate(tf.zeros((6, 5)), None)
    assert tuple(validity.shape) == (6, 1) and tuple(class_logits.shape) == (6, 3)


def test_label_reaches_the_generator():
    """Same noise, only the label changed: the generated distribution moves."""
    model = make_acgan()
    noise = tf.random.normal((256, LATENT), seed=1)
    means = [np.asarray(model.generate(noise, tf.one_hot([label] * 256, 3))).mean(axis=0) for label in range(3)]
    assert np.abs(means[0] - means[1]).max() > 1e-3
    assert np.abs(means[1] - means[2]).max() > 1e-3


def test_discriminator_step_changes_d_and_leaves_g_alone(snapshot, changed):
    model = make_acgan()
    real, conditions = model.split_batch((tf.random.uniform((8, 5), -1, 1), tf.constant([0, 1, 2, 0, 1, 2, 0, 1])))
    # G's weights, not its batch-norm statistics: making the fakes in training mode updates those.
    d_before = snapshot(model.discriminator.trainable_variables)
    g_before = snapshot(model.generator.trainable_variables)
    assert np.isfinite(float(model.discriminator_step(real, conditions)))
    assert all(changed(d_before, model.discriminator.trainable_variables))
    assert not any(changed(g_before, model.generator.trainable_variables))


def test_generator_step_changes_g_and_leaves_d_alone(snapshot, changed):
    model = make_acgan()
    # D's weights, not its dropout seed state, which advances whenever D runs in training mode.
    d_before = snapshot(model.discriminator.trainable_variables)
    g_before = snapshot(model.generator.trainable_variables)
    assert np.isfinite(float(model.generator_step(8)))
    assert all(changed(g_before, model.generator.trainable_variables))
    assert not any(changed(d_before, model.discriminator.trainable_variables))


def test_losses_include_the_class_term():
    """The class head's verdict changes both losses: right classes cost less than wrong ones."""
    model = make_acgan()
    validity = tf.zeros((4, 1))
    confident = [validity, tf.constant([[9.0, 0.0, 0.0]] * 4)]
    right, wrong = tf.one_hot([0] * 4, 3), tf.one_hot([1] * 4, 3)
    assert float(model.generator_loss(confident, right)) < float(model.generator_loss(confident, wrong))
    assert float(model.discriminator_loss(confident, confident, right, right)) < float(
        model.discriminator_loss(confident, confident, wrong, right))
    assert float(model.discriminator_loss(confident, confident, right, right)) < float(
        model.discriminator_loss(confident, confident, right, wrong))


def test_fake_labels_cover_every_class_including_the_last():
    model = make_acgan(num_classes=7)
    counts = np.bincount(np.argmax(model.sample_conditions(7000), axis=1), minlength=7)
    assert counts.min() > 800


def test_generated_rows_follow_the_requested_class(trained):
    """The label generate_rows is given reaches the generator: same seed, other class, other rows."""
    generator, info = generation.load_generator(trained["generator"])
    first, _ = generation.generate_rows(generator, info, [5, 0, 0], seed=0)
    last, _ = generation.generate_rows(generator, info, [0, 0, 5], seed=0)
    assert not np.allclose(first, last)


def test_training_batches_are_class_balanced(tmp_path):
    """Rare classes reach D as often as common ones (uniform fake labels must not be told apart by class mix)."""
    from common import batching

    table = data.read_table(write_table(tmp_path / "t.csv", {"3": 4, "7": 40, "11": 200}), LABEL)
    ids = data.class_indices(table.labels, data.check_classes(table))
    dataset = batching.endless_batches((table.features.astype("float32"), ids), 60, seed=0, balance_labels=ids)
    labels = np.concatenate([batch_ids.numpy() for _, batch_ids in dataset.take(20)])
    fractions = np.bincount(labels, minlength=3) / len(labels)
    np.testing.assert_allclose(fractions, 1 / 3, atol=0.05)


# ---- scaler and sidecar ----------------------------------------------------------------------
def test_scaler_maps_training_rows_onto_tanh_range_and_clips_back(tmp_path):
    table = data.read_table(write_table(tmp_path / "t.csv"), LABEL)
    info = generation.ModelInfo.from_table(table, data.check_classes(table))
    scaled = info.scaler.transform(table.features)
    np.testing.assert_allclose(scaled.min(axis=0), -1.0)
    np.testing.assert_allclose(scaled.max(axis=0), 1.0)
    np.testing.assert_allclose(info.scaler.inverse_transform(scaled), table.features, atol=1e-9)
    # Generated values beyond tanh's range come back as the training extremes.
    np.testing.assert_allclose(info.scaler.inverse_transform(np.full((2, 3), 5.0)),
                               np.tile(table.features.max(axis=0), (2, 1)))


def test_sidecar_round_trip(tmp_path, trained):
    table = data.read_table(trained["train"], LABEL)
    info = generation.ModelInfo.from_table(table, data.check_classes(table))
    generation.save_settings(info, tmp_path / "g.h5")
    stored = json.loads((tmp_path / "g.json").read_text())
    assert (stored["format"], stored["version"]) == (generation.SIDECAR_FORMAT, generation.SIDECAR_VERSION)
    loaded = generation.load_settings(tmp_path / "g.keras")
    assert loaded.to_settings() == info.to_settings()
    assert loaded.classes == ["3", "7", "11"] and loaded.class_counts == [10, 14, 20]
    np.testing.assert_allclose(loaded.scaler.transform(table.features), info.scaler.transform(table.features))


def test_sidecar_of_a_newer_version_is_refused(tmp_path, trained, one_line_error):
    generator = tmp_path / "g.h5"
    shutil.copy(trained["generator"], generator)
    stored = json.loads(io.sidecar_path(trained["generator"]).read_text())
    (tmp_path / "g.json").write_text(json.dumps({**stored, "version": generation.SIDECAR_VERSION + 1}))
    assert acgan_1d.main(["--generator", str(generator), "--csv", str(tmp_path / "x.csv")]) != 0
    one_line_error("a newer toolkit wrote it?")
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.slow
def test_shipped_generator_writes_fault_rows_in_range(tmp_path):
    """The shipped generator and its settings: 7 fault states, values inside the training range, repeatable."""
    generator, info = generation.load_generator(MODELS / "acgan_1d.h5")
    assert info.label_column == "state" and info.classes == [str(state) for state in range(7)]
    counts = [20] * len(info.classes)
    rows, ids = generation.generate_rows(generator, info, counts, seed=0)
    again, _ = generation.generate_rows(generator, info, counts, seed=0)
    np.testing.assert_array_equal(rows, again)
    assert (rows >= info.scaler.minimum).all() and (rows <= info.scaler.maximum).all()
    assert np.bincount(ids).tolist() == counts


# ---- training and generation through main(argv) ---------------------------------------------
@pytest.mark.slow
def test_training_writes_generator_settings_plots_and_checkpoint(training_run):
    run_dir = training_run["run"]
    for name in ("acgan_1d.h5", "acgan_1d.keras", "acgan_1d.json", "losses.png", "checkpoint.npz",
                 "samples/pca_step_000003.png"):
        assert (run_dir / name).is_file(), name
    assert not [path for path in run_dir.rglob(".*") if path.is_file()]


@pytest.mark.slow
def test_resume_continues(tmp_path, training_run):
    run_dir = tmp_path / "run"
    shutil.copytree(training_run["run"], run_dir)
    assert acgan_1d.main(FAST + ["--data", str(training_run["train"]), "--out-dir", str(run_dir), "--steps", "5",
                                 "--resume"]) == 0
    assert json.loads((run_dir / "history.json").read_text())["step"] == [1, 2, 3, 4, 5]


def test_samples_per_class_keeps_header_order_and_label_values(tmp_path, trained):
    csv = tmp_path / "rows.csv"
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--samples-per-class", "4", "--csv", str(csv)]) == 0
    frame = read_strings(csv)
    assert list(frame.columns) == COLUMNS
    assert frame[LABEL].value_counts().to_dict() == {"3": 4, "7": 4, "11": 4}
    values = frame.drop(columns=LABEL).astype(float)
    train = pd.read_csv(trained["train"])
    for column in values:
        assert values[column].between(train[column].min(), train[column].max()).all(), column
    # Written with the input's decimals: integer weights stay integers.
    assert frame["weight"].str.fullmatch(r"-?\d+").all()


def test_every_class_is_sampled_by_default(tmp_path, trained):
    csv = tmp_path / "rows.csv"
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--csv", str(csv)]) == 0
    counts = read_strings(csv)[LABEL].value_counts().to_dict()
    assert counts == {label: acgan_1d.DEFAULTS.samples_per_class for label in CLASS_ROWS}


def test_label_restricts_to_one_class(tmp_path, trained):
    csv = tmp_path / "sevens.csv"
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--label", "7", "--samples-per-class", "5",
                          "--csv", str(csv)]) == 0
    assert read_strings(csv)[LABEL].tolist() == ["7"] * 5


def test_samples_cycles_classes(tmp_path, trained):
    csv = tmp_path / "rows.csv"
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--samples", "7", "--csv", str(csv)]) == 0
    assert read_strings(csv)[LABEL].value_counts().to_dict() == {"3": 3, "7": 2, "11": 2}


def test_balance_fills_every_class_up_to_the_largest(tmp_path, trained):
    csv = tmp_path / "extra.csv"
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--balance", "--csv", str(csv)]) == 0
    extra = read_strings(csv)[LABEL].value_counts().to_dict()
    assert extra == {"3": 10, "7": 6}
    combined = pd.concat([read_strings(trained["train"]), read_strings(csv)])
    assert set(combined[LABEL].value_counts()) == {20}


def test_balance_against_another_csv(tmp_path, trained):
    other = write_table(tmp_path / "other.csv", {"3": 5, "7": 2, "11": 3})
    csv = tmp_path / "extra.csv"
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--balance", "--data", str(other),
                          "--csv", str(csv)]) == 0
    assert read_strings(csv)[LABEL].value_counts().to_dict() == {"7": 3, "11": 2}


def test_evaluate_prints_table_writes_metrics_and_plots(tmp_path, trained, capsys):
    metrics_path = tmp_path / "metrics.json"
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--evaluate", "--data", str(trained["train"]),
                          "--test-data", str(trained["test"]), "--label-column", LABEL,
                          "--metrics-json", str(metrics_path), "--out-dir", str(tmp_path)]) == 0
    report = json.loads(metrics_path.read_text())
    for setup in ("trtr", "tstr", "real_plus_synthetic"):
        assert 0 <= report[setup]["macro_f1"] <= 1 and len(report[setup]["recall_per_class"]) == 3
    assert report["trtr"]["macro_f1"] > 0.9  # the tiny classes are well separated
    assert report["tstr_over_trtr_macro_f1"] == pytest.approx(report["tstr"]["macro_f1"] / report["trtr"]["macro_f1"])
    assert set(report["ks_per_feature"]) == {"width", "height", "weight"}
    assert (tmp_path / "acgan_1d_class_distributions.png").is_file() and (tmp_path / "acgan_1d_pca.png").is_file()
    assert "synthetic (TSTR)" in capsys.readouterr().out


def test_distribution_metrics_are_zero_for_the_same_rows_and_large_for_disjoint_ones():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(200, 3))
    rows[:, 2] += rows[:, 0]  # one correlated pair
    np.testing.assert_array_equal(evaluation.ks_statistics(rows, rows), 0.0)
    assert evaluation.correlation_difference(rows, rows) == {"mean": 0.0, "max": 0.0}
    assert evaluation.ks_statistics(rows, rows + 100).min() == 1.0
    shuffled = np.column_stack([rows[:, 0], rows[:, 1], rng.permutation(rows[:, 2])])
    assert evaluation.correlation_difference(rows, shuffled)["max"] > 0.5


@pytest.mark.slow
def test_default_fault_data_through_the_data_dir(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    rows = {"0": 6, "1": 6, "2": 6}
    frame = pd.read_csv(write_table(data_dir / "x.csv", rows)).rename(columns={LABEL: "state"})
    frame.to_csv(data_dir / "fault_train.csv", index=False)
    monkeypatch.setenv("GAN_DATA_DIR", str(data_dir))
    assert acgan_1d.main(["--steps", "1", "--batch-size", "8", "--latent-dim", str(LATENT),
                          "--out-dir", str(tmp_path / "run")]) == 0
    assert generation.load_settings(tmp_path / "run" / "acgan_1d.h5").label_column == "state"


# ---- bad input: one line on stderr, non-zero exit, nothing written ----------------------------
BAD_TABLES = {
    "missing label column": ("width,height\n1,2\n3,4\n", "must have the label column 'kind'"),
    "non-numeric feature": ("width,kind,height\n1,a,2\nwide,a,3\n1,b,2\n2,b,3\n",
                            "feature column 'width' must hold finite numbers; got 'wide' in row 2"),
    "NaN feature": ("width,kind,height\n1,a,2\n2,a,nan\n1,b,2\n2,b,3\n", "got 'nan' in row 2"),
    "empty feature value": ("width,kind,height\n1,a,2\n2,a,\n1,b,2\n2,b,3\n", "got '' in row 2"),
    "class with one row": ("width,kind,height\n1,a,2\n2,a,3\n1,b,2\n", "class 'b' has 1"),
    "single class": ("width,kind,height\n1,a,2\n2,a,3\n", "must have at least 2 classes"),
    "empty file": ("", "got an empty file"),
    "header only": ("width,kind,height\n", "must have data rows"),
    "missing label": ("width,kind,height\n1,a,2\n2,,3\n1,b,2\n2,b,3\n", "row 2 is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_bad_training_csv(case, tmp_path, one_line_error):
    text, message = BAD_TABLES[case]
    csv = tmp_path / "bad.csv"
    csv.write_text(text)
    out_dir = tmp_path / "run"
    assert acgan_1d.main(FAST + ["--data", str(csv), "--out-dir", str(out_dir)]) != 0
    one_line_error(message)
    assert not out_dir.exists()


def test_generator_feature_count_must_match_the_csv(tmp_path, trained, one_line_error):
    narrow = tmp_path / "narrow.csv"
    read_strings(trained["train"]).drop(columns="weight").to_csv(narrow, index=False)
    csv = tmp_path / "extra.csv"
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--balance", "--data", str(narrow),
                          "--label-column", LABEL, "--csv", str(csv)]) != 0
    one_line_error("has 2 feature columns but the generator")
    assert not csv.exists()
    metrics = tmp_path / "m.json"
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--evaluate", "--data", str(trained["train"]),
                          "--test-data", str(narrow), "--label-column", LABEL, "--metrics-json", str(metrics),
                          "--out-dir", str(tmp_path / "out")]) != 0
    one_line_error("has 2 feature columns but the generator")
    assert not metrics.exists() and not (tmp_path / "out").exists()


def test_generator_without_its_settings(tmp_path, trained, one_line_error):
    lonely = tmp_path / "g.h5"
    lonely.write_bytes(trained["generator"].read_bytes())
    assert acgan_1d.main(["--generator", str(lonely), "--csv", str(tmp_path / "x.csv")]) != 0
    one_line_error("g.json beside it; not found")
    assert not (tmp_path / "x.csv").exists()


def test_unknown_label(tmp_path, trained, one_line_error):
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--label", "5",
                          "--csv", str(tmp_path / "x.csv")]) != 0
    one_line_error("--label must be one of the classes ['3', '7', '11']; got '5'")
    assert list(tmp_path.iterdir()) == []


def test_missing_fault_data_names_file_and_source(tmp_path, one_line_error):
    assert acgan_1d.main(["--data-dir", str(tmp_path / "empty"), "--out-dir", str(tmp_path / "run")]) != 0
    err = one_line_error("fault_train.csv is not in")
    assert "Jaehoon9201/Keras-1D-ACGAN-Data-Augmentation" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("argv, message", [
    (["--csv", "x.csv"], "--csv needs --generator"),
    (["--balance"], "--balance needs --generator"),
    (["--generator", "g.h5", "--balance", "--samples-per-class", "3"], "give at most one of"),
    (["--generator", "g.h5", "--label", "3", "--balance"], "--label takes --samples-per-class"),
    (["--generator", "g.h5", "--evaluate", "--label", "3"], "--evaluate makes its own rows"),
    (["--metrics-json", "m.json"], "--metrics-json needs --evaluate"),
    (["--generator", "g.h5", "--data", "d.csv"], "--data with --generator is read only by --balance and --evaluate"),
])
def test_contradictory_flags(argv, message, one_line_error):
    assert acgan_1d.main(argv) != 0
    one_line_error(message)


def test_missing_generator_file_is_refused_before_tensorflow_work(tmp_path, one_line_error):
    assert acgan_1d.main(["--generator", str(tmp_path / "none.h5"), "--csv", str(tmp_path / "x.csv")]) != 0
    one_line_error("--generator must name an existing file")
    assert list(tmp_path.iterdir()) == []


def test_evaluate_with_data_needs_test_data(tmp_path, trained, one_line_error):
    assert acgan_1d.main(["--generator", str(trained["generator"]), "--evaluate", "--data", str(trained["train"]),
                          "--label-column", LABEL, "--out-dir", str(tmp_path / "out")]) != 0
    one_line_error("needs --test-data")
