"""timegan.py and its modules on tiny generated fixtures: networks, phases, data, metrics, CLI and bad input."""

import json
import re
import shutil

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import timegan
from common import io, training
from common.errors import ToolkitError
from common.timegan import data, evaluation, generator, model, networks, phased_training
from tests.conftest import MODELS

SEQ_LEN, FEATURES, Z_DIM, HIDDEN, LAYERS, BATCH = 6, 3, 2, 4, 2, 8
COLUMNS = ["open", "close", "volume"]
ROWS = 60
FAST = ["--steps", "2", "--batch-size", str(BATCH), "--hidden-dim", str(HIDDEN), "--num-layers", "1",
        "--seq-len", str(SEQ_LEN), "--checkpoint-every", "1", "--sample-every", "2"]
FAST_EVALUATION = ["--metric-iterations", "2", "--discriminative-steps", "3", "--predictive-steps", "3"]
ENERGY_COLUMNS = ["Appliances", "lights"] + [f"{kind}{room}" for room in range(1, 10) for kind in ("T", "RH_")] + [
    "T_out", "Press_mm_hg", "RH_out", "Windspeed", "Visibility", "Tdewpoint", "rv1", "rv2"]


def series_frame(rows=ROWS, seed=0):
    """A small price-like table: a random walk, its noisy copy and a positive volume."""
    rng = np.random.default_rng(seed)
    walk = 100 + np.cumsum(rng.normal(size=rows))
    return pd.DataFrame({"open": walk, "close": walk + rng.normal(0, 0.5, rows),
                         "volume": rng.integers(1000, 5000, rows).astype(float)})


def tiny_networks():
    return networks.build_networks(SEQ_LEN, FEATURES, Z_DIM, HIDDEN, LAYERS, "gru")


