"""Scoring a tabular generator: a fixed downstream classifier (TRTR, TSTR, real + synthetic) on the real
test rows, per-feature Kolmogorov-Smirnov statistics and correlation differences, each beside its real floor.
"""

from dataclasses import dataclass

import numpy as np

from common.tabular import data, generation

# Downstream classifier: a random forest is strong on small tables without tuning and is
# deterministic for a fixed seed, so TRTR / TSTR differences come from the data only.
CLASSIFIER_TREES = 200
CLASSIFIER_SEED = 0
CLASSIFIER_NAME = f"RandomForestClassifier(n_estimators={CLASSIFIER_TREES}, random_state={CLASSIFIER_SEED})"
# Guards the TSTR / TRTR ratio against a TRTR macro-F1 of 0.
MIN_DENOMINATOR = 1e-12
SETUP_TITLES = {"trtr": "real (TRTR)", "tstr": "synthetic (TSTR)", "real_plus_synthetic": "real + synthetic"}


def make_classifier():
    """The fixed downstream classifier: a 200-tree random forest with seed 0 (scikit-learn)."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=CLASSIFIER_TREES, random_state=CLASSIFIER_SEED, n_jobs=1)


def classifier_scores(train_features, train_ids, test_features, test_ids, num_classes):
    """Fit the downstream classifier; accuracy, macro-F1 and per-class recall (each in [0, 1]) on the test rows."""
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
    """Mean and max absolute difference (in [0, 2]) of the Pearson correlation matrices over feature pairs.

    A constant column has no correlation; it counts as 0 on both sides.
    """
    def correlations(values):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nan_to_num(np.corrcoef(values, rowvar=False))

    difference = np.abs(correlations(real) - correlations(synthetic))
    pairs = difference[np.triu_indices(real.shape[1], k=1)]
    return {"mean": float(pairs.mean()) if len(pairs) else 0.0, "max": float(pairs.max()) if len(pairs) else 0.0}


@dataclass
class Comparison:
    """Real test rows and generated rows in the test split's class mix (what the plots show).

    `real`, `generated`: float64 (N, F) in file units; `real_ids`, `generated_ids`: int (N,).
    """

    real: np.ndarray
    real_ids: np.ndarray
    generated: np.ndarray
    generated_ids: np.ndarray


def evaluate(generator, info, train_table, test_table, samples_per_class, seed, generator_path):
    """The metrics report (a JSON-ready dict) and the test-mix `Comparison` for the plots.

    TRTR trains the classifier on the real training rows, TSTR on generated rows (`samples_per_class`
    of each class, or as many as the training CSV has when None), real + synthetic on both; all are
    tested on the real test rows. KS statistics and correlation differences compare generated rows
    in the test split's class proportions with the real test rows, beside the real-train floor.
    """
    for table in (train_table, test_table):
        data.check_table_matches(table, info, generator_path)
    num_classes = len(info.classes)
    train_ids = data.class_indices(train_table.labels, info.classes)
    test_ids = data.class_indices(test_table.labels, info.classes)
    train_counts = np.bincount(train_ids, minlength=num_classes)
    synthetic_counts = np.full(num_classes, samples_per_class) if samples_per_class else train_counts
    synthetic, synthetic_ids = generation.generate_rows(generator, info, synthetic_counts, seed)
    setups = {
        "trtr": (train_table.features, train_ids),
        "tstr": (synthetic, synthetic_ids),
        "real_plus_synthetic": (np.concatenate([train_table.features, synthetic]),
                                np.concatenate([train_ids, synthetic_ids])),
    }
    scores = {name: classifier_scores(features, ids, test_table.features, test_ids, num_classes)
              for name, (features, ids) in setups.items()}
    # Other noise than the TSTR rows: the distribution checks see rows the classifier was not fitted on.
    like_test, like_test_ids = generation.generate_rows(
        generator, info, np.bincount(test_ids, minlength=num_classes), seed + 1)
    real, features = test_table.features, info.feature_columns
    report = {
        "generator": str(generator_path),
        "classifier": CLASSIFIER_NAME,
        "classes": info.classes,
        "train_rows": int(len(train_ids)),
        "test_rows": int(len(test_ids)),
        "synthetic_rows_per_class": [int(count) for count in synthetic_counts],
        **scores,
        "tstr_over_trtr_macro_f1": scores["tstr"]["macro_f1"] / max(scores["trtr"]["macro_f1"], MIN_DENOMINATOR),
        "ks_per_feature": dict(zip(features, ks_statistics(real, like_test).tolist())),
        "ks_per_feature_real_floor": dict(zip(features, ks_statistics(real, train_table.features).tolist())),
        "correlation_difference": correlation_difference(real, like_test),
        "correlation_difference_real_floor": correlation_difference(real, train_table.features),
    }
    return report, Comparison(real, test_ids, like_test, like_test_ids)


def report_lines(report, name):
    """The report as the table `acgan_1d.py --evaluate` prints (lines of text)."""
    classes = ", ".join(report["classes"])
    lines = [f"{name}: downstream classifier {report['classifier']}, tested on {report['test_rows']} real rows",
             f"  {'trained on':<22}{'accuracy':>9}{'macro-F1':>10}   recall per class ({classes})"]
    for setup, title in SETUP_TITLES.items():
        scores = report[setup]
        recalls = " ".join(f"{value:.2f}" for value in scores["recall_per_class"])
        lines.append(f"  {title:<22}{scores['accuracy']:>9.4f}{scores['macro_f1']:>10.4f}   {recalls}")
    lines.append(f"  TSTR / TRTR macro-F1: {report['tstr_over_trtr_macro_f1']:.3f}")
    lines.append(f"  {'feature':<12}{'KS gen vs test':>15}{'KS train vs test':>18}")
    for feature, value in report["ks_per_feature"].items():
        lines.append(f"  {feature:<12}{value:>15.3f}{report['ks_per_feature_real_floor'][feature]:>18.3f}")
    generated, floor = report["correlation_difference"], report["correlation_difference_real_floor"]
    lines.append(f"  |correlation difference| vs test: generated mean {generated['mean']:.3f} max "
                 f"{generated['max']:.3f}; real train mean {floor['mean']:.3f} max {floor['max']:.3f}")
    return lines
