"""Benchmark: timegan.py with its defaults on data they were not tuned on, trained and scored.

    python3 benchmarks/timegan_generalisation.py --data-dir DIR [--step-fraction 1] [--datasets wide,fault]
        [--train-flags "--dependence-weight 0"]

Builds CSVs from the real data in DIR (stock_data.csv, fault_train.csv and fault_test.csv,
character_trajectories.npz):

- `wide`: 21 columns, 14,000 rows: slow smooth sensors (stock prices interpolated 4x finer, pen
  positions, a rolling mean), spiky heavy-tailed columns (daily volume, absolute price changes), pen
  velocities, on/off and multi-level columns (fault states and a volume threshold held for several
  rows), a constant, an exact duplicate and two noise columns; step-to-step roughness differs by far
  more than 10x between columns (printed). Its sources are independent, so a held-out draw combines
  them anew (its floor, below, is high);
- `pen_wide`: 21 columns, 14,000 rows of one process, the handwriting: positions, ink and the share
  of each character written (slow), velocities and force, their smoothed versions, squared
  acceleration and jerk (spiky, heavy-tailed), on/off exceedances, the character on 20 levels, an
  exact linear relation, a constant, a duplicate and two noise columns;
- `fault`: fault_train.csv as it is (10 measurements and a 7-level state);
- `long_univariate`: 20,000 rows of one pen velocity (the trajectories concatenated);
- `two_feature`: 10,000 rows of two pen velocities.

Each is trained with timegan.py's defaults (`--step-fraction` scales the chosen steps of every
phase, for a reduced budget; the chosen recipe and the steps run are printed), then scored with the
paper's discriminative and predictive scores. Per dataset it prints and writes to `--out-dir`
(summary.json): the recipe, wall times per phase, the time to the first step of each phase, the
seconds per step after it, the full default run extrapolated from them, and the scores beside the
real-on-real predictive score and the metric's floor (unless `--no-floor`): the scores of a held-out
draw of the same data (other rows of the same sources) against the training rows, what a generator of
fresh samples from the real process would score.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import timegan  # noqa: E402
from common import distribute  # noqa: E402
from common.timegan import recipe  # noqa: E402

DATASETS = ("wide", "pen_wide", "fault", "long_univariate", "two_feature")
WIDE_ROWS = 14_000
UPSAMPLING = 4
STATE_HOLD_ROWS = 8
SMOOTHING_ROWS = 16
ON_QUANTILE = 0.75
# fault_train.csv's rows; fault_test.csv (2,803 rows) gives as many held-out ones.
FAULT_ROWS = 1867
LONG_ROWS = 20_000
TWO_FEATURE_ROWS = 10_000
SEQ_LEN = 24
# The noise columns of a table and of its held-out draw.
TRAINING_SEED, HELD_OUT_SEED = 0, 1


def trajectories(data_dir, split="train"):
    """The `split` ("train", "test") trajectories: [(pen velocities x, y, force (length, 3) float32 as stored,
    character label)]."""
    stored = np.load(Path(data_dir) / "character_trajectories.npz")
    return [(sequence[:length], int(label)) for sequence, length, label
            in zip(stored[f"x_{split}"], stored[f"lengths_{split}"], stored[f"y_{split}"])]


def pen_velocities(data_dir, split="train"):
    """The `split` trajectories' pen velocities (x, y, force) concatenated without their padding: (T, 3)."""
    return np.concatenate([velocities for velocities, _ in trajectories(data_dir, split)])


