"""Training under tf.distribute's mirrored strategy (two logical CPU devices) and mixed precision, and
the thread settings made before TensorFlow starts (multi-worker clusters: test_multi_worker.py).

Logical devices must be configured before TensorFlow starts, so the strategies run in fresh subprocesses.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cgan_mnist
from common import distribute
from tests.conftest import CGAN_FAST, ROOT, SUBPROCESS_TIMEOUT, make_tiny_data_dir


def run_code(code, marker, cwd=ROOT):
    """Run Python `code` in a fresh process (the repository importable) and check it printed `marker`."""
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                            timeout=SUBPROCESS_TIMEOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert marker in result.stdout, result.stdout[-2000:] + result.stderr[-3000:]


def test_distribute_flag_is_checked_without_tensorflow():
    code = ("import sys, cgan_mnist; cgan_mnist.build_parser().parse_args(['--distribute', 'mirrored', "
            "'--mixed-precision']); assert 'tensorflow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


@pytest.mark.parametrize("given, expected", [
    ({}, {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": str(os.cpu_count())}),
    ({"TF_NUM_INTRAOP_THREADS": "4"}, {"TF_NUM_INTRAOP_THREADS": "4"}),
    ({"TF_NUM_INTEROP_THREADS": "3"}, {"TF_NUM_INTEROP_THREADS": "3"}),
])
def test_ops_run_side_by_side_unless_the_user_set_the_threads(given, expected):
    environ = dict(given)
    distribute.prefer_ops_side_by_side(environ)
    assert environ == expected


def test_timegan_command_starts_tensorflow_with_one_thread_per_op(tmp_path):
    # The setting only counts before TensorFlow starts: the command line sets it, and a bad flag
    # (answered after it, before TensorFlow) shows it was set without training anything.
    code = ("import runpy, sys, os; sys.argv = ['timegan.py', '--steps', '0'];\n"
            "try: runpy.run_path('timegan.py', run_name='__main__')\n"
            "except SystemExit: print(os.environ['TF_NUM_INTRAOP_THREADS'], os.environ['TF_NUM_INTEROP_THREADS'])")
    environ = {key: value for key, value in os.environ.items() if not key.startswith("TF_NUM_")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.split() == ["1", str(os.cpu_count())]


# ---- mirrored over two logical CPU devices = one device -------------------------------------------
MIRRORED = textwrap.dedent("""
    from common import cli
    cli.import_tensorflow()
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from common import distribute, gan
    from common.images.model import AEACGAN

    LATENT, CLASSES, FEATURES, BATCH = 8, 4, 6, 8

    def dense(inputs, units, name, activation=None):
        joined = keras.layers.Concatenate()(inputs) if isinstance(inputs, list) else inputs
        hidden = keras.layers.Dense(16, activation="relu")(joined)
        return keras.Model(inputs, keras.layers.Dense(units, activation=activation)(hidden), name=name)

    def normalised(units, name, activation):
        noise = keras.Input((LATENT,))
        # No bias before the normalisation: its gradient is zero but for rounding, which Adam would magnify.
        hidden = keras.layers.ReLU()(gan.batch_normalization()(keras.layers.Dense(16, use_bias=False)(noise)))
        return keras.Model(noise, keras.layers.Dense(units, activation=activation)(hidden), name=name)

    def build(kind):
        keras.utils.set_random_seed(1)
        if kind in ("gan", "batchnorm_gan"):
            generator = (dense(keras.Input((LATENT,)), FEATURES, "g", "tanh") if kind == "gan"
                         else normalised(FEATURES, "g", "tanh"))
            model = gan.GAN(generator, dense(keras.Input((FEATURES,)), 1, "d"), LATENT)
            model.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
            return model
        rows = keras.Input((FEATURES,))
        hidden = keras.layers.Dense(16, activation="relu")(rows)
        discriminator = keras.Model(rows, [keras.layers.Dense(1)(hidden), keras.layers.Dense(CLASSES)(hidden)])
        model = AEACGAN(dense([keras.Input((LATENT,)), keras.Input((CLASSES,))], FEATURES, "g", "tanh"),
                        discriminator, dense(keras.Input((FEATURES,)), LATENT, "e", "sigmoid"), LATENT, CLASSES)
        model.compile(*(keras.optimizers.Adam(1e-2) for _ in range(3)))
        return model

    rng = np.random.default_rng(0)
    batch = (rng.uniform(-1, 1, (BATCH, FEATURES)).astype("float32"), rng.integers(0, CLASSES, BATCH).astype("int32"))
    one_hot = np.eye(CLASSES, dtype="float32")
    fed = {"d_noise": rng.uniform(0, 1, (BATCH, LATENT)).astype("float32"),
           "g_noise": rng.uniform(0, 1, (BATCH, LATENT)).astype("float32"),
           "d_conditions": one_hot[rng.integers(0, CLASSES, BATCH)],
           "g_conditions": one_hot[rng.integers(0, CLASSES, BATCH)]}

    def one_step(kind, strategy):
        with strategy.scope():
            model = build(kind)
            element = {"batch": batch, "d_noise": fed["d_noise"], "g_noise": fed["g_noise"]}
            if kind == "aeacgan":
                element.update(d_conditions=fed["d_conditions"], g_conditions=fed["g_conditions"])
            # The networks' weights: BatchNorm's moving statistics as well as the trained ones.
            weights = [weight for network in model.layers for weight in network.weights]
            before = [v.numpy() for v in weights]
            model.fit(tf.data.Dataset.from_tensors(element).repeat(), steps_per_epoch=1, epochs=1, verbose=0)
        return before, [v.numpy() for v in weights]

    # One strategy object per process: a second one would reuse the first one's collective keys.
    mirrored = distribute.make_strategy("mirrored")
    assert mirrored.num_replicas_in_sync == 2
    for kind in ("gan", "batchnorm_gan", "aeacgan"):
        before, single = one_step(kind, tf.distribute.get_strategy())
        _, replicated = one_step(kind, mirrored)
        moved = max(float(np.max(np.abs(a - b))) for a, b in zip(before, single))
        gap = max(float(np.max(np.abs(a - b))) for a, b in zip(single, replicated))
        print(kind, moved, gap)
        assert moved > 1e-3 and gap < 1e-6, (kind, moved, gap)
    print("MIRRORED_OK")
