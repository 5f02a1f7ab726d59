"""Every training script protects its run folder: no silent overwrite, --overwrite only once the new run
checkpoints, --resume only into a run. Checked for a plain GAN (CGAN), a model trained in phases
(TimeGAN) and a variant with an extra step (AE-ACGAN), on tiny generated data."""

import json

import numpy as np
import pandas as pd
import pytest

import aeacgan_emnist
import cgan_mnist
import timegan
from common import training
from tests.conftest import make_tiny_data_dir

TINY_STEPS = ["--steps", "2", "--checkpoint-every", "1", "--sample-every", "2", "--batch-size", "8"]


def cgan_case(root):
    data_dir = make_tiny_data_dir(root)
    return {"main": cgan_mnist.main, "args": TINY_STEPS + ["--data-dir", str(data_dir)],
            "missing_data": TINY_STEPS + ["--data-dir", str(root / "no_data")], "generator": "cgan_mnist.h5",
            "history": training.HISTORY_FILE}


def aeacgan_case(root):
    data_dir = make_tiny_data_dir(root)
    args = TINY_STEPS + ["--dataset", "mnist", "--latent-dim", "8"]
    return {"main": aeacgan_emnist.main, "args": args + ["--data-dir", str(data_dir)],
            "missing_data": args + ["--data-dir", str(root / "no_data")], "generator": "aeacgan_mnist.h5",
            "history": training.HISTORY_FILE}


def timegan_case(root):
    rng = np.random.default_rng(0)
    csv = root / "series.csv"
    pd.DataFrame({"a": np.cumsum(rng.normal(size=120)), "b": rng.normal(size=120)}).to_csv(csv, index=False)
    args = TINY_STEPS + ["--hidden-dim", "4", "--num-layers", "1", "--seq-len", "6"]
    return {"main": timegan.main, "args": args + ["--data", str(csv)],
            "missing_data": args + ["--data", str(root / "missing.csv")], "generator": "timegan_series.h5",
            "history": "1_autoencoder/" + training.HISTORY_FILE}


@pytest.fixture(params=[cgan_case, timegan_case, aeacgan_case], ids=["cgan", "timegan", "aeacgan"])
def case(request, tmp_path, offline):
    return request.param(tmp_path)


@pytest.mark.slow
def test_a_run_folder_is_never_overwritten_silently(case, tmp_path, one_line_error):
    run_dir = tmp_path / "run"
    main, out = case["main"], ["--out-dir", str(run_dir)]
    assert main(case["args"] + out) == 0
    generator = run_dir / case["generator"]
    kept = {path: path.read_bytes() for path in (generator, run_dir / case["history"])}

    # The same command again, by habit: refused, nothing touched.
    assert main(case["args"] + out) == 2
    one_line_error("already holds a run; continue it with --resume, start over with --overwrite")
    assert {path: path.read_bytes() for path in kept} == kept

    # --overwrite that fails at start-up (its data is missing) destroys nothing.
    assert main(case["missing_data"] + out + ["--overwrite"]) == 2
    capsys_line = one_line_error("error:")
    assert "Traceback" not in capsys_line
    assert {path: path.read_bytes() for path in kept} == kept

    # --resume into a folder without a run is an error, not a fresh start.
    assert main(case["args"] + ["--out-dir", str(tmp_path / "empty"), "--resume"]) == 2
    one_line_error("--resume needs a run in")

    # --overwrite with a good start replaces the run.
    assert main(case["args"] + out + ["--overwrite", "--seed", "7"]) == 0
    history = json.loads((run_dir / case["history"]).read_text())
    assert history["step"][-1] == 2
    assert generator.read_bytes() != kept[generator]
    assert not (run_dir / training.LOCK_FILE).exists()
