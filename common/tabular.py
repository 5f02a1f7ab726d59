"""Labelled numeric tables for the 1-D ACGAN: reading and checking CSVs, scaling, generating rows,
and scoring synthetic rows with a downstream classifier.

A table is a CSV with a header, one label column (any values: ints, floats, strings) and numeric
feature columns. Labels are kept as the text they were written as, so a CSV we write holds the
original label values; classes are indexed 0..C-1 in sorted order (numeric order when every
label is a number). Features are scaled per column to [-1, 1] by a min-max scaler fitted on the
training rows; the scaler travels with the generator as a JSON sidecar (no pickle).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common import io, plotting
from common.errors import ToolkitError

SIDECAR_SUFFIX = ".scaler.json"
SIDECAR_FORMAT = "acgan_1d-scaler-v1"
# Written features keep at most this many decimals (the input's own count when it has fewer).
MAX_DECIMALS = 8
MIN_ROWS_PER_CLASS = 2
GENERATE_BATCH = 1024
# Downstream classifier: a random forest is strong on small tables without tuning and is
# deterministic for a fixed seed, so TRTR / TSTR differences come from the data only.
CLASSIFIER_TREES = 200
CLASSIFIER_SEED = 0


# ---- reading and checking --------------------------------------------------------------------
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
        reason = str(error).strip().splitlines()[0]
        raise ToolkitError(f"{path} is not a readable CSV ({reason})") from error
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


# ---- scaling and the sidecar -----------------------------------------------------------------
class MinMaxScaler:
    """Per-feature affine map of the training range [minimum, maximum] onto [-1, 1] (tanh range).

    A constant column maps to -1 and back to its value. Inverse transforms clip to [-1, 1] first,
    so generated values never leave the range seen in training.
    """

    def __init__(self, minimum, maximum):
        self.minimum = np.asarray(minimum, dtype=float)
        self.maximum = np.asarray(maximum, dtype=float)
        self.span = self.maximum - self.minimum
        # Scaling divides by the span; a constant column divides by 1 instead and maps to -1.
        self.divisor = np.where(self.span > 0, self.span, 1.0)

    @classmethod
    def fit(cls, features):
        return cls(features.min(axis=0), features.max(axis=0))

    def transform(self, features):
        """Features (N, F) in file units -> float32 (N, F) in [-1, 1] for training rows."""
        return (2.0 * (features - self.minimum) / self.divisor - 1.0).astype("float32")

    def inverse_transform(self, scaled):
        """Scaled features (N, F) -> float64 (N, F) in file units within the training range."""
        return (np.clip(np.asarray(scaled, dtype=float), -1.0, 1.0) + 1.0) / 2.0 * self.span + self.minimum


@dataclass
class ModelInfo:
    """What the generator needs to turn its output into the training CSV's rows (the sidecar)."""

    columns: list
    label_column: str
    classes: list
    class_counts: list
    scaler: MinMaxScaler
    decimals: list

    @property
    def feature_columns(self):
        return [column for column in self.columns if column != self.label_column]

    @classmethod
    def from_table(cls, table, classes):
        counts = [int(np.sum(table.labels == value)) for value in classes]
        return cls(table.columns, table.label_column, classes, counts, MinMaxScaler.fit(table.features),
                   table.decimals)

    def to_dict(self):
        return {
            "format": SIDECAR_FORMAT,
            "columns": self.columns,
            "label_column": self.label_column,
            "classes": self.classes,
            "class_counts": self.class_counts,
            "minimum": self.scaler.minimum.tolist(),
            "maximum": self.scaler.maximum.tolist(),
            "decimals": self.decimals,
        }

    @classmethod
    def from_dict(cls, stored, path):
        try:
            if stored["format"] != SIDECAR_FORMAT:
                raise ValueError(f"format {stored['format']!r}")
            info = cls(list(stored["columns"]), stored["label_column"], [str(v) for v in stored["classes"]],
                       [int(v) for v in stored["class_counts"]],
                       MinMaxScaler(stored["minimum"], stored["maximum"]), list(stored["decimals"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ToolkitError(f"{path} is not an {SIDECAR_FORMAT} scaler file ({error})") from error
        features = len(info.feature_columns)
        if not (len(info.scaler.minimum) == len(info.scaler.maximum) == len(info.decimals) == features) or (
            len(info.classes) != len(info.class_counts)
        ):
            raise ToolkitError(f"{path} is inconsistent: {features} feature columns but "
                               f"{len(info.scaler.minimum)} scaler entries")
        return info


def sidecar_path(generator_path):
    """`models/acgan_1d.h5` (or `.keras`) -> `models/acgan_1d.scaler.json`."""
    return io.sidecar_path(generator_path, SIDECAR_SUFFIX)


def save_sidecar(info, generator_path):
    path = sidecar_path(generator_path)
    io.write_json(path, info.to_dict())
    return path


def load_sidecar(generator_path):
    return ModelInfo.from_dict(io.read_sidecar(generator_path, SIDECAR_SUFFIX), sidecar_path(generator_path))


def check_table_matches(table, info, generator_path):
    """Refuse a CSV whose columns are not the ones the generator was trained on."""
    features = table.feature_columns
    if len(features) != len(info.feature_columns):
        raise ToolkitError(f"{table.path} has {len(features)} feature columns but the generator {generator_path} "
                           f"makes {len(info.feature_columns)}")
    if table.columns != info.columns:
        raise ToolkitError(f"{table.path} must have the columns the generator was trained on, "
                           f"{info.columns}; got {table.columns}")
    unknown = sorted(set(table.labels) - set(info.classes))
    if unknown:
        raise ToolkitError(f"{table.path} has class {unknown[0]!r}, which the generator {generator_path} "
                           f"does not know (its classes: {info.classes})")


def check_generator(generator, info, path):
    """The generator must take [noise, one-hot label] for the sidecar's classes and make its features."""
    if len(generator.inputs) != 2:
        raise ToolkitError(f"{path} must be a conditional generator with inputs (noise, label); "
                           f"it has {len(generator.inputs)} input(s)")
    num_classes = generator.inputs[1].shape[-1]
    if num_classes != len(info.classes):
        raise ToolkitError(f"{path} takes {num_classes} classes but its scaler file lists {len(info.classes)}")
    num_features = generator.outputs[0].shape[-1]
    if len(generator.outputs[0].shape) != 2 or num_features != len(info.feature_columns):
        raise ToolkitError(f"{path} makes {num_features} features but its scaler file lists "
                           f"{len(info.feature_columns)} feature columns")
    return int(generator.inputs[0].shape[-1])


# ---- training data ---------------------------------------------------------------------------
def class_indices(labels, classes):
    """Label texts (N,) -> int class indices (N,) in 0..len(classes)-1."""
    lookup = {value: index for index, value in enumerate(classes)}
    return np.array([lookup[value] for value in labels], dtype=np.int32)


def row_batches(features, labels, batch_size, seed):
    """An endless tf.data of class-balanced `(features float32 (batch, F), labels int32 (batch,))` batches.

    Each row's class is drawn uniformly, then a row of that class (each class reshuffled on every
    pass). The GAN draws its fake labels uniformly too: were the real rows in their natural
    proportions, D could spot fakes by their class mix alone and would push G's rows for rare
    classes towards common ones (on the fault data the rarest class came out with 0% recall).
    """
    import tensorflow as tf

    if batch_size > len(features):
        raise ToolkitError(f"--batch-size must be at most the {len(features)} training rows; got {batch_size}")
    classes = np.unique(labels)
    per_class = [
        tf.data.Dataset.from_tensor_slices((features[labels == label].astype("float32"),
                                            labels[labels == label].astype("int32")))
        .shuffle(int(np.sum(labels == label)), seed=seed + index, reshuffle_each_iteration=True).repeat()
        for index, label in enumerate(classes)
    ]
    dataset = tf.data.Dataset.sample_from_datasets(per_class, weights=[1.0 / len(classes)] * len(classes), seed=seed)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


# ---- generating ------------------------------------------------------------------------------
def generate_scaled(generator, class_ids, seed):
    """Scaled features (N, F) in [-1, 1] for int `class_ids` (N,), from noise seeded by `seed`."""
    latent_dim = generator.inputs[0].shape[-1]
    num_classes = generator.inputs[1].shape[-1]
    noise = np.random.default_rng(seed).normal(size=(len(class_ids), latent_dim)).astype("float32")
    one_hot = np.eye(num_classes, dtype="float32")[np.asarray(class_ids, dtype=int)]
    outputs = [
        np.asarray(generator([noise[start:start + GENERATE_BATCH], one_hot[start:start + GENERATE_BATCH]],
                             training=False))
        for start in range(0, len(class_ids), GENERATE_BATCH)
    ]
    return np.concatenate(outputs) if outputs else np.zeros((0, generator.outputs[0].shape[-1]), "float32")


def generate_rows(generator, info, counts, seed):
    """Features (N, F) in file units and their class indices (N,) for `counts[c]` rows of class c."""
    class_ids = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    return info.scaler.inverse_transform(generate_scaled(generator, class_ids, seed)), class_ids


def rows_frame(features, class_ids, info):
    """A DataFrame in the training CSV's layout: its header order, its label values, its decimals."""
    frame = pd.DataFrame(index=range(len(features)))
    feature_index = 0
    for column in info.columns:
        if column == info.label_column:
            frame[column] = np.asarray(info.classes, dtype=object)[class_ids]
        else:
            values = features[:, feature_index]
            decimals = info.decimals[feature_index]
            if decimals == 0:  # a column of whole numbers stays whole numbers ("49", not "49.0")
                values = np.rint(values).astype(np.int64)
            elif decimals is not None:
                values = np.round(values, decimals)
            frame[column] = values
            feature_index += 1
    return frame


def balance_counts(class_counts):
    """Rows per class that bring every class up to the largest one."""
    counts = np.asarray(class_counts)
    return counts.max() - counts


# ---- scoring ---------------------------------------------------------------------------------
def make_classifier():
    """The fixed downstream classifier: a 200-tree random forest with seed 0 (scikit-learn)."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=CLASSIFIER_TREES, random_state=CLASSIFIER_SEED, n_jobs=1)


def classifier_scores(train_features, train_ids, test_features, test_ids, num_classes):
    """Fit the downstream classifier; accuracy, macro-F1 and per-class recall on the test rows."""
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    classifier = make_classifier().fit(train_features, train_ids)
    predicted = classifier.predict(test_features)
    labels = list(range(num_classes))
    return {
        "accuracy": float(accuracy_score(test_ids, predicted)),
        "macro_f1": float(f1_score(test_ids, predicted, labels=labels, average="macro", zero_division=0)),
        "recall_per_class": [float(v) for v in recall_score(test_ids, predicted, labels=labels, average=None,
                                                            zero_division=0)],
    }


def ks_statistics(real, synthetic):
    """Two-sample Kolmogorov-Smirnov statistic per feature column (F,), each in [0, 1]."""
    from scipy.stats import ks_2samp

    return np.array([ks_2samp(real[:, index], synthetic[:, index]).statistic for index in range(real.shape[1])])


def correlation_difference(real, synthetic):
    """Mean and max absolute difference of the Pearson correlation matrices over feature pairs.

    A constant column has no correlation; it counts as 0 on both sides.
    """
    def correlations(values):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nan_to_num(np.corrcoef(values, rowvar=False))

    difference = np.abs(correlations(real) - correlations(synthetic))
    pairs = difference[np.triu_indices(real.shape[1], k=1)]
    return {"mean": float(pairs.mean()) if len(pairs) else 0.0, "max": float(pairs.max()) if len(pairs) else 0.0}


# ---- plots -----------------------------------------------------------------------------------
def plot_class_distributions(real, real_ids, synthetic, synthetic_ids, info, path, bins=20):
    """Grid of histograms: one row per class, one column per feature; real vs generated, same bins."""
    import matplotlib.pyplot as plt

    rows, columns = len(info.classes), len(info.feature_columns)
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns + 1, 1.2 * rows + 0.8), squeeze=False)
    for feature, name in enumerate(info.feature_columns):
        edges = np.histogram_bin_edges(np.concatenate([real[:, feature], synthetic[:, feature]]), bins=bins)
        for class_id, value in enumerate(info.classes):
            axis = axes[class_id, feature]
            axis.hist(real[real_ids == class_id, feature], bins=edges, density=True, alpha=0.5, label="real")
            axis.hist(synthetic[synthetic_ids == class_id, feature], bins=edges, density=True, alpha=0.5,
                      label="generated")
            axis.set_xticks([])
            axis.set_yticks([])
            if class_id == 0:
                axis.set_title(name, fontsize=8)
            if feature == 0:
                axis.set_ylabel(f"{info.label_column}={value}", fontsize=8)
    axes[0, -1].legend(fontsize=6)
    figure.suptitle("Per-class feature distributions: real (blue) vs generated (orange)")
    plotting.save_figure(figure, path)


def plot_pca_overlay(real, real_ids, synthetic, synthetic_ids, info, path):
    """Real and generated rows projected on the real rows' first two principal components, by class."""
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    real_scaled, synthetic_scaled = info.scaler.transform(real), info.scaler.transform(synthetic)
    pca = PCA(n_components=2, random_state=0).fit(real_scaled)
    real_2d, synthetic_2d = pca.transform(real_scaled), pca.transform(synthetic_scaled)
    figure, axis = plt.subplots(figsize=(7, 6))
    colours = plt.get_cmap("tab10")
    for class_id, value in enumerate(info.classes):
        colour = colours(class_id % 10)
        axis.scatter(*real_2d[real_ids == class_id].T, s=8, color=colour, alpha=0.5, marker="o",
                     label=f"{value} real")
        axis.scatter(*synthetic_2d[synthetic_ids == class_id].T, s=14, color=colour, alpha=0.8, marker="x",
                     label=f"{value} generated")
    axis.set_xlabel("PC 1")
    axis.set_ylabel("PC 2")
    axis.set_title("PCA of real (o) and generated (x) rows")
    axis.legend(fontsize=6, ncol=2, loc="best")
    plotting.save_figure(figure, path)
