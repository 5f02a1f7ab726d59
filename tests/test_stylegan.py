"""StyleGAN2: styles reach their layers, noise, truncation, mixing, the training hooks, saving and the CLI."""

import numpy as np
import pytest

from common.images import style

LATENT = 8
FILTERS = 8
RESOLUTION = 16


@pytest.fixture(scope="module")
def generator():
    model = style.build_generator(RESOLUTION, 1, LATENT, FILTERS, mapping_layers=2)
    # Give the noise a visible strength (training learns it; it starts at 0).
    for layer in model.get_layer("synthesis").layers:
        if isinstance(layer, style.StyledConv) and layer.use_noise:
            layer.noise_strength.assign(0.5)
    return model


def codes(count=4, seed=0):
    return np.random.default_rng(seed).normal(size=(count, LATENT)).astype("float32")


def test_generator_has_one_style_per_layer_and_makes_images(generator):
    assert style.num_styles(RESOLUTION) == 6 and style.coarse_styles(RESOLUTION) == 4
    assert generator(codes()).shape == (4, RESOLUTION, RESOLUTION, 1)
    assert generator.get_layer("synthesis").inputs[0].shape[1:] == (6, LATENT)


def test_fine_styles_leave_the_4x4_activations_unchanged_and_coarse_ones_change_them(generator):
    import keras

    synthesis = generator.get_layer("synthesis")
    probe = keras.Model(synthesis.inputs[0], [synthesis.get_layer("conv_4x4").output, synthesis.output])
    base = np.asarray(style.styles(generator, codes(2, 0)))
    other = np.asarray(style.styles(generator, codes(2, 1)))
    fine_changed, coarse_changed = base.copy(), base.copy()
    fine_changed[:, 1:] = other[:, 1:]
    coarse_changed[:, 0] = other[:, 0]
    style.set_noise(generator, False)
    try:
        (low, image), (low_fine, image_fine) = probe(base), probe(fine_changed)
        low_coarse, _ = probe(coarse_changed)
    finally:
        style.set_noise(generator, True)
    np.testing.assert_allclose(low, low_fine, atol=1e-6)
    assert not np.allclose(image, image_fine, atol=1e-4)
    assert not np.allclose(low, low_coarse, atol=1e-4)


def test_noise_changes_the_output_and_can_be_switched_off(generator):
    z = codes()
    assert not np.allclose(generator(z), generator(z), atol=1e-5)
    style.set_noise(generator, False)
    try:
        np.testing.assert_array_equal(generator(z), generator(z))
    finally:
        style.set_noise(generator, True)


def test_truncation_zero_gives_the_mean_image(generator):
    truncation = generator.get_layer("truncation")
    truncation.w_avg.assign(np.linspace(-1, 1, LATENT).astype("float32"))
    style.set_noise(generator, False)
    truncation.psi = 0.0
    try:
        out = np.asarray(generator(codes(5)))
        ws = np.asarray(style.styles(generator, codes(5), psi=0.0))
    finally:
        truncation.psi = 1.0
        style.set_noise(generator, True)
        truncation.w_avg.assign(np.zeros(LATENT, "float32"))
    np.testing.assert_allclose(out, np.repeat(out[:1], 5, axis=0), atol=1e-6)
    np.testing.assert_allclose(ws, np.broadcast_to(np.linspace(-1, 1, LATENT), ws.shape), atol=1e-6)


def test_truncation_towards_centres_pulls_each_w_to_its_nearest_centre(generator):
    w = np.asarray(generator.get_layer("mapping")(codes(6)))
    # Two centres far out on either side of the codes' w: each w goes to the one on its side.
    direction = np.zeros(LATENT, "float32")
    direction[0] = 100.0
    centres = np.stack([direction, -direction])
    nearest = np.where(w[:, :1] >= 0, direction, -direction)
    at_zero = np.asarray(style.styles(generator, codes(6), psi=0.0, centres=centres))
    halfway = np.asarray(style.styles(generator, codes(6), psi=0.5, centres=centres))
    np.testing.assert_allclose(at_zero, np.repeat(nearest[:, None], at_zero.shape[1], axis=1), atol=1e-4)
    np.testing.assert_allclose(halfway[:, 0], (w + nearest) / 2, atol=1e-4)
    assert len({tuple(row) for row in at_zero[:, 0]}) == len({tuple(row) for row in nearest})


