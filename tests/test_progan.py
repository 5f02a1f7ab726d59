"""Progressive GAN: fade-in, equalised learning rate, pixel norm, minibatch stddev, resume inside a phase, CLI."""

import json
import math

import numpy as np
import pytest

from common import training
from common.errors import ToolkitError
from common.images import progressive
from common.images.layers import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm
from tests.conftest import ROOT

LATENT = 8
FILTERS = 8


def networks(resolution=16, channels=1):
    return progressive.ProgressiveNetworks(resolution, channels, LATENT, FILTERS)


def noise(count=4, seed=0):
    return np.random.default_rng(seed).normal(size=(count, LATENT)).astype("float32")


def images(count=4, size=16, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (count, size, size, 1)).astype("float32")


def set_alpha(model, alpha):
    for layer in model.layers:
        if layer.__class__.__name__ == "FadeIn":
            layer.alpha.assign(alpha)


def test_fade_in_at_alpha_0_keeps_the_old_networks_and_at_alpha_1_the_new_ones():
    nets = networks()
    fading_g, fading_d = nets.generator(16, fading=True), nets.discriminator(16, fading=True)
    codes, pictures = noise(), images()
    old_g = np.asarray(nets.generator(8)(codes)).repeat(2, axis=1).repeat(2, axis=2)
    old_d = np.asarray(nets.discriminator(8)(pictures.reshape(4, 8, 2, 8, 2, 1).mean(axis=(2, 4))))
    set_alpha(fading_g, 0.0)
    set_alpha(fading_d, 0.0)
    np.testing.assert_allclose(fading_g(codes), old_g, atol=1e-5)
    np.testing.assert_allclose(fading_d(pictures), old_d, atol=1e-4)
    set_alpha(fading_g, 1.0)
    set_alpha(fading_d, 1.0)
    np.testing.assert_allclose(fading_g(codes), nets.generator(16)(codes), atol=1e-5)
    np.testing.assert_allclose(fading_d(pictures), nets.discriminator(16)(pictures), atol=1e-4)
    # Halfway, the output really is a blend: it differs from both ends.
    set_alpha(fading_g, 0.5)
    assert not np.allclose(fading_g(codes), old_g, atol=1e-4)


def test_equalised_layers_scale_their_weights_by_he_constant_at_run_time():
    nets = networks()
    model = nets.discriminator(16)
    model(images())
    convs = [layer for layer in model.layers if isinstance(layer, EqualizedConv2D)]
    dense = [layer for layer in model.layers if isinstance(layer, EqualizedDense)]
    assert convs and dense
    for layer in convs:
        size, channels, _ = layer.kernel.shape[0], layer.kernel.shape[2], layer.kernel.shape[3]
        assert layer.scale == pytest.approx(layer.gain / math.sqrt(size * size * channels))
    for layer in dense:
        assert layer.scale == pytest.approx(layer.gain / math.sqrt(layer.kernel.shape[0]))
    # Stored weights are N(0, 1): the scale lives in the forward pass, not in the initialiser.
    largest = max(convs, key=lambda layer: int(np.prod(layer.kernel.shape)))
    assert np.std(np.asarray(largest.kernel)) == pytest.approx(1.0, abs=0.1)


def test_pixel_norm_gives_unit_mean_square_per_pixel():
    values = np.random.default_rng(0).normal(3.0, 5.0, (2, 4, 4, 6)).astype("float32")
    normed = np.asarray(PixelNorm()(values))
    np.testing.assert_allclose(np.mean(normed ** 2, axis=-1), 1.0, rtol=1e-4)


def test_minibatch_stddev_adds_one_feature_map_that_measures_the_batch_spread():
    layer = MinibatchStdDev(group_size=4)
    same = np.repeat(images(1, 4), 4, axis=0)
    varied = images(4, 4)
    out_same, out_varied = np.asarray(layer(same)), np.asarray(layer(varied))
    assert out_same.shape == (4, 4, 4, 2)
    np.testing.assert_allclose(out_varied[..., :1], varied)
    assert out_same[..., 1].max() < 1e-3 < out_varied[..., 1].min()


