"""The image datasets: loading from the data directory, downloads, IDX files, pixel ranges and batches."""

import gzip
import hashlib
import zipfile

import numpy as np
import pytest

from common.datafiles import DATA_DIR_ENV
from common.errors import ToolkitError
from common.images import data
from tests.conftest import TINY_TEST, TINY_TRAIN, write_tiny_image_npz


def test_load_image_dataset_from_data_dir(tiny_data_dir):
    (x_train, y_train), (x_test, y_test) = data.load_image_dataset("mnist", tiny_data_dir)
    assert x_train.shape == (TINY_TRAIN, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (TINY_TEST, 28, 28)
    assert y_train.dtype == np.int64 and set(y_train) == set(range(10))
    assert len(y_test) == TINY_TEST


def test_env_variable_finds_data(monkeypatch, tiny_data_dir):
    monkeypatch.setenv(DATA_DIR_ENV, str(tiny_data_dir))
    (x_train, _), _ = data.load_image_dataset("mnist")
    assert len(x_train) == TINY_TRAIN


def test_missing_dataset_offline_names_file_and_url(tmp_path, offline):
    with pytest.raises(ToolkitError) as error:
        data.load_image_dataset("mnist", tmp_path)
    message = str(error.value)
    assert "mnist.npz" in message and "https://" in message and str(tmp_path) in message
    assert "\n" not in message
    assert list(tmp_path.iterdir()) == []


def test_wrong_layout_is_reported(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((3, 5, 5)), y_train=np.zeros(3),
             x_test=np.zeros((2, 28, 28)), y_test=np.zeros(2))
    with pytest.raises(ToolkitError, match=r"must have shape \(N, 28, 28\)"):
        data.load_image_dataset("mnist", tmp_path)


def test_corrupt_file_is_reported(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"garbage")
    with pytest.raises(ToolkitError, match="not a keras-layout image"):
        data.load_image_dataset("mnist", tmp_path)


def test_unknown_dataset_name(tmp_path):
    with pytest.raises(ToolkitError, match="must be one of"):
        data.load_image_dataset("cifar", tmp_path)


def _idx_bytes(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_parse_idx_round_trip():
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(data.parse_idx(_idx_bytes(array)), array)
    with pytest.raises(ToolkitError):
        data.parse_idx(b"\x01\x02\x03")


def test_fashion_download_checks_md5_and_writes_npz(tmp_path, monkeypatch):
    """The canonical IDX files are fetched, verified and packed into the keras-layout npz."""
    import keras

    source = tmp_path / "source.npz"
    write_tiny_image_npz(source, seed=3)
    arrays = dict(np.load(source))
    raw = {
        "train-images-idx3-ubyte.gz": _idx_bytes(arrays["x_train"]),
        "train-labels-idx1-ubyte.gz": _idx_bytes(arrays["y_train"]),
        "t10k-images-idx3-ubyte.gz": _idx_bytes(arrays["x_test"]),
        "t10k-labels-idx1-ubyte.gz": _idx_bytes(arrays["y_test"]),
    }
    monkeypatch.setattr(data, "FASHION_MNIST_IDX_MD5", {k: hashlib.md5(v).hexdigest() for k, v in raw.items()})
    fetched = []

    def fake_get_file(fname, origin, cache_dir, cache_subdir):
        name = origin.rsplit("/", 1)[1]
        fetched.append(origin)
        path = f"{cache_dir}/{fname}"
        with open(path, "wb") as handle:
            handle.write(gzip.compress(raw[name]))
        return path

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    data_dir = tmp_path / "data"
    (x_train, y_train), (x_test, _) = data.load_image_dataset("fashion_mnist", data_dir)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    assert len(fetched) == 4 and all(url.startswith(data.KERAS_DATASETS_URL) for url in fetched)
    assert sorted(p.name for p in data_dir.iterdir()) == ["fashion_mnist.npz"]

    monkeypatch.setattr(data, "FASHION_MNIST_IDX_MD5", dict.fromkeys(raw, "0" * 32))
    with pytest.raises(ToolkitError, match="checksum mismatch"):
        data.load_image_dataset("fashion_mnist", tmp_path / "other")


def test_image_scaling_round_trip():
    images = np.array([[[0, 255], [128, 1]]], dtype=np.uint8).repeat(14, 1).repeat(14, 2)
    unit = data.images_to_unit_range(images)
    assert unit.shape == (1, 28, 28, 1) and unit.min() == -1.0 and unit.max() == 1.0
    np.testing.assert_array_equal(data.unit_range_to_images(unit), images)


def test_training_batches_are_the_images_in_unit_range_with_their_labels(tiny_data_dir):
    (x_train, y_train), _ = data.load_image_dataset("mnist", tiny_data_dir)
    images, labels = next(iter(data.training_batches(x_train, y_train, batch_size=16, seed=0)))
    assert images.shape == (16, 28, 28, 1) and labels.shape == (16,)
    # Each batch row is one training image, scaled as images_to_unit_range scales it, with its label.
    unit = data.images_to_unit_range(x_train)
    for image, label in zip(images.numpy(), labels.numpy()):
        index = int(np.flatnonzero(np.all(unit == image, axis=(1, 2, 3)))[0])
        assert y_train[index] == label
    with pytest.raises(ToolkitError, match=f"--batch-size must be at most the {TINY_TRAIN} training images"):
        data.training_batches(x_train, y_train, batch_size=TINY_TRAIN + 1, seed=0)


def test_balanced_batches_draw_classes_uniformly():
    labels = np.array([0] * 950 + [1] * 50)
    images = np.zeros((len(labels), 28, 28), np.uint8)
    batches = data.training_batches(images, labels, batch_size=200, seed=0, balance_classes=True)
    drawn = np.concatenate([batch_labels.numpy() for _, batch_labels in batches.take(5)])
    assert 0.4 < np.mean(drawn == 1) < 0.6


# ---- EMNIST: the official files, turned upright ---------------------------------------------------
def upright_glyphs(count):
    """Images with a bright vertical bar at the left edge: a transposition turns it into a top row."""
    images = np.zeros((count, 28, 28), np.uint8)
    images[:, :, :3] = 255
    return images


def emnist_files(split, labels):
    """The four official `emnist-<split>-*` files (gzipped), holding transposed images as EMNIST does."""
    images = upright_glyphs(len(labels)).transpose(0, 2, 1)
    files = {}
    for prefix in ("train", "test"):
        files[f"emnist-{split}-{prefix}-images-idx3-ubyte.gz"] = gzip.compress(_idx_bytes(images))
        files[f"emnist-{split}-{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(_idx_bytes(np.asarray(labels)))
    return files


def test_emnist_loader_turns_images_upright_and_numbers_letters_from_zero(tmp_path):
    for name, content in emnist_files("letters", np.arange(1, 27)).items():
        (tmp_path / name).write_bytes(content)
    (x_train, y_train), (x_test, y_test) = data.load_emnist("letters", tmp_path)
    np.testing.assert_array_equal(x_train, upright_glyphs(26))
    np.testing.assert_array_equal(y_test, np.arange(26))
    assert x_test.shape == (26, 28, 28) and y_train.dtype == np.int64


def test_emnist_loader_reads_the_official_zip(tmp_path):
    with zipfile.ZipFile(tmp_path / data.EMNIST_ZIP, "w") as archive:
        for name, content in emnist_files("byclass", np.arange(62)).items():
            archive.writestr(data.EMNIST_ZIP_FOLDER + name, content)
    (x_train, y_train), _ = data.load_labelled_images("emnist", tmp_path, "byclass")
    np.testing.assert_array_equal(x_train[0], upright_glyphs(1)[0])
    np.testing.assert_array_equal(y_train, np.arange(62))


def test_emnist_labels_out_of_range_are_refused(tmp_path):
    for name, content in emnist_files("balanced", np.arange(60)).items():
        (tmp_path / name).write_bytes(content)
    with pytest.raises(ToolkitError, match="labels must be in 0..46; got 0..59"):
        data.load_emnist("balanced", tmp_path)
