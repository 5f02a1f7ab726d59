"""The GAN trains under tf.distribute.MirroredStrategy on two logical CPU devices.

Logical devices must be configured before TensorFlow starts, so this runs in a fresh process.
"""

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

SCRIPT = textwrap.dedent("""
    import common
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from common import gan, networks
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = gan.ConditionalGAN(networks.build_dcgan_generator(8, num_classes=10),
                                   networks.build_dcgan_discriminator(num_classes=10), 8, 10)
        model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    labels = rng.integers(0, 10, 16).astype("int32")
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    d_before = [v.numpy().copy() for v in model.discriminator.trainable_variables]
    g_before = [v.numpy().copy() for v in model.generator.trainable_variables]
    history = model.fit(dataset, steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
    assert all(np.isfinite(history.history["d_loss"])), history.history
    assert all(not np.array_equal(b, v.numpy()) for b, v in zip(d_before, model.discriminator.trainable_variables))
    assert all(not np.array_equal(b, v.numpy()) for b, v in zip(g_before, model.generator.trainable_variables))
    assert int(model.g_optimizer.iterations.numpy()) == 2
    print("MIRRORED_OK")
""")


def test_gan_trains_under_mirrored_strategy_on_two_cpus():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "MIRRORED_OK" in result.stdout, result.stderr[-3000:]
