"""Benchmark: what tells generated TimeGAN windows from real ones, column by column.

    python3 timegan.py --generator RUN/timegan_wide.h5 --samples 4000 --csv generated.csv
    python3 benchmarks/timegan_tells.py --real wide.csv --generated generated.csv [--seq-len 24]

Real windows are drawn at random from the real CSV (as many as were generated); both sides are put in
[0, 1] units with the real columns' minimum and maximum. Printed, each a 3-fold cross-validated accuracy
of a gradient-boosted classifier (0.5: no tell, 1.0: told apart every time) or a generated / real ratio:

- all columns: per-window summaries (each column's mean, spread within the window, mean |change|),
  the window means alone, and the first step's values alone (a tell there is in the rows, not in
  their sequence);
- per column: the first step's value alone (the shape of its distribution), its window summaries,
  and the ratios of mean |change| (roughness), of the spread within a window and of the spread of the
  window means across windows, with the lag-1 autocorrelation of each side.

No TensorFlow: it reads the CSVs that timegan.py writes.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import cross_val_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common.timegan.data import WINDOW_INDEX_COLUMNS  # noqa: E402

FOLDS = 3
BOOSTING_ITERATIONS = 100


def accuracy(real_features, generated_features, seed):
    """Cross-validated accuracy of telling the rows of `real_features` from those of `generated_features`."""
    features = np.concatenate([real_features, generated_features])
    labels = np.r_[np.ones(len(real_features)), np.zeros(len(generated_features))]
    classifier = HistGradientBoostingClassifier(max_iter=BOOSTING_ITERATIONS, random_state=seed)
    return float(cross_val_score(classifier, features, labels, cv=FOLDS).mean())


def window_summaries(windows):
    """(N, seq_len, F) -> (N, 3F): each column's mean, spread within the window and mean |change|."""
    return np.concatenate([windows.mean(1), windows.std(1), np.abs(np.diff(windows, axis=1)).mean(1)], axis=1)


def lag1_autocorrelation(windows):
    """Lag-1 autocorrelation of one column's windows (N, seq_len), each centred on its own mean."""
    centred = windows - windows.mean(1, keepdims=True)
    return float((centred[:, 1:] * centred[:, :-1]).sum() / max((centred ** 2).sum(), 1e-12))


def ratio(generated, real):
    return generated / real if real > 0 else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", required=True, help="the CSV the generator was trained on")
    parser.add_argument("--generated", required=True, help="windows written by timegan.py --generator ... --csv")
    parser.add_argument("--seq-len", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    generated_frame = pd.read_csv(args.generated)
    columns = [name for name in generated_frame.columns if name not in WINDOW_INDEX_COLUMNS]
    real_frame = pd.read_csv(args.real)[columns]
    low, span = real_frame.min(), (real_frame.max() - real_frame.min()).replace(0, 1)
    real_rows = ((real_frame - low) / span).to_numpy()
    generated = ((generated_frame[columns] - low) / span).to_numpy().reshape(-1, args.seq_len, len(columns))
    rng = np.random.default_rng(args.seed)
    starts = rng.choice(len(real_rows) - args.seq_len + 1, len(generated), replace=False)
    real = np.stack([real_rows[start:start + args.seq_len] for start in starts])

    print(f"{len(real)} real and {len(generated)} generated windows of {args.seq_len} steps x {len(columns)} columns")
    summaries = accuracy(window_summaries(real), window_summaries(generated), args.seed)
    print(f"all columns, window summaries: {summaries:.3f}")
    print(f"all columns, window means:     {accuracy(real.mean(1), generated.mean(1), args.seed):.3f}")
    print(f"all columns, first step:       {accuracy(real[:, 0], generated[:, 0], args.seed):.3f}")
    print(f"{'column':16s} {'first step':>10s} {'summaries':>9s} {'|change|':>8s} {'spread':>7s} "
          f"{'means':>6s} {'lag-1 real':>10s} {'generated':>9s}")
    for index, name in enumerate(columns):
        real_column, generated_column = real[:, :, index], generated[:, :, index]
        if real_column.std() == 0:
            continue
        first = accuracy(real_column[:, :1], generated_column[:, :1], args.seed)
        summaries = accuracy(window_summaries(real_column[..., None]), window_summaries(generated_column[..., None]),
                             args.seed)
        change = ratio(np.abs(np.diff(generated_column, axis=1)).mean(), np.abs(np.diff(real_column, axis=1)).mean())
        spread = ratio(generated_column.std(1).mean(), real_column.std(1).mean())
        means = ratio(generated_column.mean(1).std(), real_column.mean(1).std())
        print(f"{name:16s} {first:10.3f} {summaries:9.3f} {change:8.2f} {spread:7.2f} {means:6.2f} "
              f"{lag1_autocorrelation(real_column):10.2f} {lag1_autocorrelation(generated_column):9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
