"""Builders of the image networks: each returns a named, untrained Keras model.

Generators map noise (batch, latent_dim) drawn from N(0, 1) -- plus a one-hot label (batch,
num_classes) for conditional models -- to images (batch, 28, 28, 1) in [-1, 1] (tanh).
Discriminators map images in [-1, 1] (plus the one-hot label when conditional) to one real/fake
logit per image, shape (batch, 1); the sigmoid lives in the loss, which is numerically safer.
"""

import keras
from keras import layers

from common.gan import batch_normalization, dcgan_initializer
from common.images.names import NETWORK_IMAGE_SHAPE

LEAKY_SLOPE = 0.2
MLP_BATCHNORM_MOMENTUM = 0.8
DCGAN_KERNEL = 4
DCGAN_BASE_FILTERS = 64
DCGAN_DENSE_UNITS = 1024
MLP_GENERATOR_UNITS = (256, 512, 1024)
MLP_DISCRIMINATOR_UNITS = (512, 256)
# The judge: two blocks of two 3x3 convolutions (32, then 64 filters) with max pooling and dropout.
CLASSIFIER_FILTERS = (32, 64)
CLASSIFIER_KERNEL = 3
CLASSIFIER_CONV_DROPOUT = 0.25
CLASSIFIER_DENSE_DROPOUT = 0.5
CLASSIFIER_FEATURES = 128
# The AE-ACGAN discriminator: dropout after every LeakyReLU, and input noise while training.
ACGAN_DROPOUT = 0.3
ACGAN_INPUT_NOISE_STDDEV = 0.05


