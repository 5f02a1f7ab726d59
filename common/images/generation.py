"""Using a trained image generator: loading and checking it, latent codes and labels, images, grid and CSV.

A conditional generator has two inputs, noise (N, latent_dim) and a one-hot label (N, num_classes);
an unconditional one has the noise input only. Both output (N, 28, 28, 1) in [-1, 1]; files hold
uint8 pixels 0..255 in MNIST orientation.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from common import plotting
from common.batching import predict_in_batches
from common.cli import DEFAULT_GENERATE_DIR
from common.errors import ToolkitError
from common.images.data import unit_range_to_images
from common.images.names import NETWORK_IMAGE_SHAPE
from common.images.options import DEFAULT_SAMPLES
from common.io import load_model, write_csv

GRID_SIDE = 4


def load_generator(path, conditional, num_classes=None):
    """Load an image generator and check that it is the kind this script drives.

    Returns `(generator, latent_dim)`. A conditional generator must take [noise, one-hot label]
    with `num_classes` classes; an unconditional one must take noise only.
    """
    generator = load_model(path, what="generator")
    inputs = generator.inputs
    if conditional and len(inputs) != 2:
        raise ToolkitError(
            f"{path} must be a conditional generator with inputs (noise, label); it has {len(inputs)} input"
            " -- use it with dcgan_mnist.py"
        )
    if not conditional and len(inputs) != 1:
        raise ToolkitError(
            f"{path} must be an unconditional generator with one noise input; it has {len(inputs)}"
            " inputs -- use it with cgan_mnist.py"
        )
    if conditional and inputs[1].shape[-1] != num_classes:
        raise ToolkitError(f"{path} must have {num_classes} label classes; it has {inputs[1].shape[-1]}")
    if tuple(generator.outputs[0].shape[1:]) != NETWORK_IMAGE_SHAPE:
        raise ToolkitError(f"{path} must output 28x28x1 images; it outputs {generator.outputs[0].shape[1:]}")
    return generator, int(inputs[0].shape[-1])


def generate(generator, noise, labels=None):
    """uint8 images (N, 28, 28) from `noise` (N, latent_dim) and, if conditional, int `labels` (N,)."""
    if labels is None:
        return unit_range_to_images(predict_in_batches(generator, noise))
    one_hot = np.eye(generator.inputs[1].shape[-1], dtype="float32")[np.asarray(labels)]
    return unit_range_to_images(predict_in_batches(generator, [noise, one_hot]))


def sample_noise(count, latent_dim, seed):
    """Latent codes (count, latent_dim) float32 ~ N(0, 1)."""
    return np.random.default_rng(seed).normal(size=(count, latent_dim)).astype("float32")


def sample_uniform_noise(count, latent_dim, seed):
    """Latent codes (count, latent_dim) float32 ~ U(0, 1)."""
    return np.random.default_rng(seed).uniform(size=(count, latent_dim)).astype("float32")


def cycling_labels(count, num_classes):
    """Labels 0, 1, ..., num_classes-1, 0, 1, ... of length `count`."""
    return np.arange(count) % num_classes


def labels_for(label, num_classes):
    """A function count -> int labels (count,): all `label`, or cycling through the classes when None."""
    if label is None:
        return lambda count: cycling_labels(count, num_classes)
    return lambda count: np.full(count, label)


def images_frame(images, labels=None):
    """The image CSV layout: optional `label` column first, then px0..px783 as ints 0..255."""
    pixels = images.reshape(len(images), -1)
    frame = pd.DataFrame(pixels, columns=[f"px{index}" for index in range(pixels.shape[1])])
    if labels is not None:
        frame.insert(0, "label", np.asarray(labels, dtype=np.int64))
    return frame


def write_outputs(generator, latent_dim, args, name, labels_for=None, noise=sample_noise, label_word="digit"):
    """Generation: a 4x4 grid PNG in --out-dir, and with --csv a CSV of --samples images.

    `labels_for(count)` gives the int labels for a conditional generator (None: unconditional);
    `noise(count, latent_dim, seed)` draws the latent codes. A grid of one label is named
    `<name>_<label_word><label>.png`.
    """
    out_dir = Path(args.out_dir or DEFAULT_GENERATE_DIR)
    grid_count = GRID_SIDE * GRID_SIDE
    grid_labels = labels_for(grid_count) if labels_for else None
    grid = generate(generator, noise(grid_count, latent_dim, args.seed), grid_labels)
    suffix = f"_{label_word}{grid_labels[0]}" if labels_for and len(set(grid_labels)) == 1 else ""
    grid_path = out_dir / f"{name}{suffix}.png"
    plotting.image_grid(grid, grid_path, GRID_SIDE, GRID_SIDE, title=name + suffix.replace("_", " "))
    print(f"wrote {grid_path}")
    if args.csv:
        count = args.samples or DEFAULT_SAMPLES
        labels = labels_for(count) if labels_for else None
        # Another seed than the grid's, so the CSV does not start with the grid's images.
        images = generate(generator, noise(count, latent_dim, args.seed + 1), labels)
        write_csv(images_frame(images, labels), args.csv)
        print(f"wrote {count} images to {args.csv}")