def pen_wide_table(data_dir, held_out=False):
    """A >= 20-column table of one process, the handwriting (WIDE_ROWS rows of the trajectories one after
    another; `held_out`: the test trajectories and other noise): every column but the noise is a function
    of the pen's path, so a held-out draw combines the columns as the training rows do.

    Slow smooth columns (positions and ink within each character, the share of the character written,
    smoothed velocities), the velocities and force, spiky heavy-tailed ones (squared acceleration and
    jerk), on/off exceedances (of the acceleration, of the force: the pen down), the character on 20
    levels held over its rows, an exact linear relation, a constant, a duplicate and two noise columns.
    """
    rng = np.random.default_rng(HELD_OUT_SEED if held_out else TRAINING_SEED)
    written = trajectories(data_dir, "test" if held_out else "train")
    parts, rows = [], 0
    # The files hold the characters class by class; a shuffled order mixes them as writing would.
    for index in rng.permutation(len(written)):
        velocities, label = written[index]
        vx, vy, force = velocities.astype(np.float64).T
        speed = np.hypot(vx, vy)
        acceleration_x, acceleration_y = np.diff(vx, prepend=0.0), np.diff(vy, prepend=0.0)
        parts.append(pd.DataFrame({
            "vx": vx, "vy": vy, "force": force, "x": np.cumsum(vx), "y": np.cumsum(vy), "speed": speed,
            "ink": np.cumsum(speed), "progress": np.arange(1, len(vx) + 1) / len(vx),
            "acceleration_sq": np.square(acceleration_x) + np.square(acceleration_y),
            "jerk_sq": (np.square(np.diff(acceleration_x, prepend=0.0))
                        + np.square(np.diff(acceleration_y, prepend=0.0))),
            "character": label}))
        rows += len(vx)
        if rows >= WIDE_ROWS:
            break
    table = pd.concat(parts, ignore_index=True).iloc[:WIDE_ROWS]
    for name in ("vx", "vy", "force"):
        table[f"{name}_slow"] = table[name].rolling(SMOOTHING_ROWS, min_periods=1).mean()
    threshold = np.quantile(table["acceleration_sq"], ON_QUANTILE)
    table["jerky"] = (10 * (table["acceleration_sq"] > threshold)).astype(np.int64)
    table["pen_down"] = (table["force"] > np.quantile(table["force"], 1 - ON_QUANTILE)).astype(np.int64)
    table["x_minus_y"] = table["x"] - table["y"]
    table["Press"] = 755.0
    table["noise_normal"] = rng.normal(size=len(table))
    table["noise_uniform"] = rng.uniform(size=len(table))
    table["vx_copy"] = table["vx"]
    return table


def wide_table(data_dir, held_out=False):
    """The >= 20-column table described in the module docstring (WIDE_ROWS rows).

    `held_out`: a second draw of the same kinds of columns from rows the first does not use: the test
    trajectories and fault_test.csv, other noise, the prices interpolated half a row later and the
    daily series tiled from halfway through the stock file.
    """
    rng = np.random.default_rng(HELD_OUT_SEED if held_out else TRAINING_SEED)
    stocks = pd.read_csv(Path(data_dir) / "stock_data.csv")
    fault = pd.read_csv(Path(data_dir) / ("fault_test.csv" if held_out else "fault_train.csv"))
    pen = pen_velocities(data_dir, "test" if held_out else "train")[:WIDE_ROWS]
    fine = np.linspace(0, len(stocks) - 1, WIDE_ROWS)
    if held_out:
        fine = np.minimum(fine + (fine[1] - fine[0]) / 2, len(stocks) - 1)
    start = len(stocks) // 2 if held_out else 0

    def interpolated(name):
        return np.interp(fine, np.arange(len(stocks)), stocks[name].to_numpy())

    def tiled(values):
        return np.resize(np.roll(np.asarray(values), -start), WIDE_ROWS)

    def held(values):
        return np.repeat(np.asarray(values), STATE_HOLD_ROWS)[:WIDE_ROWS]

    volume = tiled(stocks["Volume"].to_numpy())
    table = pd.DataFrame({
        "Open": interpolated("Open"), "High": interpolated("High"), "Low": interpolated("Low"),
        "Close": interpolated("Close"),
        "spread": interpolated("High") - interpolated("Low"),
        "Volume": volume,
        "abs_change": tiled(np.abs(np.diff(stocks["Close"].to_numpy(), prepend=stocks["Close"].iloc[0]))),
        "pen_vx": pen[:, 0], "pen_vy": pen[:, 1], "pen_force": pen[:, 2],
        "pen_x": np.cumsum(pen[:, 0]), "pen_y": np.cumsum(pen[:, 1]),
        "pen_vx_slow": pd.Series(pen[:, 0]).rolling(SMOOTHING_ROWS, min_periods=1).mean().to_numpy(),
        "state": held(np.resize(fault["state"].to_numpy(), WIDE_ROWS)).astype(np.int64),
        "lights": (10 * (volume > np.quantile(volume, ON_QUANTILE))).astype(np.int64),
        "IA_p": held(np.resize(fault["IA_p"].to_numpy(), WIDE_ROWS)),
        "Rs_A": held(np.resize(fault["Rs_A"].to_numpy(), WIDE_ROWS)),
        "Press": 755.0,
        "noise_normal": rng.normal(size=WIDE_ROWS),
        "noise_uniform": rng.uniform(size=WIDE_ROWS),
    })
    table["Close_copy"] = table["Close"]
    return table


