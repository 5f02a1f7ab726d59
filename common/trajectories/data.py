"""CharacterTrajectories: raw UEA files -> npz, loading and checking it, and the 'still writing' end signal.

A series is a handwritten letter as pen-tip velocities (x, y, force) sampled at 200 Hz, already
standardised by the archive (each channel has std ~1). The npz layout:

- `x_train` (1422, 182, 3), `x_test` (1436, 182, 3) float32, zero after each series' length;
- `lengths_*` (N,) int32, `dim_lengths_*` (N, 3) int32 (per-dimension lengths as stored);
- `y_*` (N,) int64 labels 0..19 (the archive's 1..20 minus 1); `class_names` (20,) one letter each.

The raw archive comes as per-dimension ARFF files (`CharacterTrajectoriesDimension{1,2,3}_{TRAIN,TEST}.arff`)
or as multivariate `.ts` files (`CharacterTrajectories_{TRAIN,TEST}.ts`); '?' marks padding in both.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from common.datafiles import download, resolve_data_dir
from common.errors import ToolkitError
from common.io import load_arrays, save_arrays
from common.trajectories.names import (
    CHANNELS,
    CLASS_NAMES,
    NPZ_NAME,
    NUM_CHANNELS,
    NUM_CLASSES,
    PROBLEM,
    RAW_FOLDER,
    SPLITS,
)

MISSING = "?"
# The generator's 'still writing' channel: a sequence ends where it first drops below this.
END_THRESHOLD = 0.5

# The canonical per-dimension ARFF files of the (pre-Nov-2023) UEA archive, pinned to one commit;
# timeseriesclassification.com now serves a re-split version.
CANONICAL_ARFF_URL = (
    "https://raw.githubusercontent.com/moradabaz/ProximityForests-python/"
    "a288443303f5f2e450cbf9382d879b2dc1b2d3dc/datasets/CharacterTrajectories/"
)
# Content checks of the canonical files (case counts and the sums of all values the tsml-repo reports).
CANONICAL_SIZES = {"train": 1422, "test": 1436}
CANONICAL_SUMS = {"train": -41497.005, "test": -40388.607}
CANONICAL_SUM_TOLERANCE = 0.05


def arff_name(dimension, split):
    """File name of one dimension (1-based) of one split in the per-dimension ARFF release."""
    return f"{PROBLEM}Dimension{dimension}_{split.upper()}.arff"


def ts_name(split):
    """File name of one split in the multivariate `.ts` release."""
    return f"{PROBLEM}_{split.upper()}.ts"


# ---- parsing the raw formats -------------------------------------------------------------------
def _series_values(fields, path, line_number):
    """Numbers of one series (strings, '?' = padding) -> float array cut at its last real value."""
    values = np.full(len(fields), np.nan)
    for index, field in enumerate(fields):
        field = field.strip()
        if field == MISSING:
            continue
        try:
            values[index] = float(field)
        except ValueError:
            raise ToolkitError(f"{path}:{line_number}: values must be numbers or '?'; got {field[:20]!r}") from None
    present = np.flatnonzero(~np.isnan(values))
    length = int(present[-1]) + 1 if len(present) else 0
    if length == 0 or np.isnan(values[:length]).any():
        raise ToolkitError(f"{path}:{line_number}: a series must be values followed only by '?' padding")
    return values[:length]


def _label(text, path, line_number):
    text = text.strip().strip("'\"")
    try:
        label = int(float(text))
    except ValueError:
        label = -1
    if not 1 <= label <= NUM_CLASSES:
        raise ToolkitError(f"{path}:{line_number}: class labels must be 1..{NUM_CLASSES}; got {text[:20]!r}")
    return label - 1


def _data_lines(path, comment):
    """(line number, text) of the lines after '@data', and the header lines before it."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="strict").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ToolkitError(f"cannot read {path}: {error}") from error
    for index, line in enumerate(lines):
        if line.strip().lower() == "@data":
            return [(number + 1, text) for number, text in enumerate(lines) if number > index
                    and text.strip() and not text.lstrip().startswith(comment)], lines[:index]
    raise ToolkitError(f"{path} is not an ARFF/.ts file: it has no '@data' line")


def parse_arff(path):
    """One dimension of a split from a UEA univariate ARFF file.

    Returns `(series, labels)`: a list of float arrays (each cut where its '?' padding starts) and
    int64 labels 0..19.
    """
    rows, header = _data_lines(path, "%")
    attributes = [line for line in header if line.strip().lower().startswith("@attribute")]
    if len(attributes) < 2:
        raise ToolkitError(f"{path}: an ARFF file needs time-step attributes and a class attribute; "
                           f"got {len(attributes)} attributes")
    series, labels = [], []
    for line_number, text in rows:
        fields = text.split(",")
        if len(fields) != len(attributes):
            raise ToolkitError(f"{path}:{line_number}: rows must have {len(attributes)} values; got {len(fields)}")
        series.append(_series_values(fields[:-1], path, line_number))
        labels.append(_label(fields[-1], path, line_number))
    if not series:
        raise ToolkitError(f"{path} holds no data rows")
    return series, np.array(labels, dtype=np.int64)


