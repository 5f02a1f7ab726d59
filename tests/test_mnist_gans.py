"""dcgan_mnist.py and cgan_mnist.py end to end through main(argv), on a tiny generated dataset."""

import json

import numpy as np
import pandas as pd
import pytest

import cgan_mnist
import dcgan_mnist
from common import cli, training
from tests.conftest import make_tiny_data_dir

FAST = ["--steps", "2", "--checkpoint-every", "1", "--sample-every", "2", "--batch-size", "8"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Tiny DCGAN and CGAN generators trained for two steps on a tiny dataset."""
    root = tmp_path_factory.mktemp("mnist_gans")
    data_dir = make_tiny_data_dir(root)
    assert dcgan_mnist.main(FAST + ["--data-dir", str(data_dir), "--out-dir", str(root / "dcgan")]) == 0
    assert cgan_mnist.main(FAST + ["--data-dir", str(data_dir), "--out-dir", str(root / "cgan")]) == 0
    return {"root": root, "data": data_dir, "dcgan": root / "dcgan" / "dcgan_mnist.h5",
            "cgan": root / "cgan" / "cgan_mnist.h5"}


# ---- training and generation (slow: each trains a model first) -----------------------------------
@pytest.mark.slow
def test_training_writes_generator_samples_plot_and_checkpoint(trained):
    run_dir = trained["root"] / "dcgan"
    for name in ("dcgan_mnist.h5", "dcgan_mnist.keras", "losses.png", "checkpoint.npz", "samples/step_000002.png"):
        assert (run_dir / name).is_file(), name
    assert not [p for p in run_dir.rglob(".*") if p.is_file()]


@pytest.mark.slow
def test_mlp_model_trains(tmp_path, trained):
    assert dcgan_mnist.main(FAST + ["--model", "mlp", "--data-dir", str(trained["data"]),
                                    "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "mlp_gan_mnist.h5").is_file()


@pytest.mark.slow
def test_resume_continues_to_more_steps(tmp_path, trained):
    args = ["--data-dir", str(trained["data"]), "--out-dir", str(tmp_path), "--batch-size", "8"]
    assert dcgan_mnist.main(["--steps", "2"] + args) == 0
    assert dcgan_mnist.main(["--steps", "4", "--resume"] + args) == 0
    history = json.loads((tmp_path / training.HISTORY_FILE).read_text())
    assert history["step"] == [1, 2, 3, 4]


@pytest.mark.slow
def test_dcgan_generates_grid_and_csv(tmp_path, trained):
    csv = tmp_path / "digits.csv"
    status = dcgan_mnist.main(["--generator", str(trained["dcgan"]), "--out-dir", str(tmp_path),
                               "--samples", "5", "--csv", str(csv)])
    assert status == 0
    assert (tmp_path / "dcgan_mnist.png").is_file()
    frame = pd.read_csv(csv)
    assert list(frame.columns) == [f"px{i}" for i in range(784)]
    assert len(frame) == 5
    values = frame.to_numpy()
    assert values.dtype.kind == "i" and values.min() >= 0 and values.max() <= 255


@pytest.mark.slow
def test_cgan_digit_grid_and_labelled_csv(tmp_path, trained):
    csv = tmp_path / "eights.csv"
    assert cgan_mnist.main(["--generator", str(trained["cgan"]), "--digit", "8", "--out-dir", str(tmp_path),
                            "--samples", "6", "--csv", str(csv)]) == 0
    assert (tmp_path / "cgan_mnist_digit8.png").is_file()
    frame = pd.read_csv(csv)
    assert list(frame.columns[:2]) == ["label", "px0"] and len(frame.columns) == 785
    assert set(frame["label"]) == {8}


@pytest.mark.slow
def test_digit_reaches_the_generated_images(tmp_path, trained):
    pixels = []
    for digit in (3, 8):
        csv = tmp_path / f"{digit}.csv"
        assert cgan_mnist.main(["--generator", str(trained["cgan"]), "--digit", str(digit), "--samples", "4",
                                "--csv", str(csv), "--out-dir", str(tmp_path)]) == 0
        pixels.append(pd.read_csv(csv).drop(columns="label").to_numpy())
    assert np.abs(pixels[0] - pixels[1]).max() > 0


@pytest.mark.slow
def test_cgan_without_digit_cycles_labels(tmp_path, trained):
    csv = tmp_path / "all.csv"
    assert cgan_mnist.main(["--generator", str(trained["cgan"]), "--out-dir", str(tmp_path),
                            "--samples", "23", "--csv", str(csv)]) == 0
    np.testing.assert_array_equal(pd.read_csv(csv)["label"], np.arange(23) % 10)


@pytest.mark.slow
def test_cgan_evaluate_writes_metrics(tmp_path, trained, capsys):
    metrics_path = tmp_path / "m.json"
    assert cgan_mnist.main(["--generator", str(trained["cgan"]), "--evaluate", "--samples", "20",
                            "--data-dir", str(trained["data"]), "--metrics-json", str(metrics_path),
                            "--out-dir", str(tmp_path)]) == 0
    report = json.loads(metrics_path.read_text())
    assert report["samples"] == 20 and len(report["judge_accuracy_per_class"]) == 10
    assert report["judge_accuracy_mean"] == pytest.approx(np.mean(report["judge_accuracy_per_class"]))
    # Two steps of training on noise images: far from the real test images, farther than real ones are.
    assert report["frechet_distance"] > report["frechet_distance_real_floor"] > 0
    assert "mean judge accuracy" in capsys.readouterr().out


@pytest.mark.slow
def test_dcgan_evaluate_reports_class_balance(tmp_path, trained):
    metrics_path = tmp_path / "m.json"
    assert dcgan_mnist.main(["--generator", str(trained["dcgan"]), "--evaluate", "--samples", "20",
                             "--data-dir", str(trained["data"]), "--metrics-json", str(metrics_path),
                             "--out-dir", str(tmp_path)]) == 0
    report = json.loads(metrics_path.read_text())
    assert abs(sum(report["class_fractions"]) - 1) < 1e-9
    assert (tmp_path / "dcgan_mnist_class_histogram.png").is_file()


@pytest.mark.slow
def test_evaluate_names_the_classes_of_the_dataset_it_judges(tmp_path, trained, capsys):
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    # The tiny MNIST file stands in for Fashion-MNIST: same layout, ten classes.
    shutil.copy(trained["data"] / "mnist.npz", data / "fashion_mnist.npz")
    assert dcgan_mnist.main(["--generator", str(trained["dcgan"]), "--evaluate", "--samples", "20",
                             "--dataset", "fashion_mnist", "--data-dir", str(data), "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Ankle boot:" in out and "T-shirt/top:" in out and "class 9" not in out


@pytest.mark.slow
def test_dcgan_generator_in_cgan_script(tmp_path, trained, one_line_error):
    assert cgan_mnist.main(["--generator", str(trained["dcgan"]), "--digit", "3", "--out-dir", str(tmp_path)]) != 0
    one_line_error("must be a conditional generator")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_cgan_generator_in_dcgan_script(tmp_path, trained, one_line_error):
    assert dcgan_mnist.main(["--generator", str(trained["cgan"]), "--out-dir", str(tmp_path)]) != 0
    one_line_error("must be an unconditional generator")


# ---- bad input: one line on stderr, non-zero exit, nothing written ----------------------------------
def test_digit_out_of_range(tmp_path, one_line_error):
    status = cgan_mnist.main(["--generator", str(tmp_path / "g.h5"), "--digit", "12", "--out-dir", str(tmp_path)])
    assert status == cli.EXIT_BAD_INPUT
    one_line_error("--digit must be between 0 and 9; got 12")
    assert list(tmp_path.iterdir()) == []


def test_digit_needs_a_generator(one_line_error):
    assert cgan_mnist.main(["--digit", "3"]) == cli.EXIT_BAD_INPUT
    one_line_error("--digit needs --generator PATH")


@pytest.mark.parametrize("flag", ["--steps", "--samples", "--batch-size"])
@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_non_positive_counts(flag, value, one_line_error):
    with pytest.raises(SystemExit) as exit_info:
        dcgan_mnist.main([flag, value])
    assert exit_info.value.code != 0
    one_line_error(f"argument {flag}: must be a positive integer")


def test_missing_generator_file(tmp_path, one_line_error):
    assert cgan_mnist.main(["--generator", str(tmp_path / "nope.h5"), "--out-dir", str(tmp_path)]) != 0
    one_line_error(f"--generator must name an existing file; got {tmp_path / 'nope.h5'}")


def test_missing_judge_file(tmp_path, one_line_error):
    generator = tmp_path / "g.h5"
    generator.write_bytes(b"")
    assert dcgan_mnist.main(["--generator", str(generator), "--evaluate", "--judge", str(tmp_path / "j.keras")]) != 0
    one_line_error("--judge must name an existing file")


def test_corrupt_generator_file(tmp_path, one_line_error):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n garbage")
    assert dcgan_mnist.main(["--generator", str(bad), "--out-dir", str(tmp_path / "out")]) != 0
    one_line_error(str(bad))
    assert not (tmp_path / "out").exists()


def test_missing_dataset_offline(tmp_path, offline, one_line_error):
    empty = tmp_path / "empty"
    assert dcgan_mnist.main(["--data-dir", str(empty), "--out-dir", str(tmp_path / "run")]) != 0
    one_line_error("mnist.npz")
    assert not (tmp_path / "run").exists()


def test_csv_without_generator(one_line_error):
    assert dcgan_mnist.main(["--csv", "x.csv"]) != 0
    one_line_error("--csv needs --generator")


def test_ctrl_c_gives_status_130_and_a_hint(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(dcgan_mnist, "run", interrupted)
    assert dcgan_mnist.main(["--steps", "1"]) == cli.EXIT_INTERRUPTED
    assert "--resume" in capsys.readouterr().err
