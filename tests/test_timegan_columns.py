"""timegan.py on columns as real CSVs have them, the versioned sidecar, and defaults that follow the data's shape."""

import json

import numpy as np
import pandas as pd
import pytest

import timegan
from common import io
from common.errors import ToolkitError
from common.timegan import columns, data, generator, recipe
from tests.conftest import MODELS

ROWS, SEQ_LEN = 240, 8
LIGHT_LEVELS = [0, 10, 20, 40]
FAHRENHEIT_SCALE, FAHRENHEIT_OFFSET = 1.8, 32.0
FAST = ["--steps", "2", "--batch-size", "8", "--hidden-dim", "4", "--num-layers", "1", "--seq-len", str(SEQ_LEN),
        "--checkpoint-every", "1", "--sample-every", "2"]


def energy_like_frame(rows=ROWS, seed=0):
    """A table with every column kind: time stamps, a smooth sensor, a constant, on/off levels (int),
    a heavy-tailed spiky column, an exact duplicate, an integer count with many values, and two exact
    linear relations (the sensor in Fahrenheit; an integer total of two earlier columns)."""
    rng = np.random.default_rng(seed)
    sensor = 20 + np.cumsum(rng.normal(0, 0.1, rows))
    frame = pd.DataFrame({
        "date": pd.date_range("2016-01-11 17:00", periods=rows, freq="10min").astype(str),
        "T1": sensor,
        "Press": 755.0,
        "lights": rng.choice(LIGHT_LEVELS, rows),
        "Appliances": np.round(np.exp(rng.normal(4, 1.2, rows))),
        "T1_copy": sensor,
        "visitors": rng.integers(0, 500, rows),
        "T1_F": FAHRENHEIT_SCALE * sensor + FAHRENHEIT_OFFSET,
    })
    frame["total"] = (frame["Appliances"] + frame["visitors"]).astype(np.int64)
    return frame


def plan_of(frame, transforms=None):
    table_dtypes = columns.frame_dtypes(frame)
    return columns.plan_columns(frame.astype(np.float64), table_dtypes, transforms=transforms)


# ---- the column plan ----------------------------------------------------------------------------
def test_each_column_kind_is_recognised():
    frame = energy_like_frame().drop(columns=["date"])
    plan = plan_of(frame, {"Appliances": columns.LOG1P})
    kinds = {spec.name: spec for spec in plan.specs}
    assert plan.names == list(frame.columns)
    assert plan.modelled == ["T1", "lights", "Appliances", "visitors"]
    assert kinds["Press"].kind == columns.CONSTANT and kinds["Press"].value == 755.0
    assert kinds["T1_copy"].kind == columns.DUPLICATE and kinds["T1_copy"].source == "T1"
    assert kinds["lights"].levels == LIGHT_LEVELS and kinds["lights"].dtype == "int64"
    assert kinds["visitors"].levels is None and kinds["visitors"].dtype == "int64"
    assert kinds["Appliances"].transform == columns.LOG1P and kinds["T1"].transform is None
    assert kinds["T1_F"].kind == columns.DERIVED and kinds["T1_F"].terms == pytest.approx({"T1": FAHRENHEIT_SCALE})
    assert kinds["T1_F"].intercept == pytest.approx(FAHRENHEIT_OFFSET)
    assert kinds["total"].terms == {"Appliances": 1.0, "visitors": 1.0} and kinds["total"].dtype == "int64"
    assert columns.plan_summary(plan).endswith("T1_copy copies T1; T1_F = 1.8 T1 + 32; total = Appliances + visitors")


def test_decoded_columns_keep_levels_duplicates_constants_and_dtypes():
    frame = energy_like_frame().drop(columns=["date"])
    plan = plan_of(frame, {"Appliances": columns.LOG1P})
    encoded = plan.encode(frame)
    # Anything the networks may produce, in the encoded range and beyond.
    noisy = encoded + np.random.default_rng(1).normal(0, 3, encoded.shape)
    decoded = plan.decode(noisy.reshape(12, 20, -1))
    assert set(np.unique(decoded["lights"])) <= set(LIGHT_LEVELS) and decoded["lights"].dtype == np.int64
    np.testing.assert_array_equal(decoded["T1_copy"], decoded["T1"])
    assert np.all(decoded["Press"] == 755.0) and decoded["Press"].shape == (12, 20)
    assert decoded["visitors"].dtype == np.int64 and decoded["T1"].dtype == np.float64
    # Derived columns keep their identities on every generated value.
    np.testing.assert_allclose(decoded["T1_F"], FAHRENHEIT_SCALE * decoded["T1"] + FAHRENHEIT_OFFSET, rtol=1e-12)
    np.testing.assert_array_equal(decoded["total"], np.rint(decoded["Appliances"]) + decoded["visitors"])
    assert decoded["total"].dtype == np.int64


