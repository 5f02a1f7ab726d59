"""Training recipes that follow the data's shape: hidden size, batch and steps per phase (no TensorFlow).

The paper's supplementary material sizes every recurrent network by the input: hidden dimensions 4
times the number of features. The measured recipes (Stocks: 6 features, Sines: 5; hidden 24, batch
128, 5,000 / 5,000 / 10,000 steps) are the floor: smaller data keep them. Wider data get wider
networks, capped so that a step stays affordable on CPU, and fewer steps so that the default run
keeps to its time budget; data with few windows get a smaller batch, so that an epoch still holds
several batches.
"""

from dataclasses import dataclass

HIDDEN_PER_FEATURE = 4
# The measured recipe's networks, and the widest the step budget affords (see MEASURED_STEP_SECONDS).
MIN_HIDDEN = 24
MAX_HIDDEN = 64
BATCH_SIZE = 128
MIN_BATCH_SIZE = 16
# An epoch of the training windows should hold at least this many batches.
MIN_BATCHES_PER_EPOCH = 8
BASE_STEPS = (5000, 5000, 10000)
# No phase is cut below this share of its measured steps, whatever the step costs.
MIN_STEP_FRACTION = 0.25
STEP_ROUNDING = 500
# Seconds per joint step on 2 CPU cores (batch 128, 24-step windows, GRU x 3, unrolled) by hidden size,
# from benchmarks/timegan_unroll.py --hidden 24 / 64; costs in between are interpolated linearly in
# hidden**2 (the recurrent matrix products), and scale linearly with the batch.
MEASURED_STEP_SECONDS = {24: 0.21, 64: 0.42}


@dataclass(frozen=True)
class Recipe:
    """The networks' `hidden_dim`, the `batch_size`, the `steps` per phase, and `chosen`: the names of
    the settings picked from the data's shape (the others were given)."""

    hidden_dim: int
    batch_size: int
    steps: tuple
    chosen: tuple

    def describe(self):
        """One line for the log: what was chosen from the data and what was given."""
        chosen = ", ".join(self.chosen) if self.chosen else "nothing"
        return (f"recipe: hidden {self.hidden_dim}, batch {self.batch_size}, steps per phase "
                f"{', '.join(map(str, self.steps))} ({chosen} chosen from the data's shape)")


def default_hidden_dim(num_features):
    """4 x features (the paper's rule), at least the measured 24 and at most MAX_HIDDEN."""
    return min(max(HIDDEN_PER_FEATURE * num_features, MIN_HIDDEN), MAX_HIDDEN)


def default_batch_size(num_windows):
    """BATCH_SIZE, or fewer for data with less than MIN_BATCHES_PER_EPOCH batches of windows."""
    return max(MIN_BATCH_SIZE, min(BATCH_SIZE, num_windows // MIN_BATCHES_PER_EPOCH))


def relative_step_cost(hidden_dim, batch_size):
    """A step's cost relative to the measured recipe's (hidden 24, batch 128)."""
    (small, small_seconds), (large, large_seconds) = sorted(MEASURED_STEP_SECONDS.items())
    slope = (large_seconds - small_seconds) / (large ** 2 - small ** 2)
    seconds = small_seconds + slope * (hidden_dim ** 2 - small ** 2)
    return max(seconds, small_seconds) / small_seconds * batch_size / BATCH_SIZE


def default_steps(hidden_dim, batch_size):
    """BASE_STEPS, divided by the step's relative cost when it costs more (never below MIN_STEP_FRACTION)."""
    cost = max(relative_step_cost(hidden_dim, batch_size), 1.0)
    return tuple(max(round(base * max(1 / cost, MIN_STEP_FRACTION) / STEP_ROUNDING) * STEP_ROUNDING, STEP_ROUNDING)
                 for base in BASE_STEPS)


def choose_recipe(num_features, num_windows, *, hidden_dim=None, batch_size=None, steps=(None, None, None)):
    """The recipe for windows of `num_features` modelled features; given values (not None) are kept."""
    chosen = []
    if hidden_dim is None:
        hidden_dim = default_hidden_dim(num_features)
        chosen.append("hidden")
    if batch_size is None:
        batch_size = default_batch_size(num_windows)
        chosen.append("batch")
    if any(count is None for count in steps):
        defaults = default_steps(hidden_dim, batch_size)
        steps = tuple(default if count is None else count for count, default in zip(steps, defaults))
        chosen.append("steps")
    return Recipe(hidden_dim, batch_size, tuple(steps), tuple(chosen))
