"""Multivariate time series for TimeGAN: Sines, Stocks, Energy and any numeric CSV, as scaled windows.

Data are prepared as in Yoon et al. 2019: each modelled column min-max scaled to [0, 1], cut into
sliding windows of `seq_len` consecutive rows (stride 1), shuffled. A CSV's date/time and row-number
columns are dropped once the rows are checked to be in time order, and `columns` plans the rest
(constant, duplicate, linear relation, discrete, log1p-transformed). Sines are generated as independent
sequences instead. The fitted scaler travels with a trained generator in its sidecar, so generated
windows can be turned back into the data's original units without the training data.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common.datafiles import download, resolve_data_dir
from common.errors import ToolkitError, first_line
from common.scaling import MinMaxScaler
from common.timegan import columns
from common.timegan.names import DATASETS

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
# The networks end in a sigmoid.
SCALED_RANGE = (0.0, 1.0)
VALUE_EXAMPLE_CHARS = 40


@dataclass(frozen=True)
class SeriesData:
    """Windows ready for training: `windows` (N, seq_len, modelled features) float32 in [0, 1], shuffled.

    `columns`: the modelled columns; `scaler`: maps the windows back to the modelled columns' encoded
    units; `source`: what they were read from (a dataset name or a CSV path); `plan`: every output
    column, from the modelled ones (`columns.ColumnPlan`).
    """

    windows: np.ndarray
    columns: list
    scaler: MinMaxScaler
    source: str
    plan: columns.ColumnPlan


def data_name(source):
    """`stocks` for a dataset, the file stem for a CSV: names the run folder and the model files."""
    return source if source in DATASETS else Path(source).stem


def make_sines(count, seq_len, num_features, seed):
    """The paper's sine data: (count, seq_len, num_features) float64 in [0, 1], one frequency and phase per feature."""
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0, SINES_MAX_FREQUENCY, (count, 1, num_features))
    phase = rng.uniform(0, SINES_MAX_PHASE, (count, 1, num_features))
    steps = np.arange(seq_len, dtype=np.float64)[None, :, None]
    return (np.sin(frequency * steps + phase) + 1) / 2


@dataclass(frozen=True)
class Table:
    """A CSV's measurements: `frame` float64 columns in file order, `dtypes` {column: "int64"/"float64"}
    as read, `dropped` the time-stamp and row-index columns removed (rows checked to be in time order)."""

    frame: pd.DataFrame
    dtypes: dict
    dropped: list


def time_stamps(column):
    """The column as datetime64 if every value is a date/time text, else None."""
    if pd.api.types.is_numeric_dtype(column):
        return None
    with warnings.catch_warnings():
        # pandas warns when it has to guess the format per value; a failed parse is what is tested.
        warnings.simplefilter("ignore", UserWarning)
        stamps = pd.to_datetime(column, errors="coerce")
    return stamps if stamps.notna().all() else None


def is_row_index(numbers):
    """Integers that are 0..n-1 or 1..n in some order: a row number, not a measurement."""
    values = numbers.to_numpy()
    if not pd.api.types.is_integer_dtype(numbers) or len(values) < 2:
        return False
    ordered = np.sort(values)
    return ordered[0] in (0, 1) and np.array_equal(ordered, np.arange(ordered[0], ordered[0] + len(values)))


def check_time_order(path, name, keys):
    """A one-line error unless `keys` (time stamps or row numbers) never go back."""
    order = keys.astype("int64").to_numpy() if pd.api.types.is_datetime64_any_dtype(keys) else keys.to_numpy()
    backwards = np.flatnonzero(np.diff(order) < 0)
    if len(backwards):
        row = int(backwards[0]) + 1
        raise ToolkitError(f"the rows of {path} must be in time order; column {name!r} goes back from "
                           f"{keys.iloc[row - 1]} to {keys.iloc[row]} at data row {row + 1}")


