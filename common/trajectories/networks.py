"""The InfoGAN's 1-D convolutional networks and the sequence classifier used to judge them.

Sequences are (batch, steps, channels) pen-tip velocities in the dataset's standardised units; the
generator adds a 'still writing' channel in [0, 1] (the end signal, see `data.split_pen_down`).
"""

import keras
from keras import layers, ops

from common.gan import batch_normalization, dcgan_initializer

LEAKY_SLOPE = 0.2
KERNEL = 5
# Up-sampling doublings in the generator.
DOUBLINGS = 3
GENERATOR_FILTERS = (128, 96, 64)
DISCRIMINATOR_FILTERS = (64, 128, 128)
Q_HIDDEN_UNITS = 128
CLASSIFIER_FILTERS = (32, 64, 64)
CLASSIFIER_FEATURES = 64
CLASSIFIER_DROPOUT = 0.3
# The discriminator also sees the pen path (running sum of the x/y velocities): small velocity
# biases that look harmless step by step bend the whole letter. The path's std is ~15-21 in the
# data's units; this scale brings it near 1.
PATH_CHANNELS = 2
PATH_SCALE = 20.0


def build_generator(latent_dim, num_classes, num_codes, steps, channels):
    """Generator: [noise (batch, latent_dim), letter one-hot (batch, num_classes), codes (batch, num_codes)]
    -> (batch, steps, channels + 1): values in data units, then 'still writing' in [0, 1].

    Dense to (steps / 8, f) then three (up-sample x2, Conv1D, BatchNorm, ReLU) blocks, cropped to
    `steps`; a linear Conv1D gives the channels and a sigmoid Conv1D the 'still writing' signal.
    """
    noise = keras.Input((latent_dim,), name="noise")
    letter = keras.Input((num_classes,), name="letter")
    codes = keras.Input((num_codes,), name="codes")
    start_steps = -(-steps // 2 ** DOUBLINGS)
    hidden = layers.Concatenate(name="noise_letter_codes")([noise, letter, codes])
    hidden = layers.Dense(start_steps * GENERATOR_FILTERS[0], use_bias=False,
                          kernel_initializer=dcgan_initializer())(hidden)
    hidden = batch_normalization()(hidden)
    hidden = layers.ReLU()(hidden)
    hidden = layers.Reshape((start_steps, GENERATOR_FILTERS[0]))(hidden)
    for filters in GENERATOR_FILTERS:
        hidden = layers.UpSampling1D(2)(hidden)
        hidden = layers.Conv1D(filters, KERNEL, padding="same", use_bias=False,
                               kernel_initializer=dcgan_initializer())(hidden)
        hidden = batch_normalization()(hidden)
        hidden = layers.ReLU()(hidden)
    hidden = layers.Cropping1D((0, start_steps * 2 ** DOUBLINGS - steps))(hidden)
    values = layers.Conv1D(channels, KERNEL, padding="same", name="values")(hidden)
    writing = layers.Conv1D(1, KERNEL, padding="same", activation="sigmoid", name="still_writing")(hidden)
    sequence = layers.Concatenate(name="sequence")([values, writing])
    return keras.Model([noise, letter, codes], sequence, name="infogan_sequence_generator")


def discriminator_features(sequences):
    """Sequences (batch, steps, channels + 1) -> (batch, steps, channels + 3): the pen path appended.

    The path is the running sum of the first two channels (x, y velocities) over time, / PATH_SCALE.
    Works on tensors and numpy arrays alike.
    """
    path = ops.cumsum(sequences[..., :PATH_CHANNELS], axis=1) / PATH_SCALE
    return ops.concatenate([sequences, ops.cast(path, sequences.dtype)], axis=-1)


def build_discriminator(steps, channels, num_classes, num_codes):
    """Discriminator + Q: `discriminator_features` of sequences (batch, steps, channels + 3)
    -> [logit (batch, 1), class logits (batch, num_classes), code estimates (batch, num_codes)].

    Three stride-2 Conv1D + LeakyReLU layers (no batch norm: real and fake share a batch) form the
    trunk; the Q heads sit on a shared Dense layer.
    """
    sequence = keras.Input((steps, channels + 1 + PATH_CHANNELS), name="sequence_and_path")
    hidden = sequence
    for filters in DISCRIMINATOR_FILTERS:
        hidden = layers.Conv1D(filters, KERNEL, strides=2, padding="same",
                               kernel_initializer=dcgan_initializer())(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    hidden = layers.Flatten()(hidden)
    logit = layers.Dense(1, name="logit")(hidden)
    q_hidden = layers.Dense(Q_HIDDEN_UNITS, name="q_hidden")(hidden)
    q_hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(q_hidden)
    class_logits = layers.Dense(num_classes, name="class_logits")(q_hidden)
    code_estimates = layers.Dense(num_codes, name="code_estimates")(q_hidden)
    return keras.Model(sequence, [logit, class_logits, code_estimates], name="infogan_sequence_discriminator")


def build_sequence_classifier(steps, channels, num_classes, name="sequence_classifier"):
    """1-D CNN classifier: sequences (batch, steps, channels), zero-padded -> class probabilities (batch, num_classes).

    Used as the label-fidelity judge (letters) and for the discriminative score (real vs fake).
    Its layer "features" (batch, 64) is a global-max-pooled embedding.
    """
    sequence = keras.Input((steps, channels), name="sequence")
    hidden = sequence
    for filters in CLASSIFIER_FILTERS:
        hidden = layers.Conv1D(filters, KERNEL, padding="same", activation="relu")(hidden)
        hidden = layers.MaxPooling1D(2)(hidden)
    features = layers.GlobalMaxPooling1D(name="features")(hidden)
    hidden = layers.Dropout(CLASSIFIER_DROPOUT)(features)
    hidden = layers.Dense(CLASSIFIER_FEATURES, activation="relu")(hidden)
    probabilities = layers.Dense(num_classes, activation="softmax", name="probabilities")(hidden)
    return keras.Model(sequence, probabilities, name=name)
