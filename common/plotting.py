"""Every figure the toolkit draws (matplotlib, Agg backend: no display needed), saved atomically."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common.io import atomic_path  # noqa: E402


def save_figure(figure, path: str | Path) -> None:
    """Write `figure` as PNG to `path` atomically and close it."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)


def image_grid(images: np.ndarray, path: str | Path, rows: int, columns: int, title: str | None = None,
               row_labels: list[str] | None = None) -> None:
    """Save uint8 images (N, H, W) with N = rows * columns as one grid PNG, row by row."""
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 0.9 + 0.4), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.imshow(images[index], cmap="gray", vmin=0, vmax=255)
        axis.set_xticks([])
        axis.set_yticks([])
        for spine in axis.spines.values():
            spine.set_visible(False)
        if row_labels is not None and index % columns == 0:
            axis.set_ylabel(row_labels[index // columns], rotation=0, labelpad=12, va="center")
    if title:
        figure.suptitle(title)
    save_figure(figure, path)


def loss_curves(steps: list[int], curves: dict, path: str | Path, title: str = "Training losses") -> None:
    """Save a line plot of named loss curves (dict name -> values aligned with `steps`)."""
    figure, axis = plt.subplots(figsize=(7, 4))
    for name, values in curves.items():
        axis.plot(steps, values, label=name, linewidth=1)
    axis.set_xlabel("generator step")
    axis.set_ylabel("loss")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    save_figure(figure, path)


def class_histogram(fractions: np.ndarray, class_names: list[str], path: str | Path, expected: float | None = None,
                    title: str = "Generated classes") -> None:
    """Save a bar chart of per-class fractions, with a dashed line at the `expected` fraction."""
    figure, axis = plt.subplots(figsize=(7, 3.5))
    positions = np.arange(len(fractions))
    axis.bar(positions, fractions)
    axis.set_xticks(positions, class_names)
    axis.set_ylabel("fraction of samples")
    if expected is not None:
        axis.axhline(expected, linestyle="--", color="gray")
    axis.set_title(title)
    save_figure(figure, path)


def save_grayscale_image(pixels: np.ndarray, path: str | Path) -> None:
    """Save uint8 pixels (H, W), 0 black .. 255 white, as a PNG of exactly that size."""
    with atomic_path(path) as tmp:
        plt.imsave(tmp, pixels, cmap="gray", vmin=0, vmax=255, format="png")


def read_grayscale_image(path: str | Path) -> np.ndarray:
    """A PNG as uint8 grayscale pixels (H, W), 0..255 (colour channels averaged, alpha ignored)."""
    pixels = np.asarray(plt.imread(path, format="png"), dtype=np.float64)
    if pixels.ndim == 3:
        pixels = pixels[..., :3].mean(axis=-1)
    return np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8)
