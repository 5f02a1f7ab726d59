"""Multivariate time series for TimeGAN: Sines, Stocks, Energy and any numeric CSV, as scaled windows.

Data are prepared as in Yoon et al. 2019: each column min-max scaled to [0, 1], cut into sliding
windows of `seq_len` consecutive rows (stride 1), shuffled. Sines are generated as independent
sequences instead. The fitted scaler travels with a trained generator in its JSON sidecar, so
generated windows can be turned back into the data's original units without the training data.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common.data import download, resolve_data_dir
from common.errors import ToolkitError

DATASETS = ("sines", "stocks", "energy")
# The paper's sine data: 10,000 sequences of 5 features, sin(frequency * t + phase) with frequency
# and phase ~ U(0, 0.1), mapped from [-1, 1] to [0, 1].
SINES_SEQUENCES = 10_000
SINES_FEATURES = 5
SINES_MAX_FREQUENCY = 0.1
SINES_MAX_PHASE = 0.1
STOCKS_FILE = "stock_data.csv"
# The TimeGAN repository's file, pinned to one commit so that its checksum holds.
STOCKS_URL = ("https://raw.githubusercontent.com/jsyoon0823/TimeGAN/8f6181cb9b9d2fa0c930cd902411d9ac8a308e07/"
              "data/stock_data.csv")
STOCKS_SHA256 = "134b8a00eb4eefa3242dd7ae85144082da80dedf75a1a656d5d08f97cd95277a"
ENERGY_FILE = "energydata_complete.csv"
ENERGY_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/00374/energydata_complete.csv"
# The UCI file's timestamp column; the other 28 columns are the measurements TimeGAN uses.
ENERGY_DATE_COLUMN = "date"
# As in the reference scaler: keeps a constant column from dividing by zero.
SCALE_EPSILON = 1e-7
VALUE_EXAMPLE_CHARS = 40


@dataclass(frozen=True)
class MinMaxScaler:
    """Per-column min-max scaling: original units <-> [0, 1]. `minimum`, `maximum`: (features,) float64."""

    minimum: np.ndarray
    maximum: np.ndarray

    @classmethod
    def fit(cls, values):
        """The scaler of `values` (..., features): min and max of each feature over everything else."""
        flat = np.asarray(values, dtype=np.float64).reshape(-1, np.shape(values)[-1])
        return cls(flat.min(axis=0), flat.max(axis=0))

    def scale(self, values):
        """Original units (..., features) -> [0, 1] on the fitted range."""
        return (np.asarray(values, dtype=np.float64) - self.minimum) / (self.maximum - self.minimum + SCALE_EPSILON)

    def unscale(self, scaled):
        """[0, 1] (..., features) -> original units (the inverse of `scale`)."""
        return np.asarray(scaled, dtype=np.float64) * (self.maximum - self.minimum + SCALE_EPSILON) + self.minimum

    def to_json(self):
        return {"min": [float(value) for value in self.minimum], "max": [float(value) for value in self.maximum]}

    @classmethod
    def from_json(cls, stored):
        return cls(np.asarray(stored["min"], dtype=np.float64), np.asarray(stored["max"], dtype=np.float64))


@dataclass(frozen=True)
class SeriesData:
    """Windows ready for training: `windows` (N, seq_len, features) float32 in [0, 1], shuffled.

    `columns`: feature names; `scaler`: maps the windows back to original units; `source`: what they
    were read from (a dataset name or a CSV path).
    """

    windows: np.ndarray
    columns: list
    scaler: MinMaxScaler
    source: str


def make_sines(count, seq_len, num_features, seed):
    """The paper's sine data: (count, seq_len, num_features) float64 in [0, 1], one frequency and phase per feature."""
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0, SINES_MAX_FREQUENCY, (count, 1, num_features))
    phase = rng.uniform(0, SINES_MAX_PHASE, (count, 1, num_features))
    steps = np.arange(seq_len, dtype=np.float64)[None, :, None]
    return (np.sin(frequency * steps + phase) + 1) / 2


