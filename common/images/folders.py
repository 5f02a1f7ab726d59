"""Training images at a power-of-two resolution: MNIST / Fashion-MNIST padded, or a folder of pictures streamed.

Every source gives an endless `tf.data` pipeline of batches (batch, R, R, channels) float32 in [-1, 1].
The 28x28 datasets are zero-padded to 32x32 (black border, the pictures untouched) and resized to R
if R is not 32. A folder is listed (recursively, so one sub-folder per class works; the classes are
ignored), every file is checked once with Pillow, and the pictures are decoded, centre-cropped to a
square and resized to R on the fly, so a large folder is never held in memory.
"""

import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from common.batching import endless_batches
from common.errors import ToolkitError, first_line
from common.images.data import PIXEL_MIDPOINT, load_image_dataset
from common.images.names import IMAGE_SHAPE

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
PADDED_SIZE = 32
PAD = (PADDED_SIZE - IMAGE_SHAPE[0]) // 2
# Pillow modes of single-channel pictures; anything else is read as RGB (alpha dropped).
GRAYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "F", "P;L")
RGB_CHANNELS = 3


def pad_images(images):
    """uint8 (N, 28, 28) -> uint8 (N, 32, 32) with a 2-pixel black border."""
    return np.pad(np.asarray(images), ((0, 0), (PAD, PAD), (PAD, PAD)))


def crop_padding(samples):
    """(N, R, R, C) images of a padded dataset, any R -> (N, 28, 28, C) at the dataset's own size, same range."""
    samples = tf.convert_to_tensor(samples, tf.float32)
    if samples.shape[1] != PADDED_SIZE:
        samples = tf.image.resize(samples, (PADDED_SIZE, PADDED_SIZE), antialias=True)
    return samples[:, PAD:PAD + IMAGE_SHAPE[0], PAD:PAD + IMAGE_SHAPE[1]].numpy()


def to_unit_range(pixels):
    """uint8-valued tensor -> float32 in [-1, 1]."""
    return (tf.cast(pixels, tf.float32) - PIXEL_MIDPOINT) / PIXEL_MIDPOINT


def dataset_batches(name, data_dir, resolution, batch_size, seed):
    """Endless batches (batch, R, R, 1) of the training images of MNIST or Fashion-MNIST, padded to 32x32
    and resized to R. Returns (dataset, channels=1, number of training images)."""
    (x_train, _), _ = load_image_dataset(name, data_dir)

    def transform(batch):
        images = to_unit_range(batch)[..., None]
        return images if resolution == PADDED_SIZE else tf.image.resize(images, (resolution, resolution),
                                                                        antialias=True)

    dataset = endless_batches(pad_images(x_train), batch_size, seed, transform=transform, what="training images")
    return dataset, 1, len(x_train)


def image_files(folder):
    """The PNG/JPEG files under `folder` (recursively), sorted; one-line errors for a missing or empty folder."""
    root = Path(folder)
    if not root.is_dir():
        raise ToolkitError(f"--data must name a folder of PNG/JPEG images; got {folder}")
    files = sorted(Path(parent) / name for parent, _, names in os.walk(root) for name in names
                   if name.lower().endswith(IMAGE_SUFFIXES))
    if not files:
        raise ToolkitError(f"--data {folder} holds no PNG/JPEG images (looked in sub-folders too)")
    return files


def inspect_images(files):
    """Check that every file is a readable picture; returns 1 if all are grayscale, else 3 (RGB)."""
    from PIL import Image, UnidentifiedImageError

    channels = 1
    for path in files:
        try:
            with Image.open(path) as picture:
                mode = picture.mode
                picture.verify()
        except (OSError, SyntaxError, ValueError, UnidentifiedImageError) as error:
            raise ToolkitError(f"--data: {path} is not a readable PNG/JPEG image ({first_line(error)})") from None
        if mode not in GRAYSCALE_MODES:
            channels = RGB_CHANNELS
    return channels


def decode_picture(contents, channels, resolution):
    """Encoded PNG/JPEG bytes -> float32 (R, R, channels) in [-1, 1]: centre square, resized."""
    picture = tf.io.decode_image(contents, channels=channels, expand_animations=False)
    shape = tf.shape(picture)
    side = tf.minimum(shape[0], shape[1])
    top, left = (shape[0] - side) // 2, (shape[1] - side) // 2
    square = picture[top:top + side, left:left + side]
    resized = tf.image.resize(tf.cast(square, tf.float32), (resolution, resolution), antialias=True)
    return (tf.clip_by_value(resized, 0.0, 2 * PIXEL_MIDPOINT) - PIXEL_MIDPOINT) / PIXEL_MIDPOINT


def folder_batches(folder, resolution, batch_size, seed):
    """Endless shuffled batches (batch, R, R, channels) of the pictures under `folder`, decoded as they stream.

    Returns (dataset, channels, number of pictures); every error (no pictures, an unreadable one, a
    batch larger than the folder) is raised before anything is written.
    """
    files = image_files(folder)
    channels = inspect_images(files)
    if batch_size > len(files):
        raise ToolkitError(f"--batch-size must be at most the {len(files)} pictures in {folder}; got {batch_size}")
    dataset = (tf.data.Dataset.from_tensor_slices([str(path) for path in files])
               .shuffle(len(files), seed=seed, reshuffle_each_iteration=True).repeat()
               .map(lambda path: decode_picture(tf.io.read_file(path), channels, resolution),
                    num_parallel_calls=tf.data.AUTOTUNE)
               .batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    return dataset, channels, len(files)


def training_source(args):
    """The batches the flags ask for: (dataset, channels, count, source settings for the sidecar)."""
    if args.data is not None:
        dataset, channels, count = folder_batches(args.data, args.resolution, args.batch_size, args.seed)
        return dataset, channels, count, {"dataset": None, "folder": Path(args.data).name, "padded_from": None}
    dataset, channels, count = dataset_batches(args.dataset, args.data_dir, args.resolution, args.batch_size,
                                               args.seed)
    return dataset, channels, count, {"dataset": args.dataset, "folder": None, "padded_from": IMAGE_SHAPE[0]}
