"""The one GAN model: D's step trains D only, G's step trains G only, labels reach the networks."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from common import gan
from tests.conftest import TINY_CLASSES as CLASSES
from tests.conftest import TINY_LATENT as LATENT


@pytest.mark.parametrize("conditional", [False, True])
def test_discriminator_step_changes_d_and_leaves_g_alone(conditional, make_gan, real_batch, snapshot, changed):
    model = make_gan(conditional)
    real, conditions = model.split_batch(real_batch())
    d_before = snapshot(model.discriminator.trainable_variables)
    g_before = snapshot(model.generator.trainable_variables)
    loss = model.discriminator_step(real, conditions)
    assert np.isfinite(float(loss))
    assert all(changed(d_before, model.discriminator.trainable_variables))
    assert not any(changed(g_before, model.generator.trainable_variables))


@pytest.mark.parametrize("conditional", [False, True])
def test_generator_step_changes_g_and_leaves_d_alone(conditional, make_gan, snapshot, changed):
    model = make_gan(conditional)
    d_before = snapshot(model.discriminator.variables)
    g_before = snapshot(model.generator.trainable_variables)
    loss = model.generator_step(8)
    assert np.isfinite(float(loss))
    assert all(changed(g_before, model.generator.trainable_variables))
    assert not any(changed(d_before, model.discriminator.variables))


@pytest.mark.parametrize("conditional", [False, True])
def test_fit_trains_both_networks(conditional, make_gan, real_batch, snapshot, changed):
    model = make_gan(conditional)
    dataset = tf.data.Dataset.from_tensors(real_batch()).repeat()
    d_before = snapshot(model.discriminator.trainable_variables)
    g_before = snapshot(model.generator.trainable_variables)
    history = model.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "d_loss_step", "g_loss_step"}
    assert all(np.isfinite(history.history["d_loss"]))
    assert all(changed(d_before, model.discriminator.trainable_variables))
    assert all(changed(g_before, model.generator.trainable_variables))
    assert int(model.g_optimizer.iterations.numpy()) == 3
    assert int(model.d_optimizer.iterations.numpy()) == 3


def test_label_reaches_the_generator(make_gan):
    model = make_gan(conditional=True)
    noise = tf.random.normal((4, LATENT), seed=1)
    images = {
        label: np.asarray(model.generate(noise, tf.one_hot([label] * 4, CLASSES)))
        for label in (3, 7)
    }
    assert np.abs(images[3] - images[7]).mean() > 1e-4


def test_real_labels_become_one_hot_conditions(make_gan, real_batch):
    model = make_gan(conditional=True)
    images, labels = real_batch()
    _, conditions = model.split_batch((images, labels))
    np.testing.assert_array_equal(np.argmax(conditions, axis=1), labels.numpy())


def test_fake_labels_cover_every_class(make_gan):
    model = make_gan(conditional=True)
    labels = np.argmax(model.sample_conditions(5000), axis=1)
    counts = np.bincount(labels, minlength=CLASSES)
    assert counts.min() > 400 and counts.max() < 600


def test_one_optimizer_cannot_serve_both_networks(make_gan):
    built = make_gan(conditional=False)
    model = gan.GAN(built.generator, built.discriminator, LATENT)
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="separate optimizer"):
        model.compile(shared, shared)


def test_loss_trackers_report_the_running_mean_of_the_step_losses(make_gan, real_batch):
    model = make_gan(conditional=False)
    assert [metric.name for metric in model.metrics] == ["d_loss", "g_loss"]
    steps = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append((float(logs["d_loss_step"]), float(logs["d_loss"])))

    model.fit(tf.data.Dataset.from_tensors(real_batch()).repeat(), steps_per_epoch=4, epochs=1, verbose=0,
              callbacks=[Record()])
    step_losses = [step for step, _ in steps]
    np.testing.assert_allclose([mean for _, mean in steps], np.cumsum(step_losses) / np.arange(1, 5), rtol=1e-5)
