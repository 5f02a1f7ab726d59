"""The image GANs: builders for the DCGAN, fully-connected GAN, CGAN and AE-ACGAN, the AE-ACGAN model,
and the files a trained AE-ACGAN is made of.

The AE-ACGAN is an ACGAN (Odena et al. 2017) whose generator also serves as the decoder of an
autoencoder: the encoder maps a real image to a latent code, and the generator has to rebuild the
image from that code and the image's label. Every batch takes three updates: the discriminator on
real and fake images, the generator through the unchanged discriminator, and the autoencoder
(encoder and generator) on the real images. The reconstruction step makes the generator cover every
real image's style, which counters the mode collapse plain ACGANs are prone to, and the encoder
turns any real glyph into a "style" the generator can write other characters in.

Shapes: AE-ACGAN latent codes (batch, latent_dim) in [0, 1] (uniform noise for sampling, a sigmoid
for the encoder); one-hot labels (batch, num_classes); images (batch, 28, 28, 1) in [-1, 1].
"""

from pathlib import Path

import tensorflow as tf
from keras import ops

from common import io
from common.errors import ToolkitError
from common.gan import ACGAN, GAN, ConditionalGAN, apply_gradients, float32, loss_scaled, scaled_loss
from common.images import networks
from common.images.names import NETWORK_IMAGE_SHAPE, class_names

# Without labels to spread its samples over, the unconditional DCGAN generator favoured easy digits
# ("1" at 16.9% of samples) against a dropout-free discriminator; dropout keeps D from locking onto them.
DCGAN_DISCRIMINATOR_DROPOUT = 0.3
# An AE-ACGAN generator travels with its encoder and its settings sidecar, both beside it.
SIDECAR_FORMAT = "images"
SIDECAR_VERSION = 1
ENCODER_SUFFIX = ".encoder.keras"
LATENT_DISTRIBUTION = "uniform[0,1]"


def build_dcgan(latent_dim, image_shape=NETWORK_IMAGE_SHAPE):
    """The unconditional DCGAN: noise (batch, latent_dim) ~ N(0, 1) -> images `image_shape` (h, w, channels),
    h and w multiples of 4, in [-1, 1]."""
    generator = networks.build_dcgan_generator(latent_dim, image_shape)
    discriminator = networks.build_dcgan_discriminator(image_shape, dropout_rate=DCGAN_DISCRIMINATOR_DROPOUT)
    return GAN(generator, discriminator, latent_dim)


def build_mlp_gan(latent_dim):
    """The fully-connected GAN: noise (batch, latent_dim) ~ N(0, 1) -> images."""
    return GAN(networks.build_mlp_generator(latent_dim), networks.build_mlp_discriminator(), latent_dim)


def build_cgan(latent_dim, num_classes):
    """The conditional GAN: noise ~ N(0, 1) and a one-hot label -> images of that class."""
    generator = networks.build_dcgan_generator(latent_dim, num_classes=num_classes)
    discriminator = networks.build_dcgan_discriminator(num_classes=num_classes)
    return ConditionalGAN(generator, discriminator, latent_dim, num_classes)


def build_aeacgan(latent_dim, num_classes):
    """The AE-ACGAN: the CGAN's generator, a two-headed discriminator that is not given the label, and an encoder."""
    generator = networks.build_dcgan_generator(latent_dim, num_classes=num_classes)
    discriminator = networks.build_acgan_image_discriminator(num_classes)
    encoder = networks.build_image_encoder(latent_dim)
    return AEACGAN(generator, discriminator, encoder, latent_dim, num_classes)


