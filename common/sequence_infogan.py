"""Semi-supervised InfoGAN (Chen et al. 2016) for variable-length multivariate sequences.

The generator takes noise z (batch, latent_dim) ~ N(0, 1), a one-hot categorical code
(batch, num_classes) and continuous codes c (batch, num_codes) ~ U(-1, 1), and returns
(batch, steps, channels + 1): the channel values (dataset units) plus a 'still writing' channel in
[0, 1] (sigmoid). The sequence ends where that channel first drops below 0.5, so the generator
learns the length the way a pen is lifted, with no separate length output.

The discriminator shares one 1-D convolutional trunk between three heads (its output is the list
[real/fake logit (batch, 1), class logits (batch, num_classes), code estimates (batch, num_codes)]);
the last two are InfoGAN's Q network. Semi-supervision ties the categorical code to the real labels:
the class head learns the letters from real data, and the generator is rewarded when Q reads its
categorical code back, so code k means letter k. The continuous codes are recovered by Q on fakes
(the mutual-information term as a fixed-variance Gaussian, i.e. mean squared error).
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from common import gan, losses

LEAKY_SLOPE = 0.2
KERNEL = 5
INIT_STDDEV = 0.02
# Up-sampling doublings in the generator (and stride-2 convolutions in the discriminator).
DOUBLINGS = 3
GENERATOR_FILTERS = (128, 96, 64)
DISCRIMINATOR_FILTERS = (64, 128, 128)
Q_HIDDEN_UNITS = 128
CLASSIFIER_FILTERS = (32, 64, 64)
CLASSIFIER_FEATURES = 64
CLASSIFIER_DROPOUT = 0.3
# Weights of the information terms against the adversarial loss (Chen et al. use 1 for both kinds).
CLASS_WEIGHT = 1.0
CODE_WEIGHT = 1.0
CODE_RANGE = 1.0
# The discriminator also sees the pen path (running sum of the x/y velocities): small velocity
# biases that look harmless step by step bend the whole letter. The path's std is ~15-21 in the
# data's units; this scale brings it near 1.
PATH_CHANNELS = 2
PATH_SCALE = 20.0


def _init():
    return keras.initializers.RandomNormal(stddev=INIT_STDDEV)


def build_generator(latent_dim, num_classes, num_codes, steps, channels):
    """Generator: [noise, letter one-hot, codes] -> (batch, steps, channels + 1).

    Dense to (steps / 8, f) then three (up-sample x2, Conv1D, BatchNorm, ReLU) blocks, cropped to
    `steps`; a linear Conv1D gives the channels and a sigmoid Conv1D the 'still writing' signal.
    """
    noise = keras.Input((latent_dim,), name="noise")
    letter = keras.Input((num_classes,), name="letter")
    codes = keras.Input((num_codes,), name="codes")
    start_steps = -(-steps // 2 ** DOUBLINGS)
    hidden = layers.Concatenate(name="noise_letter_codes")([noise, letter, codes])
    hidden = layers.Dense(start_steps * GENERATOR_FILTERS[0], use_bias=False, kernel_initializer=_init())(hidden)
    hidden = layers.BatchNormalization()(hidden)
    hidden = layers.ReLU()(hidden)
    hidden = layers.Reshape((start_steps, GENERATOR_FILTERS[0]))(hidden)
    for filters in GENERATOR_FILTERS:
        hidden = layers.UpSampling1D(2)(hidden)
        hidden = layers.Conv1D(filters, KERNEL, padding="same", use_bias=False, kernel_initializer=_init())(hidden)
        hidden = layers.BatchNormalization()(hidden)
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
        hidden = layers.Conv1D(filters, KERNEL, strides=2, padding="same", kernel_initializer=_init())(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    hidden = layers.Flatten()(hidden)
    logit = layers.Dense(1, name="logit")(hidden)
    q_hidden = layers.Dense(Q_HIDDEN_UNITS, name="q_hidden")(hidden)
    q_hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(q_hidden)
    class_logits = layers.Dense(num_classes, name="class_logits")(q_hidden)
    code_estimates = layers.Dense(num_codes, name="code_estimates")(q_hidden)
    return keras.Model(sequence, [logit, class_logits, code_estimates], name="infogan_sequence_discriminator")


def build_sequence_classifier(steps, channels, num_classes, name="sequence_classifier"):
    """1-D CNN classifier: sequences (batch, steps, channels), zero-padded -> class probabilities.

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
        return self.discriminator(discriminator_features(samples), training=training)

    def discriminator_loss(self, real_output, fake_output, real_conditions, fake_conditions):
        real_logit, real_classes, _ = real_output
        fake_logit, _, fake_codes = fake_output
        adversarial = losses.discriminator_loss(real_logit, fake_logit)
        return (adversarial + CLASS_WEIGHT * _class_loss(real_conditions[0], real_classes)
                + CODE_WEIGHT * _code_loss(fake_conditions[1], fake_codes))

    def generator_loss(self, fake_output, fake_conditions):
        fake_logit, fake_classes, fake_codes = fake_output
        letters, codes = fake_conditions
        return (losses.generator_loss(fake_logit) + CLASS_WEIGHT * _class_loss(letters, fake_classes)
                + CODE_WEIGHT * _code_loss(codes, fake_codes))


