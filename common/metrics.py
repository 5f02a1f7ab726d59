"""Judging generated samples with a trained classifier: label accuracy, class balance, Fréchet distance.

The judge is a classifier the project trains on the real training set (`train_judge.py`). It takes
images in [-1, 1] of shape (N, 28, 28, 1); its "features" layer (N, 128) gives the embedding for
the Fréchet distance (the FID recipe of Heusel et al. 2017 with the judge in place of Inception).
"""

import keras
import numpy as np

from common.batching import predict_in_batches
from common.io import load_model

FEATURES_LAYER = "features"


def load_judge(path) -> tuple[keras.Model, keras.Model]:
    """Load a judge classifier and return `(classifier, feature_extractor)`."""
    classifier = load_model(path, what="judge classifier")
    features = keras.Model(classifier.input, classifier.get_layer(FEATURES_LAYER).output)
    return classifier, features


def predict_classes(classifier: keras.Model, samples: np.ndarray) -> np.ndarray:
    """Most likely class (N,) for the classifier's inputs, e.g. images (N, 28, 28, 1) in [-1, 1]."""
    return np.argmax(predict_in_batches(classifier, samples), axis=1)


def embed(feature_extractor: keras.Model, samples: np.ndarray) -> np.ndarray:
    """Judge features (N, D) float64 for the judge's inputs, e.g. images (N, 28, 28, 1) in [-1, 1]."""
    return predict_in_batches(feature_extractor, samples).astype(np.float64)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, D) and (M, D).

    ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^1/2); the matrix square root is taken
    through symmetric eigendecompositions, which stays real and stable for PSD covariances.
    """
    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a, cov_b = np.cov(features_a, rowvar=False), np.cov(features_b, rowvar=False)
    sqrt_a = _psd_sqrt(cov_a)
    cross_eigenvalues = np.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a)
    trace_sqrt = np.sqrt(np.clip(cross_eigenvalues, 0, None)).sum()
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)


def _psd_sqrt(matrix):
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T


def per_class_accuracy(requested: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Fraction of samples judged as the class they were generated for, per class (num_classes,)."""
    return np.array([
        np.mean(predicted[requested == label] == label) if np.any(requested == label) else np.nan
        for label in range(num_classes)
    ])


def class_fractions(predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Share of samples the judge assigns to each class (num_classes,), summing to 1."""
    return np.bincount(predicted, minlength=num_classes) / max(len(predicted), 1)