def parse_ts(path):
    """One split from a multivariate `.ts` file.

    Returns `(series, labels)`: series is a list with one list of per-dimension float arrays
    per case; labels are int64 0..19.
    """
    rows, _ = _data_lines(path, "#")
    series, labels = [], []
    for line_number, text in rows:
        parts = text.split(":")
        if len(parts) != NUM_CHANNELS + 1:
            raise ToolkitError(f"{path}:{line_number}: cases must have {NUM_CHANNELS} dimensions and a label "
                               f"separated by ':'; got {len(parts)} parts")
        series.append([_series_values(part.split(","), path, line_number) for part in parts[:-1]])
        labels.append(_label(parts[-1], path, line_number))
    if not series:
        raise ToolkitError(f"{path} holds no data rows")
    return series, np.array(labels, dtype=np.int64)


def _read_split(raw_dir, split):
    """Per-case dimension arrays and labels of one split, from the ARFF files or else the .ts file."""
    arff_paths = [raw_dir / arff_name(dimension, split) for dimension in range(1, NUM_CHANNELS + 1)]
    if all(path.is_file() for path in arff_paths):
        parsed = [parse_arff(path) for path in arff_paths]
        labels = parsed[0][1]
        for path, (series, dimension_labels) in zip(arff_paths, parsed):
            if len(series) != len(labels) or not np.array_equal(dimension_labels, labels):
                raise ToolkitError(f"{path} must list the same {len(labels)} cases and labels as {arff_paths[0]}; "
                                   f"got {len(series)} cases")
        return [list(case) for case in zip(*(series for series, _ in parsed))], labels
    ts_path = raw_dir / ts_name(split)
    if ts_path.is_file():
        return parse_ts(ts_path)
    raise ToolkitError(f"{raw_dir} must hold {', '.join(path.name for path in arff_paths)} or {ts_path.name}; "
                       f"{split} files not found")


def convert_raw(raw_dir):
    """Raw UEA files in `raw_dir` -> the npz arrays (dict) described in the module docstring.

    Both splits are zero-padded to the longest series of either split (182 for the archive).
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise ToolkitError(f"raw data folder not found: {raw_dir}")
    splits = {split: _read_split(raw_dir, split) for split in SPLITS}
    padded_length = max(len(dimension) for cases, _ in splits.values() for case in cases for dimension in case)
    arrays = {}
    for split, (cases, labels) in splits.items():
        dim_lengths = np.array([[len(dimension) for dimension in case] for case in cases], dtype=np.int32)
        x = np.zeros((len(cases), padded_length, NUM_CHANNELS), dtype=np.float32)
        for index, case in enumerate(cases):
            for channel, dimension in enumerate(case):
                x[index, :len(dimension), channel] = dimension
        arrays[f"x_{split}"] = x
        arrays[f"y_{split}"] = labels
        arrays[f"lengths_{split}"] = dim_lengths.max(axis=1).astype(np.int32)
        arrays[f"dim_lengths_{split}"] = dim_lengths
    arrays["class_names"] = np.array(CLASS_NAMES)
    return arrays


def download_canonical(raw_dir):
    """Download the six canonical per-dimension ARFF files into `raw_dir` (skipping present ones)."""
    raw_dir = Path(raw_dir)
    for split in SPLITS:
        for dimension in range(1, NUM_CHANNELS + 1):
            name = arff_name(dimension, split)
            if not (raw_dir / name).is_file():
                download(CANONICAL_ARFF_URL + name, raw_dir / name)


def check_canonical(arrays):
    """Check converted canonical data against the archive's known sizes and value sums."""
    for split in SPLITS:
        x = arrays[f"x_{split}"]
        total = float(x.sum(dtype=np.float64))
        if len(x) != CANONICAL_SIZES[split] or abs(total - CANONICAL_SUMS[split]) > CANONICAL_SUM_TOLERANCE:
            raise ToolkitError(
                f"downloaded {split} data must have {CANONICAL_SIZES[split]} cases summing to {CANONICAL_SUMS[split]}; "
                f"got {len(x)} cases summing to {total:.3f}"
            )


