"""A run folder is never overwritten silently and holds one training at a time."""

import json
import subprocess
import sys
import textwrap
import time

import pytest
import tensorflow as tf

from common import training
from common.errors import ToolkitError
from tests.conftest import ROOT


@pytest.fixture
def train(make_gan, real_batch):
    """A factory: train a fresh tiny GAN for `steps` into `out_dir` through the one driver."""

    def run(out_dir, steps=4, every=2, **kwargs):
        kwargs.setdefault("resume", False)
        kwargs.setdefault("write_samples", lambda step: None)
        dataset = tf.data.Dataset.from_tensors(real_batch()).repeat()
        return training.train(make_gan(), dataset, steps, out_dir, checkpoint_every=every, sample_every=every,
                              **kwargs)

    return run


def test_training_again_without_resume_is_refused_and_keeps_the_run(tmp_path, train):
    train(tmp_path)
    before = (tmp_path / training.CHECKPOINT_FILE).read_bytes()
    with pytest.raises(ToolkitError, match="already holds a run; continue it with --resume, start over with "
                                           "--overwrite, or choose another --out-dir"):
        train(tmp_path)
    assert (tmp_path / training.CHECKPOINT_FILE).read_bytes() == before
    assert not (tmp_path / training.LOCK_FILE).exists()


def test_resume_into_a_folder_without_a_run_is_refused(tmp_path, train):
    with pytest.raises(ToolkitError, match="--resume needs a run in"):
        train(tmp_path / "empty", resume=True)


def test_overwrite_that_fails_before_its_first_checkpoint_leaves_the_old_run(tmp_path, train):
    train(tmp_path, steps=4)
    before = {name: (tmp_path / name).read_bytes() for name in (training.CHECKPOINT_FILE, training.HISTORY_FILE)}

    def fail_at_start(step):
        raise RuntimeError("start-up failure")

    with pytest.raises(RuntimeError, match="start-up failure"):
        train(tmp_path, steps=6, every=1, overwrite=True, write_samples=fail_at_start)
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


def test_overwrite_replaces_the_run(tmp_path, train, make_gan):
    train(tmp_path, steps=4)
    history = train(tmp_path, steps=2, overwrite=True)
    assert history["step"] == [1, 2]
    assert json.loads((tmp_path / training.HISTORY_FILE).read_text())["step"] == [1, 2]
    restored = make_gan()
    training.restore_checkpoint(restored, tmp_path / training.CHECKPOINT_FILE)
    assert training.global_step(restored) == 2


def test_overwrite_removes_an_earlier_runs_phase_checkpoints_at_the_first_checkpoint(tmp_path, train):
    """A model trained in phases claims its top folder once; the old later-phase checkpoint must go."""
    old_phase = tmp_path / "2_later"
    old_phase.mkdir()
    (old_phase / training.CHECKPOINT_FILE).write_bytes(b"old run")
    with training.claim_run_folder(tmp_path, resume=False, overwrite=True) as folder:
        assert (old_phase / training.CHECKPOINT_FILE).exists()
        train(tmp_path / "1_first", folder=folder)
    assert not (old_phase / training.CHECKPOINT_FILE).exists()
    assert (tmp_path / "1_first" / training.CHECKPOINT_FILE).is_file()


def test_a_live_lock_is_refused_with_the_holders_process_id(tmp_path, train):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / training.LOCK_FILE).write_text(f"{holder.pid} {training.socket.gethostname()}\n")
        with pytest.raises(ToolkitError, match=f"in use by another training \\(process {holder.pid} on"):
            train(tmp_path)
        assert (tmp_path / training.LOCK_FILE).read_text().split()[0] == str(holder.pid)
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_is_taken_over_with_a_note(tmp_path, train, capsys):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead_pid = int(finished.stdout)
    (tmp_path / training.LOCK_FILE).write_text(f"{dead_pid} {training.socket.gethostname()}\n")
    train(tmp_path)
    assert f"locked by process {dead_pid}, which no longer runs; taking over" in capsys.readouterr().err
    assert (tmp_path / training.CHECKPOINT_FILE).is_file()
    assert not (tmp_path / training.LOCK_FILE).exists()


# Trains until the file named by argv[2] exists, so the run holds its lock for as long as the test needs,
# however slowly a second process starts on a loaded machine.
HELD_TRAINING = textwrap.dedent("""
    import os, sys, time
    import tensorflow as tf
    import keras
    from common import gan, training
    from common.errors import ToolkitError
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    discriminator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model = gan.GAN(generator, discriminator, 4)
    model.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    dataset = tf.data.Dataset.from_tensors(tf.zeros((2, 3))).repeat()
    deadline = time.monotonic() + 300

    def hold(step):
        while not os.path.exists(sys.argv[2]) and time.monotonic() < deadline:
            time.sleep(0.1)

    try:
        training.train(model, dataset, 40, sys.argv[1], resume=False, checkpoint_every=10, sample_every=1,
                       write_samples=hold)
    except ToolkitError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
""")


@pytest.mark.slow
def test_two_trainings_into_one_folder_at_once_only_one_runs(tmp_path):
    release = tmp_path / "release"
    command = [sys.executable, "-c", HELD_TRAINING, str(tmp_path / "run"), str(release)]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path / "run" / training.LOCK_FILE
    deadline = time.monotonic() + 120
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    release.touch()
    first_out, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err[-2000:]
    assert second.returncode == 2
    assert f"in use by another training (process {first.pid} on" in second.stderr
    assert json.loads((tmp_path / "run" / training.HISTORY_FILE).read_text())["step"][-1] == 40