def build_dcgan_generator(
    latent_dim, image_shape=NETWORK_IMAGE_SHAPE, num_classes=None, base_filters=DCGAN_BASE_FILTERS,
    dense_units=DCGAN_DENSE_UNITS,
):
    """DCGAN generator: [Dense `dense_units`] -> Dense to (h/4, w/4, 2f) -> two stride-2 Conv2DTranspose -> tanh.

    f is `base_filters`; BatchNorm and ReLU follow every layer but the last (Radford et al. 2015). The
    optional fully-connected layer (None: none) is the InfoGAN paper's MNIST generator stem. With
    `num_classes`, a second input takes the one-hot label, concatenated with the noise (Mirza &
    Osindero 2014): the CGAN.
    """
    height, width, channels = image_shape
    noise = keras.Input((latent_dim,), name="noise")
    inputs = [noise]
    hidden = noise
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label")
        inputs.append(label)
        hidden = layers.Concatenate(name="noise_and_label")([noise, label])
    start_filters = 2 * base_filters
    for units in ([dense_units] if dense_units else []) + [(height // 4) * (width // 4) * start_filters]:
        hidden = layers.Dense(units, use_bias=False, kernel_initializer=dcgan_initializer())(hidden)
        hidden = batch_normalization()(hidden)
        hidden = layers.ReLU()(hidden)
    hidden = layers.Reshape((height // 4, width // 4, start_filters))(hidden)
    hidden = layers.Conv2DTranspose(
        base_filters, DCGAN_KERNEL, strides=2, padding="same", use_bias=False, kernel_initializer=dcgan_initializer(),
    )(hidden)
    hidden = batch_normalization()(hidden)
    hidden = layers.ReLU()(hidden)
    image = layers.Conv2DTranspose(
        channels, DCGAN_KERNEL, strides=2, padding="same", activation="tanh",
        kernel_initializer=dcgan_initializer(), name="image",
    )(hidden)
    name = "cgan_generator" if num_classes is not None else "dcgan_generator"
    return keras.Model(inputs if num_classes is not None else noise, image, name=name)


def build_dcgan_discriminator(
    image_shape=NETWORK_IMAGE_SHAPE, num_classes=None, base_filters=DCGAN_BASE_FILTERS, dense_units=DCGAN_DENSE_UNITS,
    dropout_rate=0.0,
):
    """DCGAN discriminator: stride-2 convolutions (f, 2f filters) -> [Dense `dense_units`] -> one logit.

    LeakyReLU 0.2 throughout and no BatchNorm (tried, with real and fake images sharing D's batch:
    G collapsed to a constant pattern within 2,500 steps). `dense_units` None leaves out the
    fully-connected layer; `dropout_rate` > 0 adds Dropout after every LeakyReLU. With `num_classes`, the one-hot
    label is mapped by a Dense layer to one extra image plane stacked onto the image (the Keras
    book's CGAN) and is also joined to the convolutional features, so both the convolutions and the
    dense layer see it.
    """
    height, width, _ = image_shape
    image = keras.Input(image_shape, name="image")
    inputs = [image]
    hidden = image
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label")
        inputs.append(label)
        label_plane = layers.Dense(height * width, kernel_initializer=dcgan_initializer())(label)
        label_plane = layers.Reshape((height, width, 1))(label_plane)
        hidden = layers.Concatenate(name="image_and_label")([image, label_plane])
    for filters in (base_filters, 2 * base_filters):
        hidden = layers.Conv2D(filters, DCGAN_KERNEL, strides=2, padding="same",
                               kernel_initializer=dcgan_initializer())(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
        hidden = layers.Dropout(dropout_rate)(hidden) if dropout_rate else hidden
    hidden = layers.Flatten()(hidden)
    if num_classes is not None:
        hidden = layers.Concatenate(name="features_and_label")([hidden, label])
    if dense_units:
        hidden = layers.Dense(dense_units, kernel_initializer=dcgan_initializer())(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
        hidden = layers.Dropout(dropout_rate)(hidden) if dropout_rate else hidden
    logit = layers.Dense(1, kernel_initializer=dcgan_initializer(), name="logit")(hidden)
    name = "cgan_discriminator" if num_classes is not None else "dcgan_discriminator"
    return keras.Model(inputs if num_classes is not None else image, logit, name=name)


def build_mlp_generator(latent_dim, image_shape=NETWORK_IMAGE_SHAPE, hidden_units=MLP_GENERATOR_UNITS):
    """Fully-connected generator: noise (batch, latent_dim) -> Dense `hidden_units` (LeakyReLU 0.2, BatchNorm
    momentum 0.8) -> tanh pixels reshaped to `image_shape`, in [-1, 1]."""
    noise = keras.Input((latent_dim,), name="noise")
    hidden = noise
    for units in hidden_units:
        hidden = layers.Dense(units)(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
        hidden = batch_normalization(momentum=MLP_BATCHNORM_MOMENTUM)(hidden)
    pixels = layers.Dense(int(image_shape[0] * image_shape[1] * image_shape[2]), activation="tanh")(hidden)
    image = layers.Reshape(image_shape, name="image")(pixels)
    return keras.Model(noise, image, name="mlp_generator")


def build_mlp_discriminator(image_shape=NETWORK_IMAGE_SHAPE, hidden_units=MLP_DISCRIMINATOR_UNITS):
    """Fully-connected discriminator: Flatten -> Dense `hidden_units` with LeakyReLU 0.2 -> one logit (batch, 1)."""
    image = keras.Input(image_shape, name="image")
    hidden = layers.Flatten()(image)
    for units in hidden_units:
        hidden = layers.Dense(units)(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    logit = layers.Dense(1, name="logit")(hidden)
    return keras.Model(image, logit, name="mlp_discriminator")


def build_image_classifier(num_classes, image_shape=NETWORK_IMAGE_SHAPE):
    """CNN classifier used as the judge: images in [-1, 1] -> class probabilities (batch, classes).

    Its layer named "features" (batch, 128) gives the embedding for Fréchet distances.
    """
    image = keras.Input(image_shape, name="image")
    hidden = image
    for filters in CLASSIFIER_FILTERS:
        hidden = layers.Conv2D(filters, CLASSIFIER_KERNEL, padding="same", activation="relu")(hidden)
        hidden = layers.Conv2D(filters, CLASSIFIER_KERNEL, padding="same", activation="relu")(hidden)
        hidden = layers.MaxPooling2D()(hidden)
        hidden = layers.Dropout(CLASSIFIER_CONV_DROPOUT)(hidden)
    hidden = layers.Flatten()(hidden)
    features = layers.Dense(CLASSIFIER_FEATURES, activation="relu", name="features")(hidden)
    hidden = layers.Dropout(CLASSIFIER_DENSE_DROPOUT)(features)
    probabilities = layers.Dense(num_classes, activation="softmax", name="probabilities")(hidden)
    return keras.Model(image, probabilities, name="image_classifier")


def build_acgan_image_discriminator(
    num_classes, image_shape=NETWORK_IMAGE_SHAPE, base_filters=DCGAN_BASE_FILTERS, dense_units=DCGAN_DENSE_UNITS,
    dropout_rate=ACGAN_DROPOUT, input_noise_stddev=ACGAN_INPUT_NOISE_STDDEV,
):
    """ACGAN discriminator for images: image (batch, 28, 28, 1) in [-1, 1] -> [validity logit (batch, 1),
    class logits (batch, num_classes)].

    The DCGAN discriminator's trunk (stride-2 convolutions f, 2f; Dense `dense_units`; LeakyReLU 0.2 and
    Dropout, no BatchNorm) with two heads. It is not given the label: it has to infer the class. Gaussian
    noise of `input_noise_stddev` on its input (training only) blurs the line between real and fake pixels
    early in training, so D cannot win on pixel statistics alone.
    """
    image = keras.Input(image_shape, name="image")
    hidden = layers.GaussianNoise(input_noise_stddev)(image) if input_noise_stddev else image
    for filters in (base_filters, 2 * base_filters):
        hidden = layers.Conv2D(filters, DCGAN_KERNEL, strides=2, padding="same",
                               kernel_initializer=dcgan_initializer())(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
        hidden = layers.Dropout(dropout_rate)(hidden)
    hidden = layers.Flatten()(hidden)
    hidden = layers.Dense(dense_units, kernel_initializer=dcgan_initializer())(hidden)
    hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    hidden = layers.Dropout(dropout_rate)(hidden)
    validity = layers.Dense(1, kernel_initializer=dcgan_initializer(), name="validity")(hidden)
    class_logits = layers.Dense(num_classes, kernel_initializer=dcgan_initializer(), name="class_logits")(hidden)
    return keras.Model(image, [validity, class_logits], name="acgan_image_discriminator")


def build_image_encoder(latent_dim, image_shape=NETWORK_IMAGE_SHAPE, base_filters=DCGAN_BASE_FILTERS):
    """Encoder: image (batch, 28, 28, 1) in [-1, 1] -> latent code (batch, latent_dim) in [0, 1] (sigmoid).

    Two stride-2 convolutions (f/2, f filters, LeakyReLU 0.2) and a Dense layer. Its codes live where
    the AE-ACGAN generator's uniform noise lives, so a real glyph's code is a valid "style" for G.
    """
    image = keras.Input(image_shape, name="image")
    hidden = image
    for filters in (base_filters // 2, base_filters):
        hidden = layers.Conv2D(filters, DCGAN_KERNEL, strides=2, padding="same")(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    hidden = layers.Flatten()(hidden)
    latent = layers.Dense(latent_dim, activation="sigmoid", name="latent")(hidden)
    return keras.Model(image, latent, name="image_encoder")
