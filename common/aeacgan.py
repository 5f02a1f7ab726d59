"""Autoencoder + auxiliary-classifier GAN (AE-ACGAN) for 28x28 glyphs, and writing text with it.

An ACGAN (Odena et al. 2017) whose generator also serves as the decoder of an autoencoder: the
encoder maps a real image to a latent code, and the generator has to rebuild the image from that
code and the image's label. Every batch takes three updates: the discriminator on real and fake
images, the generator through the unchanged discriminator, and the autoencoder (encoder and
generator) on the real images. The reconstruction step makes the generator cover every real
image's style, which counters the mode collapse plain ACGANs are prone to, and the encoder turns
any real glyph into a "style" the generator can write other characters in.

Shapes: latent codes (batch, latent_dim) in [0, 1] (uniform noise for sampling, a sigmoid for the
encoder); one-hot labels (batch, num_classes); images (batch, 28, 28, 1) in [-1, 1].
"""

from pathlib import Path

import numpy as np
import tensorflow as tf
from keras import ops

from common import acgan, data, io, plotting
from common.errors import ToolkitError
from common.gan import per_replica_loss

SIDECAR_FORMAT = "aeacgan-v1"
ENCODER_SUFFIX = ".encoder.keras"
GLYPH_SIZE = data.IMAGE_SHAPE[1]
# Gaps in rendered text, in pixels: between glyphs, and around the line.
LETTER_SPACING = 2
MARGIN = 8
# A glyph image whose mean pixel is above this is dark ink on white paper.
INK_ON_PAPER_THRESHOLD = 127.5