def read_numeric_csv(path, drop_columns=()):
    """A CSV whose columns (after `drop_columns`) are all numbers -> DataFrame of float64, file order kept."""
    path = Path(path)
    if not path.is_file():
        raise ToolkitError(f"data file not found: {path}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ToolkitError(f"cannot read {path} as CSV ({str(error).strip().splitlines()[0]})") from error
    frame = frame.drop(columns=[name for name in drop_columns if name in frame.columns])
    if frame.shape[1] == 0 or len(frame) == 0:
        raise ToolkitError(f"{path} must hold a header and at least one row of numeric columns; "
                           f"got {len(frame)} rows and {frame.shape[1]} columns")
    for name in frame.columns:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        bad = numbers.isna() & frame[name].notna()
        if bad.any():
            example = str(frame[name][bad].iloc[0])[:VALUE_EXAMPLE_CHARS]
            raise ToolkitError(f"every column of {path} must be numeric; column {name!r} holds {example!r}")
        if numbers.isna().any():
            row = int(np.flatnonzero(numbers.isna().to_numpy())[0])
            raise ToolkitError(f"{path} must have no missing values; column {name!r} is empty in data row {row + 1}")
        frame[name] = numbers.astype(np.float64)
    return frame


def dataset_path(dataset, data_dir):
    """Where a named dataset's file lives, downloading it from its source when it is missing."""
    folder = resolve_data_dir(data_dir)
    if dataset == "stocks":
        path = folder / STOCKS_FILE
        if not path.is_file():
            download(STOCKS_URL, path, sha256=STOCKS_SHA256)
        return path
    path = folder / ENERGY_FILE
    if not path.is_file():
        # UCI publishes no checksum for this file, and none could be confirmed offline, so the download
        # is not verified; the loader still checks that it is the 28 numeric columns TimeGAN uses.
        download(ENERGY_URL, path)
    return path


def load_series(source, data_dir=None):
    """The rows of a named dataset ("stocks", "energy") or CSV path, as (DataFrame float64, source text).

    Rows keep the file's (chronological) order: the reference loader reverses them, which for these
    files runs time backwards; the generated windows should read forwards like the data.
    """
    if source in DATASETS:
        path = dataset_path(source, data_dir)
        drop = (ENERGY_DATE_COLUMN,) if source == "energy" else ()
        return read_numeric_csv(path, drop_columns=drop), source
    path = Path(source)
    if not path.is_file() and not path.is_absolute() and (resolve_data_dir(data_dir) / path).is_file():
        path = resolve_data_dir(data_dir) / path
    return read_numeric_csv(path), str(path)


def sliding_windows(values, seq_len):
    """Rows (T, features) -> every window of `seq_len` consecutive rows (T - seq_len + 1, seq_len, features)."""
    values = np.asarray(values)
    if len(values) < seq_len:
        raise ToolkitError(f"the data must have at least --seq-len {seq_len} rows to make one window; "
                           f"got {len(values)}")
    starts = np.arange(len(values) - seq_len + 1)
    return values[starts[:, None] + np.arange(seq_len)[None, :]]


def training_data(source, seq_len, data_dir, seed):
    """Shuffled training windows of a dataset name or CSV path, scaled to [0, 1] (see SeriesData).

    Sines are generated with `seed` (SINES_SEQUENCES of them); the others are read and cut into windows.
    """
    rng = np.random.default_rng(seed)
    if source == "sines":
        sequences = make_sines(SINES_SEQUENCES, seq_len, SINES_FEATURES, seed)
        scaler = MinMaxScaler.fit(sequences)
        columns = [f"sine_{index + 1}" for index in range(SINES_FEATURES)]
        return SeriesData(scaler.scale(sequences).astype("float32"), columns, scaler, source)
    frame, source_text = load_series(source, data_dir)
    scaler = MinMaxScaler.fit(frame.to_numpy())
    windows = sliding_windows(scaler.scale(frame.to_numpy()), seq_len)
    return SeriesData(windows[rng.permutation(len(windows))].astype("float32"), [str(name) for name in frame.columns],
                      scaler, source_text)


def evaluation_windows(source, seq_len, data_dir, scaler, columns, sines_seed):
    """The real windows a generator is scored against, scaled with the generator's own `scaler`.

    Sines are regenerated with the training seed; CSV data must have the generator's `columns`.
    """
    if source == "sines":
        return scaler.scale(make_sines(SINES_SEQUENCES, seq_len, SINES_FEATURES, sines_seed)).astype("float32")
    frame, source_text = load_series(source, data_dir)
    found = [str(name) for name in frame.columns]
    if found != list(columns):
        raise ToolkitError(f"the data's columns must be those the generator was trained on ({', '.join(columns)}); "
                           f"{source_text} has {', '.join(found)}")
    return sliding_windows(scaler.scale(frame.to_numpy()), seq_len).astype("float32")


def window_batches(windows, batch_size, seed, batches_per_step=1):
    """An endless shuffled tf.data of float32 window batches (batch, seq_len, features).

    With `batches_per_step` > 1 each element stacks that many independent batches:
    (batches_per_step, batch, seq_len, features), for a train step that makes several updates.
    """
    import tensorflow as tf

    if batch_size > len(windows):
        raise ToolkitError(f"--batch-size must be at most the {len(windows)} training windows; got {batch_size}")
    dataset = tf.data.Dataset.from_tensor_slices(np.asarray(windows, dtype="float32"))
    dataset = dataset.shuffle(len(windows), seed=seed, reshuffle_each_iteration=True).repeat()
    dataset = dataset.batch(batch_size, drop_remainder=True)
    if batches_per_step > 1:
        dataset = dataset.batch(batches_per_step, drop_remainder=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


def windows_frame(windows, columns):
    """The generated-CSV layout: one row per time step, `sample, step, <columns>` (windows (N, seq_len, F))."""
    count, seq_len, _ = windows.shape
    frame = pd.DataFrame({"sample": np.repeat(np.arange(count), seq_len), "step": np.tile(np.arange(seq_len), count)})
    for index, name in enumerate(columns):
        frame[name] = windows[:, :, index].ravel()
    return frame