def real_batch(count=BATCH, seed=1):
    return tf.constant(np.random.default_rng(seed).uniform(size=(count, SEQ_LEN, FEATURES)), dtype=tf.float32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A generator trained for two steps of each phase on a small CSV through main(argv), with window
    noise, the dependence loss, the latent moment loss, two discriminator updates a joint step and a gamma
    of its own."""
    root = tmp_path_factory.mktemp("timegan")
    csv = root / "prices.csv"
    series_frame().to_csv(csv, index=False)
    run_dir = root / "run"
    assert timegan.main(FAST + ["--data", str(csv), "--out-dir", str(run_dir), "--window-noise-dim", "1",
                                "--dependence-weight", "1", "--discriminator-updates", "2", "--gamma", "0.5",
                                "--latent-moment-weight", "2"]) == 0
    return {"root": root, "csv": csv, "run": run_dir, "generator": run_dir / "timegan_prices.h5"}


# ---- networks and phases ------------------------------------------------------------------------
def test_shapes_through_the_five_networks():
    nets = tiny_networks()
    windows = real_batch()
    latent = nets.embedder(windows)
    assert latent.shape == (BATCH, SEQ_LEN, HIDDEN)
    assert nets.recovery(latent).shape == (BATCH, SEQ_LEN, FEATURES)
    noise = generator.sample_noise(BATCH, SEQ_LEN, Z_DIM, seed=0)
    assert nets.generator(noise).shape == (BATCH, SEQ_LEN, HIDDEN)
    assert nets.supervisor(latent).shape == (BATCH, SEQ_LEN, HIDDEN)
    assert nets.discriminator(latent).shape == (BATCH, SEQ_LEN, 1)
    gru_layers = [len([layer for layer in net.layers if "gru" in layer.name]) for net in nets.all()]
    assert gru_layers == [LAYERS, LAYERS, LAYERS, LAYERS - 1, LAYERS]
    windows_out = np.asarray(networks.build_generation_model(nets, "g")(noise))
    assert windows_out.shape == (BATCH, SEQ_LEN, FEATURES) and windows_out.min() >= 0 and windows_out.max() <= 1


def test_generated_windows_follow_the_noise_seed():
    generation_model = networks.build_generation_model(tiny_networks(), "g")
    first = generator.generate(generation_model, 5, seed=0)
    assert first.shape == (5, SEQ_LEN, FEATURES) and first.dtype == np.float64
    np.testing.assert_array_equal(first, generator.generate(generation_model, 5, seed=0))
    assert not np.allclose(first, generator.generate(generation_model, 5, seed=1))


def test_lstm_module_builds_lstm_layers():
    nets = networks.build_networks(SEQ_LEN, FEATURES, Z_DIM, HIDDEN, LAYERS, "lstm")
    assert all(any("lstm" in layer.name for layer in net.layers) for net in nets.all())


@pytest.fixture
def changes_by_network(snapshot, changed):
    """A function: run `step()` and say, per network of `nets`, whether any of its variables changed."""

    def run(nets, step):
        before = {net.name: snapshot(net.variables) for net in nets.all()}
        step()
        return {net.name: any(changed(before[net.name], net.variables)) for net in nets.all()}

    return run


def test_each_phase_trains_only_its_own_networks(changes_by_network):
    nets = tiny_networks()
    autoencoder, supervisor, joint = model.build_phases(nets, 1e-2, 1.0)
    windows = real_batch()
    trained_by = {
        "autoencoder": changes_by_network(nets, lambda: autoencoder.train_step(windows)),
        "supervisor": changes_by_network(nets, lambda: supervisor.train_step(windows)),
        "generator step": changes_by_network(nets, lambda: joint.generator_step(windows)),
        "embedder step": changes_by_network(nets, lambda: joint.embedder_step(windows)),
        "discriminator step": changes_by_network(nets, lambda: joint.discriminator_step(windows)),
    }
    expected = {
        "autoencoder": {"embedder", "recovery"},
        "supervisor": {"supervisor"},
        "generator step": {"generator", "supervisor"},
        "embedder step": {"embedder", "recovery"},
        "discriminator step": {"discriminator"},
    }
    for step, changes in trained_by.items():
        assert {name for name, moved in changes.items() if moved} == expected[step], step


def test_discriminator_rests_while_its_loss_is_below_the_threshold(monkeypatch, changes_by_network):
    nets = tiny_networks()
    joint = model.build_phases(nets, 1e-2, 1.0)[2]
    monkeypatch.setattr(model, "DISCRIMINATOR_LOSS_THRESHOLD", 1e6)
    assert not any(changes_by_network(nets, lambda: joint.discriminator_step(real_batch())).values())


@pytest.mark.parametrize("option", ["dependence_weight", "latent_moment_weight"])
def test_optional_generator_losses_reach_the_generator(option):
    def generator_after_one_step(weight):
        keras.utils.set_random_seed(0)
        nets = tiny_networks()
        joint = model.build_phases(nets, 1e-2, 1.0, **{option: weight})[2]
        keras.utils.set_random_seed(1)
        joint.generator_step(real_batch())
        return np.concatenate([np.ravel(variable.numpy()) for variable in nets.generator.variables])

    assert not np.allclose(generator_after_one_step(0.0), generator_after_one_step(10.0))


@pytest.mark.parametrize("window_noise_dim", [0, 1, Z_DIM])
def test_window_noise_is_held_over_the_steps_of_a_window(window_noise_dim):
    joint = model.build_phases(tiny_networks(), 1e-3, 1.0, window_noise_dim=window_noise_dim)[2]
    for noise in (generator.sample_noise(BATCH, SEQ_LEN, Z_DIM, 0, window_noise_dim),
                  np.asarray(joint.sample_noise(real_batch()))):
        assert noise.shape == (BATCH, SEQ_LEN, Z_DIM) and noise.min() >= 0 and noise.max() <= 1
        held, per_step = noise[..., :window_noise_dim], noise[..., window_noise_dim:]
        np.testing.assert_array_equal(held, np.repeat(held[:, :1], SEQ_LEN, axis=1))
        assert np.all(np.ptp(per_step, axis=1) > 0)
        assert np.all(np.ptp(noise[:, 0], axis=0) > 0), "every feature varies between windows"


def test_joint_step_counts_one_step_for_two_generator_updates():
    joint = model.build_phases(tiny_networks(), 1e-3, 1.0)[2]
    logs = joint.train_step(tf.stack([real_batch(seed=seed) for seed in range(3)], axis=1))
    assert training.global_step(joint) == 1
    assert int(joint.generator_optimizer.iterations.numpy()) == model.GENERATOR_UPDATES_PER_STEP
    assert set(training.loss_names(joint)) == {"d_loss", "g_loss", "e_loss"}
    assert all(np.isfinite(float(logs[f"{name}_step"])) for name in joint.loss_names)


@pytest.mark.parametrize("updates", [1, 3])
def test_the_discriminator_takes_the_stated_updates_a_joint_step(monkeypatch, updates):
    monkeypatch.setattr(model, "DISCRIMINATOR_LOSS_THRESHOLD", -1.0)  # so that every update applies
    nets = tiny_networks()
    joint = model.build_phases(nets, 1e-3, 1.0, discriminator_updates=updates)[2]
    before = [variable.numpy() for variable in nets.discriminator.trainable_variables]
    joint.train_step(tf.stack([real_batch(seed=seed) for seed in range(3)], axis=1))
    assert int(joint.discriminator_optimizer.iterations.numpy()) == updates
    assert int(joint.generator_optimizer.iterations.numpy()) == model.GENERATOR_UPDATES_PER_STEP
    assert any(not np.allclose(old, new.numpy()) for old, new in zip(before, nets.discriminator.trainable_variables))


def test_a_stacked_call_gives_each_batch_what_its_own_call_gives():
    discriminator = tiny_networks().discriminator
    latents = [tf.random.stateless_uniform((count, SEQ_LEN, HIDDEN), seed=(count, 0)) for count in (BATCH, 3, 5)]
    stacked = model.call_stacked(discriminator, latents, training=True)
    assert [tuple(logits.shape) for logits in stacked] == [(count, SEQ_LEN, 1) for count in (BATCH, 3, 5)]
    for latent, logits in zip(latents, stacked):
        np.testing.assert_allclose(logits, discriminator(latent, training=True), rtol=1e-5, atol=1e-6)


def test_stacked_network_calls_leave_the_joint_phase_losses_and_updates_unchanged():
    def after_one_update_each(stack_calls):
        keras.utils.set_random_seed(0)
        nets = tiny_networks()
        # gamma other than 1, so that swapped halves of a stacked call would change the losses
        joint = model.build_phases(nets, 1e-2, 0.5)[2]
        joint.stack_calls = stack_calls
        keras.utils.set_random_seed(1)
        losses = [float(joint.generator_step(real_batch())), float(joint.discriminator_step(real_batch(seed=2)))]
        return losses, np.concatenate([np.ravel(variable.numpy()) for net in nets.all() for variable in net.variables])

    (stacked_losses, stacked_weights), (separate_losses, separate_weights) = map(after_one_update_each, (True, False))
    np.testing.assert_allclose(stacked_losses, separate_losses, rtol=1e-5)
    np.testing.assert_allclose(stacked_weights, separate_weights, rtol=1e-5, atol=1e-6)


def test_short_windows_unroll_except_in_the_joint_phase():
    nets = tiny_networks()
    recurrent = [layer for net in nets.all() for layer in net.layers if isinstance(layer, keras.layers.RNN)]
    autoencoder, supervisor, joint = model.build_phases(nets, 1e-3, 1.0)
    for phase, unrolled in ((autoencoder, True), (joint, False), (supervisor, True)):
        phase.make_train_function(force=True)
        assert {layer.unroll for layer in recurrent} == {unrolled}, phase.name
    long_nets = networks.build_networks(networks.MAX_UNROLLED_STEPS + 1, FEATURES, Z_DIM, HIDDEN, 1, "gru")
    long_autoencoder = model.build_phases(long_nets, 1e-3, 1.0)[0]
    long_autoencoder.make_train_function(force=True)
    assert not any(layer.unroll for net in long_nets.all() for layer in net.layers
                   if isinstance(layer, keras.layers.RNN))


def test_losses_of_known_values():
    real = tf.constant([[[0.0], [1.0]], [[1.0], [1.0]]])
    assert float(model.reconstruction_loss(real, real + 0.5)) == pytest.approx(5.0)
    latent = tf.constant([[[0.1], [0.2], [0.3]]])
    shifted = tf.constant([[[0.2], [0.3], [9.0]]])  # predicts step t+1 at step t; the last step is unused
    assert float(model.supervised_loss(latent, shifted)) == pytest.approx(0.0, abs=1e-12)
    assert float(model.moment_loss(real, real)) == pytest.approx(0.0, abs=1e-6)
    assert float(model.moment_loss(real, real + 0.25)) == pytest.approx(0.25, abs=1e-6)


def test_within_window_dependence_of_known_windows():
    steps = np.arange(24, dtype="float32")
    level = np.random.default_rng(0).uniform(size=(BATCH, 1)).astype("float32")
    # A smooth ramp on a per-window level, its copy, its negation, and a sign that flips every step.
    windows = np.stack([level + steps, level + steps, level - steps, level + (-1.0) ** steps], axis=-1)
    correlation, lagged = map(np.asarray, model.within_window_dependence(windows))
    np.testing.assert_allclose(np.diag(correlation), 1.0, atol=1e-4)
    assert correlation[0, 1] == pytest.approx(1.0, abs=1e-4) and correlation[0, 2] == pytest.approx(-1.0, abs=1e-4)
    assert lagged[0] > 0.8 and lagged[3] < -0.9
    assert float(model.dependence_loss(windows, windows)) == pytest.approx(0.0, abs=1e-6)
    # The per-window levels do not count: only the shape within each window.
    assert float(model.dependence_loss(windows, windows + level[:, :, None])) == pytest.approx(0.0, abs=1e-5)
    swapped = windows[..., [0, 3, 2, 1]]
    assert float(model.dependence_loss(windows, swapped)) > 0.5


# ---- data ---------------------------------------------------------------------------------------
def test_training_windows_are_scaled_to_the_unit_range_and_back(tmp_path):
    values = series_frame().to_numpy()
    series_frame().to_csv(tmp_path / "prices.csv", index=False)
    series = data.training_data(str(tmp_path / "prices.csv"), SEQ_LEN, None, seed=0)
    assert series.windows.shape == (ROWS - SEQ_LEN + 1, SEQ_LEN, FEATURES) and series.columns == COLUMNS
    assert series.windows.min() == 0 and series.windows.max() == 1
    rows = series.scaler.inverse_transform(data.sliding_windows(series.scaler.transform(values), SEQ_LEN)[:, 0])
    np.testing.assert_allclose(rows, values[:ROWS - SEQ_LEN + 1], rtol=1e-12)


def test_sliding_windows_are_every_run_of_consecutive_rows():
    rows = np.arange(10, dtype=float)[:, None] * [1, -1]
    windows = data.sliding_windows(rows, 4)
    assert windows.shape == (7, 4, 2)
    np.testing.assert_array_equal(windows[3, :, 0], [3, 4, 5, 6])
    with pytest.raises(ToolkitError, match="at least --seq-len 11 rows"):
        data.sliding_windows(rows, 11)


def test_sines_follow_the_paper():
    sines = data.make_sines(200, 24, 5, seed=0)
    assert sines.shape == (200, 24, 5)
    # Frequency and phase below 0.1 keep sin's argument in [0, 2.4]: values in [0.5, 1].
    assert sines.min() >= 0.5 and sines.max() <= 1
    np.testing.assert_array_equal(sines, data.make_sines(200, 24, 5, seed=0))


def test_energy_loader_reads_the_uci_layout(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.uniform(size=(30, len(ENERGY_COLUMNS))), columns=ENERGY_COLUMNS)
    frame.insert(0, "date", pd.date_range("2016-01-11 17:00", periods=30, freq="10min").astype(str))
    frame.to_csv(tmp_path / data.ENERGY_FILE, index=False, quoting=1)  # UCI quotes every field
    table, source = data.load_table("energy", tmp_path)
    assert source == "energy" and list(table.frame.columns) == ENERGY_COLUMNS and len(ENERGY_COLUMNS) == 28
    assert table.dropped == ["date"]
    np.testing.assert_allclose(table.frame.to_numpy(), frame[ENERGY_COLUMNS].to_numpy())


@pytest.mark.parametrize("dataset, filename, url", [("energy", data.ENERGY_FILE, data.ENERGY_URL),
                                                   ("stocks", data.STOCKS_FILE, data.STOCKS_URL)])
def test_missing_data_file_offline_names_file_and_url(tmp_path, offline, dataset, filename, url):
    with pytest.raises(ToolkitError) as error:
        data.load_table(dataset, tmp_path)
    message = str(error.value)
    assert filename in message and url in message and "\n" not in message
    assert not list(tmp_path.iterdir())


# ---- metrics ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_discriminative_score_is_near_zero_for_identical_and_near_half_for_different_data():
    keras.utils.set_random_seed(0)
    sines = data.make_sines(500, 8, 4, seed=0).astype("float32")
    same = evaluation.discriminative_score(sines, sines.copy(), steps=100, seed=0)
    different = evaluation.discriminative_score(sines, np.zeros_like(sines), steps=300, seed=0)
    assert same < 0.1
    assert different > 0.4


def test_predictive_score_is_the_mean_absolute_error_on_the_test_windows():
    windows = data.make_sines(300, 8, 2, seed=1).astype("float32")
    inputs, targets = evaluation.next_step_task(windows)
    assert inputs.shape == (300, 7, 1) and targets.shape == (300, 7, 1)
    np.testing.assert_array_equal(targets[:, :, 0], windows[:, 1:, 1])
    score = evaluation.predictive_score(windows, windows, steps=5, seed=0)
    assert 0 < score < 1


# ---- the script ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_training_writes_generator_sidecar_and_phase_checkpoints(trained):
    run_dir = trained["run"]
    for name in ("timegan_prices.h5", "timegan_prices.keras", "timegan_prices.json",
                 "1_autoencoder/checkpoint.npz", "1_autoencoder/losses.png", "1_autoencoder/samples/step_000002.png",
                 "2_supervisor/checkpoint.npz", "3_joint/checkpoint.npz", "3_joint/history.json",
                 "3_joint/samples/step_000002.png"):
        assert (run_dir / name).is_file(), name
    stored = json.loads((run_dir / "timegan_prices.json").read_text())
    assert (stored["format"], stored["version"]) == (generator.SIDECAR_FORMAT, generator.SIDECAR_VERSION)
    settings = generator.read_settings(trained["generator"])
    assert settings["columns"] == COLUMNS and settings["seq_len"] == SEQ_LEN and settings["z_dim"] == FEATURES
    assert (settings["window_noise_dim"], settings["gamma"], settings["latent_moment_weight"]) == (1, 0.5, 2), \
        "the given recipe, recorded"
    values = series_frame().to_numpy()
    np.testing.assert_allclose(settings["scaler"].minimum, values.min(axis=0))
    np.testing.assert_allclose(settings["scaler"].maximum, values.max(axis=0))
    history = json.loads((run_dir / "3_joint" / "history.json").read_text())
    assert history["step"] == [1, 2] and set(history) == {"step", "d_loss", "g_loss", "e_loss"}


@pytest.mark.slow
def test_csv_of_generated_windows_in_original_units(tmp_path, trained):
    csv = tmp_path / "windows.csv"
    assert timegan.main(["--generator", str(trained["generator"]), "--samples", "5", "--csv", str(csv),
                         "--out-dir", str(tmp_path)]) == 0
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["sample", "step"] + COLUMNS
    assert len(frame) == 5 * SEQ_LEN and list(frame["step"][:SEQ_LEN]) == list(range(SEQ_LEN))
    values = series_frame().to_numpy()
    generated = frame[COLUMNS].to_numpy()
    assert np.all(generated >= values.min(axis=0) - 1e-6) and np.all(generated <= values.max(axis=0) + 1e-6)
    assert (tmp_path / "timegan_prices.png").is_file()


@pytest.mark.slow
def test_evaluate_writes_scores_and_plots(tmp_path, trained, capsys):
    report_path = tmp_path / "scores.json"
    assert timegan.main(["--generator", str(trained["generator"]), "--evaluate", "--metrics-json", str(report_path),
                         "--out-dir", str(tmp_path)] + FAST_EVALUATION) == 0
    report = json.loads(report_path.read_text())
    assert report["real_windows"] == ROWS - SEQ_LEN + 1 == report["synthetic_windows"]
    for name in ("discriminative_score", "predictive_score", "predictive_score_real"):
        runs = report[name]["runs"]
        assert len(runs) == 2
        assert report[name]["mean"] == pytest.approx(np.mean(runs))
        assert report[name]["std"] == pytest.approx(np.std(runs))
    # Each repeat trains fresh post-hoc models from its own seed.
    assert report["predictive_score"]["runs"][0] != report["predictive_score"]["runs"][1]
    assert report["paper"] is None
    assert (tmp_path / "timegan_prices_pca.png").is_file() and (tmp_path / "timegan_prices_tsne.png").is_file()
    assert "discriminative score" in capsys.readouterr().out


@pytest.mark.slow
def test_resume_continues_in_the_phase_it_stopped_in(tmp_path, trained):
    run_dir = tmp_path / "run"
    shutil.copytree(trained["run"], run_dir)
    autoencoder_history = (run_dir / "1_autoencoder" / "history.json").read_text()
    # Raising the joint phase's steps continues it from its checkpoint; earlier phases are not rerun.
    assert timegan.main(FAST + ["--joint-steps", "3", "--data", str(trained["csv"]), "--out-dir", str(run_dir),
                                "--resume"]) == 0
    assert json.loads((run_dir / "3_joint" / "history.json").read_text())["step"] == [1, 2, 3]
    assert (run_dir / "1_autoencoder" / "history.json").read_text() == autoencoder_history


def test_resume_point_after_each_phase(tmp_path):
    phases = model.build_phases(tiny_networks(), 1e-3, 1.0)
    with pytest.raises(ToolkitError, match="--resume needs a checkpoint"):
        phased_training.resume_point(phases, [2, 2, 2], tmp_path)
    phases[1].step_counter.assign(1)
    training.save_checkpoint(phases[1], phased_training.phase_dir(tmp_path, 1) / training.CHECKPOINT_FILE)
    assert phased_training.resume_point(phases, [2, 2, 2], tmp_path) == (1, True)
    assert phased_training.resume_point(phases, [2, 1, 2], tmp_path) == (2, False)


@pytest.mark.slow
def test_finished_run_cannot_resume_without_more_joint_steps(tmp_path, trained, one_line_error):
    code = timegan.main(FAST + ["--data", str(trained["csv"]), "--out-dir", str(trained["run"]), "--resume"])
    assert code == 2
    one_line_error("--joint-steps must exceed 2")


# ---- bad input ----------------------------------------------------------------------------------
def test_csv_with_a_text_column_is_refused(tmp_path, one_line_error):
    frame = series_frame()
    frame.insert(0, "ticker", "GOOG")
    frame.to_csv(tmp_path / "named.csv", index=False)
    assert timegan.main(FAST + ["--data", str(tmp_path / "named.csv"), "--out-dir", str(tmp_path / "run")]) == 2
    one_line_error("every column of")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("flag, value, rule", [("--window-noise-dim", "-1", "a non-negative integer; got -1"),
                                               ("--dependence-weight", "-0.5", "a non-negative number; got -0.5"),
                                               ("--latent-moment-weight", "-1", "a non-negative number; got -1"),
                                               ("--discriminator-updates", "0", "a positive integer; got 0")])
def test_out_of_range_joint_options_are_refused(tmp_path, flag, value, rule, one_line_error):
    series_frame().to_csv(tmp_path / "series.csv", index=False)
    with pytest.raises(SystemExit) as exited:
        timegan.main(FAST + ["--data", str(tmp_path / "series.csv"), "--out-dir", str(tmp_path / "run"), flag, value])
    assert exited.value.code == 2
    one_line_error(f"{flag}: must be {rule}")
    assert not (tmp_path / "run").exists()


def test_csv_shorter_than_one_window_is_refused(tmp_path, one_line_error):
    series_frame(rows=SEQ_LEN - 1).to_csv(tmp_path / "short.csv", index=False)
    assert timegan.main(FAST + ["--data", str(tmp_path / "short.csv"), "--out-dir", str(tmp_path / "run")]) == 2
    one_line_error(f"at least --seq-len {SEQ_LEN} rows to make one window; got {SEQ_LEN - 1}")


@pytest.mark.slow
def test_wrong_seq_len_for_a_loaded_generator_is_refused(tmp_path, trained, one_line_error):
    args = ["--generator", str(trained["generator"]), "--seq-len", str(SEQ_LEN + 1), "--csv", str(tmp_path / "x.csv")]
    assert timegan.main(args) == 2
    one_line_error(f"--seq-len must match the generator's windows of {SEQ_LEN} steps; got {SEQ_LEN + 1}")
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.slow
def test_generator_without_its_sidecar_is_refused(tmp_path, trained, one_line_error):
    lonely = tmp_path / "lonely.h5"
    lonely.write_bytes(trained["generator"].read_bytes())
    assert timegan.main(["--generator", str(lonely), "--csv", str(tmp_path / "x.csv")]) == 2
    one_line_error("lonely.json beside it; not found")


@pytest.mark.parametrize(("tags", "message"), [
    ({"format": "market", "version": 1}, "must be of format 'timegan'; got 'market'"),
    ({"format": "timegan", "version": generator.SIDECAR_VERSION + 1},
     f"version 1 to {generator.SIDECAR_VERSION} (a newer toolkit wrote it?); "
     f"got version {generator.SIDECAR_VERSION + 1}"),
])
def test_sidecar_of_another_format_or_a_newer_version_is_refused(tmp_path, tags, message):
    settings = {"columns": COLUMNS, "seq_len": SEQ_LEN, "scaler": {"min": [0] * 3, "max": [1] * 3, "range": [0, 1]}}
    io.write_json(tmp_path / "g.json", {**tags, **settings})
    with pytest.raises(ToolkitError, match=re.escape(message)):
        generator.read_settings(tmp_path / "g.h5")


def test_sidecar_whose_scaler_does_not_match_the_columns_is_refused(tmp_path):
    settings = {"columns": COLUMNS, "seq_len": SEQ_LEN, "scaler": {"min": [0], "max": [1], "range": [0, 1]}}
    io.write_sidecar(tmp_path / "g.h5", generator.SIDECAR_FORMAT, generator.SIDECAR_VERSION, settings)
    with pytest.raises(ToolkitError, match="is not a timegan settings file .the scaler has 1 features for 3 modelled"):
        generator.read_settings(tmp_path / "g.h5")


@pytest.mark.slow
def test_sidecar_window_noise_must_fit_the_generators_noise(tmp_path, trained):
    path = tmp_path / "g.h5"
    shutil.copy(trained["generator"], path)
    stored = json.loads(io.sidecar_path(trained["generator"]).read_text())
    io.sidecar_path(path).write_text(json.dumps({**stored, "window_noise_dim": FEATURES + 1}))
    with pytest.raises(ToolkitError, match=f"window_noise_dim must be at most the generator's {FEATURES} noise "
                                           f"features; got {FEATURES + 1}"):
        generator.load_generator(path)
    del stored["window_noise_dim"]
    io.sidecar_path(path).write_text(json.dumps(stored))
    assert generator.load_generator(path)[1]["window_noise_dim"] == 0, "older sidecars hold no window noise"


@pytest.mark.parametrize(("argv", "message"), [
    (["--csv", "x.csv"], "--csv needs --generator PATH"),
    (["--metrics-json", "m.json"], "--metrics-json needs --evaluate"),
    (["--seq-len", "1"], "--seq-len must be at least 2"),
])
def test_flag_combinations_are_checked(argv, message, one_line_error):
    assert timegan.main(argv) == 2
    one_line_error(message)


def test_window_noise_beyond_the_latent_size_is_refused(tmp_path, one_line_error):
    series_frame().to_csv(tmp_path / "prices.csv", index=False)
    argv = FAST + ["--data", str(tmp_path / "prices.csv"), "--out-dir", str(tmp_path / "run"),
                   "--window-noise-dim", str(FEATURES + 1)]
    assert timegan.main(argv) == 2
    one_line_error(f"--window-noise-dim must be at most the latent size ({FEATURES}); got {FEATURES + 1}")
    assert not (tmp_path / "run").exists()


def test_bad_flag_values_are_one_line_errors(one_line_error):
    with pytest.raises(SystemExit) as exit_info:
        timegan.main(["--module", "rnn"])
    assert exit_info.value.code == 2
    one_line_error("invalid choice")


# ---- the shipped generators -------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name, columns", [("timegan_stocks", ["Open", "High", "Low", "Close", "Adj_Close", "Volume"]),
                                           ("timegan_sines", [f"sine_{index}" for index in range(1, 6)])])
def test_shipped_timegan_writes_windows_in_original_units(tmp_path, name, columns):
    """`python3 timegan.py --generator models/<name>.h5 --samples N --csv PATH` without any data."""
    csv = tmp_path / "windows.csv"
    assert timegan.main(["--generator", str(MODELS / f"{name}.h5"), "--samples", "20", "--csv", str(csv),
                         "--out-dir", str(tmp_path)]) == 0
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["sample", "step", *columns]
    assert len(frame) == 20 * 24 and frame["step"].max() == 23
    scaler = generator.read_settings(MODELS / f"{name}.h5")["scaler"]
    values = frame[columns].to_numpy()
    assert np.all(values >= scaler.minimum) and np.all(values <= scaler.maximum)
    # Generated windows vary: not one window repeated.
    assert frame.groupby("sample")[columns[0]].mean().std() > 0
