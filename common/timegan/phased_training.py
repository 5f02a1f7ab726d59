"""Phased training: the three phase models in order, each with its own folder, checkpoint and resume.

Every phase checkpoints all five networks, so the latest phase checkpoint alone restores the whole
model; `--resume` continues in the phase a run stopped in.
"""

from pathlib import Path

from common import training
from common.timegan.names import PHASE_NAMES


def phase_dir(out_dir, index):
    """Each phase keeps its checkpoint, loss history and plot in `<out_dir>/<n>_<phase>/`."""
    return Path(out_dir) / f"{index + 1}_{PHASE_NAMES[index]}"


def resume_point(phases, steps, out_dir):
    """(phase index to train next, whether it continues from its own checkpoint) for --resume."""
    checkpoints = [phase_dir(out_dir, index) / training.CHECKPOINT_FILE for index in range(len(phases))]
    return training.resume_phase(phases, steps, checkpoints, steps_flag="--joint-steps")


def train_phases(phases, datasets, steps, out_dir, *, resume, checkpoint_every, sample_every, sample_writers,
                 overwrite=False):
    """Run the phases in order, each for steps[i] steps on datasets[i], with checkpoints and resume.

    `sample_writers[i](step, folder)` draws phase i's samples every `sample_every` steps. The run
    claims `out_dir` once for all phases (`training.claim_run_folder`): an earlier run there is
    refused unless `overwrite`, and then its phase checkpoints are removed only when this run writes
    its first checkpoint, so a later --resume never mixes two runs.
    """
    with training.claim_run_folder(out_dir, resume=resume, overwrite=overwrite) as claimed:
        first, continuing = resume_point(phases, steps, out_dir) if resume else (0, False)
        for index in range(first, len(phases)):
            folder = phase_dir(out_dir, index)
            print(f"phase {index + 1}/{len(phases)} ({PHASE_NAMES[index]}): {steps[index]} steps into {folder}")
            writer = sample_writers[index]
            training.train(phases[index], datasets[index], steps[index], folder, resume=continuing, folder=claimed,
                           checkpoint_every=checkpoint_every, sample_every=sample_every,
                           write_samples=lambda step, writer=writer, folder=folder: writer(step, folder))
            continuing = False
