"""Using a trained generator: load and check it, then turn letters and style codes into sequences.

A generator maps [noise (N, latent_dim) ~ N(0, 1), one-hot letters (N, 20), codes (N, 2) in
[-1, 1]] to (N, steps, 4); `generate` returns the velocities (N, steps, 3) cut at the generated
end and the lengths (N,). Its settings (latent size, steps) are read from its input and output
shapes, so it needs no settings file.
"""

import numpy as np

from common.batching import predict_in_batches
from common.errors import ToolkitError
from common.io import load_model
from common.trajectories.data import split_pen_down
from common.trajectories.names import CODE_RANGE, NUM_CHANNELS, NUM_CLASSES, NUM_CODES

NAME = "infogan_timeseries"


def load_generator(path):
    """Load a sequence InfoGAN generator; returns (generator, latent_dim, steps)."""
    generator = load_model(path, what="generator")
    inputs = generator.inputs
    shapes = [tuple(tensor.shape[1:]) for tensor in inputs]
    if len(inputs) != 3 or shapes[1] != (NUM_CLASSES,) or shapes[2] != (NUM_CODES,):
        raise ToolkitError(f"{path} must be an {NAME} generator with inputs (noise, letter[{NUM_CLASSES}], "
                           f"codes[{NUM_CODES}]); got input shapes {shapes}")
    output_shape = tuple(generator.outputs[0].shape[1:])
    if len(output_shape) != 2 or output_shape[1] != NUM_CHANNELS + 1:
        raise ToolkitError(f"{path} must output (steps, {NUM_CHANNELS + 1}) sequences; it outputs {output_shape}")
    return generator, int(shapes[0][0]), int(output_shape[0])


def sample_latents(count, latent_dim, seed):
    """Noise (count, latent_dim) ~ N(0, 1) and codes (count, NUM_CODES) ~ U(-1, 1), float32."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(count, latent_dim)).astype("float32")
    codes = rng.uniform(-CODE_RANGE, CODE_RANGE, size=(count, NUM_CODES)).astype("float32")
    return noise, codes


def run_generator(generator, noise, labels, codes):
    """Raw generator output (N, steps, 4) for noise (N, latent), int labels (N,) and codes (N, NUM_CODES)."""
    letters = np.eye(NUM_CLASSES, dtype="float32")[np.asarray(labels)]
    return predict_in_batches(generator, [noise, letters, codes])


def generate(generator, latent_dim, labels, seed, codes=None):
    """(velocities (N, steps, 3) zero after the end, lengths (N,), codes used (N, 2), raw output (N, steps, 4)).

    `labels` are ints (N,); `codes` is one (C1, C2) pair for every sequence, or None for random codes.
    """
    noise, random_codes = sample_latents(len(labels), latent_dim, seed)
    codes = random_codes if codes is None else np.tile(np.asarray(codes, dtype="float32"), (len(labels), 1))
    raw = run_generator(generator, noise, labels, codes)
    velocities, lengths = split_pen_down(raw)
    return velocities, lengths, codes, raw


def labels_for(label, count):
    """Labels (count,): all `label`, or cycling through the 20 letters when `label` is None."""
    return np.full(count, label) if label is not None else np.arange(count) % NUM_CLASSES
