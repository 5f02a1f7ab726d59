"""Benchmark: TimeGAN's phases with unrolled vs looped recurrences, and with or without stacked
network calls: time to the first step and per step.

    python3 benchmarks/timegan_unroll.py [--seq-len 24] [--features 6] [--hidden 24] [--steps 30] [--rounds 1]
        [--window-noise-dim 0] [--dependence-weight 0]

Builds the paper's networks (GRU x 3 layers, batch 128) once per variant and times each phase's
fit() on random windows: the first fit() of WARMUP_STEPS steps (graph building, its first run and
those steps: what a run waits before its first step) and a second fit() of `--steps` steps (wall
seconds per step, as training's fit() runs them, and the process's CPU seconds per step: on a shared
virtual machine the wall time swings with the neighbours' load, the CPU time much less). Variants,
alternated for `--rounds` rounds so that other load on the machine hits them alike:

- `default`: what training does (autoencoder and supervisor unrolled; the joint phase looped, its
  two generator updates one traced loop body, the discriminator and the supervisor each called once
  on their batches stacked);
- `unstacked`: the default, but the joint phase calls those networks once per batch (the earlier step);
- `unrolled`: every phase unrolled, the joint step's two updates traced one after the other (the
  earlier default);
- `looped`: every phase looped.

Threads as `timegan.py` sets them (one per op, ops side by side) unless TF_NUM_INTRAOP_THREADS or
TF_NUM_INTEROP_THREADS is set: `TF_NUM_INTRAOP_THREADS=2 TF_NUM_INTEROP_THREADS=2` on 2 cores times
TensorFlow's own default.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tensorflow as tf  # noqa: E402

import common  # noqa: E402,F401  (pins the Keras backend before TensorFlow loads)
from common import distribute  # noqa: E402
from common.timegan import model, networks, recipe  # noqa: E402
from common.timegan.names import PHASE_NAMES  # noqa: E402

NUM_LAYERS = 3
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
GAMMA = recipe.PAPER_GAMMA
WARMUP_STEPS = 1
VARIANTS = ("default", "unstacked", "unrolled", "looped")


class UnrolledJointPhase(model.JointPhase):
    """The earlier joint phase: unrolled, each generator update traced separately."""

    unrolled = True

    def train_step(self, batches):
        for index in range(model.GENERATOR_UPDATES_PER_STEP):
            g_loss = self.generator_step(batches[:, index])
            e_loss = self.embedder_step(batches[:, index])
        d_loss = self.discriminator_step(batches[:, model.GENERATOR_UPDATES_PER_STEP])
        return self.finish_step([d_loss, g_loss, e_loss])


def build_variant(variant, seq_len, features, hidden, window_noise_dim=0, dependence_weight=0.0):
    nets = networks.build_networks(seq_len, features, features, hidden, NUM_LAYERS, "gru",
                                   unroll=variant != "looped")
    phases = model.build_phases(nets, LEARNING_RATE, GAMMA, window_noise_dim, dependence_weight)
    if variant == "unrolled":
        joint = UnrolledJointPhase(nets, GAMMA, window_noise_dim, dependence_weight, name="timegan_joint")
        joint.compile(*(type(optimizer)(LEARNING_RATE) for optimizer in phases[2].optimizers))
        phases[2] = joint
    phases[2].stack_calls = variant != "unstacked"
    return phases


def phase_timings(variant, seq_len, features, hidden, steps, window_noise_dim=0, dependence_weight=0.0):
    """[(seconds to the first step, seconds per step, CPU seconds per step)] of each phase (autoencoder,
    supervisor, joint)."""
    phases = build_variant(variant, seq_len, features, hidden, window_noise_dim, dependence_weight)
    windows = tf.data.Dataset.from_tensors(tf.random.uniform((BATCH_SIZE, seq_len, features))).repeat()
    # The joint phase takes its independent batches side by side: (batch, updates + 1, seq_len, features).
    joint_batches = tf.data.Dataset.from_tensors(
        tf.random.uniform((BATCH_SIZE, model.GENERATOR_UPDATES_PER_STEP + 1, seq_len, features))).repeat()
    timings = []
    for phase, dataset in zip(phases, (windows, windows, joint_batches)):
        start = time.perf_counter()
        phase.fit(dataset, epochs=1, steps_per_epoch=WARMUP_STEPS, verbose=0, shuffle=False)
        first = time.perf_counter() - start
        start, cpu_start = time.perf_counter(), time.process_time()
        phase.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
        timings.append((first, (time.perf_counter() - start) / steps, (time.process_time() - cpu_start) / steps))
        print(f"  {variant:<9} {phase.name:<20} first step after {first:6.1f} s, then {timings[-1][1]:.4f} s/step, "
              f"CPU {timings[-1][2]:.4f} s/step", flush=True)
    return timings


def main(argv=None):
    # Read when TensorFlow's runtime starts, at the first operation below.
    distribute.prefer_ops_side_by_side()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq-len", type=int, default=24)
    parser.add_argument("--features", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=24)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--window-noise-dim", type=int, default=0,
                        help="noise features held over a window (timegan.py holds half for > 6 features)")
    parser.add_argument("--dependence-weight", type=float, default=0.0,
                        help="weight of the within-window dependence loss (timegan.py: 10 for > 6 features)")
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"--variants must name variants among {', '.join(VARIANTS)}; got {', '.join(unknown)}")
    results = {variant: [] for variant in variants}
    for round_index in range(args.rounds):
        order = variants if round_index % 2 == 0 else variants[::-1]
        for variant in order:
            results[variant].append(phase_timings(variant, args.seq_len, args.features, args.hidden, args.steps,
                                                  args.window_noise_dim, args.dependence_weight))
    print(f"TimeGAN phases, seq_len {args.seq_len}, {args.features} features, GRU {args.hidden} x {NUM_LAYERS}, "
          f"batch {BATCH_SIZE}, window noise {args.window_noise_dim}, dependence weight {args.dependence_weight:g}; "
          f"best of {args.rounds} round(s) of {args.steps} steps")
    print(f"{'phase':<12} {'variant':<9} {'first step s':>12} {'s/step':>8} {'CPU s/step':>10}")
    for index, name in enumerate(PHASE_NAMES):
        for variant in variants:
            first, per_step, cpu_per_step = (min(run[index][column] for run in results[variant]) for column in range(3))
            print(f"{name:<12} {variant:<9} {first:>12.1f} {per_step:>8.4f} {cpu_per_step:>10.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