class AEACGAN(ACGAN):
    """The ACGAN of `common.gan` on images, plus an encoder trained with the generator as its decoder.

    Compile with three optimizers: discriminator, generator and autoencoder (encoder + generator).
    """

    auxiliary_loss_names = ("ae_loss",)

    def __init__(self, generator, discriminator, encoder, latent_dim, num_classes, **kwargs):
        super().__init__(generator, discriminator, latent_dim, num_classes, **kwargs)
        self.encoder = encoder

    def compile(self, d_optimizer, g_optimizer, ae_optimizer, **kwargs):
        if ae_optimizer is d_optimizer or ae_optimizer is g_optimizer:
            raise ValueError("the autoencoder needs its own optimizer instance")
        super().compile(d_optimizer, g_optimizer, **kwargs)
        self.ae_optimizer = loss_scaled(ae_optimizer)
        self.ae_optimizer.build(self.autoencoder_variables())

    @property
    def networks(self):
        return [self.generator, self.discriminator, self.encoder]

    @property
    def optimizers(self):
        return [self.d_optimizer, self.g_optimizer, self.ae_optimizer]

    def sample_noise(self, batch_size):
        # The latent space is the unit cube, where the encoder's sigmoid codes live too.
        return tf.random.uniform((batch_size, self.latent_dim))

    def autoencoder_variables(self):
        """Variables the autoencoder step trains: the encoder's and the generator's (its decoder)."""
        return self.encoder.trainable_variables + self.generator.trainable_variables

    def reconstruct(self, images, one_hot_labels, training=False):
        """Images (batch, 28, 28, 1) -> encoder -> generator with their labels -> images of the same shape."""
        codes = self.encoder(images, training=training)
        return self.generator([codes, one_hot_labels], training=training)

    def auxiliary_steps(self, real, real_conditions):
        """The autoencoder update: mean absolute error of rebuilding the real batch."""
        variables = self.autoencoder_variables()
        with tf.GradientTape() as tape:
            loss = ops.mean(ops.abs(float32(self.reconstruct(real, real_conditions, training=True)) - real))
            scaled = scaled_loss(loss, self.ae_optimizer)
        apply_gradients(self.ae_optimizer, tape.gradient(scaled, variables), variables)
        return {"ae_loss": loss}


# ---- the files a trained AE-ACGAN is made of -------------------------------------------------------
def encoder_path(generator_path):
    """`<dir>/<stem>.h5` -> `<dir>/<stem>.encoder.keras`."""
    path = Path(generator_path)
    return path.with_name(path.stem + ENCODER_SUFFIX)


def save_aeacgan_extras(model, generator_path, dataset, split):
    """Save what the generator file alone lacks beside it: the encoder and the settings sidecar."""
    io.save_model(model.encoder, encoder_path(generator_path))
    write_settings(generator_path, dataset, split, model.latent_dim)
    print(f"saved encoder {encoder_path(generator_path)} and settings {io.sidecar_path(generator_path)}")


def write_settings(generator_path, dataset, split, latent_dim):
    """Write the sidecar: the generator's dataset, EMNIST split (None otherwise), class names and latent space."""
    io.write_sidecar(generator_path, SIDECAR_FORMAT, SIDECAR_VERSION, {
        "dataset": dataset,
        "split": split,
        "class_names": class_names(dataset, split),
        "latent_dim": latent_dim,
        "latent_distribution": LATENT_DISTRIBUTION,
    })


def read_settings(generator_path):
    """The settings `write_settings` stored beside `generator_path`; one-line errors when unusable."""
    return io.read_sidecar(generator_path, SIDECAR_FORMAT, SIDECAR_VERSION)


def load_encoder(generator_path, latent_dim):
    """The encoder saved beside `generator_path`, checked to produce `latent_dim` codes."""
    path = encoder_path(generator_path)
    if not path.is_file():
        raise ToolkitError(f"the generator {generator_path} needs its encoder {path} beside it; not found")
    encoder = io.load_model(path, what="encoder")
    if encoder.outputs[0].shape[-1] != latent_dim:
        raise ToolkitError(f"{path} must output {latent_dim}-d codes; it outputs {encoder.outputs[0].shape[-1]}")
    return encoder