def build_dataset(name, data_dir, held_out=False):
    """The dataset `name` (DATASETS) as a frame; `held_out`: a draw of the same kind from other rows
    (fault_test.csv, the test trajectories), which scores the metric's floor: what data from the real
    process, not copied from the training rows, scores against them."""
    if name == "wide":
        return wide_table(data_dir, held_out)
    if name == "pen_wide":
        return pen_wide_table(data_dir, held_out)
    if name == "fault":
        fault = pd.read_csv(Path(data_dir) / ("fault_test.csv" if held_out else "fault_train.csv"))
        return fault.iloc[:FAULT_ROWS]
    pen = pen_velocities(data_dir, "test" if held_out else "train")
    if name == "long_univariate":
        return pd.DataFrame({"pen_vx": pen[:LONG_ROWS, 0]})
    return pd.DataFrame({"pen_vx": pen[:TWO_FEATURE_ROWS, 0], "pen_vy": pen[:TWO_FEATURE_ROWS, 1]})


def roughness(frame):
    """Mean |step-to-step change| / std per varying column (0 = smooth, about 1.1 = white noise)."""
    values = frame.to_numpy(dtype=np.float64)
    spread = values.std(axis=0)
    varying = spread > 0
    rough = np.abs(np.diff(values, axis=0)).mean(axis=0)[varying] / spread[varying]
    return dict(zip(frame.columns[varying], np.round(rough, 4)))


class StepClock:
    """Wall-clock times of each training step, per phase, read off the shared training monitor."""

    def __init__(self):
        from common import training

        self.phases = []
        monitor = training.TrainingMonitor
        original_begin, original_end = monitor.on_train_begin, monitor.on_train_batch_end
        clock = self

        def on_train_begin(callback, logs=None):
            clock.phases.append({"name": callback.model.name, "begin": time.perf_counter(), "steps": []})
            original_begin(callback, logs)

        def on_train_batch_end(callback, batch, logs=None):
            clock.phases[-1]["steps"].append(time.perf_counter())
            original_end(callback, batch, logs)

        monitor.on_train_begin, monitor.on_train_batch_end = on_train_begin, on_train_batch_end

    def summary(self, full_steps):
        """Per phase: first-step seconds, seconds per later step, wall seconds, and the full-run estimate."""
        rows = []
        for phase, steps in zip(self.phases[-len(full_steps):], full_steps):
            times = phase["steps"]
            first = times[0] - phase["begin"]
            per_step = (times[-1] - times[0]) / max(len(times) - 1, 1)
            rows.append({"phase": phase["name"], "steps_run": len(times), "first_step_s": round(first, 1),
                         "s_per_step": round(per_step, 4), "wall_s": round(times[-1] - phase["begin"], 1),
                         "full_steps": steps, "full_estimate_s": round(first + per_step * (steps - 1), 1)})
        return rows