def test_near_relations_short_tables_and_transformed_columns_are_not_derived():
    frame = energy_like_frame().drop(columns=["date"])
    wobble = np.random.default_rng(2).normal(0, 1e-3, len(frame)) * np.ptp(frame["T1_F"])
    near = plan_of(frame.assign(T1_F=frame["T1_F"] + wobble))
    assert near.specs[near.names.index("T1_F")].kind == columns.MODELLED
    # Two rows per unknown fit anything exactly: a short table is too few to call a relation exact.
    short = frame.iloc[:columns.MIN_ROWS_PER_TERM * 2 - 1]
    assert plan_of(short).specs[plan_of(short).names.index("T1_F")].kind == columns.MODELLED
    transformed = plan_of(frame, {"T1_F": columns.LOG1P})
    assert "T1_F" in transformed.modelled


def test_the_widest_member_of_a_relation_is_derived_and_narrow_ones_stay_modelled():
    rng = np.random.default_rng(3)
    low = 100 + np.cumsum(rng.normal(0, 1, ROWS))
    spread = rng.uniform(0.5, 2.0, ROWS)
    frame = pd.DataFrame({"High": low + spread, "Low": low, "spread": spread, "mid": low + spread / 2})
    plan = plan_of(frame)
    kinds = {spec.name: spec for spec in plan.specs}
    widest, other = ("High", "Low") if np.ptp(frame["High"]) > np.ptp(frame["Low"]) else ("Low", "High")
    sign = 1.0 if widest == "High" else -1.0
    assert plan.modelled == [other, "spread"]
    assert kinds[widest].terms == {other: 1.0, "spread": sign} and kinds[widest].intercept == 0.0
    # mid is wider than spread / 2 but not than High or Low, which already derive: it stays derived.
    assert kinds["mid"].kind == columns.DERIVED and set(kinds["mid"].terms) == {other, "spread"}
    # Generated values within the observed ranges keep every identity, so High >= Low wherever spread >= 0.
    encoded = plan.encode(frame)
    span = np.ptp(encoded, axis=0)
    noisy = np.clip(encoded + rng.normal(0, 0.1, encoded.shape) * span, encoded.min(axis=0), encoded.max(axis=0))
    decoded = plan.decode(noisy)
    np.testing.assert_allclose(decoded["High"] - decoded["Low"], decoded["spread"], atol=1e-9)
    assert np.all(decoded["High"] >= decoded["Low"]) and plan.names == list(frame.columns)


def test_relation_text_reads_like_the_formula():
    spec = columns.ColumnSpec("y", columns.DERIVED, terms={"a": -1.0, "b": 0.25, "c": -2.0}, intercept=-3.5)
    assert columns.relation_text(spec) == "-a + 0.25 b - 2 c - 3.5"


def test_log1p_transform_inverts_and_tames_the_tail():
    frame = energy_like_frame().drop(columns=["date"])
    plan = plan_of(frame, {"Appliances": columns.LOG1P})
    encoded = plan.encode(frame)
    spiky = encoded[:, plan.modelled.index("Appliances")]
    original = frame["Appliances"].to_numpy()
    # The transform shrinks the spikes relative to the bulk...
    assert (spiky.max() - np.median(spiky)) / spiky.std() < (original.max() - np.median(original)) / original.std()
    # ... and decoding undoes it exactly (rounded back to the column's integers only if it was read as such).
    np.testing.assert_allclose(plan.decode(encoded)["Appliances"], original, rtol=1e-9)


def test_discrete_values_snap_to_the_nearest_level():
    snapped = columns.snap_to_levels(np.array([-5.0, 4.9, 5.1, 31.0, 99.0]), [0.0, 10.0, 40.0])
    np.testing.assert_array_equal(snapped, [0, 0, 10, 40, 40])


def test_short_float_columns_are_not_taken_for_levels():
    assert not columns.is_discrete(np.array([0.1, 0.2, 0.3, 0.1]))
    assert columns.is_discrete(np.tile([0.0, 1.5], 20))


def test_unknown_log1p_column_and_all_constant_data_are_refused():
    frame = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [2.0, 2.0, 2.0]})
    with pytest.raises(ToolkitError, match="at least one column that varies"):
        plan_of(frame)
    with pytest.raises(ToolkitError, match="--log1p names column.s. the data does not have: c"):
        plan_of(frame, {"c": columns.LOG1P})


