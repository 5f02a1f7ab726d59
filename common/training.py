"""Driving a GAN with `fit()`: progress bar, loss history, sample grids, checkpoints and resume.

Everything is keyed on the global step (the generator optimizer's iteration count), so a run that
is killed and restarted with `--resume` carries on from its last checkpoint with the same
schedule, the same optimizer state and the same loss curve.
"""

import contextlib
import json
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from common import distribute, plotting
from common.errors import ToolkitError
from common.io import load_arrays, save_arrays, write_json

CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.json"
# Held by the one training that writes into a run folder: "<process id> <host>".
LOCK_FILE = "training.lock"
LOSS_PLOT_FILE = "losses.png"
LOSS_PLOT_WINDOW = 50
PROGRESS_INTERVAL_TERMINAL = 0.5
PROGRESS_INTERVAL_LOG = 30.0
# Radford et al. 2015: Adam with beta_1 = 0.5 (0.9 made DCGAN training oscillate).
ADAM_BETA_1 = 0.5
# Hold the learning rate for the first half of training, then decay it linearly to zero (the
# pix2pix / CycleGAN schedule): the annealed second half gives visibly cleaner samples.
DECAY_START_FRACTION = 0.5
# What a GAN reports each step; a model with other losses names them in its `loss_names`.
GAN_LOSS_NAMES = ("d_loss", "g_loss")
LOSS_LABELS = {"d_loss": "discriminator", "g_loss": "generator"}


class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate `initial` until `decay_start_fraction * total_steps`, then linearly to 0 at the end."""

    def __init__(self, initial, total_steps, decay_start_fraction=DECAY_START_FRACTION):
        self.initial = initial
        self.total_steps = total_steps
        self.decay_start_fraction = decay_start_fraction

    def __call__(self, step):
        decay_start = self.decay_start_fraction * self.total_steps
        progress = (keras.ops.cast(step, "float32") - decay_start) / max(self.total_steps - decay_start, 1)
        return self.initial * (1.0 - keras.ops.clip(progress, 0.0, 1.0))

    def get_config(self):
        return {"initial": self.initial, "total_steps": self.total_steps,
                "decay_start_fraction": self.decay_start_fraction}


def scheduled_adam(learning_rate: float, total_steps: int) -> keras.optimizers.Adam:
    """One Adam optimizer with the DCGAN settings (beta_1 0.5) on the constant-then-linear-decay schedule."""
    return keras.optimizers.Adam(ConstantThenLinearDecay(learning_rate, total_steps), beta_1=ADAM_BETA_1)


def progress_bar(total: int, **kwargs) -> keras.utils.Progbar:
    """A keras Progbar over `total` units (kwargs go to Progbar) that redraws often on a terminal and,
    in a log file, writes a line every half minute rather than one per update."""
    interval = PROGRESS_INTERVAL_TERMINAL if sys.stdout.isatty() else PROGRESS_INTERVAL_LOG
    return keras.utils.Progbar(total, interval=interval, **kwargs)


def adam_pair(learning_rate: float, total_steps: int) -> tuple[keras.optimizers.Adam, keras.optimizers.Adam]:
    """Two such optimizers: the discriminator's and the generator's."""
    return scheduled_adam(learning_rate, total_steps), scheduled_adam(learning_rate, total_steps)


def global_step(gan: keras.Model) -> int:
    """Training steps done so far (restored with the optimizer state on resume).

    For a GAN, its generator updates. A model that updates a network several times per step (TimeGAN's
    joint phase) counts its steps in its own `step_counter` variable instead.
    """
    counter = getattr(gan, "step_counter", None)
    return int((gan.g_optimizer.iterations if counter is None else counter).numpy())


def loss_names(gan: keras.Model) -> tuple[str, ...]:
    """The losses `gan`'s train_step reports, each as `<name>` (running mean) and `<name>_step`."""
    return tuple(getattr(gan, "loss_names", GAN_LOSS_NAMES))