def main(argv=None):
    # Threads as `python3 timegan.py` sets them, read when TensorFlow's runtime starts.
    distribute.prefer_ops_side_by_side()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--out-dir", default="runs/timegan_generalisation")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--step-fraction", type=float, default=1.0,
                        help="share of the default steps of every phase to run (1: the full default run)")
    parser.add_argument("--train-flags", default="", help="more timegan.py training flags, space-separated")
    parser.add_argument("--metric-iterations", type=int, default=3)
    parser.add_argument("--discriminative-steps", type=int)
    parser.add_argument("--predictive-steps", type=int)
    parser.add_argument("--no-floor", action="store_true", help="skip scoring the held-out draw of each dataset")
    parser.add_argument("--floor-only", action="store_true", help="score only the held-out draws (no training)")
    args = parser.parse_args(argv)
    if args.no_floor and args.floor_only:
        parser.error("--no-floor and --floor-only exclude each other: the second scores only the floor")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clock = StepClock()
    summary = {}
    for name in args.datasets.split(","):
        frame = build_dataset(name, args.data_dir)
        csv = out_dir / f"{name}.csv"
        frame.to_csv(csv, index=False)
        rough = roughness(frame)
        print(f"== {name}: {frame.shape[0]} rows x {frame.shape[1]} columns; roughness (mean |change| / std) "
              f"from {min(rough.values())} to {max(rough.values())}", flush=True)
        if not args.no_floor:
            floor = floor_scores(frame, build_dataset(name, args.data_dir, held_out=True), args)
            summary.setdefault(name, {})["floor"] = floor
            (out_dir / "summary.json").write_text(json.dumps(summary, indent=1, default=float))
            print(f"== {name}: floor (held-out draw vs the training rows): discriminative "
                  f"{floor['discriminative_score']['mean']:.3f} ± {floor['discriminative_score']['std']:.3f}, "
                  f"predictive {floor['predictive_score']['mean']:.4f} (real "
                  f"{floor['predictive_score_real']['mean']:.4f})", flush=True)
        if args.floor_only:
            continue
        run_dir = out_dir / name
        flags = ["--data", str(csv), "--out-dir", str(run_dir), "--overwrite", "--sample-every", "100000",
                 "--checkpoint-every", "1000", *args.train_flags.split()]
        if args.step_fraction != 1.0:
            modelled = len(timegan_plan_columns(csv))
            full = recipe.choose_recipe(modelled, len(frame) - SEQ_LEN + 1)
            reduced = [max(int(steps * args.step_fraction), 2) for steps in full.steps]
            flags += [item for flag, steps in zip(("--autoencoder-steps", "--supervisor-steps", "--joint-steps"),
                                                  reduced) for item in (flag, str(steps))]
        began = time.perf_counter()
        assert timegan.main(flags) == 0
        train_seconds = time.perf_counter() - began
        modelled = len(timegan_plan_columns(csv))
        full_steps = recipe.choose_recipe(modelled, len(frame) - SEQ_LEN + 1).steps
        metrics = out_dir / f"{name}_scores.json"
        evaluate = ["--generator", str(run_dir / f"timegan_{name}.h5"), "--data", str(csv), "--evaluate",
                    "--metric-iterations", str(args.metric_iterations), "--metrics-json", str(metrics),
                    "--out-dir", str(out_dir)]
        for flag, value in (("--discriminative-steps", args.discriminative_steps),
                            ("--predictive-steps", args.predictive_steps)):
            if value:
                evaluate += [flag, str(value)]
        began = time.perf_counter()
        assert timegan.main(evaluate) == 0
        scores = json.loads(metrics.read_text())
        summary[name] = {
            **summary.get(name, {}), "rows": frame.shape[0], "columns": frame.shape[1], "roughness": rough,
            "train_s": round(train_seconds, 1), "evaluate_s": round(time.perf_counter() - began, 1),
            "phases": clock.summary(full_steps),
            **{key: scores[key] for key in ("discriminative_score", "predictive_score", "predictive_score_real")},
        }
        (out_dir / "summary.json").write_text(json.dumps(summary, indent=1, default=float))
        phases = summary[name]["phases"]
        print(f"== {name}: trained in {train_seconds:.0f} s; full default run estimated "
              f"{sum(row['full_estimate_s'] for row in phases) / 60:.0f} min; discriminative "
              f"{scores['discriminative_score']['mean']:.3f}, predictive {scores['predictive_score']['mean']:.4f} "
              f"(real {scores['predictive_score_real']['mean']:.4f})", flush=True)
        for row in phases:
            print(f"   {row}", flush=True)
    return 0


def floor_scores(frame, held_out, args):
    """The paper's scores of the `held_out` frame's windows against `frame`'s, in the units timegan.py's
    evaluation scores generated windows in."""
    from common.timegan import data, evaluation

    real, score_scaler = evaluation.scored_real_windows(frame.to_numpy(dtype=np.float64), SEQ_LEN)
    fresh = data.sliding_windows(score_scaler.transform(held_out[frame.columns].to_numpy(dtype=np.float64)),
                                 SEQ_LEN).astype("float32")
    return evaluation.paper_scores(real, fresh, args.metric_iterations,
                                   args.discriminative_steps or timegan.DEFAULTS.discriminative_steps,
                                   args.predictive_steps or timegan.DEFAULTS.predictive_steps,
                                   timegan.build_parser().get_default("seed"))


def timegan_plan_columns(csv):
    """The columns timegan.py models for `csv` (as its defaults plan them)."""
    from common.timegan import columns, data

    table = data.read_table(csv)
    return columns.plan_columns(table.frame, table.dtypes, table.dropped).modelled


if __name__ == "__main__":
    sys.exit(main())