def test_phase_plan_grows_from_4x4_with_a_fade_and_a_stable_phase_per_doubling():
    assert [phase.name for phase in progressive.phase_plan(16)] == [
        "4x4_stable", "8x8_fade", "8x8_stable", "16x16_fade", "16x16_stable"]


def test_the_last_phase_has_its_own_length_and_resume_names_its_flag(tmp_path):
    assert progressive.phase_lengths(16, steps=3, fade_steps=2, final_steps=7) == [3, 2, 3, 2, 7]
    gans = progressive.build_phases(networks(8), 1e-3, steps=4, fade_steps=4)
    gans[2].g_optimizer.iterations.assign(6)
    training.save_checkpoint(gans[2], progressive.phase_dir(tmp_path, 2, 8) / training.CHECKPOINT_FILE)
    assert progressive.resume_point(gans, [4, 4, 9], tmp_path, 8) == (2, True)
    with pytest.raises(ToolkitError, match="--final-steps must exceed 6 to train on; got 6"):
        progressive.resume_point(gans, [4, 4, 6], tmp_path, 8)


def test_fade_in_alpha_follows_the_step_and_real_images_are_blended_the_same_way():
    gans = progressive.build_phases(networks(8), 1e-3, steps=4, fade_steps=4)
    fading = gans[1]
    fading.g_optimizer.iterations.assign(1)
    assert float(fading.current_alpha()) == pytest.approx(0.25)
    real = images(4, 8)
    blended, _ = fading.split_batch(real)
    coarse = real.reshape(4, 4, 2, 4, 2, 1).mean(axis=(2, 4)).repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_allclose(blended, coarse + 0.25 * (real - coarse), atol=1e-5)
    assert float(gans[2].current_alpha()) == 1.0


def test_resume_inside_a_fade_in_phase_gives_the_same_phase_and_alpha(tmp_path):
    lengths = [4, 4, 4]
    gans = progressive.build_phases(networks(8), 1e-3, steps=4, fade_steps=4)
    gans[0].g_optimizer.iterations.assign(4)
    training.save_checkpoint(gans[0], progressive.phase_dir(tmp_path, 0, 8) / training.CHECKPOINT_FILE)
    gans[1].g_optimizer.iterations.assign(2)
    set_alpha(gans[1].generator, 0.25)
    training.save_checkpoint(gans[1], progressive.phase_dir(tmp_path, 1, 8) / training.CHECKPOINT_FILE)
    restarted = progressive.build_phases(networks(8), 1e-3, steps=4, fade_steps=4)
    assert progressive.resume_point(restarted, lengths, tmp_path, 8) == (1, True)
    assert float(restarted[1].current_alpha()) == pytest.approx(0.5)
    fade = restarted[1].generator.get_layer("g_fade_8")
    assert float(fade.alpha.numpy()) == pytest.approx(0.25)
    # A finished phase hands over to the next one, which starts from its first step.
    gans[1].g_optimizer.iterations.assign(4)
    training.save_checkpoint(gans[1], progressive.phase_dir(tmp_path, 1, 8) / training.CHECKPOINT_FILE)
    assert progressive.resume_point(progressive.build_phases(networks(8), 1e-3, 4, 4), lengths, tmp_path, 8) == (
        2, False)


def test_the_last_phase_saves_a_moving_average_of_g_that_follows_g():
    gans = progressive.build_phases(networks(8), 1e-3, steps=4, fade_steps=4)
    assert all(gan.generator_ema is None and gan.final_generator is gan.generator for gan in gans[:-1])
    last = gans[-1]
    assert last.final_generator is last.generator_ema and last.generator_ema in last.networks
    last.start_average()
    before = [np.array(weight) for weight in last.generator.weights]
    for weight in last.generator.weights:
        weight.assign(weight + 1.0)
    last.follow_average(4)
    beta = 0.5 ** (4 / progressive.EMA_HALF_LIFE_IMAGES)
    for average, old in zip(last.generator_ema.weights, before):
        np.testing.assert_allclose(average, old + 1.0 - beta, atol=1e-5)
    # The average has its own layers: G's next step does not move it.
    assert not set(map(id, last.generator_ema.weights)) & set(map(id, last.generator.weights))