""")


@pytest.mark.slow
def test_mirrored_step_on_two_devices_equals_one_device_step():
    run_code(MIRRORED, "MIRRORED_OK")


# ---- mixed precision ------------------------------------------------------------------------------
MIXED_FLOAT16 = textwrap.dedent("""
    from common import cli
    cli.import_tensorflow()
    import numpy as np
    import keras
    import tensorflow as tf
    from common import distribute, gan, io
    keras.mixed_precision.set_dtype_policy("mixed_float16")

    def dense(inputs, units, activation=None):
        hidden = keras.layers.Dense(16, activation="relu")(inputs)
        return keras.Model(inputs, keras.layers.Dense(units, activation=activation)(hidden))

    model = gan.GAN(dense(keras.Input((8,)), 6, "tanh"), dense(keras.Input((6,)), 1), 8)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    assert distribute.uses_loss_scaling()
    assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    rows = np.random.default_rng(0).uniform(-1, 1, (64, 6)).astype("float32")
    history = model.fit(tf.data.Dataset.from_tensors(rows).repeat(), steps_per_epoch=3, epochs=1, verbose=0)
    assert all(np.isfinite(history.history[name][-1]) for name in ("d_loss", "g_loss")), history.history
    assert int(model.g_optimizer.iterations.numpy()) == 3
    io.save_model(model.generator, "generator.h5")
    keras.mixed_precision.set_dtype_policy("float32")
    loaded = io.load_model("generator.h5")
    assert {w.dtype for w in loaded.weights} == {"float32"}
    assert all(layer.dtype_policy.name == "float32" for layer in loaded.layers)
    print("FLOAT16_OK")
