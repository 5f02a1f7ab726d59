"""Dataset loading: the data directory, canonical downloads with checksums, and image datasets.

A dataset file is looked for in the data directory (`--data-dir`, else `$GAN_DATA_DIR`, else
`./data`). When it is absent it is downloaded from the dataset's canonical source with a progress
bar and a checksum, like `keras.datasets`; offline, the error names the file and where to get it.
"""

import gzip
import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np

from common.errors import ToolkitError
from common.io import atomic_path, save_arrays

DATA_DIR_ENV = "GAN_DATA_DIR"
DEFAULT_DATA_DIR = "data"
KERAS_DATASETS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

IMAGE_SHAPE = (28, 28)
CLASS_NAMES = {
    "mnist": [str(digit) for digit in range(10)],
    "fashion_mnist": [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ],
}
EMNIST = "emnist"
# The official EMNIST distribution (Cohen et al. 2017): one zip of gzipped IDX files per split.
EMNIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
EMNIST_ZIP = "gzip.zip"
EMNIST_ZIP_MD5 = "58c8d27c78d21e728a6bc7b3cc06412e"
EMNIST_ZIP_FOLDER = "gzip/"
_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# The character each class of a split writes, in label order (the splits' mapping files).
EMNIST_SPLIT_CHARACTERS = {
    "byclass": _DIGITS + _UPPER + _UPPER.lower(),
    "balanced": _DIGITS + _UPPER + "abdefghnqrt",
    "letters": _UPPER,
}
# The letters split numbers its classes from 1 (upper and lower case merged); the others from 0.
EMNIST_FIRST_LABEL = {"byclass": 0, "balanced": 0, "letters": 1}
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
# Fashion-MNIST ships as four IDX files; these are the md5s of their uncompressed contents.
FASHION_MNIST_IDX_MD5 = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}


