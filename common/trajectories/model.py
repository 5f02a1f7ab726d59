"""Semi-supervised InfoGAN (Chen et al. 2016) for variable-length multivariate sequences.

The generator takes noise z (batch, latent_dim) ~ N(0, 1), a one-hot categorical code
(batch, num_classes) and continuous codes c (batch, num_codes) ~ U(-1, 1), and returns
(batch, steps, channels + 1): the channel values (dataset units) plus a 'still writing' channel in
[0, 1]. The sequence ends where that channel first drops below 0.5, so the generator learns the
length the way a pen is lifted, with no separate length output.

The discriminator's class and code heads are InfoGAN's Q network. Semi-supervision ties the
categorical code to the real labels: the class head learns the letters from real data, and the
generator is rewarded when Q reads its categorical code back, so code k means letter k. The
continuous codes are recovered by Q on fakes (the mutual-information term as a fixed-variance
Gaussian, i.e. mean squared error).
"""

import tensorflow as tf
from keras import ops

from common import gan, losses
from common.trajectories import networks
from common.trajectories.names import CODE_RANGE, NUM_CHANNELS, NUM_CLASSES, NUM_CODES

# Weights of the information terms against the adversarial loss (Chen et al. use 1 for both kinds).
CLASS_WEIGHT = 1.0
CODE_WEIGHT = 1.0


class SequenceInfoGAN(gan.GAN):
    """Semi-supervised InfoGAN on `common.gan.GAN`'s loop.

    Batches are `(sequences (batch, steps, channels + 1), int labels (batch,))`. Conditions are
    `(one-hot letter (batch, num_classes), codes (batch, num_codes))`; real data has no codes, so
    its code part is zeros and unused.

    D step: adversarial loss + class cross-entropy on real labels + code error on fakes (Q learns).
    G step: non-saturating loss + class cross-entropy and code error on its own fakes (G learns to
    make its codes readable); only generator variables change.
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes, num_codes, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.num_classes = num_classes
        self.num_codes = num_codes

    def split_batch(self, data):
        real, labels = data
        letters = ops.one_hot(ops.cast(labels, "int32"), self.num_classes)
        return real, (letters, ops.zeros((ops.shape(real)[0], self.num_codes)))

    def sample_conditions(self, batch_size):
        labels = tf.random.uniform((batch_size,), 0, self.num_classes, dtype=tf.int32)
        codes = tf.random.uniform((batch_size, self.num_codes), -CODE_RANGE, CODE_RANGE)
        return ops.one_hot(labels, self.num_classes), codes

    def generate(self, noise, conditions, training=False):
        letters, codes = conditions
        return self.generator([noise, letters, codes], training=training)

    def discriminate(self, samples, conditions, training=False):
        return self.discriminator(networks.discriminator_features(samples), training=training)

    def discriminator_loss(self, real_output, fake_output, real_conditions, fake_conditions):
        real_logit, real_classes, _ = real_output
        fake_logit, _, fake_codes = fake_output
        adversarial = losses.discriminator_loss(real_logit, fake_logit)
        return (adversarial + CLASS_WEIGHT * losses.classification_loss(real_conditions[0], real_classes)
                + CODE_WEIGHT * _code_loss(fake_conditions[1], fake_codes))

    def generator_loss(self, fake_output, fake_conditions):
        fake_logit, fake_classes, fake_codes = fake_output
        letters, codes = fake_conditions
        return (losses.generator_loss(fake_logit) + CLASS_WEIGHT * losses.classification_loss(letters, fake_classes)
                + CODE_WEIGHT * _code_loss(codes, fake_codes))


def _code_loss(codes, estimates):
    """Mean squared error of Q's code estimates: the Gaussian mutual-information bound at fixed variance."""
    return ops.mean(ops.square(ops.cast(codes, estimates.dtype) - estimates))


def build_gan(latent_dim, steps):
    """The CharacterTrajectories InfoGAN (20 letters, NUM_CODES codes, 3 channels) for sequences of `steps`."""
    generator = networks.build_generator(latent_dim, NUM_CLASSES, NUM_CODES, steps, NUM_CHANNELS)
    discriminator = networks.build_discriminator(steps, NUM_CHANNELS, NUM_CLASSES, NUM_CODES)
    return SequenceInfoGAN(generator, discriminator, latent_dim, NUM_CLASSES, NUM_CODES)
