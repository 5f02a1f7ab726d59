"""Labelled CSVs: reading and checking them, class indices, and writing generated rows in their layout.

A table is a CSV with a header, one label column (any values: ints, floats, strings) and numeric
feature columns in any order around it.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common import datafiles
from common.errors import ToolkitError, first_line
from common.tabular import names

# Written features keep at most this many decimals (the input's own count when it has fewer).
MAX_DECIMALS = 8
MIN_ROWS_PER_CLASS = 2


@dataclass
class Table:
    """A checked labelled table.

    `columns`: the header in file order; `label_column`: its label column; `features`: float64
    (N, F) in file units, columns in header order without the label; `labels`: the label texts (N,).
    `decimals`: per feature, the decimals to write (None: keep full precision).
    """

    path: str
    columns: list
    label_column: str
    features: np.ndarray
    labels: np.ndarray
    decimals: list

    @property
    def feature_columns(self):
        return [column for column in self.columns if column != self.label_column]


def read_table(path, label_column):
    """Read and check a labelled CSV; raise ToolkitError (one line) for anything unusable.

    Checks: the file exists and is not empty, the label column is present and has no missing
    value, there is at least one feature column, and every feature value is a finite number.
    """
    path = Path(path)
    if not path.is_file():
        raise ToolkitError(f"data file not found: {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ToolkitError(f"{path} must have a header and data rows; got an empty file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ToolkitError(f"{path} is not a readable CSV ({first_line(error)})") from error
    if label_column not in frame.columns:
        raise ToolkitError(f"{path} must have the label column {label_column!r}; got columns {list(frame.columns)}")
    if frame.empty:
        raise ToolkitError(f"{path} must have data rows; got a header only")
    feature_columns = [column for column in frame.columns if column != label_column]
    if not feature_columns:
        raise ToolkitError(f"{path} must have feature columns besides {label_column!r}; got none")
    labels = frame[label_column].str.strip().to_numpy(dtype=object)
    missing = np.flatnonzero(labels == "")
    if len(missing):
        raise ToolkitError(f"{path}: label column {label_column!r} must have a value in every row; "
                           f"row {missing[0] + 1} is empty")
    features = np.empty((len(frame), len(feature_columns)))
    decimals = []
    for index, column in enumerate(feature_columns):
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise ToolkitError(f"{path}: feature column {column!r} must hold finite numbers; "
                               f"got {frame[column].iloc[bad[0]]!r} in row {bad[0] + 1}")
        features[:, index] = values
        decimals.append(_decimals(frame[column]))
    return Table(str(path), list(frame.columns), label_column, features, labels.astype(str), decimals)


def _decimals(texts):
    """Decimals to write for a column: the most its input values have (capped), None for exponents."""
    texts = texts.str.strip()
    if texts.str.contains("[eE]", regex=True).any():
        return None
    fraction = texts.str.partition(".")[2]
    return int(min(fraction.str.len().max(), MAX_DECIMALS))


def fault_file(data_dir, filename):
    """`filename` in the data directory; the fault data has no download, so say where it comes from."""
    path = datafiles.resolve_data_dir(data_dir) / filename
    if not path.is_file():
        raise ToolkitError(f"{filename} is not in {path.parent} and has no download URL; get it from "
                           f"{names.FAULT_DATA_SOURCE} into that folder, or pass --data-dir or --data")
    return path


def training_table(data, data_dir, label_column):
    """The table at `data`, else the fault training CSV of the data directory."""
    return read_table(data or fault_file(data_dir, names.TRAIN_FILE), label_column)


def test_table(test_data, data_dir, label_column):
    """The table at `test_data`, else the fault test CSV of the data directory."""
    return read_table(test_data or fault_file(data_dir, names.TEST_FILE), label_column)


def class_values(labels):
    """The sorted distinct labels: numeric order when every label is a number, text order otherwise."""
    distinct = sorted({str(label) for label in labels})
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return distinct


def check_classes(table):
    """The table's classes (sorted); at least two of them, each with at least two rows."""
    classes = class_values(table.labels)
    if len(classes) < 2:
        raise ToolkitError(f"{table.path} must have at least 2 classes in {table.label_column!r}; "
                           f"got only {classes[0]!r}")
    counts = {value: int(np.sum(table.labels == value)) for value in classes}
    small = [value for value, count in counts.items() if count < MIN_ROWS_PER_CLASS]
    if small:
        raise ToolkitError(f"{table.path}: every class needs at least {MIN_ROWS_PER_CLASS} rows; "
                           f"class {small[0]!r} has {counts[small[0]]}")
    return classes


def class_indices(labels, classes):
    """Label texts (N,) -> int32 class indices (N,) in 0..len(classes)-1."""
    lookup = {value: index for index, value in enumerate(classes)}
    return np.array([lookup[value] for value in labels], dtype=np.int32)


def class_counts(table, classes):
    """Rows of each class in `classes` order, (C,) ints."""
    return [int(np.sum(table.labels == value)) for value in classes]


def check_table_matches(table, layout, generator_path):
    """Refuse a CSV whose columns or classes are not the ones the generator (its `layout`) was trained on."""
    features = table.feature_columns
    if len(features) != len(layout.feature_columns):
        raise ToolkitError(f"{table.path} has {len(features)} feature columns but the generator {generator_path} "
                           f"makes {len(layout.feature_columns)}")
    if table.columns != layout.columns:
        raise ToolkitError(f"{table.path} must have the columns the generator was trained on, "
                           f"{layout.columns}; got {table.columns}")
    unknown = sorted(set(table.labels) - set(layout.classes))
    if unknown:
        raise ToolkitError(f"{table.path} has class {unknown[0]!r}, which the generator {generator_path} "
                           f"does not know (its classes: {layout.classes})")


def rows_frame(features, class_ids, layout):
    """A DataFrame in the training CSV's layout: its header order, its label values, its decimals.

    `features`: float (N, F) in file units; `class_ids`: int (N,); `layout`: the generator's settings
    (columns, label_column, classes, decimals).
    """
    frame = pd.DataFrame(index=range(len(features)))
    feature_index = 0
    for column in layout.columns:
        if column == layout.label_column:
            frame[column] = np.asarray(layout.classes, dtype=object)[class_ids]
        else:
            values = features[:, feature_index]
            decimals = layout.decimals[feature_index]
            if decimals == 0:  # a column of whole numbers stays whole numbers ("49", not "49.0")
                values = np.rint(values).astype(np.int64)
            elif decimals is not None:
                values = np.round(values, decimals)
            frame[column] = values
            feature_index += 1
    return frame
