import numpy as np

from common import metrics


def test_frechet_distance_zero_for_identical_sets_and_mean_shift_otherwise():
    features = np.random.default_rng(0).normal(size=(500, 6))
    assert abs(metrics.frechet_distance(features, features)) < 1e-6
    shift = np.array([3.0, 0, 0, 0, 0, 4.0])
    np.testing.assert_allclose(metrics.frechet_distance(features, features + shift), 25.0, rtol=1e-6)


def test_frechet_distance_of_scaled_gaussians():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(20000, 2)), 2 * rng.normal(size=(20000, 2))
    # N(0, I) vs N(0, 4I) in 2-D: tr(I) + tr(4I) - 2 tr(2I) = 2.
    np.testing.assert_allclose(metrics.frechet_distance(a, b), 2.0, atol=0.1)


def test_per_class_accuracy_and_fractions():
    requested = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 0, 0])
    np.testing.assert_allclose(metrics.per_class_accuracy(requested, predicted, 3), [0.5, 1.0, 0.0])
    np.testing.assert_allclose(metrics.class_fractions(predicted, 3), [0.5, 0.5, 0.0])