def test_raw_columns_model_every_column():
    frame = energy_like_frame().drop(columns=["date"])
    plan = columns.plan_columns(frame.astype(float), columns.frame_dtypes(frame), raw=True)
    assert plan.modelled == list(frame.columns)


# ---- time stamps and row numbers ----------------------------------------------------------------
def test_date_and_row_number_columns_are_dropped_after_the_order_check(tmp_path):
    frame = energy_like_frame()
    frame.insert(0, "Unnamed: 0", np.arange(ROWS))
    frame.to_csv(tmp_path / "energy.csv", index=False, quoting=1)
    table = data.read_table(tmp_path / "energy.csv")
    assert table.dropped == ["Unnamed: 0", "date"]
    assert list(table.frame.columns) == ["T1", "Press", "lights", "Appliances", "T1_copy", "visitors", "T1_F", "total"]
    assert table.dtypes["lights"] == "int64" and table.dtypes["T1"] == "float64"


@pytest.mark.parametrize("column", ["date", "index"])
def test_rows_out_of_time_order_are_a_one_line_error(tmp_path, column, one_line_error):
    frame = energy_like_frame()
    if column == "index":
        frame = frame.drop(columns=["date"])
        frame.insert(0, "index", np.arange(1, ROWS + 1))
    frame = frame.iloc[[0, 2, 1, *range(3, ROWS)]]
    frame.to_csv(tmp_path / "shuffled.csv", index=False)
    assert timegan.main(FAST + ["--data", str(tmp_path / "shuffled.csv"), "--out-dir", str(tmp_path / "run")]) == 2
    one_line_error(f"must be in time order; column {column!r} goes back")
    assert not (tmp_path / "run").exists()


def test_log1p_and_raw_columns_flags_are_checked(tmp_path, one_line_error):
    assert timegan.main(["--dataset", "sines", "--log1p", "x"]) == 2
    one_line_error("--log1p and --raw-columns apply to CSV data")
    assert timegan.main(["--generator", str(MODELS / "timegan_stocks.h5"), "--raw-columns"]) == 2
    one_line_error("a loaded generator keeps its own columns")
    energy_like_frame().to_csv(tmp_path / "e.csv", index=False)
    assert timegan.main(FAST + ["--data", str(tmp_path / "e.csv"), "--log1p", "Appliance",
                                "--out-dir", str(tmp_path / "run")]) == 2
    one_line_error("--log1p names column(s) the data does not have: Appliance")


# ---- the sidecar ---------------------------------------------------------------------------------
def test_sidecar_stores_the_column_plan(tmp_path):
    frame = energy_like_frame().drop(columns=["date"])
    plan = plan_of(frame, {"Appliances": columns.LOG1P})
    scaler = {"min": [0.0] * len(plan.modelled), "max": [1.0] * len(plan.modelled), "range": [0.0, 1.0]}
    io.write_sidecar(tmp_path / "g.h5", generator.SIDECAR_FORMAT, generator.SIDECAR_VERSION,
                     {"columns": plan.names, "column_plan": plan.to_json(), "seq_len": SEQ_LEN, "scaler": scaler})
    assert json.loads((tmp_path / "g.json").read_text())["version"] == generator.SIDECAR_VERSION == 3
    settings = generator.read_settings(tmp_path / "g.h5")
    assert settings["plan"] == plan


def test_version_1_sidecars_model_every_column():
    settings = generator.read_settings(MODELS / "timegan_stocks.h5")
    assert json.loads((MODELS / "timegan_stocks.json").read_text())["version"] == 1
    assert settings["plan"].modelled == settings["columns"] == ["Open", "High", "Low", "Close", "Adj_Close", "Volume"]


def test_sidecar_plan_copying_a_later_column_is_refused(tmp_path):
    stored = {"columns": [{"name": "b", "kind": "duplicate", "source": "a"}, {"name": "a"}], "dropped": []}
    io.write_sidecar(tmp_path / "g.h5", generator.SIDECAR_FORMAT, generator.SIDECAR_VERSION,
                     {"columns": ["b", "a"], "column_plan": stored, "seq_len": SEQ_LEN,
                      "scaler": {"min": [0.0], "max": [1.0], "range": [0.0, 1.0]}})
    with pytest.raises(ToolkitError, match="copies 'a', which is not an earlier column"):
        generator.read_settings(tmp_path / "g.h5")


