"""Benchmark: how fast the command line answers (--help, a bad flag, a small generation).

    python3 benchmarks/startup_time.py [--repeats 3] [--checkout DIR]

Runs each command `--repeats` times in a fresh process and prints the median wall time and the
number of lines on stderr. `--checkout` times another checkout of the project (e.g. an older commit
made with `git worktree add /tmp/before HEAD~10`) with this interpreter, for a before/after figure.
The generation command writes into a temporary folder.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("dcgan_mnist.py", "cgan_mnist.py", "acgan_1d.py", "infogan_timeseries.py", "dataprocess.py",
           "timegan.py", "aeacgan_emnist.py", "cgan_timeseries.py", "train_judge.py")


def commands(out_dir):
    """(label, argv) pairs: the three commands the README reports, then --help of every script."""
    generator = "--generator=models/cgan_mnist.h5"
    yield "cgan_mnist.py --help", ["cgan_mnist.py", "--help"]
    yield "cgan_mnist.py --digit=12 (bad flag)", ["cgan_mnist.py", generator, "--digit=12"]
    yield "cgan_mnist.py --digit 8 (generate a grid)", ["cgan_mnist.py", generator, "--digit", "8",
                                                       "--out-dir", str(out_dir)]
    for script in SCRIPTS[:1] + SCRIPTS[2:]:
        yield f"{script} --help", [script, "--help"]


def time_command(argv, checkout, repeats):
    """Median seconds over `repeats` runs, and the stderr line count of the last run."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, *argv], cwd=checkout, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(result.stderr.strip().splitlines()), result.returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the project checkout to time (default: this)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as out_dir:
        print(f"{'command':45} {'median s':>9} {'stderr lines':>13} {'exit':>5}")
        for label, command in commands(out_dir):
            seconds, lines, status = time_command(command, args.checkout, args.repeats)
            print(f"{label:45} {seconds:9.2f} {lines:13d} {status:5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