def read_table(path):
    """A CSV of numeric columns, plus date/time or row-index columns (dropped once checked in time order)."""
    path = Path(path)
    if not path.is_file():
        raise ToolkitError(f"data file not found: {path}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ToolkitError(f"cannot read {path} as CSV ({first_line(error)})") from error
    if len(frame) == 0:
        raise ToolkitError(f"{path} must hold a header and at least one row of numeric columns; "
                           f"got {len(frame)} rows and {frame.shape[1]} columns")
    dtypes, dropped = {}, []
    for name in list(frame.columns):
        stamps = time_stamps(frame[name])
        if stamps is not None:
            check_time_order(path, name, stamps)
            dropped.append(str(name))
            frame = frame.drop(columns=[name])
            continue
        numbers = pd.to_numeric(frame[name], errors="coerce")
        bad = numbers.isna() & frame[name].notna()
        if bad.any():
            example = str(frame[name][bad].iloc[0])[:VALUE_EXAMPLE_CHARS]
            raise ToolkitError(f"every column of {path} must be numeric or date/time; column {name!r} holds "
                               f"{example!r}")
        if numbers.isna().any():
            row = int(np.flatnonzero(numbers.isna().to_numpy())[0])
            raise ToolkitError(f"{path} must have no missing values; column {name!r} is empty in data row {row + 1}")
        if is_row_index(numbers):
            check_time_order(path, name, numbers)
            dropped.append(str(name))
            frame = frame.drop(columns=[name])
            continue
        dtypes[str(name)] = columns.frame_dtypes(numbers.to_frame())[name]
        frame[name] = numbers.astype(np.float64)
    frame.columns = [str(name) for name in frame.columns]
    if frame.shape[1] == 0:
        raise ToolkitError(f"{path} must hold at least one numeric column besides time stamps and row numbers; "
                           f"got only {', '.join(dropped) or 'none'}")
    return Table(frame, dtypes, dropped)


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
        # is not verified; the loader still checks that every column is a number or a time stamp.
        download(ENERGY_URL, path)
    return path


def load_table(source, data_dir=None):
    """The rows of a named dataset ("stocks", "energy") or CSV path, as (Table, source text).

    Rows keep the file's (chronological) order: the reference loader reverses them, which for these
    files runs time backwards; the generated windows should read forwards like the data.
    """
    if source in DATASETS:
        return read_table(dataset_path(source, data_dir)), source
    path = Path(source)
    if not path.is_file() and not path.is_absolute() and (resolve_data_dir(data_dir) / path).is_file():
        path = resolve_data_dir(data_dir) / path
    return read_table(path), str(path)


def sliding_windows(values, seq_len):
    """Rows (T, features) -> every window of `seq_len` consecutive rows (T - seq_len + 1, seq_len, features)."""
    values = np.asarray(values)
    if len(values) < seq_len:
        raise ToolkitError(f"the data must have at least --seq-len {seq_len} rows to make one window; "
                           f"got {len(values)}")
    starts = np.arange(len(values) - seq_len + 1)
    return values[starts[:, None] + np.arange(seq_len)[None, :]]


def sine_columns():
    return [f"sine_{index + 1}" for index in range(SINES_FEATURES)]


def training_data(source, seq_len, data_dir, seed, transforms=None, raw_columns=False):
    """Shuffled training windows of a dataset name or CSV path, scaled to [0, 1] (see SeriesData).

    Sines are generated with `seed` (SINES_SEQUENCES of them); the others are read, planned column by
    column (`transforms`, `raw_columns`: see `columns.plan_columns`) and cut into windows of the
    modelled columns.
    """
    rng = np.random.default_rng(seed)
    if source == "sines":
        sequences = make_sines(SINES_SEQUENCES, seq_len, SINES_FEATURES, seed)
        scaler = MinMaxScaler.fit(sequences, SCALED_RANGE)
        return SeriesData(scaler.transform(sequences).astype("float32"), sine_columns(), scaler, source,
                          columns.ColumnPlan.all_modelled(sine_columns()))
    table, source_text = load_table(source, data_dir)
    plan = columns.plan_columns(table.frame, table.dtypes, table.dropped, transforms, raw_columns)
    encoded = plan.encode(table.frame)
    scaler = MinMaxScaler.fit(encoded, SCALED_RANGE)
    windows = sliding_windows(scaler.transform(encoded), seq_len)
    return SeriesData(windows[rng.permutation(len(windows))].astype("float32"), plan.modelled, scaler, source_text,
                      plan)


def real_rows(source, data_dir, names):
    """The rows (T, columns) float64 of a CSV dataset's columns `names`, which must be all the data has."""
    table, source_text = load_table(source, data_dir)
    found = list(table.frame.columns)
    if found != list(names):
        raise ToolkitError(f"the data's columns must be those the generator was trained on ({', '.join(names)}); "
                           f"{source_text} has {', '.join(found)}")
    return table.frame.to_numpy(dtype=np.float64)


# The generated CSV's first columns: each row's window and its step in that window.
WINDOW_INDEX_COLUMNS = ("sample", "step")


def windows_frame(decoded, names):
    """The generated-CSV layout: one row per time step, `sample, step, <names>`.

    `decoded`: {column: (N, seq_len) array}, each kept in its dtype.
    """
    count, seq_len = np.shape(decoded[names[0]])
    window, step = WINDOW_INDEX_COLUMNS
    frame = pd.DataFrame({window: np.repeat(np.arange(count), seq_len), step: np.tile(np.arange(seq_len), count)})
    for name in names:
        frame[name] = np.asarray(decoded[name]).ravel()
    return frame
