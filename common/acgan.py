"""Auxiliary-classifier GAN (Odena et al. 2017) for rows of numeric features with a class label.

The generator takes noise and a one-hot class label and makes one row of scaled features; the
discriminator sees the features only and has two heads: a real/fake logit and class logits. As in
the paper, D's class head learns the classes of real rows and of fakes (with the labels G was
given), and G is trained to make rows that head puts in the class G was asked for, so the label
G is given is the class its rows come out as.

Shapes: noise (batch, latent_dim) ~ N(0, 1); label (batch, num_classes) one-hot; features
(batch, num_features) in [-1, 1] (tanh; see `common.tabular.MinMaxScaler` for the scaling).
"""

import keras
from keras import layers, ops

from common import gan, losses

LEAKY_SLOPE = 0.2
HIDDEN_UNITS = (128, 128)
# Dropout in D keeps it from memorising a few hundred training rows, which small tabular sets are.
DISCRIMINATOR_DROPOUT = 0.3
VALIDITY_OUTPUT = "validity"
CLASS_OUTPUT = "class_logits"


def build_tabular_generator(latent_dim, num_classes, num_features, hidden_units=HIDDEN_UNITS):
    """Generator: [noise (batch, latent_dim), one-hot label (batch, num_classes)] -> features (batch, F) in [-1, 1].

    The label is concatenated with the noise before the first layer, so every layer sees it.
    """
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((num_classes,), name="label")
    hidden = layers.Concatenate(name="noise_and_label")([noise, label])
    for units in hidden_units:
        hidden = layers.Dense(units)(hidden)
        hidden = layers.BatchNormalization()(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    features = layers.Dense(num_features, activation="tanh", name="features")(hidden)
    return keras.Model([noise, label], features, name="acgan_tabular_generator")


def build_tabular_discriminator(num_features, num_classes, hidden_units=HIDDEN_UNITS):
    """Discriminator: features (batch, F) -> [real/fake logit (batch, 1), class logits (batch, num_classes)].

    It is not given the label: it has to infer the class, which is what makes this an ACGAN.
    """
    features = keras.Input((num_features,), name="features")
    hidden = features
    for units in hidden_units:
        hidden = layers.Dense(units)(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
        hidden = layers.Dropout(DISCRIMINATOR_DROPOUT)(hidden)
    validity = layers.Dense(1, name=VALIDITY_OUTPUT)(hidden)
    class_logits = layers.Dense(num_classes, name=CLASS_OUTPUT)(hidden)
    return keras.Model(features, [validity, class_logits], name="acgan_tabular_discriminator")


def classification_loss(one_hot_labels, class_logits):
    """Mean categorical cross-entropy of class logits (batch, C) against one-hot labels (batch, C)."""
    return ops.mean(ops.categorical_crossentropy(one_hot_labels, class_logits, from_logits=True))


class ACGAN(gan.ConditionalGAN):
    """ACGAN: the conditional GAN whose discriminator classifies instead of taking the label.

    Discriminator outputs are `[validity logit (batch, 1), class logits (batch, num_classes)]`;
    the base GAN splits both into their real and fake halves. Feed it class-balanced real batches
    (`common.tabular.row_batches`): its fake labels are uniform, and the two class mixes must match.
    """

    def discriminate(self, samples, conditions, training=False):
        return self.discriminator(samples, training=training)

    def discriminator_loss(self, real_output, fake_output, real_conditions, fake_conditions):
        real_validity, real_classes = real_output
        fake_validity, fake_classes = fake_output
        adversarial = losses.discriminator_loss(real_validity, fake_validity)
        real_classification = classification_loss(real_conditions, real_classes)
        fake_classification = classification_loss(fake_conditions, fake_classes)
        return adversarial + real_classification + fake_classification

    def generator_loss(self, fake_output, fake_conditions):
        fake_validity, fake_classes = fake_output
        return losses.generator_loss(fake_validity) + classification_loss(fake_conditions, fake_classes)
