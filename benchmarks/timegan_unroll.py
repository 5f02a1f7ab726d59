"""Benchmark: TimeGAN's three phase steps with the recurrent layers unrolled vs looped.

    python3 benchmarks/timegan_unroll.py [--seq-len 24] [--features 5] [--steps 30] [--rounds 2]

Builds the paper's networks (GRU, hidden 24, 3 layers, batch 128) twice, once unrolled and once with
the loop, and times each phase's fit() on random windows (after a first fit() that compiles),
alternating the two builds for `--rounds` rounds so that other load on the machine hits both alike.
Prints seconds per step for each phase and the speed-up of unrolling; by default training unrolls
windows of at most `common.timegan.MAX_UNROLLED_STEPS` steps.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tensorflow as tf  # noqa: E402

import common  # noqa: E402,F401  (pins the Keras backend before TensorFlow loads)
from common import timegan as tg  # noqa: E402

HIDDEN_DIM = 24
NUM_LAYERS = 3
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
GAMMA = 1.0
WARMUP_STEPS = 3


def phase_seconds_per_step(unrolled, seq_len, features, steps):
    """Seconds per train step of each phase (autoencoder, supervisor, joint) for one build."""
    networks = tg.build_networks(seq_len, features, features, HIDDEN_DIM, NUM_LAYERS, "gru", unroll=unrolled)
    phases = tg.build_phases(networks, LEARNING_RATE, GAMMA)
    windows = tf.data.Dataset.from_tensors(tf.random.uniform((BATCH_SIZE, seq_len, features))).repeat()
    joint_batches = windows.batch(tg.GENERATOR_UPDATES_PER_STEP + 1)
    timings = []
    for phase, dataset in zip(phases, (windows, windows, joint_batches)):
        # The first fit() compiles the step; the second is timed, as training's fit() runs it.
        phase.fit(dataset, epochs=1, steps_per_epoch=WARMUP_STEPS, verbose=0, shuffle=False)
        start = time.perf_counter()
        phase.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
        timings.append((time.perf_counter() - start) / steps)
    return timings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq-len", type=int, default=24)
    parser.add_argument("--features", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    results = {True: [], False: []}
    for _ in range(args.rounds):
        for unrolled in (True, False):
            results[unrolled].append(phase_seconds_per_step(unrolled, args.seq_len, args.features, args.steps))
    print(f"TimeGAN train step, seq_len {args.seq_len}, {args.features} features, GRU {HIDDEN_DIM} x {NUM_LAYERS}, "
          f"batch {BATCH_SIZE}; best of {args.rounds} rounds of {args.steps} steps")
    print(f"{'phase':<12} {'unrolled s/step':>16} {'loop s/step':>12} {'speed-up':>9}")
    for index, name in enumerate(tg.PHASE_NAMES):
        unrolled = min(run[index] for run in results[True])
        looped = min(run[index] for run in results[False])
        print(f"{name:<12} {unrolled:>16.4f} {looped:>12.4f} {looped / unrolled:>8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
