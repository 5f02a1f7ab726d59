"""The one scaler: per-feature min-max scaling onto an explicit target range, stored as JSON."""

from dataclasses import dataclass

import numpy as np

from common.errors import ToolkitError


@dataclass(frozen=True)
class MinMaxScaler:
    """Per-feature affine map of the fitted range [minimum, maximum] onto [low, high].

    `minimum`, `maximum`: float64 (features,). Networks with a sigmoid output use (0, 1), tanh ones
    (-1, 1). A constant feature maps to `low` and back to its value. `inverse_transform` clips to
    [low, high] first, so values it returns never leave the range seen in training.
    """

    minimum: np.ndarray
    maximum: np.ndarray
    low: float = 0.0
    high: float = 1.0

    @classmethod
    def fit(cls, values: np.ndarray, feature_range: tuple[float, float] = (0.0, 1.0)) -> "MinMaxScaler":
        """The scaler of `values` (..., features): min and max of each feature over all other axes."""
        low, high = feature_range
        if not low < high:
            raise ToolkitError(f"a scaler's target range must have low < high; got {feature_range}")
        flat = np.asarray(values, dtype=np.float64).reshape(-1, np.shape(values)[-1])
        if len(flat) == 0:
            raise ToolkitError("a scaler needs at least one row to fit; got none")
        return cls(flat.min(axis=0), flat.max(axis=0), float(low), float(high))

    @property
    def _span(self) -> np.ndarray:
        span = np.asarray(self.maximum) - np.asarray(self.minimum)
        # A constant feature divides by 1 instead of 0.
        return np.where(span > 0, span, 1.0)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Original units (..., features) -> float64 in [low, high] on the fitted range (outside it beyond)."""
        unit = (np.asarray(values, dtype=np.float64) - self.minimum) / self._span
        return self.low + unit * (self.high - self.low)

    def inverse_transform(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled values (..., features), clipped to [low, high] -> float64 in original units."""
        unit = (np.clip(np.asarray(scaled, dtype=np.float64), self.low, self.high) - self.low) / (self.high - self.low)
        constant = np.asarray(self.maximum) == np.asarray(self.minimum)
        return np.where(constant, self.minimum, self.minimum + unit * self._span)

    def to_json(self) -> dict:
        """A JSON-ready dict: {"min": [...], "max": [...], "range": [low, high]}."""
        return {"min": [float(value) for value in self.minimum], "max": [float(value) for value in self.maximum],
                "range": [self.low, self.high]}

    @classmethod
    def from_json(cls, stored: dict) -> "MinMaxScaler":
        """The scaler `to_json` described; a one-line error for anything else."""
        try:
            minimum = np.asarray(stored["min"], dtype=np.float64)
            maximum = np.asarray(stored["max"], dtype=np.float64)
            low, high = (float(value) for value in stored["range"])
        except (KeyError, TypeError, ValueError) as error:
            raise ToolkitError(f"a stored scaler needs min, max and range lists; got {stored!r:.80}") from error
        if minimum.shape != maximum.shape or minimum.ndim != 1 or not low < high:
            raise ToolkitError(f"a stored scaler needs equal-length min and max and low < high; got {stored!r:.80}")
        return cls(minimum, maximum, low, high)
