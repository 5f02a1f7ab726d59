"""TimeGAN's evaluation (Yoon et al. 2019), its generator files and its plots.

Discriminative score: a post-hoc GRU classifier (hidden = features / 2) learns real vs synthetic
windows on 80% of each for 2,000 iterations of batch 128 (+128); the score is |accuracy - 0.5| on
the other 20% (0 = indistinguishable). Predictive score ("train on synthetic, test on real"): a
post-hoc GRU learns, on synthetic windows, to predict the last feature one step ahead from the
other features (5,000 iterations, batch 128); the score is its mean absolute error on all real
windows. Each is repeated with fresh models and reported as mean and standard deviation; the
predictive score of a model trained on the real windows themselves is given beside it.
"""

import keras
import numpy as np
import tensorflow as tf

from common import io, plotting, training
from common.errors import ToolkitError

DISCRIMINATIVE_STEPS = 2000
PREDICTIVE_STEPS = 5000
POST_HOC_BATCH = 128
TRAIN_FRACTION = 0.8
# Prediction needs one step to predict from and one to predict.
MIN_SEQ_LEN = 2
PREDICT_BATCH = 1000
# The paper's analysis plots: up to 1,000 windows of each, every window reduced to its mean over features.
EMBEDDED_WINDOWS = 1000
TSNE_PERPLEXITY = 40
PLOTTED_WINDOWS = 4
PLOTTED_FEATURES = 6
# Table 2 of the paper: discriminative (mean, std), predictive (mean, std), predictive of the real data.
PAPER_SCORES = {
    "sines": {"discriminative": [0.011, 0.008], "predictive": [0.093, 0.019], "predictive_real": 0.094},
    "stocks": {"discriminative": [0.102, 0.021], "predictive": [0.038, 0.001], "predictive_real": 0.036},
    "energy": {"discriminative": [0.236, 0.012], "predictive": [0.273, 0.004], "predictive_real": 0.250},
}


# ---- the generator file and its sidecar --------------------------------------------------------
def load_generator_and_settings(path, seq_len=None):
    """Load a generation model and its sidecar, checking that they and `seq_len` (if given) agree."""
    model = io.load_model(path, what="generator")
    sidecar = io.sidecar_path(path)
    settings = io.read_sidecar(path)
    try:
        columns, window = list(settings["columns"]), int(settings["seq_len"])
        scaler = settings["scaler"]
        if len(scaler["min"]) != len(columns) or len(scaler["max"]) != len(columns):
            raise ValueError("the scaler does not match the columns")
    except (KeyError, TypeError, ValueError) as error:
        raise ToolkitError(f"{sidecar} is not a timegan settings file ({error})") from error
    input_shape, output_shape = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
    if len(input_shape) != 2 or output_shape != (window, len(columns)) or input_shape[0] != window:
        raise ToolkitError(f"{path} must map noise (steps, z) to windows ({window}, {len(columns)}) as {sidecar} "
                           f"says; it maps {input_shape} to {output_shape}")
    if seq_len is not None and seq_len != window:
        raise ToolkitError(f"--seq-len must match the generator's windows of {window} steps; got {seq_len}")
    return model, settings


# ---- post-hoc models ---------------------------------------------------------------------------
def post_hoc_units(num_features):
    """The paper's post-hoc hidden size: half the features (at least 1)."""
    return max(num_features // 2, 1)


def build_real_vs_synthetic_classifier(seq_len, num_features):
    """Windows (batch, seq_len, features) -> logit (batch, 1) that the window is real (GRU's last state)."""
    inputs = keras.Input((seq_len, num_features))
    state = keras.layers.GRU(post_hoc_units(num_features))(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(state), name="real_vs_synthetic")


def build_next_step_predictor(seq_len, num_inputs, num_features):
    """Inputs (batch, seq_len - 1, num_inputs) -> the last feature one step ahead (batch, seq_len - 1, 1) in [0, 1]."""
    inputs = keras.Input((seq_len - 1, num_inputs))
    hidden = keras.layers.GRU(post_hoc_units(num_features), return_sequences=True)(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden), name="next_step_predictor")


class SharedProgress(keras.callbacks.Callback):
    """Advances one progress bar across several fit() calls (all the post-hoc models of an evaluation)."""

    def __init__(self, total, label):
        super().__init__()
        self.progress = training.progress_bar(total, unit_name=label)
        self.done = 0

    def on_train_batch_end(self, batch, logs=None):
        self.done += 1
        self.progress.update(self.done)


def _apply(model, inputs):
    """`model` on `inputs` in chunks; called directly, as predict() would retrace for every fresh model."""
    return np.concatenate([np.asarray(model(inputs[begin:begin + PREDICT_BATCH], training=False))
                           for begin in range(0, len(inputs), PREDICT_BATCH)])


def _endless_batches(arrays, batch_size, seed):
    dataset = tf.data.Dataset.from_tensor_slices(arrays).shuffle(len(arrays[0]), seed=seed).repeat()
    return dataset.batch(batch_size, drop_remainder=False)


