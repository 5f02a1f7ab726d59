"""The one GAN training model shared by every script, and its variants.

Keras 3 no longer honours the classic "compile D, freeze it, compile G+D" recipe: the frozen
combined model silently stops D from training. Instead a single `keras.Model` owns the generator
and the discriminator, each with its own optimizer, and `train_step` updates D and then G. Drive
it with `fit()`. Variants (conditional, auxiliary-classifier, InfoGAN, ...) override the small
hooks below and never copy the loop.
"""

import keras
import tensorflow as tf
from keras import ops

from common import losses


class GAN(keras.Model):
    """Unconditional GAN.

    Batches from the dataset are `(samples, labels)` pairs (labels unused here) or bare samples.
    The generator maps noise (batch, latent_dim) ~ N(0, 1) to samples; the discriminator maps
    samples to a logit (batch, 1), or to a nested structure of outputs in variants.
    """

    # Losses of the updates `auxiliary_steps` makes after D's and G's, by name (none here).
    auxiliary_loss_names = ()

    def __init__(self, generator, discriminator, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.loss_trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_names}
        # Both networks are built functional models, so the GAN is usable as it stands (and
        # fit() must not try to build it by calling it on a data batch).
        self.built = True

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Attach one optimizer per network (one optimizer instance cannot serve two models)."""
        super().compile(**kwargs)
        if d_optimizer is g_optimizer:
            raise ValueError("the discriminator and generator need separate optimizer instances")
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # Create the optimizer slots now, under the caller's distribution scope: slots created
        # lazily inside a distributed train step fail, and a checkpoint needs them to restore into.
        d_optimizer.build(self.discriminator_variables())
        g_optimizer.build(self.generator_variables())

    @property
    def loss_names(self):
        """The losses each training step reports: "d_loss", "g_loss", then the auxiliary ones."""
        return ("d_loss", "g_loss", *self.auxiliary_loss_names)

    @property
    def metrics(self):
        """Running means of the losses over the current epoch (Keras resets them each epoch)."""
        return list(self.loss_trackers.values())

    @property
    def networks(self):
        """The networks whose variables make up the GAN's state (checkpointed with the optimizers)."""
        return [self.generator, self.discriminator]

    @property
    def optimizers(self):
        """The optimizers in checkpoint order: discriminator, then generator."""
        return [self.d_optimizer, self.g_optimizer]

    # ---- hooks for variants -------------------------------------------------------------
    def split_batch(self, data):
        """A dataset batch -> (real samples, real conditions or None)."""
        real = data[0] if isinstance(data, tuple) else data
        return real, None

    def sample_conditions(self, batch_size):
        """Conditions for a batch of fakes; None for an unconditional GAN."""
        return None

    def generate(self, noise, conditions, training=False):
        """Generator output for `noise` (and `conditions`)."""
        return self.generator(noise, training=training)

    def discriminate(self, samples, conditions, training=False):
        """Discriminator output for `samples` (and `conditions`)."""
        return self.discriminator(samples, training=training)

    def discriminator_loss(self, real_output, fake_output, real_conditions, fake_conditions):
        return losses.discriminator_loss(real_output, fake_output)

    def generator_loss(self, fake_output, fake_conditions):
        return losses.generator_loss(fake_output)

    def auxiliary_steps(self, real, real_conditions):
        """Further updates after D's and G's on the same real batch; returns {name: loss} for every
        name in `auxiliary_loss_names` (none here)."""
        return {}

    def discriminator_variables(self):
        """Variables the discriminator step trains."""
        return self.discriminator.trainable_variables

    def generator_variables(self):
        """Variables the generator step trains."""
        return self.generator.trainable_variables

    # ---- the loop -----------------------------------------------------------------------
    def sample_noise(self, batch_size):
        return tf.random.normal((batch_size, self.latent_dim))

    def discriminator_step(self, real, real_conditions):
        """One update of the discriminator on a real batch and as many fakes. Returns the loss."""
        batch_size = ops.shape(real)[0]
        fake_conditions = self.sample_conditions(batch_size)
        # Fakes are made outside the tape: D's step needs no gradient through G.
        fake = self.generate(self.sample_noise(batch_size), fake_conditions, training=True)
        variables = self.discriminator_variables()
        with tf.GradientTape() as tape:
            # Real and fake batches go through D separately (Radford et al. 2015): batch statistics
            # in D then describe one kind of sample each, as they do in the generator's all-fake step.
            real_output = self.discriminate(real, real_conditions, training=True)
            fake_output = self.discriminate(fake, fake_conditions, training=True)
            loss = self.discriminator_loss(real_output, fake_output, real_conditions, fake_conditions)
            scaled_loss = per_replica_loss(loss)
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled_loss, variables), variables))
        return loss

    def generator_step(self, batch_size):
        """One update of the generator through the (unchanged) discriminator. Returns the loss."""
        fake_conditions = self.sample_conditions(batch_size)
        noise = self.sample_noise(batch_size)
        variables = self.generator_variables()
        with tf.GradientTape() as tape:
            fake = self.generate(noise, fake_conditions, training=True)
            fake_output = self.discriminate(fake, fake_conditions, training=True)
            loss = self.generator_loss(fake_output, fake_conditions)
            scaled_loss = per_replica_loss(loss)
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled_loss, variables), variables))
        return loss

    def train_step(self, data):
        real, real_conditions = self.split_batch(data)
        d_loss = self.discriminator_step(real, real_conditions)
        g_loss = self.generator_step(ops.shape(real)[0])
        step_losses = {"d_loss": d_loss, "g_loss": g_loss, **self.auxiliary_steps(real, real_conditions)}
        logs = {}
        for name, loss in step_losses.items():
            self.loss_trackers[name].update_state(loss)
            # The running mean for the progress bar, and this step's loss for the loss history.
            logs[name] = self.loss_trackers[name].result()
            logs[f"{name}_step"] = loss
        return logs


class ConditionalGAN(GAN):
    """CGAN (Mirza & Osindero 2014): both networks also take the one-hot class label.

    Batches are `(samples, labels)` with int labels (batch,) in 0..num_classes-1. Fakes get labels
    drawn uniformly, so every class is trained equally.
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.num_classes = num_classes

    def split_batch(self, data):
        real, labels = data
        return real, ops.one_hot(ops.cast(labels, "int32"), self.num_classes)

    def sample_conditions(self, batch_size):
        labels = tf.random.uniform((batch_size,), 0, self.num_classes, dtype=tf.int32)
        return ops.one_hot(labels, self.num_classes)

    def generate(self, noise, conditions, training=False):
        return self.generator([noise, conditions], training=training)

    def discriminate(self, samples, conditions, training=False):
        return self.discriminator([samples, conditions], training=training)


def per_replica_loss(loss):
    """Scale a per-replica mean loss so that summing gradients over replicas gives the mean.

    Under `tf.distribute` the optimizer sums the replicas' gradients; without it this is a no-op.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss / replicas if replicas > 1 else loss