def build_npz(raw_dir, out_path, download_if_missing=True):
    """Convert the raw files in `raw_dir` (downloading the canonical ARFFs when none are there) to `out_path`."""
    raw_dir = Path(raw_dir)
    have_raw = any(raw_dir.glob(f"{PROBLEM}*.arff")) or any(raw_dir.glob(f"{PROBLEM}*.ts"))
    if not have_raw and download_if_missing:
        download_canonical(raw_dir)
        arrays = convert_raw(raw_dir)
        check_canonical(arrays)
    else:
        arrays = convert_raw(raw_dir)
    save_arrays(out_path, arrays)
    return arrays


# ---- loading -----------------------------------------------------------------------------------
def load(data_dir=None):
    """The dataset as a dict of arrays (layout in the module docstring), from `<data_dir>/character_trajectories.npz`.

    When the npz is absent it is built from the canonical raw files, downloaded into
    `<data_dir>/CharacterTrajectories/`.
    """
    data_dir = resolve_data_dir(data_dir)
    path = data_dir / NPZ_NAME
    if not path.is_file():
        build_npz(data_dir / RAW_FOLDER, path)
    arrays = load_arrays(path)
    for split in SPLITS:
        for key in (f"x_{split}", f"y_{split}", f"lengths_{split}"):
            if key not in arrays:
                raise ToolkitError(f"{path} must hold {key} (the character_trajectories layout); it does not")
        x, labels, lengths = arrays[f"x_{split}"], arrays[f"y_{split}"], arrays[f"lengths_{split}"]
        if x.ndim != 3 or x.shape[2] != NUM_CHANNELS or len(labels) != len(x) or len(lengths) != len(x) or not len(x):
            raise ToolkitError(f"{path}: x_{split} must be (N, steps, {NUM_CHANNELS}) with N labels and lengths; "
                               f"got {x.shape}, {len(labels)} labels, {len(lengths)} lengths")
        if labels.min() < 0 or labels.max() >= NUM_CLASSES:
            raise ToolkitError(f"{path}: y_{split} must be in 0..{NUM_CLASSES - 1}; got {labels.min()}..{labels.max()}")
        if lengths.min() < 1 or lengths.max() > x.shape[1]:
            raise ToolkitError(f"{path}: lengths_{split} must be in 1..{x.shape[1]}; "
                               f"got {lengths.min()}..{lengths.max()}")
    return arrays


def training_batches(arrays, batch_size, seed):
    """Endless shuffled batches of (sequences with the end signal (batch, steps, 4), int32 labels (batch,))."""
    from common.batching import endless_batches

    sequences = with_pen_down(arrays["x_train"], arrays["lengths_train"])
    return endless_batches((sequences, arrays["y_train"].astype("int32")), batch_size, seed,
                           what="training sequences")


# ---- sequences with an end signal --------------------------------------------------------------
def with_pen_down(x, lengths):
    """Velocities (N, T, 3) and lengths (N,) -> (N, T, 4): the velocities plus a 'still writing'
    channel that is 1.0 up to each length and 0.0 after (the end signal the generator learns)."""
    steps = np.arange(x.shape[1])[None, :]
    writing = (steps < np.asarray(lengths)[:, None]).astype(np.float32)
    return np.concatenate([x.astype(np.float32), writing[..., None]], axis=2)


def split_pen_down(sequences):
    """Generator output (N, T, 4) -> (velocities (N, T, 3) zero after the end, lengths (N,) int64).

    A sequence ends at the first step whose 'still writing' channel drops below END_THRESHOLD
    (at least one step).
    """
    sequences = np.asarray(sequences)
    stopped = ~(sequences[..., NUM_CHANNELS] >= END_THRESHOLD)
    lengths = np.where(stopped.any(axis=1), stopped.argmax(axis=1), sequences.shape[1])
    lengths = np.maximum(lengths, 1)
    keep = np.arange(sequences.shape[1])[None, :] < lengths[:, None]
    return (sequences[..., :NUM_CHANNELS] * keep[..., None]).astype(np.float32), lengths.astype(np.int64)


def sequences_frame(velocities, lengths, labels):
    """The CSV layout: one row per time step, `sample,label,letter,step,x,y,force` (velocities)."""
    samples = np.repeat(np.arange(len(lengths)), lengths)
    steps = np.concatenate([np.arange(length) for length in lengths])
    values = np.concatenate([velocities[index, :length] for index, length in enumerate(lengths)])
    labels = np.asarray(labels, dtype=np.int64)[samples]
    frame = pd.DataFrame({
        "sample": samples,
        "label": labels,
        "letter": np.array(CLASS_NAMES)[labels],
        "step": steps,
    })
    for channel, name in enumerate(CHANNELS):
        frame[name] = values[:, channel]
    return frame
