"""Training an image GAN: balanced or shuffled batches, fixed-noise sample grids, and the saved generator."""

from pathlib import Path

import numpy as np

from common import plotting, training
from common.images.data import training_batches
from common.images.generation import generate, sample_noise
from common.io import save_generator

# Sample grids during training: ten columns, one row per class (ten rows for unconditional models).
GRID_COLUMNS = 10


def train_image_gan(gan, train_data, args, name, num_classes=None, balance_classes=False, noise=sample_noise):
    """Train `gan` on `train_data` = (uint8 images (N, 28, 28), int labels (N,)) and save its generator.

    `args` holds the training flags. Writes `<out-dir>/<name>.h5` and `.keras`, sample grids in
    `<out-dir>/samples/`, the loss plot, and a checkpoint for `--resume`. `noise(count, latent_dim,
    seed)` draws the grids' fixed latent codes. Returns the path of the saved `.h5`.
    """
    images, labels = train_data
    out_dir = Path(args.out_dir or f"runs/{name}")
    dataset = training_batches(images, labels, args.batch_size, args.seed, balance_classes=balance_classes)
    rows = num_classes or GRID_COLUMNS
    fixed_noise = noise(rows * GRID_COLUMNS, args.latent_dim, args.seed)
    fixed_labels = np.repeat(np.arange(rows), GRID_COLUMNS) if num_classes else None

    def write_samples(step):
        plotting.image_grid(
            generate(gan.generator, fixed_noise, fixed_labels), out_dir / "samples" / f"step_{step:06d}.png",
            rows, GRID_COLUMNS, title=f"{name}, step {step}",
            row_labels=fixed_labels[::GRID_COLUMNS] if num_classes else None,
        )

    print(f"training {name} for {args.steps} steps (batch {args.batch_size}) into {out_dir}")
    training.train(
        gan, dataset, args.steps, out_dir, resume=args.resume, overwrite=args.overwrite,
        checkpoint_every=args.checkpoint_every, sample_every=args.sample_every, write_samples=write_samples,
    )
    h5_path, keras_path = save_generator(gan.generator, out_dir / f"{name}.h5")
    print(f"saved generator: {h5_path} and {keras_path}")
    return h5_path