def test_a_wgan_gp_step_trains_both_networks(snapshot, changed):
    gan = progressive.build_phases(networks(8), 1e-3, steps=2, fade_steps=2)[-1]
    before_d, before_g = snapshot(gan.discriminator.trainable_variables), snapshot(gan.generator.trainable_variables)
    logs = gan.train_step(images(8, 8))
    assert np.isfinite(float(logs["d_loss_step"])) and np.isfinite(float(logs["g_loss_step"]))
    assert all(changed(before_d, gan.discriminator.trainable_variables)[:2])
    assert any(changed(before_g, gan.generator.trainable_variables))


def test_bad_resolution_is_one_line_and_writes_nothing(tmp_path, one_line_error):
    import progan

    assert progan.main(["--resolution", "12", "--out-dir", str(tmp_path / "run")]) == 2
    one_line_error("--resolution must be a power of two from 8 to 256; got 12")
    assert not (tmp_path / "run").exists()


def test_dataset_and_data_together_are_refused(tmp_path, one_line_error):
    import progan

    assert progan.main(["--dataset", "mnist", "--data", str(tmp_path)]) == 2
    one_line_error("give --dataset or --data, not both")


@pytest.fixture
def saved_progan(tmp_path):
    from common.images import synthesis

    nets = networks(8)
    return synthesis.save_trained(nets.generator(8), tmp_path / "run", "progan_mnist", synthesis.PROGAN, LATENT,
                                  {"dataset": "mnist", "folder": None, "padded_from": 28}, {"steps": 0})


def test_truncation_on_a_progan_model_is_one_line_and_writes_nothing(saved_progan, tmp_path, one_line_error):
    import stylegan

    out = tmp_path / "out"
    assert stylegan.main(["--generator", str(saved_progan), "--truncation", "0.5", "--out-dir", str(out)]) == 2
    one_line_error("--truncation needs a StyleGAN generator")
    assert not out.exists()


def test_saved_progan_loads_in_safe_mode_and_writes_grid_csv_and_pngs(saved_progan, tmp_path):
    import pandas as pd

    import progan

    out = tmp_path / "out"
    assert progan.main(["--generator", str(saved_progan), "--samples", "3", "--csv", str(out / "x.csv"),
                        "--png-dir", str(out / "png"), "--interpolate", "--out-dir", str(out)]) == 0
    frame = pd.read_csv(out / "x.csv")
    assert list(frame.columns) == [f"px{index}" for index in range(64)]
    assert frame.values.min() >= 0 and frame.values.max() <= 255 and len(frame) == 3
    assert len(list((out / "png").glob("*.png"))) == 3
    assert (out / "progan_mnist.png").is_file() and (out / "progan_mnist_interpolation.png").is_file()
    assert json.loads(saved_progan.with_suffix(".json").read_text())["model"] == "progan"


@pytest.mark.slow
def test_progan_trains_end_to_end_and_resumes(tmp_path, tiny_data_dir):
    import progan

    out = tmp_path / "run"
    common = ["--dataset", "mnist", "--data-dir", str(tiny_data_dir), "--resolution", "8", "--batch-size", "8",
              "--max-filters", "8", "--latent-dim", str(LATENT), "--out-dir", str(out), "--checkpoint-every", "2",
              "--sample-every", "2"]
    assert progan.main([*common, "--steps", "2", "--fade-steps", "2", "--final-steps", "2"]) == 0
    settings = json.loads((out / "progan_mnist.json").read_text())
    assert (settings["model"], settings["resolution"], settings["channels"]) == ("progan", 8, 1)
    assert progan.main([*common, "--steps", "2", "--fade-steps", "2", "--final-steps", "4", "--resume"]) == 0
    assert (out / "3_8x8_stable" / "samples" / "step_000004.png").is_file()
    assert (ROOT / "progan.py").is_file()
