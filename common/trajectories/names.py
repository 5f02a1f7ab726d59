"""The letters, channels and file names the command line needs before anything heavy loads (no TensorFlow)."""

from pathlib import Path

from common.errors import ToolkitError

# The archive's 20 letters (single strokes only), in label order 0..19.
CLASS_NAMES = tuple("abcdeghlmnopqrsuvwyz")
NUM_CLASSES = len(CLASS_NAMES)
# Pen-tip velocities as the archive stores them (already standardised: each channel has std ~1).
CHANNELS = ("x", "y", "force")
NUM_CHANNELS = len(CHANNELS)
# Continuous style codes the generator takes, each trained on U(-CODE_RANGE, CODE_RANGE).
NUM_CODES = 2
CODE_RANGE = 1.0
SPLITS = ("train", "test")
PROBLEM = "CharacterTrajectories"
RAW_FOLDER = PROBLEM
NPZ_NAME = "character_trajectories.npz"
# The discriminator with the Q heads is saved beside the generator as `<generator stem>_q.keras`.
Q_SUFFIX = "_q"


def letter_to_label(letter):
    """A letter of CLASS_NAMES -> its label 0..19; ToolkitError for any other text."""
    if letter not in CLASS_NAMES:
        raise ToolkitError(f"--letter must be one of {' '.join(CLASS_NAMES)}; got {letter!r}")
    return CLASS_NAMES.index(letter)


def q_network_path(generator_path):
    """The discriminator with the Q heads saved beside `generator_path` (`x.h5` -> `x_q.keras`)."""
    generator_path = Path(generator_path)
    return generator_path.with_name(generator_path.stem + Q_SUFFIX + ".keras")