def checkpoint_variables(gan: keras.Model) -> list:
    """Every variable a resumed run needs, in a fixed order: each network's, then each optimizer's,
    then the model's `step_counter` if it has one."""
    variables = [variable for part in gan.networks + gan.optimizers for variable in part.variables]
    counter = getattr(gan, "step_counter", None)
    return variables if counter is None else variables + [counter]


def save_checkpoint(gan: keras.Model, path: str | Path) -> None:
    """Write all of the GAN's training state to `path` (.npz) atomically."""
    variables = checkpoint_variables(gan)
    arrays = {f"v{index:04d}": np.asarray(variable.numpy()) for index, variable in enumerate(variables)}
    arrays["paths"] = np.array([variable.path for variable in variables])
    save_arrays(path, arrays)


def restore_checkpoint(gan: keras.Model, path: str | Path) -> None:
    """Load the state written by `save_checkpoint` into `gan` (built with the same networks)."""
    stored = load_arrays(path)
    variables = checkpoint_variables(gan)
    if len(stored) - 1 != len(variables):
        raise ToolkitError(
            f"checkpoint {path} holds {len(stored) - 1} variables but this model has {len(variables)}; "
            "was it written with other settings?"
        )
    for index, variable in enumerate(variables):
        value = stored[f"v{index:04d}"]
        if tuple(value.shape) != tuple(variable.shape):
            raise ToolkitError(
                f"checkpoint {path}: {variable.path} must have shape {tuple(variable.shape)}; "
                f"got {tuple(value.shape)} (was it written with other settings?)"
            )
        variable.assign(value)


@dataclass
class RunFolder:
    """A run folder claimed by this process for one training (see `claim_run_folder`).

    `stale` lists the files of an earlier run that `--overwrite` replaces: they are removed just
    before the new run writes its first checkpoint, so a run that fails at start-up destroys nothing.
    """

    path: Path
    stale: list = field(default_factory=list)

    def before_checkpoint(self) -> None:
        """Remove the earlier run's checkpoints and histories (once) before a checkpoint is written."""
        for old in self.stale:
            old.unlink(missing_ok=True)
        self.stale.clear()


def run_files(folder: Path) -> list[Path]:
    """The files that show `folder` holds a run: checkpoints and histories (also in phase subfolders),
    and generators saved directly in it."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [*folder.rglob(CHECKPOINT_FILE), *folder.rglob(HISTORY_FILE), *folder.glob("*.h5")]
    return sorted(path for path in found if path.is_file())


@contextlib.contextmanager
def claim_run_folder(out_dir, *, resume: bool, overwrite: bool):
    """Hold `out_dir` for one training: a lock against a second run, and no silent overwrite.

    Without `resume`, a folder that already holds a run is refused unless `overwrite`; with
    `resume`, a folder without a run is refused. The lock file holds this process id and host; a
    lock left by a process that no longer runs on this host is taken over with a note. Yields a
    `RunFolder`; the lock is released on exit.
    """
    folder = Path(out_dir)
    if resume and overwrite:
        raise ToolkitError("give --resume (continue the run) or --overwrite (start over), not both")
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_FILE
    _take_lock(lock)
    try:
        existing = run_files(folder)
        if resume and not existing:
            raise ToolkitError(f"--resume needs a run in {folder}; it holds none (no {CHECKPOINT_FILE})")
        if existing and not (resume or overwrite):
            raise ToolkitError(f"{folder} already holds a run; continue it with --resume, start over with "
                               "--overwrite, or choose another --out-dir")
        stale = [path for path in existing if path.name in (CHECKPOINT_FILE, HISTORY_FILE)] if overwrite else []
        print(f"training on {device_summary()} into {folder}")
        yield RunFolder(folder, stale)
    finally:
        lock.unlink(missing_ok=True)


def device_summary() -> str:
    """Where training runs, from tf.config: "CPU (2 cores, 2 threads per op)" or "1 GPU: NVIDIA H100 80GB HBM3"."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        cores = os.cpu_count()
        # A value that is not a count is read as unset here.
        given = os.environ.get(distribute.INTRA_OP_THREADS_ENV, "")
        per_op = (tf.config.threading.get_intra_op_parallelism_threads()
                  or (int(given) if given.isdigit() else 0) or cores)
        return f"CPU ({cores} cores, {per_op} thread{'s' if per_op > 1 else ''} per op)"
    names = sorted({tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name) for gpu in gpus})
    return f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''}: {', '.join(names)}"


