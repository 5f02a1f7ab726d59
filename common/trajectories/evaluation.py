"""Scoring a generator: label fidelity by a letter judge, code recovery by Q, and the discriminative score.

The judge and the real-vs-generated classifier are `networks.build_sequence_classifier` CNNs on
zero-padded velocity sequences (N, steps, 3). Label fidelity is the judge's per-letter accuracy on
generated letters; code R^2 says how well the Q network reads the continuous codes back; the
discriminative score |accuracy - 0.5| (Yoon et al. 2019) is 0 when a fresh classifier cannot tell
generated sequences from real ones and 0.5 when it separates them perfectly.
"""

import keras
import numpy as np

from common import metrics
from common.batching import predict_in_batches
from common.trajectories import generation, networks
from common.trajectories.names import CLASS_NAMES, NUM_CHANNELS, NUM_CLASSES

# The judge: 40 epochs on the real training set reach ~97% on the real test set.
JUDGE_EPOCHS = 40
CLASSIFIER_BATCH_SIZE = 64
CLASSIFIER_LEARNING_RATE = 1e-3
# The real-vs-generated classifier trains on this many epochs, holding out this fraction for its score.
SCORE_EPOCHS = 15
SCORE_HOLDOUT = 0.2


def train_classifier(classifier, x, y, epochs, seed, verbose=0):
    """Fit `classifier` on (x (N, steps, channels), int y (N,)) with Adam and sparse cross-entropy; returns it."""
    keras.utils.set_random_seed(seed)
    classifier.compile(optimizer=keras.optimizers.Adam(CLASSIFIER_LEARNING_RATE),
                       loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    classifier.fit(x, y, epochs=epochs, batch_size=CLASSIFIER_BATCH_SIZE, verbose=verbose, shuffle=True)
    return classifier


def accuracy(classifier, x, y):
    """(fraction of x (N, steps, channels) classified as y (N,), predicted classes (N,))."""
    predicted = metrics.predict_classes(classifier, x)
    return float(np.mean(predicted == y)), predicted


def train_judge(arrays, seed):
    """The letter judge trained on the real training set; returns (judge, its real test accuracy)."""
    x_train = arrays["x_train"]
    judge = networks.build_sequence_classifier(x_train.shape[1], NUM_CHANNELS, NUM_CLASSES, name="letter_judge")
    train_classifier(judge, x_train, arrays["y_train"], JUDGE_EPOCHS, seed, verbose=2)
    test_accuracy, _ = accuracy(judge, arrays["x_test"], arrays["y_test"])
    return judge, test_accuracy


def estimate_codes(discriminator, raw):
    """Q's estimates (N, num_codes) of the continuous codes behind raw generator output (N, steps, 4)."""
    return predict_in_batches(discriminator, np.asarray(networks.discriminator_features(raw)))[2]


def r_squared(truth, estimate):
    """Coefficient of determination per column (k,) of estimates (N, k) against the truth (N, k)."""
    truth, estimate = np.asarray(truth, dtype=np.float64), np.asarray(estimate, dtype=np.float64)
    residual = np.sum((truth - estimate) ** 2, axis=0)
    total = np.sum((truth - truth.mean(axis=0)) ** 2, axis=0)
    return 1.0 - residual / total


def discriminative_score(real, fake, epochs, seed, holdout=SCORE_HOLDOUT):
    """|accuracy - 0.5| of a fresh classifier telling real from generated sequences, in [0, 0.5].

    `real` and `fake` are (N, steps, channels) zero-padded sequences; the classifier trains on
    1 - holdout of each and is scored on the rest.
    """
    rng = np.random.default_rng(seed)
    count = min(len(real), len(fake))
    x = np.concatenate([real[rng.permutation(len(real))[:count]], fake[rng.permutation(len(fake))[:count]]])
    y = np.concatenate([np.ones(count, dtype=np.int64), np.zeros(count, dtype=np.int64)])
    order = rng.permutation(len(x))
    test_count = max(1, int(round(holdout * len(x))))
    test, train = order[:test_count], order[test_count:]
    classifier = networks.build_sequence_classifier(x.shape[1], x.shape[2], 2, name="real_or_generated")
    train_classifier(classifier, x[train], y[train], epochs, seed)
    score, _ = accuracy(classifier, x[test], y[test])
    return abs(score - 0.5)


def evaluate(generator, latent_dim, judge, q_network, arrays, labels, seed):
    """The metrics of `generator` on sequences for int `labels` (N,), as a JSON-ready dict.

    Keys: judge_real_test_accuracy, label_fidelity_mean, label_fidelity_per_letter (letter ->
    accuracy, letters asked for only), code_r2 (2,), discriminative_score, mean_length_generated,
    mean_length_real_test.
    """
    judge_test_accuracy, _ = accuracy(judge, arrays["x_test"], arrays["y_test"])
    velocities, lengths, codes, raw = generation.generate(generator, latent_dim, labels, seed)
    _, predicted = accuracy(judge, velocities, labels)
    fidelity = metrics.per_class_accuracy(labels, predicted, NUM_CLASSES)
    measured = ~np.isnan(fidelity)
    return {
        "judge_real_test_accuracy": judge_test_accuracy,
        "label_fidelity_mean": float(np.mean(fidelity[measured])),
        "label_fidelity_per_letter": {CLASS_NAMES[index]: float(fidelity[index]) for index in np.flatnonzero(measured)},
        "code_r2": [float(value) for value in r_squared(codes, estimate_codes(q_network, raw))],
        "discriminative_score": discriminative_score(arrays["x_test"], velocities, SCORE_EPOCHS, seed),
        "mean_length_generated": float(lengths.mean()),
        "mean_length_real_test": float(arrays["lengths_test"].mean()),
    }


def report_lines(report):
    """The human-readable summary of an `evaluate` report, one string per line."""
    per_letter = report["label_fidelity_per_letter"]
    lines = [f"  letter {letter}: label fidelity {value:6.1%}" for letter, value in per_letter.items()]
    lines += [
        f"  mean label fidelity {report['label_fidelity_mean']:.2%} (min {min(per_letter.values()):.2%})",
        "  continuous codes recovered by Q: R^2 " + ", ".join(f"{value:.3f}" for value in report["code_r2"]),
        f"  discriminative score |acc - 0.5| {report['discriminative_score']:.3f} (0 = indistinguishable)",
        f"  mean length {report['mean_length_generated']:.1f} steps (real test {report['mean_length_real_test']:.1f})",
    ]
    return lines