def discriminative_score(real, synthetic, steps, seed, progress=None):
    """|accuracy - 0.5| of a fresh GRU classifier on held-out windows (real, synthetic: (N, seq_len, F))."""
    rng = np.random.default_rng(seed)
    split = {}
    for name, windows in (("real", real), ("synthetic", synthetic)):
        order = rng.permutation(len(windows))
        cut = int(len(windows) * TRAIN_FRACTION)
        split[name] = (windows[order[:cut]].astype("float32"), windows[order[cut:]].astype("float32"))
    if min(len(split[name][part]) for name in split for part in (0, 1)) == 0:
        raise ToolkitError(f"the discriminative score needs windows to train and test on; got {len(real)} real "
                           f"and {len(synthetic)} synthetic")
    # Each batch holds as many real as synthetic windows, as in the reference.
    batches = tf.data.Dataset.zip((_endless_batches((split["real"][0],), POST_HOC_BATCH, seed),
                                   _endless_batches((split["synthetic"][0],), POST_HOC_BATCH, seed + 1)))
    batches = batches.map(lambda real_batch, fake_batch: (
        tf.concat([real_batch[0], fake_batch[0]], axis=0),
        tf.concat([tf.ones((tf.shape(real_batch[0])[0], 1)), tf.zeros((tf.shape(fake_batch[0])[0], 1))], axis=0)))
    classifier = build_real_vs_synthetic_classifier(real.shape[1], real.shape[2])
    classifier.compile(keras.optimizers.Adam(), keras.losses.BinaryCrossentropy(from_logits=True))
    classifier.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[progress] if progress else [])
    test = np.concatenate([split["real"][1], split["synthetic"][1]])
    labels = np.concatenate([np.ones(len(split["real"][1])), np.zeros(len(split["synthetic"][1]))])
    predicted = _apply(classifier, test)[:, 0] > 0
    return float(abs(np.mean(predicted == labels) - 0.5))


def next_step_task(windows):
    """(inputs (N, seq_len - 1, F - 1), targets (N, seq_len - 1, 1)): the other features up to step t, and the
    last feature at t + 1. A single feature predicts itself."""
    inputs = windows[:, :-1, :-1] if windows.shape[2] > 1 else windows[:, :-1, :]
    return inputs.astype("float32"), windows[:, 1:, -1:].astype("float32")


def predictive_score(train_windows, test_windows, steps, seed, progress=None):
    """Mean absolute error on `test_windows` of a fresh GRU predictor trained on `train_windows`."""
    inputs, targets = next_step_task(train_windows)
    predictor = build_next_step_predictor(train_windows.shape[1], inputs.shape[2], train_windows.shape[2])
    predictor.compile(keras.optimizers.Adam(), keras.losses.MeanAbsoluteError())
    predictor.fit(_endless_batches((inputs, targets), POST_HOC_BATCH, seed), epochs=1, steps_per_epoch=steps,
                  verbose=0, callbacks=[progress] if progress else [])
    test_inputs, test_targets = next_step_task(test_windows)
    predicted = _apply(predictor, test_inputs)
    return float(np.mean(np.abs(predicted - test_targets)))


def paper_scores(real, synthetic, iterations, discriminative_steps, predictive_steps, seed):
    """The paper's scores, each repeated `iterations` times with fresh models (seeded, so reproducible).

    Returns {"discriminative_score", "predictive_score", "predictive_score_real"}: each
    {"mean", "std", "runs"}. The real-data predictive score trains and tests on the real windows.
    """
    per_iteration = discriminative_steps + 2 * predictive_steps
    progress = SharedProgress(iterations * per_iteration, "post-hoc steps")
    runs = {"discriminative_score": [], "predictive_score": [], "predictive_score_real": []}
    for iteration in range(iterations):
        run_seed = seed + iteration
        keras.utils.set_random_seed(run_seed)
        runs["discriminative_score"].append(discriminative_score(real, synthetic, discriminative_steps, run_seed,
                                                                 progress))
        runs["predictive_score"].append(predictive_score(synthetic, real, predictive_steps, run_seed, progress))
        runs["predictive_score_real"].append(predictive_score(real, real, predictive_steps, run_seed, progress))
    return {name: {"mean": float(np.mean(values)), "std": float(np.std(values)), "runs": values}
            for name, values in runs.items()}


def print_report(report):
    paper = report.get("paper")
    for name, label in (("discriminative_score", "discriminative"), ("predictive_score", "predictive")):
        entry = report[name]
        beside = f"   (paper {paper[label][0]:.3f} ± {paper[label][1]:.3f})" if paper else ""
        print(f"  {label} score {entry['mean']:.4f} ± {entry['std']:.4f}{beside}")
    real = report["predictive_score_real"]
    beside = f"   (paper {paper['predictive_real']:.3f})" if paper else ""
    print(f"  predictive score of the real data {real['mean']:.4f} ± {real['std']:.4f}{beside}")
    for key, path in report["plots"].items():
        print(f"  plot {key}: {path}")


# ---- plots -------------------------------------------------------------------------------------
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
    """PCA and t-SNE of real vs synthetic windows (each reduced to its mean over features), as in the paper."""
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
