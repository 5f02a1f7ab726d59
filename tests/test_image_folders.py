"""--data FOLDER and the padded datasets: sizes, channels, ranges, and one-line errors that write nothing."""

import numpy as np
import pytest
from PIL import Image

from common.errors import ToolkitError
from common.images import folders
from tests.conftest import ROOT


def write_pictures(folder):
    """A grayscale PNG, an RGB JPEG and an RGBA PNG of different sizes, in two class sub-folders."""
    rng = np.random.default_rng(0)
    (folder / "shirts").mkdir(parents=True)
    (folder / "shoes").mkdir()
    Image.fromarray(rng.integers(0, 256, (20, 30), dtype=np.uint8)).save(folder / "shirts" / "a.png")
    Image.fromarray(rng.integers(0, 256, (50, 40, 3), dtype=np.uint8)).save(folder / "shoes" / "b.JPG")
    Image.fromarray(rng.integers(0, 256, (9, 9, 4), dtype=np.uint8)).save(folder / "shoes" / "c.png")
    (folder / "notes.txt").write_text("not a picture")
    return folder


def test_mixed_sizes_and_gray_or_rgb_pictures_stream_at_the_resolution(tmp_path):
    folder = write_pictures(tmp_path / "pictures")
    dataset, channels, count = folders.folder_batches(folder, 8, 2, seed=0)
    assert (channels, count) == (3, 3)
    batch = next(iter(dataset)).numpy()
    assert batch.shape == (2, 8, 8, 3) and batch.dtype == np.float32
    assert batch.min() >= -1.0 and batch.max() <= 1.0 and batch.std() > 0.1


def test_an_all_grayscale_folder_gives_one_channel(tmp_path):
    Image.fromarray(np.full((12, 7), 255, np.uint8)).save(tmp_path / "white.png")
    dataset, channels, _ = folders.folder_batches(tmp_path, 16, 1, seed=0)
    batch = next(iter(dataset)).numpy()
    assert channels == 1 and batch.shape == (1, 16, 16, 1)
    np.testing.assert_allclose(batch, 1.0, atol=1e-5)


def test_a_non_square_picture_is_centre_cropped():
    import tensorflow as tf

    picture = np.zeros((8, 16, 1), np.uint8)
    picture[:, 4:12] = 255
    encoded = tf.io.encode_png(picture)
    np.testing.assert_allclose(folders.decode_picture(encoded, 1, 8).numpy(), 1.0, atol=1e-5)


@pytest.mark.parametrize("make, message", [
    (lambda folder: None, "holds no PNG/JPEG images"),
    (lambda folder: (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken"), "is not a readable PNG/JPEG image"),
])
def test_empty_folder_or_corrupt_picture_is_one_line_and_writes_nothing(tmp_path, one_line_error, make, message):
    import progan

    folder = tmp_path / "pictures"
    folder.mkdir()
    make(folder)
    out = tmp_path / "run"
    assert progan.main(["--data", str(folder), "--resolution", "8", "--out-dir", str(out)]) == 2
    one_line_error(message)
    assert not out.exists()


def test_missing_folder_and_oversized_batch_are_errors(tmp_path):
    with pytest.raises(ToolkitError, match="must name a folder"):
        folders.image_files(tmp_path / "absent")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "one.png")
    with pytest.raises(ToolkitError, match="--batch-size must be at most the 1 pictures"):
        folders.folder_batches(tmp_path, 8, 2, seed=0)


def test_datasets_are_padded_to_32_and_cropped_back(tiny_data_dir):
    dataset, channels, count = folders.dataset_batches("mnist", tiny_data_dir, 32, 4, seed=0)
    batch = next(iter(dataset)).numpy()
    assert (channels, count, batch.shape) == (1, 64, (4, 32, 32, 1))
    np.testing.assert_allclose(batch[:, :2], -1.0)
    np.testing.assert_allclose(batch[:, :, -2:], -1.0)
    assert folders.crop_padding(batch).shape == (4, 28, 28, 1)
    np.testing.assert_allclose(folders.crop_padding(batch), batch[:, 2:30, 2:30], atol=1e-6)
    small, _, _ = folders.dataset_batches("mnist", tiny_data_dir, 16, 4, seed=0)
    assert next(iter(small)).shape == (4, 16, 16, 1)


def test_pad_images_adds_a_black_border():
    padded = folders.pad_images(np.full((2, 28, 28), 200, np.uint8))
    assert padded.shape == (2, 32, 32) and padded[:, 0].max() == 0 and padded[:, 2:30, 2:30].min() == 200


def test_dcgan_trains_on_a_folder_and_its_generator_writes_pngs(tmp_path):
    import dcgan_mnist

    folder = write_pictures(tmp_path / "pictures")
    out = tmp_path / "run"
    assert dcgan_mnist.main(["--data", str(folder), "--resolution", "8", "--batch-size", "2", "--steps", "2",
                             "--latent-dim", "4", "--out-dir", str(out)]) == 0
    generator = out / "dcgan_folder.h5"
    pngs = tmp_path / "pngs"
    assert dcgan_mnist.main(["--generator", str(generator), "--samples", "3", "--png-dir", str(pngs),
                             "--out-dir", str(tmp_path / "grid")]) == 0
    written = sorted(pngs.glob("*.png"))
    assert len(written) == 3 and (tmp_path / "grid" / "dcgan_folder.png").is_file()
    with Image.open(written[0]) as picture:
        assert (picture.size, picture.mode) == ((8, 8), "RGB")


@pytest.mark.parametrize("argv, message", [
    (["--data", "pictures", "--dataset", "mnist"], "give --dataset or --data, not both"),
    (["--data", "pictures", "--model", "mlp"], "--data trains the DCGAN only"),
    (["--data", "pictures", "--resolution", "24"], "--resolution must be a power of two"),
    (["--png-dir", "pngs"], "--png-dir needs --generator"),
])
def test_dcgan_folder_flags_are_checked_before_anything_is_written(tmp_path, one_line_error, argv, message):
    import dcgan_mnist

    folder = write_pictures(tmp_path / "pictures")
    argv = [str(folder) if value == "pictures" else value for value in argv]
    assert dcgan_mnist.main(argv + ["--out-dir", str(tmp_path / "run")]) != 0
    one_line_error(message)
    assert not (tmp_path / "run").exists()


def test_png_dir_with_an_mnist_generator_is_one_line(tmp_path, one_line_error):
    import dcgan_mnist

    assert dcgan_mnist.main(["--generator", str(ROOT / "models" / "dcgan_mnist.h5"),
                             "--png-dir", str(tmp_path / "pngs")]) != 0
    one_line_error("--png-dir needs a generator trained with --data")
    assert not (tmp_path / "pngs").exists()
