"""The one scaler: explicit target range, exact inverse, JSON round trip."""

import numpy as np
import pytest

from common.errors import ToolkitError
from common.scaling import MinMaxScaler


@pytest.mark.parametrize("feature_range", [(0.0, 1.0), (-1.0, 1.0)])
def test_scaler_maps_the_fitted_range_onto_the_target_and_back(feature_range):
    values = np.array([[0.0, 10.0, 5.0], [2.0, 30.0, 5.0], [1.0, 20.0, 5.0]])
    scaler = MinMaxScaler.fit(values, feature_range)
    scaled = scaler.transform(values)
    low, high = feature_range
    np.testing.assert_allclose(scaled[:, :2].min(axis=0), [low, low])
    np.testing.assert_allclose(scaled[:, :2].max(axis=0), [high, high])
    np.testing.assert_allclose(scaled[:, 2], low)  # a constant column maps to the low end
    np.testing.assert_allclose(scaler.inverse_transform(scaled), values)


def test_scaler_fits_over_every_axis_but_the_last():
    windows = np.arange(24, dtype=float).reshape(2, 4, 3)
    scaler = MinMaxScaler.fit(windows)
    np.testing.assert_array_equal(scaler.minimum, [0, 1, 2])
    np.testing.assert_array_equal(scaler.maximum, [21, 22, 23])
    assert scaler.transform(windows).shape == (2, 4, 3)


def test_inverse_clips_to_the_training_range():
    scaler = MinMaxScaler.fit(np.array([[0.0], [10.0]]), (-1.0, 1.0))
    np.testing.assert_allclose(scaler.inverse_transform(np.array([[-3.0], [0.0], [5.0]])), [[0.0], [5.0], [10.0]])


def test_json_round_trip_and_bad_json():
    scaler = MinMaxScaler.fit(np.array([[1.0, -2.0], [3.0, 4.0]]), (-1.0, 1.0))
    restored = MinMaxScaler.from_json(scaler.to_json())
    np.testing.assert_array_equal(restored.minimum, scaler.minimum)
    np.testing.assert_array_equal(restored.maximum, scaler.maximum)
    assert (restored.low, restored.high) == (-1.0, 1.0)
    with pytest.raises(ToolkitError, match="needs min, max and range"):
        MinMaxScaler.from_json({"min": [0.0], "max": [1.0]})
    with pytest.raises(ToolkitError, match="target range must have low < high"):
        MinMaxScaler.fit(np.zeros((2, 1)), (1.0, 1.0))
