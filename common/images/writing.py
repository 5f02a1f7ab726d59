"""Writing text with a trained conditional generator: one glyph per character, all in one "handwriting".

A page is uint8 (28 + 2 * MARGIN, width): dark ink on white paper. The handwriting is one latent
code (latent_dim,) in [0, 1], drawn from `--seed` or taken from a real glyph through the encoder.
"""

from pathlib import Path

import numpy as np

from common import plotting
from common.batching import predict_in_batches
from common.cli import DEFAULT_GENERATE_DIR
from common.errors import ToolkitError
from common.images.data import MAX_PIXEL, images_to_unit_range
from common.images.generation import generate, sample_uniform_noise
from common.images.model import load_encoder
from common.images.names import IMAGE_SHAPE

GLYPH_SIZE = IMAGE_SHAPE[1]
# Gaps in rendered text, in pixels: between glyphs, and around the line.
LETTER_SPACING = 2
MARGIN = 8
# A glyph image whose mean pixel is above this is dark ink on white paper.
INK_ON_PAPER_THRESHOLD = MAX_PIXEL / 2


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


def requested_label(label, char, class_names):
    """The class index asked for by --label (`label`) or --char (`char`); None (cycle through all
    classes) when neither is given."""
    if label is not None:
        if not 0 <= label < len(class_names):
            raise ToolkitError(f"--label must be between 0 and {len(class_names) - 1}; got {label}")
        return label
    if char is not None:
        return text_to_labels(char, class_names, flag="--char")[0]
    return None


def render_text(generator, labels, style):
    """One line of text as a uint8 page (28 + 2 * MARGIN, width), dark ink on white paper.

    `labels` are class labels, None for a space; `style` is one latent code (latent_dim,) used for
    every glyph, so they share one handwriting. Each character takes GLYPH_SIZE + LETTER_SPACING
    pixels of width, spaces included.
    """
    written = [label for label in labels if label is not None]
    codes = np.repeat(np.asarray(style, dtype="float32")[None], len(written), axis=0)
    glyphs = iter(generate(generator, codes, written))
    advance = GLYPH_SIZE + LETTER_SPACING
    width = 2 * MARGIN + advance * len(labels) - LETTER_SPACING
    page = np.zeros((GLYPH_SIZE + 2 * MARGIN, width), dtype=np.uint8)
    for position, label in enumerate(labels):
        if label is not None:
            left = MARGIN + position * advance
            page[MARGIN:MARGIN + GLYPH_SIZE, left:left + GLYPH_SIZE] = next(glyphs)
    # MNIST-style glyphs are light on black; writing reads better as dark ink on white.
    return MAX_PIXEL - page


def read_glyph(path):
    """A real glyph PNG (28x28, light on dark like MNIST or dark ink on white) -> uint8 (28, 28), light on dark."""
    try:
        pixels = plotting.read_grayscale_image(path)
    except (OSError, ValueError, SyntaxError) as error:
        raise ToolkitError(f"--style-from must be a PNG image; {path} is not readable ({error})") from None
    if pixels.shape != IMAGE_SHAPE:
        raise ToolkitError(f"--style-from must be a {GLYPH_SIZE}x{GLYPH_SIZE} glyph image; got {pixels.shape}")
    # Paper-like images (mostly white) are inverted to the training images' light-on-dark.
    return MAX_PIXEL - pixels if pixels.mean() > INK_ON_PAPER_THRESHOLD else pixels


def write_text(generator, latent_dim, class_names, args, name):
    """Render --text into `<out-dir>/<name>_text.png`, in the style of --style-from's glyph or of --seed."""
    labels = text_to_labels(args.text, class_names)
    if args.style_from:
        glyph = images_to_unit_range(read_glyph(args.style_from)[None])
        style = predict_in_batches(load_encoder(args.generator, latent_dim), glyph)[0]
    else:
        style = sample_uniform_noise(1, latent_dim, args.seed)[0]
    page = render_text(generator, labels, style)
    path = Path(args.out_dir or DEFAULT_GENERATE_DIR) / f"{name}_text.png"
    plotting.save_grayscale_image(page, path)
    print(f"wrote {path} ({len(args.text)} characters, {page.shape[1]}x{page.shape[0]} pixels)")