class AEACGAN(acgan.ACGAN):
    """The ACGAN of `common.acgan` on images, plus an encoder trained with the generator as its decoder.

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
        self.ae_optimizer = ae_optimizer
        ae_optimizer.build(self.autoencoder_variables())

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
            loss = ops.mean(ops.abs(self.reconstruct(real, real_conditions, training=True) - real))
            scaled_loss = per_replica_loss(loss)
        self.ae_optimizer.apply_gradients(zip(tape.gradient(scaled_loss, variables), variables))
        return {"ae_loss": loss}


# ---- the files a trained model is made of --------------------------------------------------------
def encoder_path(generator_path):
    path = Path(generator_path)
    return path.with_name(path.stem + ENCODER_SUFFIX)


def write_sidecar(generator_path, dataset, split, latent_dim):
    """Write what a generator file alone does not say: its dataset, classes and latent space."""
    io.write_json(io.sidecar_path(generator_path), {
        "format": SIDECAR_FORMAT,
        "dataset": dataset,
        "split": split,
        "class_names": data.class_names(dataset, split),
        "latent_dim": latent_dim,
        "latent_distribution": "uniform[0,1]",
    })


def read_sidecar(generator_path):
    """The settings written by `write_sidecar` next to `generator_path`; one-line errors when unusable."""
    settings = io.read_sidecar(generator_path)
    if settings.get("format") != SIDECAR_FORMAT:
        raise ToolkitError(f"{io.sidecar_path(generator_path)} must be an {SIDECAR_FORMAT} settings file; "
                           f"got format {settings.get('format')!r}")
    return settings


def load_encoder(generator_path, latent_dim):
    """The encoder saved beside `generator_path`, checked to produce `latent_dim` codes."""
    path = encoder_path(generator_path)
    if not path.is_file():
        raise ToolkitError(f"--style-from needs the encoder {path} saved beside the generator; not found")
    encoder = io.load_model(path, what="encoder")
    if encoder.outputs[0].shape[-1] != latent_dim:
        raise ToolkitError(f"{path} must output {latent_dim}-d codes; it outputs {encoder.outputs[0].shape[-1]}")
    return encoder


# ---- writing text ----------------------------------------------------------------------------------
def text_to_labels(text, class_names, flag="--text"):
    """The class label of each character of `text` (None for a space); `flag` names the option in errors.

    A character the classes lack is looked up in the other case (EMNIST letters and balanced merge
    some upper- and lower-case letters into one class); otherwise it is an error naming it.
    """
    if any(len(name) != 1 for name in class_names):
        raise ToolkitError(
            f"{flag} needs a model whose classes are characters (MNIST or EMNIST); this one's classes are "
            f"{', '.join(class_names)} -- use --label"
        )
    if not text.strip():
        raise ToolkitError(f"{flag} must contain at least one character to write; got {text!r}")
    index = {name: label for label, name in enumerate(class_names)}
    labels = []
    for character in text:
        if character == " ":
            labels.append(None)
        elif character in index or character.swapcase() in index:
            labels.append(index.get(character, index.get(character.swapcase())))
        else:
            raise ToolkitError(
                f"{flag} can only use the characters this model writes ({''.join(class_names)}) and spaces; "
                f"got {character!r}"
            )
    return labels


def render_text(generator, labels, style, num_classes):
    """One line of text as a uint8 image (28 + 2 * MARGIN, width): dark ink on white paper.

    `labels` are class labels, None for a space; `style` is one latent code (latent_dim,) used for
    every glyph, so they share one handwriting. Each character takes GLYPH_SIZE + LETTER_SPACING
    pixels of width, spaces included.
    """
    written = [label for label in labels if label is not None]
    codes = np.repeat(np.asarray(style, dtype="float32")[None], len(written), axis=0)
    one_hot = np.eye(num_classes, dtype="float32")[written]
    glyphs = data.unit_range_to_images(generator([codes, one_hot], training=False))
    advance = GLYPH_SIZE + LETTER_SPACING
    width = 2 * MARGIN + advance * len(labels) - LETTER_SPACING
    page = np.zeros((GLYPH_SIZE + 2 * MARGIN, width), dtype=np.uint8)
    glyph_iter = iter(glyphs)
    for position, label in enumerate(labels):
        if label is not None:
            left = MARGIN + position * advance
            page[MARGIN:MARGIN + GLYPH_SIZE, left:left + GLYPH_SIZE] = next(glyph_iter)
    # MNIST-style glyphs are light on black; writing reads better as dark ink on white.
    return 255 - page


def within_class_diversity(images, labels, num_classes, per_class, seed):
    """Mean pairwise Euclidean distance between images of the same class, per class (num_classes,).

    Images are uint8 (N, 28, 28) taken as pixels in [0, 1]; at most `per_class` images per class are
    used. A collapsed class scores near 0.
    """
    rng = np.random.default_rng(seed)
    scores = np.full(num_classes, np.nan)
    for label in range(num_classes):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            continue
        chosen = rng.choice(members, min(per_class, len(members)), replace=False)
        vectors = images[chosen].reshape(len(chosen), -1).astype(np.float64) / 255.0
        squared = np.sum(vectors ** 2, axis=1)
        distances = np.sqrt(np.clip(squared[:, None] + squared[None, :] - 2 * vectors @ vectors.T, 0, None))
        scores[label] = distances[np.triu_indices(len(chosen), k=1)].mean()
    return scores


def read_glyph(path):
    """A real glyph PNG (28x28, either light on dark like MNIST or dark ink on white) -> uint8 (28, 28),
    light on dark like the training images."""
    path = Path(path)
    if not path.is_file():
        raise ToolkitError(f"--style-from image not found: {path}")
    try:
        pixels = plotting.read_grayscale_image(path)
    except (OSError, ValueError, SyntaxError) as error:
        raise ToolkitError(f"--style-from must be a PNG image; {path} is not readable ({error})") from None
    if pixels.shape != data.IMAGE_SHAPE:
        raise ToolkitError(f"--style-from must be a {GLYPH_SIZE}x{GLYPH_SIZE} glyph image; got {pixels.shape}")
    # Paper-like images (mostly white) are inverted to the training images' light-on-dark.
    return 255 - pixels if pixels.mean() > INK_ON_PAPER_THRESHOLD else pixels