def _take_lock(lock: Path) -> None:
    """Create `lock` atomically with "<pid> <host>"; take over a stale one; refuse a live one."""
    for _ in range(2):
        try:
            descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder_pid, holder_host = _lock_holder(lock)
            if holder_host == socket.gethostname() and holder_pid is not None and not _process_alive(holder_pid):
                print(f"note: {lock.parent} was locked by process {holder_pid}, which no longer runs; taking over",
                      file=sys.stderr)
                lock.unlink(missing_ok=True)
                continue
            raise ToolkitError(f"{lock.parent} is in use by another training (process {holder_pid} on "
                               f"{holder_host}; lock {lock}); wait for it to end or choose another --out-dir") from None
        with os.fdopen(descriptor, "w") as handle:
            handle.write(f"{os.getpid()} {socket.gethostname()}\n")
        return
    raise ToolkitError(f"could not lock {lock.parent}: another training took it over at the same moment")


def _lock_holder(lock: Path) -> tuple[int | None, str]:
    try:
        pid_text, host = lock.read_text().split()
        return int(pid_text), host
    except (OSError, ValueError):
        return None, "an unknown host"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resume_phase(phases: list, lengths: list[int], checkpoints: list[Path], steps_flag: str = "--steps"
                 ) -> tuple[int, bool]:
    """(index of the phase to train next, whether it continues from its own checkpoint) for --resume
    of a model trained in phases.

    `checkpoints[i]` is phase i's checkpoint path and `lengths[i]` its steps. The latest phase with a
    checkpoint holds every network trained so far; it is restored into its phase model here, and if it
    is complete, training goes on with the next phase from its start. `steps_flag` names the flag that
    sets the last phase's steps, for the error when every phase is complete.
    """
    saved = [index for index, path in enumerate(checkpoints) if Path(path).is_file()]
    if not saved:
        raise ToolkitError(f"--resume needs a checkpoint in {Path(checkpoints[0]).parent} (or a later phase); "
                           "none found")
    latest = saved[-1]
    restore_checkpoint(phases[latest], checkpoints[latest])
    done = global_step(phases[latest])
    if done < lengths[latest]:
        return latest, True
    if latest == len(phases) - 1:
        raise ToolkitError(f"every phase is complete in {Path(checkpoints[latest]).parent.parent} (last phase at "
                           f"step {done}); {steps_flag} must exceed {done} to train on; got {lengths[latest]}")
    return latest + 1, False