def resolve_data_dir(data_dir=None):
    """The data directory: `data_dir` if given, else `$GAN_DATA_DIR`, else `./data`."""
    return Path(data_dir or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def download(url, destination, sha256=None, md5=None):
    """Download `url` to `destination` with a progress bar, verifying `sha256` / `md5` when given.

    The file appears only when complete and verified. Raises ToolkitError naming the file and URL
    when the download fails (for example offline) or the checksum does not match.
    """
    from keras.utils import get_file

    destination = Path(destination)
    try:
        with atomic_path(destination) as tmp:
            tmp.unlink()
            get_file(fname=tmp.name, origin=url, cache_dir=str(tmp.parent), cache_subdir=".")
            if sha256 is not None and _file_digest(tmp, hashlib.sha256) != sha256:
                raise ToolkitError(f"checksum mismatch for {url}: expected sha256 {sha256}")
            if md5 is not None and _file_digest(tmp, hashlib.md5) != md5:
                raise ToolkitError(f"checksum mismatch for {url}: expected md5 {md5}")
    except ToolkitError:
        raise
    except Exception as error:  # urllib, HTTP and OS errors all mean "not available here".
        raise ToolkitError(
            f"{destination.name} is not in {destination.parent} and could not be downloaded from "
            f"{url} ({_first_line(error)}); download it into that folder or pass --data-dir"
        ) from error
    return destination


def load_image_dataset(name, data_dir=None):
    """Load MNIST or Fashion-MNIST as `((x_train, y_train), (x_test, y_test))`.

    Images are uint8 arrays of shape (N, 28, 28) with values 0..255, upright as in keras.datasets;
    labels are int64 in 0..9. The file is `<data_dir>/<name>.npz` in the keras layout.
    """
    if name not in CLASS_NAMES:
        raise ToolkitError(f"image dataset must be one of {sorted(CLASS_NAMES)}; got {name!r}")
    path = resolve_data_dir(data_dir) / f"{name}.npz"
    if not path.is_file():
        if name == "mnist":
            download(KERAS_DATASETS_URL + "mnist.npz", path, sha256=MNIST_SHA256)
        else:
            _download_fashion_mnist(path)
    return _read_image_npz(path, len(CLASS_NAMES[name]))


def class_names(dataset, split=None):
    """The class names of an image dataset, in label order; for EMNIST the character of each class."""
    if dataset == EMNIST:
        if split not in EMNIST_SPLIT_CHARACTERS:
            raise ToolkitError(f"EMNIST split must be one of {sorted(EMNIST_SPLIT_CHARACTERS)}; got {split!r}")
        return list(EMNIST_SPLIT_CHARACTERS[split])
    if dataset not in CLASS_NAMES:
        raise ToolkitError(f"image dataset must be one of {sorted([*CLASS_NAMES, EMNIST])}; got {dataset!r}")
    return CLASS_NAMES[dataset]


def load_labelled_images(dataset, data_dir=None, split=None):
    """Load MNIST, Fashion-MNIST or an EMNIST split (`split`) in the layout of `load_image_dataset`."""
    if dataset == EMNIST:
        return load_emnist(split, data_dir)
    return load_image_dataset(dataset, data_dir)


def load_emnist(split, data_dir=None):
    """Load one EMNIST split as `((x_train, y_train), (x_test, y_test))`, upright like MNIST.

    Reads the official files `emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte.gz` from
    the data directory, or from the official `gzip.zip` there, downloading that zip when neither is
    present. EMNIST stores every image transposed; they are turned upright here. Labels are int64
    in 0..C-1 (the letters split's 1..26 are shifted down), classes as in `class_names`.
    """
    characters = class_names(EMNIST, split)
    folder = resolve_data_dir(data_dir)
    names = {
        part: f"emnist-{split}-{part}-ubyte.gz"
        for part in ("train-images-idx3", "train-labels-idx1", "test-images-idx3", "test-labels-idx1")
    }
    if all((folder / name).is_file() for name in names.values()):
        raw = {part: (folder / name).read_bytes() for part, name in names.items()}
    else:
        zip_path = folder / EMNIST_ZIP
        if not zip_path.is_file():
            download(EMNIST_URL, zip_path, md5=EMNIST_ZIP_MD5)
        raw = _read_zip_members(zip_path, {part: EMNIST_ZIP_FOLDER + name for part, name in names.items()})
    arrays = {part: parse_idx(gzip.decompress(content)) for part, content in raw.items()}
    splits = []
    for prefix in ("train", "test"):
        images, labels = arrays[f"{prefix}-images-idx3"], arrays[f"{prefix}-labels-idx1"]
        labels = labels.astype(np.int64) - EMNIST_FIRST_LABEL[split]
        if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or len(labels) != len(images) or not len(images):
            raise ToolkitError(
                f"EMNIST {split} {prefix} images must have shape (N, 28, 28) with N >= 1 labels; "
                f"got {images.shape} and {len(labels)} labels"
            )
        if labels.min() < 0 or labels.max() >= len(characters):
            raise ToolkitError(
                f"EMNIST {split} {prefix} labels must be in {EMNIST_FIRST_LABEL[split]}.."
                f"{len(characters) - 1 + EMNIST_FIRST_LABEL[split]}; got {labels.min()}..{labels.max()}"
            )
        splits.append((np.ascontiguousarray(images.transpose(0, 2, 1)), labels))
    return tuple(splits)


def _read_zip_members(zip_path, members):
    """Read {key: member name} from a zip file; a missing member or broken zip is a ToolkitError."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            return {key: archive.read(member) for key, member in members.items()}
    except KeyError as error:
        raise ToolkitError(f"{zip_path} must hold {error.args[0]}; is it the official EMNIST gzip.zip?") from None
    except zipfile.BadZipFile as error:
        raise ToolkitError(f"{zip_path} is not a readable zip ({_first_line(error)})") from error


def _read_image_npz(path, num_classes):
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, ValueError, KeyError) as error:
        raise ToolkitError(f"{path} is not a keras-layout image .npz ({_first_line(error)})") from error
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or len(labels) != len(images) or not len(images):
            raise ToolkitError(
                f"{path}: x_{split} must have shape (N, 28, 28) with N >= 1 labels; "
                f"got {images.shape} and {len(labels)} labels"
            )
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ToolkitError(f"{path}: y_{split} must be in 0..{num_classes - 1}; got {labels.min()}..{labels.max()}")
    return (
        (arrays["x_train"].astype(np.uint8), arrays["y_train"].astype(np.int64)),
        (arrays["x_test"].astype(np.uint8), arrays["y_test"].astype(np.int64)),
    )


def _download_fashion_mnist(path):
    """Fetch the four canonical IDX files, check their md5s and write them as one keras-layout npz."""
    parts = {}
    for filename, md5 in FASHION_MNIST_IDX_MD5.items():
        gz_path = download(KERAS_DATASETS_URL + "fashion-mnist/" + filename, path.parent / filename)
        raw = gzip.decompress(gz_path.read_bytes())
        if hashlib.md5(raw).hexdigest() != md5:
            gz_path.unlink()
            raise ToolkitError(f"checksum mismatch for {filename}: expected md5 {md5}")
        parts[filename] = parse_idx(raw)
        gz_path.unlink()
    save_arrays(path, {
        "x_train": parts["train-images-idx3-ubyte.gz"],
        "y_train": parts["train-labels-idx1-ubyte.gz"],
        "x_test": parts["t10k-images-idx3-ubyte.gz"],
        "y_test": parts["t10k-labels-idx1-ubyte.gz"],
    })


def parse_idx(raw):
    """Decode an uncompressed IDX (uint8) byte string into a numpy array of its stated shape."""
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise ToolkitError("IDX data must start with 0x0000 and type 0x08 (uint8)")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ToolkitError(f"IDX data of shape {shape} needs {int(np.prod(shape))} bytes; got {data.size}")
    return data.reshape(shape)


def images_to_unit_range(images):
    """uint8 images (N, 28, 28) in 0..255 -> float32 (N, 28, 28, 1) in [-1, 1] (tanh range)."""
    return (images.astype("float32")[..., None] - 127.5) / 127.5


def unit_range_to_images(samples):
    """Generator output (N, 28, 28, 1) in [-1, 1] -> uint8 images (N, 28, 28) in 0..255."""
    pixels = np.clip(np.rint((np.asarray(samples)[..., 0] + 1.0) * 127.5), 0, 255)
    return pixels.astype(np.uint8)


def image_batches(images, labels, batch_size, seed, balance_classes=False):
    """An endless, shuffled tf.data pipeline of `(images, labels)` batches for training.

    Yields float32 images (batch, 28, 28, 1) in [-1, 1] and int32 labels (batch,); the last partial
    batch of each pass is dropped so every step sees `batch_size` examples. With `balance_classes`
    every example's class is drawn uniformly first (rare classes are seen as often as common ones,
    for imbalanced sets such as EMNIST byclass).
    """
    import tensorflow as tf

    if batch_size > len(images):
        raise ToolkitError(f"--batch-size must be at most the {len(images)} training images; got {batch_size}")
    if balance_classes:
        per_class = [
            tf.data.Dataset.from_tensor_slices((images[labels == label], labels[labels == label].astype("int32")))
            .shuffle(int(np.sum(labels == label)), seed=seed, reshuffle_each_iteration=True)
            .repeat()
            for label in np.unique(labels)
        ]
        dataset = tf.data.Dataset.sample_from_datasets(per_class, seed=seed)
    else:
        dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype("int32")))
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat()
    dataset = dataset.batch(batch_size, drop_remainder=True)
    dataset = dataset.map(
        lambda x, y: ((tf.cast(x, tf.float32)[..., None] - 127.5) / 127.5, y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def _file_digest(path, algorithm):
    digest = algorithm()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