@pytest.mark.parametrize("terms", [{"d": 1.0}, {"b": 1.0}, {}])
def test_sidecar_plan_deriving_from_an_unknown_or_unmodelled_column_is_refused(tmp_path, terms):
    stored = {"columns": [{"name": "a"}, {"name": "b", "kind": "constant", "value": 1.0},
                          {"name": "y", "kind": "derived", "terms": terms, "intercept": 0.0}, {"name": "c"}]}
    io.write_sidecar(tmp_path / "g.h5", generator.SIDECAR_FORMAT, generator.SIDECAR_VERSION,
                     {"columns": ["a", "b", "y", "c"], "column_plan": stored, "seq_len": SEQ_LEN,
                      "scaler": {"min": [0.0] * 2, "max": [1.0] * 2, "range": [0.0, 1.0]}})
    with pytest.raises(ToolkitError, match="column 'y' must be derived from modelled columns"):
        generator.read_settings(tmp_path / "g.h5")


# ---- defaults that follow the data's shape ------------------------------------------------------
@pytest.mark.parametrize("features", [1, 2, 5, 6])
def test_small_data_keep_the_measured_recipe(features):
    chosen = recipe.choose_recipe(features, 3662)
    assert (chosen.hidden_dim, chosen.batch_size, chosen.steps) == (24, 128, (5000, 5000, 8000))
    assert (chosen.window_noise_dim, chosen.dependence_weight, chosen.discriminator_updates, chosen.gamma,
            chosen.latent_moment_weight) == (0, 0.0, 1, recipe.PAPER_GAMMA, 0.0), \
        "the paper's noise, losses, updates, gamma and no latent moment loss"
    assert chosen.chosen == ("window noise", "dependence weight", "discriminator updates", "gamma",
                             "latent moment weight", "hidden", "batch", "steps")


def test_wider_data_hold_noise_match_dependence_and_latents_update_the_discriminator_more_and_lower_gamma():
    choices = [recipe.choose_recipe(features, 20000) for features in (7, 11, 19)]
    assert [choice.window_noise_dim for choice in choices] == [3, 5, 9]
    assert {choice.dependence_weight for choice in choices} == {recipe.DEPENDENCE_WEIGHT}
    assert {choice.discriminator_updates for choice in choices} == {recipe.WIDE_DISCRIMINATOR_UPDATES}
    assert recipe.WIDE_DISCRIMINATOR_UPDATES > 1
    assert {choice.gamma for choice in choices} == {recipe.WIDE_GAMMA} and recipe.WIDE_GAMMA < recipe.PAPER_GAMMA
    assert {choice.latent_moment_weight for choice in choices} == {recipe.WIDE_LATENT_MOMENT_WEIGHT}
    assert recipe.WIDE_LATENT_MOMENT_WEIGHT > 0
    assert recipe.choose_recipe(19, 20000, z_dim=4).window_noise_dim == 2, "half of the noise features"
    given = recipe.choose_recipe(19, 20000, window_noise_dim=0, dependence_weight=1.5, discriminator_updates=1,
                                 gamma=0.5, latent_moment_weight=0.0)
    assert (given.window_noise_dim, given.dependence_weight, given.discriminator_updates, given.gamma,
            given.latent_moment_weight) == (0, 1.5, 1, 0.5, 0.0)
    assert not {"window noise", "discriminator updates", "gamma", "latent moment weight"} & set(given.chosen)
    assert ("window noise 0, dependence weight 1.5, discriminator updates 1 a joint step, gamma 0.5, latent moment "
            "weight 0" in given.describe())


def test_wider_data_get_wider_networks_up_to_the_cap_and_fewer_joint_steps():
    choices = [recipe.choose_recipe(features, 20000) for features in (6, 7, 10, 16, 28)]
    assert [choice.hidden_dim for choice in choices] == [24, 28, 40, 64, 64]
    assert all(choice.batch_size == 128 for choice in choices)
    assert all(choice.steps[:2] == recipe.BASE_STEPS[:2] for choice in choices), "the first two phases keep theirs"
    joint_steps = [choice.steps[2] for choice in choices]
    assert joint_steps[0] == recipe.BASE_STEPS[2] and joint_steps[-2] == joint_steps[-1]
    assert all(wider < narrower for narrower, wider in zip(joint_steps[:-2], joint_steps[1:-1])), joint_steps


def modelled_cpu_seconds(hidden_dim, steps, discriminator_updates=1):
    return sum(count * seconds
               for count, seconds in zip(steps, recipe.step_cpu_seconds(hidden_dim, discriminator_updates)))


