"""Image datasets: MNIST, Fashion-MNIST and EMNIST from the data directory (downloaded and checked when
absent), the IDX format, pixel conversions and the training batches.

Loaded images are uint8 (N, 28, 28) in 0..255, upright as in `keras.datasets`; labels are int64 in
0..C-1. Networks see float32 (N, 28, 28, 1) in [-1, 1] (the generators' tanh range).
"""

import gzip
import hashlib
import zipfile

import numpy as np

from common.batching import endless_batches
from common.datafiles import download, resolve_data_dir
from common.errors import ToolkitError, first_line
from common.images.names import CLASS_NAMES, EMNIST, IMAGE_SHAPE, MNIST, class_names
from common.io import save_arrays

KERAS_DATASETS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
# Fashion-MNIST ships as four IDX files; these are the md5s of their uncompressed contents.
FASHION_MNIST_IDX_MD5 = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}
# The official EMNIST distribution (Cohen et al. 2017): one zip of gzipped IDX files per split.
EMNIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
EMNIST_ZIP = "gzip.zip"
EMNIST_ZIP_MD5 = "58c8d27c78d21e728a6bc7b3cc06412e"
EMNIST_ZIP_FOLDER = "gzip/"
# The letters split numbers its classes from 1 (upper and lower case merged); the others from 0.
EMNIST_FIRST_LABEL = {"byclass": 0, "balanced": 0, "letters": 1}
IDX_UINT8 = 0x08
# Pixel value that maps to 0.0 in the networks' [-1, 1] range.
PIXEL_MIDPOINT = 127.5
MAX_PIXEL = 255


def load_image_dataset(name, data_dir=None):
    """Load MNIST or Fashion-MNIST as `((x_train, y_train), (x_test, y_test))`.

    The file is `<data_dir>/<name>.npz` in the keras layout; MNIST comes from keras.datasets' source
    and Fashion-MNIST from its four IDX files when it is absent.
    """
    if name not in CLASS_NAMES:
        raise ToolkitError(f"image dataset must be one of {sorted(CLASS_NAMES)}; got {name!r}")
    path = resolve_data_dir(data_dir) / f"{name}.npz"
    if not path.is_file():
        if name == MNIST:
            download(KERAS_DATASETS_URL + "mnist.npz", path, sha256=MNIST_SHA256)
        else:
            _download_fashion_mnist(path)
    return _read_image_npz(path, len(CLASS_NAMES[name]))


def load_labelled_images(dataset, data_dir=None, split=None):
    """Load MNIST, Fashion-MNIST or an EMNIST split (`split`) in the layout of `load_image_dataset`."""
    if dataset == EMNIST:
        return load_emnist(split, data_dir)
    return load_image_dataset(dataset, data_dir)


def load_emnist(split, data_dir=None):
    """Load one EMNIST split as `((x_train, y_train), (x_test, y_test))`, upright like MNIST.

    Reads the official files `emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte.gz` from
    the data directory, or from the official `gzip.zip` there, downloading that zip when neither is
    present. EMNIST stores every image transposed; they are turned upright here. The letters
    split's labels 1..26 are shifted down to 0..25.
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
    first = EMNIST_FIRST_LABEL[split]
    splits = []
    for prefix in ("train", "test"):
        images, labels = arrays[f"{prefix}-images-idx3"], arrays[f"{prefix}-labels-idx1"]
        labels = labels.astype(np.int64) - first
        _check_images(f"EMNIST {split} {prefix} images", images, labels)
        if labels.min() < 0 or labels.max() >= len(characters):
            raise ToolkitError(
                f"EMNIST {split} {prefix} labels must be in {first}..{len(characters) - 1 + first}; "
                f"got {labels.min() + first}..{labels.max() + first}"
            )
        splits.append((np.ascontiguousarray(images.transpose(0, 2, 1)), labels))
    return tuple(splits)


def parse_idx(raw):
    """Decode an uncompressed IDX (uint8) byte string into a numpy array of its stated shape."""
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != IDX_UINT8:
        raise ToolkitError("IDX data must start with 0x0000 and type 0x08 (uint8)")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ToolkitError(f"IDX data of shape {shape} needs {int(np.prod(shape))} bytes; got {data.size}")
    return data.reshape(shape)


def images_to_unit_range(images):
    """uint8 images (N, 28, 28) in 0..255 -> float32 (N, 28, 28, 1) in [-1, 1]."""
    return (np.asarray(images, dtype="float32")[..., None] - PIXEL_MIDPOINT) / PIXEL_MIDPOINT


def unit_range_to_images(samples):
    """Generator output (N, 28, 28, 1) in [-1, 1] -> uint8 images (N, 28, 28) in 0..255."""
    pixels = np.clip(np.rint((np.asarray(samples)[..., 0] + 1.0) * PIXEL_MIDPOINT), 0, MAX_PIXEL)
    return pixels.astype(np.uint8)


def training_batches(images, labels, batch_size, seed, balance_classes=False):
    """Endless shuffled `(images, labels)` batches: float32 (batch, 28, 28, 1) in [-1, 1], int64 (batch,).

    With `balance_classes` every example's class is drawn uniformly first, for imbalanced sets such
    as EMNIST byclass.
    """
    import tensorflow as tf

    def to_unit_range(batch_images, batch_labels):
        return (tf.cast(batch_images, tf.float32)[..., None] - PIXEL_MIDPOINT) / PIXEL_MIDPOINT, batch_labels

    return endless_batches((images, labels), batch_size, seed, balance_labels=labels if balance_classes else None,
                           transform=to_unit_range, what="training images")


def _check_images(what, images, labels):
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or len(labels) != len(images) or not len(images):
        raise ToolkitError(f"{what} must have shape (N, 28, 28) with N >= 1 labels; "
                           f"got {images.shape} and {len(labels)} labels")


def _read_zip_members(zip_path, members):
    """Read {key: member name} from a zip file; a missing member or broken zip is a ToolkitError."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            return {key: archive.read(member) for key, member in members.items()}
    except KeyError as error:
        raise ToolkitError(f"{zip_path} must hold {error.args[0]}; is it the official EMNIST gzip.zip?") from None
    except zipfile.BadZipFile as error:
        raise ToolkitError(f"{zip_path} is not a readable zip ({first_line(error)})") from error


def _read_image_npz(path, num_classes):
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, ValueError, KeyError) as error:
        raise ToolkitError(f"{path} is not a keras-layout image .npz ({first_line(error)})") from error
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        _check_images(f"{path}: x_{split}", images, labels)
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
        gz_path.unlink()
        if hashlib.md5(raw).hexdigest() != md5:
            raise ToolkitError(f"checksum mismatch for {filename}: expected md5 {md5}")
        parts[filename] = parse_idx(raw)
    save_arrays(path, {
        "x_train": parts["train-images-idx3-ubyte.gz"],
        "y_train": parts["train-labels-idx1-ubyte.gz"],
        "x_test": parts["t10k-images-idx3-ubyte.gz"],
        "y_test": parts["t10k-labels-idx1-ubyte.gz"],
    })