def test_w_centres_are_k_means_of_w_and_follow_the_seed(generator):
    centres = style.w_centres(generator, 3, seed=0, samples=300)
    assert centres.shape == (3, LATENT) and centres.dtype == np.float32
    np.testing.assert_array_equal(centres, style.w_centres(generator, 3, seed=0, samples=300))
    w = np.asarray(generator.get_layer("mapping")(codes(300, 0)))
    # Every centre lies inside the cloud of w it summarises.
    assert np.all(np.linalg.norm(centres - w.mean(axis=0), axis=1) < np.linalg.norm(w - w.mean(axis=0), axis=1).max())


def test_mixed_styles_take_the_coarse_layers_from_the_first_codes(generator):
    from common.images.synthesis import mixed_styles

    first, second = codes(3, 0), codes(3, 1)
    mixed = mixed_styles(generator, first, second)
    np.testing.assert_allclose(mixed[:, :4], np.asarray(style.styles(generator, first))[:, :4], atol=1e-6)
    np.testing.assert_allclose(mixed[:, 4:], np.asarray(style.styles(generator, second))[:, 4:], atol=1e-6)


def test_demodulation_keeps_activations_at_unit_scale_whatever_the_style_size():
    import keras

    # Seeded weights and a large input: the two standard deviations are estimates, compared within 5%.
    keras.utils.set_random_seed(0)
    conv = style.StyledConv(16, 3, 0, use_noise=False, activate=False)
    x = np.random.default_rng(0).normal(size=(4, 16, 16, 16)).astype("float32")
    small, large = np.full((4, 1, 4), 0.1, "float32"), np.full((4, 1, 4), 10.0, "float32")
    out_small, out_large = np.asarray(conv([x, small])), np.asarray(conv([x, large]))
    assert np.std(out_small) == pytest.approx(np.std(out_large), rel=0.05)
    assert 0.5 < np.std(out_large) < 2.0
    assert isinstance(conv, keras.layers.Layer)


def test_training_hooks_r1_mixing_w_average_and_weight_average(snapshot, changed):
    import tensorflow as tf

    gan = style.build_stylegan(8, 1, LATENT, FILTERS, 1, 2e-3)
    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32"))
    before_ema = snapshot(gan.generator_ema.trainable_variables)
    gan.g_optimizer.iterations.assign(style.R1_INTERVAL - 1)
    logs = gan.train_step(real)
    assert float(logs["r1_penalty_step"]) > 0
    assert float(gan.last_r1.numpy()) == pytest.approx(float(logs["r1_penalty_step"]))
    assert np.any(gan.truncation.w_avg.numpy() != 0)
    np.testing.assert_allclose(gan.generator_ema.get_layer("truncation").w_avg.numpy(), gan.truncation.w_avg.numpy())
    assert any(changed(before_ema, gan.generator_ema.trainable_variables))
    # The average lags behind: it is not a copy of the generator.
    assert not np.allclose(gan.generator_ema.trainable_variables[-1].numpy(),
                           gan.generator.trainable_variables[-1].numpy())
    # Between R1 steps the last penalty is reported again and D gets one update (its own loss).
    d_steps = int(gan.d_optimizer.iterations.numpy())
    gan.train_step(real)
    assert int(gan.d_optimizer.iterations.numpy()) == d_steps + 1
    assert gan.generate(gan.sample_noise(8), None).shape == (8, 8, 8, 1)


@pytest.fixture
def saved_stylegan(tmp_path, generator):
    from common.images import synthesis

    return synthesis.save_trained(generator, tmp_path / "run", "stylegan_mnist", synthesis.STYLEGAN, LATENT,
                                  {"dataset": "mnist", "folder": None, "padded_from": 28}, {"steps": 0})