@pytest.mark.parametrize("hidden_dim, discriminator_updates", [(28, 1), (40, 1), (48, 1), (64, 1), (24, 3), (64, 3)])
def test_wider_networks_and_more_discriminator_updates_fit_the_measured_recipes_time(hidden_dim,
                                                                                     discriminator_updates):
    budget = modelled_cpu_seconds(recipe.MIN_HIDDEN, recipe.BASE_STEPS)
    steps = recipe.default_steps(hidden_dim, discriminator_updates)
    used = modelled_cpu_seconds(hidden_dim, steps, discriminator_updates)
    one_more_round = recipe.STEP_ROUNDING * recipe.step_cpu_seconds(hidden_dim, discriminator_updates)[2]
    assert budget - one_more_round < used <= budget, (steps, used, budget)
    assert steps[2] % recipe.STEP_ROUNDING == 0


def test_a_given_width_sets_the_joint_steps_it_fits():
    assert recipe.choose_recipe(5, 3662, hidden_dim=64).steps == recipe.default_steps(64)
    assert recipe.default_steps(64)[2] < recipe.BASE_STEPS[2]
    assert recipe.choose_recipe(5, 3662, hidden_dim=8).steps == recipe.BASE_STEPS, "narrower keeps the measured steps"
    assert recipe.default_steps(200) == recipe.default_steps(recipe.MAX_HIDDEN), "wider than the cap: the cap's steps"


def test_more_discriminator_updates_cost_joint_steps():
    assert recipe.default_steps(64, 3)[2] < recipe.default_steps(64)[2]
    assert recipe.choose_recipe(5, 3662, discriminator_updates=3).steps == recipe.default_steps(24, 3)
    assert recipe.default_steps(24, 3)[2] < recipe.BASE_STEPS[2]


def test_few_windows_get_a_smaller_batch():
    assert [recipe.default_batch_size(windows) for windows in (50, 400, 1000, 5000)] == [16, 50, 125, 128]


def test_a_chosen_batch_is_shared_equally_by_the_replicas():
    assert [recipe.default_batch_size(1000, replicas) for replicas in (1, 2, 3, 8)] == [125, 124, 123, 120]
    assert recipe.choose_recipe(6, 1000, replicas=4).batch_size == 124


def test_given_settings_are_kept_and_only_the_rest_chosen():
    chosen = recipe.choose_recipe(28, 20000, hidden_dim=24, steps=(100, None, 300))
    assert chosen.hidden_dim == 24 and chosen.steps == (100, 5000, 300)
    assert chosen.chosen == ("window noise", "dependence weight", "discriminator updates", "gamma",
                             "latent moment weight", "batch", "steps")
    assert "hidden 24, batch 128" in chosen.describe()


# ---- end to end ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_csv_with_every_column_kind_round_trips(tmp_path, capsys):
    frame = energy_like_frame()
    frame.to_csv(tmp_path / "energy.csv", index=False, quoting=1)
    run_dir = tmp_path / "run"
    assert timegan.main(FAST + ["--data", str(tmp_path / "energy.csv"), "--log1p", "Appliances",
                                "--out-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "note: dropped column 'date'" in out and "T1_copy copies T1" in out and "T1_F = 1.8 T1 + 32" in out
    settings = generator.read_settings(run_dir / "timegan_energy.h5")
    assert (settings["gamma"], settings["latent_moment_weight"]) == (recipe.PAPER_GAMMA, 0.0), (
        "the gamma and latent moment weight chosen for narrow data, trained with and recorded")
    csv = tmp_path / "windows.csv"
    assert timegan.main(["--generator", str(run_dir / "timegan_energy.h5"), "--samples", "6", "--csv", str(csv),
                         "--out-dir", str(tmp_path)]) == 0
    generated = pd.read_csv(csv)
    original = frame.drop(columns=["date"])
    assert list(generated.columns) == ["sample", "step", *original.columns]
    assert generated.dtypes[original.columns].to_dict() == original.dtypes.to_dict()
    assert set(generated["lights"]) <= set(LIGHT_LEVELS) and (generated["Press"] == 755.0).all()
    np.testing.assert_array_equal(generated["T1_copy"], generated["T1"])
    np.testing.assert_array_equal(generated["total"], np.rint(generated["Appliances"]) + generated["visitors"])
    spiky = generated["Appliances"]
    assert spiky.min() >= original["Appliances"].min() - 1e-6 and spiky.max() <= original["Appliances"].max() + 1e-6
    report = tmp_path / "scores.json"
    assert timegan.main(["--generator", str(run_dir / "timegan_energy.h5"), "--data", str(tmp_path / "energy.csv"),
                         "--evaluate", "--metric-iterations", "1", "--discriminative-steps", "2",
                         "--predictive-steps", "2", "--metrics-json", str(report), "--out-dir", str(tmp_path)]) == 0
    assert json.loads(report.read_text())["real_windows"] == ROWS - SEQ_LEN + 1
