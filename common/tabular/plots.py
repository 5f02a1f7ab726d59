"""The tabular family's figures: per-class feature histograms and a PCA overlay, real vs generated rows."""

import numpy as np

from common import plotting

HISTOGRAM_BINS = 20
# Figure size in inches: per feature column / class row, plus a margin for titles and labels.
HISTOGRAM_CELL = (1.6, 1.2)
HISTOGRAM_MARGIN = (1.0, 0.8)
PCA_FIGURE_SIZE = (7, 6)
PCA_SEED = 0
COLOUR_CYCLE = 10  # the "tab10" colour map's colours


def plot_class_distributions(real, real_ids, synthetic, synthetic_ids, info, path, bins=HISTOGRAM_BINS):
    """Grid of histograms: one row per class, one column per feature; real vs generated, same bins.

    `real`, `synthetic`: (N, F) in file units; `*_ids`: class indices (N,); `info`: the generator's settings.
    """
    import matplotlib.pyplot as plt

    rows, columns = len(info.classes), len(info.feature_columns)
    size = (HISTOGRAM_CELL[0] * columns + HISTOGRAM_MARGIN[0], HISTOGRAM_CELL[1] * rows + HISTOGRAM_MARGIN[1])
    figure, axes = plt.subplots(rows, columns, figsize=size, squeeze=False)
    for feature, name in enumerate(info.feature_columns):
        edges = np.histogram_bin_edges(np.concatenate([real[:, feature], synthetic[:, feature]]), bins=bins)
        for class_id, value in enumerate(info.classes):
            axis = axes[class_id, feature]
            axis.hist(real[real_ids == class_id, feature], bins=edges, density=True, alpha=0.5, label="real")
            axis.hist(synthetic[synthetic_ids == class_id, feature], bins=edges, density=True, alpha=0.5,
                      label="generated")
            axis.set_xticks([])
            axis.set_yticks([])
            if class_id == 0:
                axis.set_title(name, fontsize=8)
            if feature == 0:
                axis.set_ylabel(f"{info.label_column}={value}", fontsize=8)
    axes[0, -1].legend(fontsize=6)
    figure.suptitle("Per-class feature distributions: real (blue) vs generated (orange)")
    plotting.save_figure(figure, path)


def plot_pca_overlay(real, real_ids, synthetic, synthetic_ids, info, path):
    """Real and generated rows projected on the real rows' first two principal components (of the
    scaled features), coloured by class."""
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    real_scaled, synthetic_scaled = info.scaler.transform(real), info.scaler.transform(synthetic)
    pca = PCA(n_components=2, random_state=PCA_SEED).fit(real_scaled)
    real_2d, synthetic_2d = pca.transform(real_scaled), pca.transform(synthetic_scaled)
    figure, axis = plt.subplots(figsize=PCA_FIGURE_SIZE)
    colours = plt.get_cmap("tab10")
    for class_id, value in enumerate(info.classes):
        colour = colours(class_id % COLOUR_CYCLE)
        axis.scatter(*real_2d[real_ids == class_id].T, s=8, color=colour, alpha=0.5, marker="o",
                     label=f"{value} real")
        axis.scatter(*synthetic_2d[synthetic_ids == class_id].T, s=14, color=colour, alpha=0.8, marker="x",
                     label=f"{value} generated")
    axis.set_xlabel("PC 1")
    axis.set_ylabel("PC 2")
    axis.set_title("PCA of real (o) and generated (x) rows")
    axis.legend(fontsize=6, ncol=2, loc="best")
    plotting.save_figure(figure, path)