def test_saved_generator_loads_in_safe_mode_with_the_same_weights(saved_stylegan, generator):
    from common.images import synthesis

    loaded, settings = synthesis.load_generator(saved_stylegan)
    assert (settings["model"], settings["resolution"], settings["num_ws"]) == ("stylegan", RESOLUTION, 6)
    for model in (loaded, generator):
        style.set_noise(model, False)
    try:
        np.testing.assert_allclose(loaded(codes()), generator(codes()), atol=1e-5)
    finally:
        for model in (loaded, generator):
            style.set_noise(model, True)


def test_cli_writes_truncated_grid_mixing_grid_and_walk(saved_stylegan, tmp_path):
    import stylegan

    out = tmp_path / "out"
    assert stylegan.main(["--generator", str(saved_stylegan), "--truncation", "0.5", "--mix", "--interpolate",
                          "--out-dir", str(out)]) == 0
    for suffix in ("", "_mix", "_interpolation"):
        assert (out / f"stylegan_mnist{suffix}.png").is_file()


def test_cli_truncates_towards_centres_and_needs_a_psi(saved_stylegan, tmp_path, one_line_error):
    import stylegan

    out = tmp_path / "out"
    assert stylegan.main(["--generator", str(saved_stylegan), "--truncation", "0.5", "--truncation-centres", "3",
                          "--samples", "2", "--png-dir", str(out / "png"), "--out-dir", str(out)]) == 0
    assert (out / "stylegan_mnist.png").is_file() and len(list((out / "png").glob("*.png"))) == 2
    assert stylegan.main(["--generator", str(saved_stylegan), "--truncation-centres", "3",
                          "--out-dir", str(tmp_path / "none")]) == 2
    one_line_error("--truncation-centres needs --truncation PSI; got --truncation-centres 3 alone")
    assert not (tmp_path / "none").exists()


def test_truncation_outside_0_1_is_one_line(saved_stylegan, one_line_error):
    import stylegan

    assert stylegan.main(["--generator", str(saved_stylegan), "--truncation", "2"]) == 2
    one_line_error("--truncation must be between 0 and 1; got 2.0")


def test_style_flags_need_a_generator(one_line_error):
    import stylegan

    assert stylegan.main(["--mix"]) == 2
    one_line_error("--mix needs --generator PATH")


@pytest.mark.slow
def test_stylegan_trains_end_to_end_on_a_folder(tmp_path):
    from PIL import Image

    import stylegan

    rng = np.random.default_rng(0)
    for index in range(8):
        Image.fromarray(rng.integers(0, 256, (20 + index, 24, 3), dtype=np.uint8)).save(tmp_path / f"{index}.png")
    out = tmp_path / "run"
    assert stylegan.main(["--data", str(tmp_path), "--resolution", "8", "--batch-size", "4", "--steps", "3",
                          "--max-filters", "8", "--latent-dim", str(LATENT), "--out-dir", str(out)]) == 0
    from common.images import synthesis

    loaded, settings = synthesis.load_generator(out / "stylegan_folder.h5")
    assert (settings["channels"], settings["folder"]) == (3, tmp_path.name)
    assert loaded(codes()).shape == (4, 8, 8, 3)


@pytest.mark.slow
@pytest.mark.parametrize("name, model", [("stylegan_fashion_mnist", "stylegan"), ("progan_fashion_mnist", "progan")])
def test_shipped_generators_load_in_safe_mode_as_their_sidecars_say(name, model):
    from common.images import synthesis
    from tests.conftest import MODELS

    generator, settings = synthesis.load_generator(MODELS / f"{name}.h5")
    assert (settings["model"], settings["resolution"], settings["channels"]) == (model, 32, 1)
    images = synthesis.to_pixels(synthesis.generate(generator, synthesis.sample_codes(4, settings["latent_dim"], 0)))
    assert images.shape == (4, 32, 32) and images.std() > 0
