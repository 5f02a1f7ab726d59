"""A trained tabular generator: its settings sidecar (layout, classes, scaler), loading, and generating rows.

The sidecar is `<generator stem>.json` beside the generator (format "tabular", version 1). It holds
what turns the generator's scaled output back into the training CSV's rows: the header, the label
column, the classes with their training counts (for `--balance`), the per-feature decimals and the
min-max scaler (`common.scaling.MinMaxScaler` onto [-1, 1]).
"""

from dataclasses import dataclass

import numpy as np

from common import batching, io, scaling
from common.errors import ToolkitError, first_line
from common.tabular import data

SIDECAR_FORMAT = "tabular"
SIDECAR_VERSION = 1
# The generator ends in tanh.
FEATURE_RANGE = (-1.0, 1.0)


@dataclass
class ModelInfo:
    """What the generator needs to turn its output into the training CSV's rows (the sidecar).

    `columns`: the header in file order; `classes`: label texts in class-index order;
    `class_counts`: training rows per class; `decimals`: per feature (None: full precision).
    """

    columns: list
    label_column: str
    classes: list
    class_counts: list
    scaler: scaling.MinMaxScaler
    decimals: list

    @property
    def feature_columns(self):
        return [column for column in self.columns if column != self.label_column]

    @classmethod
    def from_table(cls, table, classes):
        """The settings of a generator trained on `table` (a `data.Table`) with these classes."""
        return cls(table.columns, table.label_column, classes, data.class_counts(table, classes),
                   scaling.MinMaxScaler.fit(table.features, FEATURE_RANGE), table.decimals)

    def to_settings(self):
        """The sidecar's settings (a JSON-ready dict, without the format tags)."""
        return {"columns": self.columns, "label_column": self.label_column, "classes": self.classes,
                "class_counts": self.class_counts, "decimals": self.decimals, "scaler": self.scaler.to_json()}

    @classmethod
    def from_settings(cls, stored, path):
        """The settings `to_settings` wrote to `path`; a one-line error for a malformed or inconsistent file."""
        try:
            info = cls(list(stored["columns"]), stored["label_column"], [str(v) for v in stored["classes"]],
                       [int(v) for v in stored["class_counts"]], scaling.MinMaxScaler.from_json(stored["scaler"]),
                       list(stored["decimals"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ToolkitError(f"the settings file {path} must hold columns, label_column, classes, class_counts, "
                               f"decimals and scaler; got {type(error).__name__}: {first_line(error)}") from error
        features = len(info.feature_columns)
        if not (len(info.scaler.minimum) == len(info.decimals) == features) or (
            len(info.classes) != len(info.class_counts)
        ):
            raise ToolkitError(f"the settings file {path} is inconsistent: {features} feature columns but "
                               f"{len(info.scaler.minimum)} scaler entries")
        return info


def save_settings(info, generator_path):
    """Write `info` as the sidecar of `generator_path`; returns the sidecar's path."""
    return io.write_sidecar(generator_path, SIDECAR_FORMAT, SIDECAR_VERSION, info.to_settings())


def load_settings(generator_path):
    """The `ModelInfo` stored beside `generator_path`."""
    stored = io.read_sidecar(generator_path, SIDECAR_FORMAT, SIDECAR_VERSION)
    return ModelInfo.from_settings(stored, io.sidecar_path(generator_path))


def check_generator(generator, info, path):
    """The generator must take [noise, one-hot label] for the sidecar's classes and make its features."""
    if len(generator.inputs) != 2:
        raise ToolkitError(f"{path} must be a conditional generator with inputs (noise, label); "
                           f"it has {len(generator.inputs)} input(s)")
    num_classes = generator.inputs[1].shape[-1]
    if num_classes != len(info.classes):
        raise ToolkitError(f"{path} takes {num_classes} classes but its settings file lists {len(info.classes)}")
    num_features = generator.outputs[0].shape[-1]
    if len(generator.outputs[0].shape) != 2 or num_features != len(info.feature_columns):
        raise ToolkitError(f"{path} makes {num_features} features but its settings file lists "
                           f"{len(info.feature_columns)} feature columns")


def load_generator(path):
    """The generator at `path` and its sidecar's `ModelInfo`, checked against each other."""
    info = load_settings(path)
    generator = io.load_model(path, what="generator")
    check_generator(generator, info, path)
    return generator, info


def generate_scaled(generator, class_ids, seed):
    """Scaled features float32 (N, F) in [-1, 1] for int `class_ids` (N,), from noise seeded by `seed`."""
    latent_dim = generator.inputs[0].shape[-1]
    num_classes = generator.inputs[1].shape[-1]
    noise = np.random.default_rng(seed).normal(size=(len(class_ids), latent_dim)).astype("float32")
    one_hot = np.eye(num_classes, dtype="float32")[np.asarray(class_ids, dtype=int)]
    return batching.predict_in_batches(generator, [noise, one_hot])


def generate_rows(generator, info, counts, seed):
    """Features float64 (N, F) in file units and their class indices int32 (N,): `counts[c]` rows of class c."""
    class_ids = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    return info.scaler.inverse_transform(generate_scaled(generator, class_ids, seed)), class_ids


def class_index(info, label):
    """The index of the class written as `label` (text, or the same number written differently)."""
    if label in info.classes:
        return info.classes.index(label)
    for index, value in enumerate(info.classes):
        try:
            if float(value) == float(label):
                return index
        except ValueError:
            continue
    raise ToolkitError(f"--label must be one of the classes {info.classes}; got {label!r}")


def requested_counts(info, samples_per_class, samples=None, label=None):
    """Rows per class (C,): `samples` in total with the classes in turn, else `samples_per_class` of
    every class, or of the class `label` only."""
    num_classes = len(info.classes)
    if samples:
        return np.array([samples // num_classes + (index < samples % num_classes) for index in range(num_classes)])
    if label is not None:
        counts = np.zeros(num_classes, dtype=int)
        counts[class_index(info, label)] = samples_per_class
        return counts
    return np.full(num_classes, samples_per_class)


def balance_counts(info, table=None, generator_path=None):
    """Rows per class (C,) that bring every class up to the largest one: the training CSV's classes
    (from the sidecar), or those of `table` (a `data.Table` checked against the generator)."""
    counts = info.class_counts
    if table is not None:
        data.check_table_matches(table, info, generator_path)
        counts = data.class_counts(table, info.classes)
    counts = np.asarray(counts)
    return counts.max() - counts