def _class_loss(one_hot, logits):
    return ops.mean(ops.categorical_crossentropy(one_hot, logits, from_logits=True))


def _code_loss(codes, estimates):
    return ops.mean(ops.square(ops.cast(codes, estimates.dtype) - estimates))


# ---- using a trained generator -----------------------------------------------------------------
PREDICT_BATCH = 500


def run_generator(generator, noise, labels, codes, num_classes):
    """Raw generator output (N, steps, channels + 1) for noise (N, latent), int labels (N,), codes (N, k)."""
    letters = np.eye(num_classes, dtype="float32")[np.asarray(labels)]
    outputs = [
        np.asarray(generator([noise[start:end].astype("float32"), letters[start:end],
                              codes[start:end].astype("float32")], training=False))
        for start, end in batch_bounds(len(noise))
    ]
    return np.concatenate(outputs)


def estimate_codes(discriminator, raw):
    """Q's estimates (N, num_codes) of the continuous codes behind raw generator output (N, steps, channels + 1)."""
    return np.concatenate([
        np.asarray(discriminator(discriminator_features(raw[start:end]), training=False)[2])
        for start, end in batch_bounds(len(raw))
    ])


def batch_bounds(count):
    """(start, end) index pairs covering `count` items in prediction-sized batches."""
    return [(start, min(start + PREDICT_BATCH, count)) for start in range(0, count, PREDICT_BATCH)]


def sample_latents(count, latent_dim, num_codes, seed):
    """Noise (count, latent_dim) ~ N(0, 1) and codes (count, num_codes) ~ U(-1, 1), float32."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(count, latent_dim)).astype("float32")
    codes = rng.uniform(-CODE_RANGE, CODE_RANGE, size=(count, num_codes)).astype("float32")
    return noise, codes


def r_squared(truth, estimate):
    """Coefficient of determination per column (k,) of estimates (N, k) against the truth (N, k)."""
    truth, estimate = np.asarray(truth, dtype=np.float64), np.asarray(estimate, dtype=np.float64)
    residual = np.sum((truth - estimate) ** 2, axis=0)
    total = np.sum((truth - truth.mean(axis=0)) ** 2, axis=0)
    return 1.0 - residual / total


def train_classifier(classifier, x, y, epochs, batch_size, seed, learning_rate=1e-3, verbose=0):
    """Fit `classifier` on (x, int y) with Adam and sparse cross-entropy; returns it."""
    keras.utils.set_random_seed(seed)
    classifier.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"])
    classifier.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=verbose, shuffle=True)
    return classifier


def accuracy(classifier, x, y):
    predicted = np.argmax(classifier.predict(x, batch_size=PREDICT_BATCH, verbose=0), axis=1)
    return float(np.mean(predicted == y)), predicted


def discriminative_score(real, fake, epochs, batch_size, seed, holdout=0.2):
    """|accuracy - 0.5| of a fresh classifier telling real from generated (Yoon et al. 2019).

    `real` and `fake` are (N, steps, channels) zero-padded sequences; the classifier trains on
    1 - holdout of each and is scored on the rest. 0 means indistinguishable, 0.5 fully separable.
    """
    rng = np.random.default_rng(seed)
    count = min(len(real), len(fake))
    x = np.concatenate([real[rng.permutation(len(real))[:count]], fake[rng.permutation(len(fake))[:count]]])
    y = np.concatenate([np.ones(count, dtype=np.int64), np.zeros(count, dtype=np.int64)])
    order = rng.permutation(len(x))
    test_count = max(1, int(round(holdout * len(x))))
    test, train = order[:test_count], order[test_count:]
    classifier = build_sequence_classifier(x.shape[1], x.shape[2], 2, name="real_or_generated")
    train_classifier(classifier, x[train], y[train], epochs, batch_size, seed)
    score, _ = accuracy(classifier, x[test], y[test])
    return abs(score - 0.5)
