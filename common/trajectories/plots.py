"""This family's figures: sequences drawn as pen paths (integrated x/y velocities), in grids."""

import numpy as np

from common import plotting
from common.trajectories import generation
from common.trajectories.data import split_pen_down
from common.trajectories.names import CLASS_NAMES, CODE_RANGE, NUM_CLASSES

# Sequences per letter in the all-letters grid (one row per letter).
GRID_COLUMNS = 6
# (rows, columns) of the grid for one requested letter.
SINGLE_LETTER_GRID = (3, 6)
# The style sweep: this many values of each code across [-1, 1], for this letter unless one is asked for.
SWEEP_POINTS = 5
SWEEP_LETTER = "s"
# Inches per drawn letter, plus room for the title.
CELL_INCHES = 1.0
TITLE_INCHES = 0.5
LINE_WIDTH = 1.2


def pen_path(velocities, length):
    """Integrated pen positions (length + 1, 2) from x/y velocities (steps, 3), starting at the origin."""
    return np.vstack([np.zeros((1, 2)), np.cumsum(velocities[:length, :2], axis=0)])


def _draw_letter(axis, velocities, length):
    path = pen_path(velocities, length)
    axis.plot(path[:, 0], path[:, 1], linewidth=LINE_WIDTH, color="black")
    axis.set_aspect("equal", adjustable="datalim")
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_visible(False)


def letter_grid(velocities, lengths, path, rows, columns, row_labels=None, title=None,
                column_labels=None, row_title=None, column_title=None):
    """Save N = rows * columns sequences (velocities (N, steps, 3), lengths (N,)), row by row, as pen paths."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(rows, columns, figsize=(columns * CELL_INCHES, rows * CELL_INCHES + TITLE_INCHES),
                                squeeze=False, layout="constrained")
    for index, axis in enumerate(axes.flat):
        _draw_letter(axis, velocities[index], lengths[index])
        if row_labels is not None and index % columns == 0:
            axis.set_ylabel(row_labels[index // columns], rotation=0, labelpad=14, va="center", fontsize=11)
        if column_labels is not None and index < columns:
            axis.set_title(column_labels[index], fontsize=8)
    if row_title:
        figure.supylabel(row_title)
    if column_title:
        figure.supxlabel(column_title)
    if title:
        figure.suptitle(title)
    plotting.save_figure(figure, path)


def generated_letters(generator, latent_dim, path, seed, title, label=None, codes=None):
    """Save a grid of generated letters: GRID_COLUMNS of each letter (one row each), or one letter's grid.

    `codes` fixes the (C1, C2) style codes of every sequence; None draws them at random.
    """
    if label is None:
        rows, columns, row_labels = NUM_CLASSES, GRID_COLUMNS, CLASS_NAMES
        labels = np.repeat(np.arange(NUM_CLASSES), GRID_COLUMNS)
    else:
        (rows, columns), row_labels = SINGLE_LETTER_GRID, None
        labels = np.full(rows * columns, label)
    velocities, lengths, _, _ = generation.generate(generator, latent_dim, labels, seed, codes)
    letter_grid(velocities, lengths, path, rows, columns, row_labels=row_labels, title=title)


def style_sweep(generator, latent_dim, label, path, seed, title):
    """A SWEEP_POINTS x SWEEP_POINTS grid for one letter: code 1 along rows, code 2 along columns, same noise."""
    values = np.linspace(-CODE_RANGE, CODE_RANGE, SWEEP_POINTS)
    codes = np.array([(first, second) for first in values for second in values], dtype="float32")
    noise, _ = generation.sample_latents(1, latent_dim, seed)
    raw = generation.run_generator(generator, np.repeat(noise, len(codes), axis=0), np.full(len(codes), label), codes)
    velocities, lengths = split_pen_down(raw)
    value_labels = [f"{value:+.1f}" for value in values]
    letter_grid(velocities, lengths, path, SWEEP_POINTS, SWEEP_POINTS, row_labels=value_labels,
                column_labels=value_labels, row_title="code 1", column_title="code 2", title=title)