class TrainingMonitor(keras.callbacks.Callback):
    """Progress bar, per-step loss history, sample grids and checkpoints for one GAN run.

    `write_samples(step)` renders the fixed-noise samples for `step`; it is called every
    `sample_every` steps and at the end. Checkpoints go to `out_dir` every `checkpoint_every`
    steps and at the end, together with the loss history; the claimed run `folder` first removes
    an overwritten run's files.
    """

    def __init__(self, total_steps, out_dir, checkpoint_every, sample_every, write_samples, history, folder):
        super().__init__()
        self.total_steps = total_steps
        self.out_dir = Path(out_dir)
        self.folder = folder
        self.checkpoint_every = checkpoint_every
        self.sample_every = sample_every
        self.write_samples = write_samples
        self.history = history
        self.progress = None

    def on_train_begin(self, logs=None):
        self.loss_names = loss_names(self.model)
        self.progress = progress_bar(self.total_steps, stateful_metrics=list(self.loss_names))
        self.progress.update(global_step(self.model))

    def on_train_batch_end(self, batch, logs=None):
        step = global_step(self.model)
        self.history["step"].append(step)
        for name in self.loss_names:
            self.history[name].append(float(logs[f"{name}_step"]))
        self.progress.update(step, values=[(name, float(logs[name])) for name in self.loss_names])
        if step % self.sample_every == 0:
            self.write_samples(step)
        if step % self.checkpoint_every == 0:
            self.save()

    def on_train_end(self, logs=None):
        step = global_step(self.model)
        if step % self.sample_every:
            self.write_samples(step)
        if step % self.checkpoint_every:
            self.save()

    def save(self):
        self.folder.before_checkpoint()
        save_checkpoint(self.model, self.out_dir / CHECKPOINT_FILE)
        write_json(self.out_dir / HISTORY_FILE, self.history)


def train(gan, dataset, steps, out_dir, *, resume, checkpoint_every, sample_every, write_samples,
          overwrite=False, folder=None):
    """Train `gan` on the endless `dataset` until the global step reaches `steps`.

    `out_dir` is claimed for the run (`claim_run_folder`: a lock, and no silent overwrite of an
    earlier run without `overwrite`) unless the caller already holds it as `folder` (a model trained
    in phases claims its top folder once). With `resume`, the state in `out_dir/checkpoint.npz` is
    restored first and training continues from its step. Returns the loss history dict: lists
    "step" and one per loss name ("d_loss" and "g_loss" for a GAN).
    """
    if folder is None:
        with claim_run_folder(out_dir, resume=resume, overwrite=overwrite) as claimed:
            return train(gan, dataset, steps, out_dir, resume=resume, checkpoint_every=checkpoint_every,
                         sample_every=sample_every, write_samples=write_samples, folder=claimed)
    out_dir = Path(out_dir)
    checkpoint = out_dir / CHECKPOINT_FILE
    history = _empty_history(loss_names(gan))
    if resume:
        if not checkpoint.is_file():
            raise ToolkitError(f"--resume needs a checkpoint at {checkpoint}; none found")
        restore_checkpoint(gan, checkpoint)
        history = _load_history(out_dir / HISTORY_FILE, global_step(gan), loss_names(gan))
    start = global_step(gan)
    if start >= steps:
        raise ToolkitError(f"--steps must exceed the {start} steps already done in {checkpoint}; got {steps}")
    out_dir.mkdir(parents=True, exist_ok=True)
    monitor = TrainingMonitor(steps, out_dir, checkpoint_every, sample_every, write_samples, history, folder)
    distribute.vary_random_draws_per_worker()
    gan.fit(dataset, epochs=1, steps_per_epoch=steps - start, verbose=0, shuffle=False, callbacks=[monitor])
    plot_losses(history, out_dir / LOSS_PLOT_FILE)
    return history


def plot_losses(history: dict, path: str | Path) -> None:
    """Plot every loss in `history` (a GAN's: discriminator and generator), averaged over windows of 50 steps."""
    window = max(1, min(LOSS_PLOT_WINDOW, len(history["step"])))
    kernel = np.ones(window) / window
    curves = {
        LOSS_LABELS.get(key, key): np.convolve(values, kernel, mode="valid")
        for key, values in history.items() if key != "step"
    }
    steps = history["step"][window - 1:]
    plotting.loss_curves(steps, curves, path, title=f"Losses (mean over {window} steps)")


def _empty_history(names):
    return {"step": [], **{name: [] for name in names}}


def _load_history(path, up_to_step, names=GAN_LOSS_NAMES):
    if not Path(path).is_file():
        return _empty_history(names)
    history = json.loads(Path(path).read_text())
    keep = [index for index, step in enumerate(history["step"]) if step <= up_to_step]
    return {key: [values[index] for index in keep] for key, values in history.items()}
