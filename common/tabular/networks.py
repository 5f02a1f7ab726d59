"""The tabular ACGAN's networks: a dense generator conditioned on the label and a two-headed discriminator.

Shapes: noise (batch, latent_dim) ~ N(0, 1); label (batch, num_classes) one-hot; features
(batch, num_features) in [-1, 1] (tanh, the range the family's scaler maps the training rows onto).
"""

import keras
from keras import layers

from common import gan

LEAKY_SLOPE = 0.2
HIDDEN_UNITS = (128, 128)
# Dropout in D keeps it from memorising a few hundred training rows, which small tabular sets are.
DISCRIMINATOR_DROPOUT = 0.3
VALIDITY_OUTPUT = "validity"
CLASS_OUTPUT = "class_logits"


def build_generator(latent_dim, num_classes, num_features, hidden_units=HIDDEN_UNITS):
    """Generator: [noise (batch, latent_dim), one-hot label (batch, num_classes)] -> features (batch, F) in [-1, 1].

    The label is concatenated with the noise before the first layer, so every layer sees it.
    """
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((num_classes,), name="label")
    hidden = layers.Concatenate(name="noise_and_label")([noise, label])
    for units in hidden_units:
        hidden = layers.Dense(units)(hidden)
        hidden = gan.batch_normalization()(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    features = layers.Dense(num_features, activation="tanh", name="features")(hidden)
    return keras.Model([noise, label], features, name="acgan_tabular_generator")


def build_discriminator(num_features, num_classes, hidden_units=HIDDEN_UNITS):
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


def build_acgan(latent_dim, num_classes, num_features):
    """The uncompiled `gan.ACGAN` of the two networks above."""
    generator = build_generator(latent_dim, num_classes, num_features)
    discriminator = build_discriminator(num_features, num_classes)
    return gan.ACGAN(generator, discriminator, latent_dim, num_classes)
