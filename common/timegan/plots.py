"""TimeGAN's figures: windows drawn per feature, and PCA / t-SNE of real vs synthetic windows."""

import numpy as np

from common import plotting

# The paper's analysis plots: up to 1,000 windows of each, every window reduced to its mean over features.
EMBEDDED_WINDOWS = 1000
TSNE_PERPLEXITY = 40
PLOTTED_WINDOWS = 4
PLOTTED_FEATURES = 6


def plot_windows(named_windows, columns, path, title):
    """A row per window: each set in `named_windows` ({name: (N, seq_len, F)}) drawn over its first windows."""
    import matplotlib.pyplot as plt

    count = min(PLOTTED_WINDOWS, *(len(windows) for windows in named_windows.values()))
    shown = columns[:PLOTTED_FEATURES]
    figure, axes = plt.subplots(count, len(named_windows), figsize=(4.5 * len(named_windows), 2.2 * count),
                                squeeze=False, sharey=True)
    for column, (name, windows) in enumerate(named_windows.items()):
        for row in range(count):
            axis = axes[row][column]
            for feature, label in enumerate(shown):
                axis.plot(windows[row, :, feature], linewidth=1, label=label)
            axis.set_title(f"{name} {row + 1}", fontsize=9)
            axis.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper right")
    figure.suptitle(title)
    figure.tight_layout()
    plotting.save_figure(figure, path)


def plot_embeddings(real, synthetic, paths, title, seed):
    """PCA and t-SNE of real vs synthetic windows (N, seq_len, F), each reduced to its mean over features.

    `paths`: {"pca": path, "tsne": path}.
    """
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    rng = np.random.default_rng(seed)
    count = min(EMBEDDED_WINDOWS, len(real), len(synthetic))
    real_curves = real[rng.permutation(len(real))[:count]].mean(axis=2)
    synthetic_curves = synthetic[rng.permutation(len(synthetic))[:count]].mean(axis=2)
    pca = PCA(n_components=2).fit(real_curves)
    points = {"pca": (pca.transform(real_curves), pca.transform(synthetic_curves))}
    perplexity = min(TSNE_PERPLEXITY, 2 * count - 1)
    embedded = TSNE(n_components=2, perplexity=perplexity, random_state=seed).fit_transform(
        np.concatenate([real_curves, synthetic_curves]))
    points["tsne"] = (embedded[:count], embedded[count:])
    for key, (real_points, synthetic_points) in points.items():
        figure, axis = plt.subplots(figsize=(5.5, 5))
        axis.scatter(real_points[:, 0], real_points[:, 1], s=6, alpha=0.3, color="tab:red", label="real")
        axis.scatter(synthetic_points[:, 0], synthetic_points[:, 1], s=6, alpha=0.3, color="tab:blue",
                     label="synthetic")
        axis.set_title(f"{title}: {'PCA' if key == 'pca' else 't-SNE'} of {count} windows each")
        axis.legend()
        plotting.save_figure(figure, paths[key])