""")


@pytest.mark.slow
def test_mixed_float16_scales_the_losses_and_saves_float32(tmp_path):
    run_code(MIXED_FLOAT16, "FLOAT16_OK", cwd=tmp_path)


@pytest.mark.slow
def test_mixed_precision_cgan_run_saves_float32_generator(tmp_path):
    data_dir = make_tiny_data_dir(tmp_path)
    out_dir = tmp_path / "run"
    assert cgan_mnist.main(CGAN_FAST + ["--data-dir", str(data_dir), "--out-dir", str(out_dir),
                                        "--mixed-precision"]) == 0
    history = json.loads((out_dir / "history.json").read_text())
    assert np.all(np.isfinite(history["d_loss"])) and np.all(np.isfinite(history["g_loss"]))
    import keras

    assert keras.mixed_precision.dtype_policy().name == "float32"
    from common import io

    generator = io.load_model(out_dir / "cgan_mnist.h5")
    assert {weight.dtype for weight in generator.weights} == {"float32"}
    assert all(layer.dtype_policy.name == "float32" for layer in generator.layers)


# Each family's model for a few steps under the CPU's mixed policy (mixed_bfloat16): finite losses,
# and a generator saved as float32. The image CGAN runs end to end in the test above.
MIXED_FAMILIES = textwrap.dedent("""
    from common import cli
    cli.import_tensorflow()
    import numpy as np
    import keras
    import tensorflow as tf
    from common import distribute, io
    FAMILIES = ("aeacgan", "tabular", "market", "trajectories", "timegan")
    BATCH = 8
    rng = np.random.default_rng(0)

    def uniform(*shape):
        return rng.uniform(-1, 1, shape).astype("float32")

    def labels(count):
        return rng.integers(0, count, BATCH).astype("int32")

    def fit(model, element, steps=2):
        history = model.fit(tf.data.Dataset.from_tensors(element).repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
        finite = all(np.all(np.isfinite(values)) for values in history.history.values())
        assert finite, history.history
        return model

    def models(family):
        if family == "aeacgan":
            from common.images import model
            gan = model.build_aeacgan(8, 10)
            gan.compile(*(keras.optimizers.Adam(1e-3) for _ in range(3)))
            yield fit(gan, (uniform(BATCH, 28, 28, 1), labels(10))).generator
        elif family == "tabular":
            from common.tabular import networks
            gan = networks.build_acgan(8, 3, 5)
            gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
            yield fit(gan, (uniform(BATCH, 5), labels(3))).generator
        elif family == "market":
            from common import gan as core
            from common.market import networks
            gan = core.ConditionalGAN(networks.build_generator(8, 16, 2, 3), networks.build_discriminator(16, 2, 3),
                                      8, 3)
            gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
            yield fit(gan, (uniform(BATCH, 16, 2), labels(3))).generator
        elif family == "trajectories":
            from common.trajectories import model
            gan = model.build_gan(8, 32)
            gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
            yield fit(gan, (uniform(BATCH, 32, 4), labels(20))).generator
        elif family == "timegan":
            from common.timegan import model, networks
            nets = networks.build_networks(6, 3, 2, 4, 1, "gru")
            autoencoder, supervisor, joint = model.build_phases(nets, 1e-3, 1.0, discriminator_updates=2)
            windows = rng.uniform(0, 1, (BATCH, 6, 3)).astype("float32")
            fit(autoencoder, windows)
            fit(supervisor, windows)
            fit(joint, np.stack([windows] * 3, axis=1))
            yield networks.build_generation_model(nets, "g")


    for family in FAMILIES:
        with distribute.precision(True) as policy:
            generators = list(models(family))
        for generator in generators:
            path = f"{family}.h5"
            io.save_model(generator, path)
            loaded = io.load_model(path)
            assert {w.dtype for w in loaded.weights} == {"float32"}, family
            assert all(layer.dtype_policy.name == "float32" for layer in loaded._flatten_layers()), family
        print("FAMILY_OK", family, policy, flush=True)
    print("FAMILIES_OK")
""")


@pytest.mark.slow
def test_mixed_precision_trains_every_family(tmp_path):
    run_code(MIXED_FAMILIES, "FAMILIES_OK", cwd=tmp_path)


# ProGAN's fade-in and StyleGAN's lazy R1, weight average and w average under `mirrored` over two
# logical CPU devices, in float32 and in the CPU's mixed policy: every step runs, the losses stay
# finite, and every variable (networks, averages, alpha, last R1 penalty) holds the same value on
# both replicas.
MIRRORED_IMAGE_GANS = textwrap.dedent("""
    from common import cli
    cli.import_tensorflow()
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from common import distribute
    from common.images import progressive, style

    RESOLUTION, LATENT, FILTERS, BATCH, STEPS, FADE_STEPS, R1_INTERVAL = 8, 8, 8, 8, 4, 8, 2
    images = np.random.default_rng(0).uniform(-1, 1, (BATCH, RESOLUTION, RESOLUTION, 1)).astype("float32")
    dataset = tf.data.Dataset.from_tensors(images).repeat()

    def replicas_agree(model):
        checked = 0
        for variable in model.variables:
            copies = [np.asarray(copy) for copy in getattr(variable.value, "values", ())]
            assert len(copies) == 2, (variable.path, len(copies))
            assert all(np.array_equal(copies[0], copy) for copy in copies[1:]), variable.path
            checked += 1
        return checked

    def fit(model):
        history = model.fit(dataset, steps_per_epoch=STEPS, epochs=1, verbose=0).history
        assert all(np.all(np.isfinite(values)) for values in history.values()), history
        return history

    strategy = distribute.make_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2
    for mixed in (False, True):
        with distribute.precision(mixed) as policy, strategy.scope():
            keras.utils.set_random_seed(0)
            gan = style.build_stylegan(RESOLUTION, 1, LATENT, FILTERS, 1, 2e-3)
            gan.r1_interval = R1_INTERVAL
            ema_before = [v.numpy() for v in gan.generator_ema.trainable_variables]
            history = fit(gan)
            assert history["r1_penalty_step"][-1] > 0, history
            assert int(gan.d_optimizer.iterations.numpy()) == STEPS + STEPS // R1_INTERVAL
            ema_after = [v.numpy() for v in gan.generator_ema.trainable_variables]
            assert any(not np.array_equal(a, b) for a, b in zip(ema_before, ema_after))
            assert np.any(gan.truncation.w_avg.numpy() != 0)
            print("stylegan", policy, replicas_agree(gan), flush=True)

            fade = progressive.build_phases(progressive.ProgressiveNetworks(RESOLUTION, 1, LATENT, FILTERS), 1e-3,
                                            steps=STEPS, fade_steps=FADE_STEPS)[1]
            fit(fade)
            alphas = [layer.alpha for layer in fade.fades]
            assert len(alphas) == 2
            # Alpha is set at the start of each step from the steps done before it.
            assert all(float(alpha.numpy()) == (STEPS - 1) / FADE_STEPS for alpha in alphas)
            print("progan", policy, replicas_agree(fade), flush=True)
    print("IMAGE_GANS_OK")
""")


@pytest.mark.slow
def test_progressive_and_style_gans_train_mirrored_in_float32_and_mixed_precision():
    run_code(MIRRORED_IMAGE_GANS, "IMAGE_GANS_OK")
