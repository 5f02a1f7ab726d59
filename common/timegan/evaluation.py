"""TimeGAN's evaluation (Yoon et al. 2019): the paper's discriminative and predictive scores.

Discriminative score: a post-hoc GRU classifier (hidden = features / 2) learns real vs synthetic
windows on 80% of each for 2,000 iterations of batch 128 (+128); the score is |accuracy - 0.5| on
the other 20% (0 = indistinguishable). Predictive score ("train on synthetic, test on real"): a
post-hoc GRU learns, on synthetic windows, to predict the last feature one step ahead from the
other features (5,000 iterations, batch 128); the score is its mean absolute error on all real
windows. Each is repeated with fresh models and reported as mean and standard deviation; the
predictive score of a model trained on the real windows themselves is given beside it.
"""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from common import batching, io, training
from common.errors import ToolkitError
from common.scaling import MinMaxScaler
from common.timegan import data, generator, plots

POST_HOC_BATCH = 128
TRAIN_FRACTION = 0.8
# Table 2 of the paper: discriminative (mean, std), predictive (mean, std), predictive of the real data.
PAPER_SCORES = {
    "sines": {"discriminative": [0.011, 0.008], "predictive": [0.093, 0.019], "predictive_real": 0.094},
    "stocks": {"discriminative": [0.102, 0.021], "predictive": [0.038, 0.001], "predictive_real": 0.036},
    "energy": {"discriminative": [0.236, 0.012], "predictive": [0.273, 0.004], "predictive_real": 0.250},
}


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


def post_hoc_batches(arrays, seed):
    """Endless shuffled batches of POST_HOC_BATCH examples (fewer when the data are smaller)."""
    return batching.endless_batches(arrays, min(POST_HOC_BATCH, len(arrays[0])), seed, what="windows")


def discriminative_score(real, synthetic, steps, seed, progress=None):
    """|accuracy - 0.5| in [0, 0.5] of a fresh GRU classifier on held-out windows (real, synthetic: (N, seq_len, F))."""
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
    batches = tf.data.Dataset.zip((post_hoc_batches((split["real"][0],), seed),
                                   post_hoc_batches((split["synthetic"][0],), seed + 1)))
    batches = batches.map(lambda real_batch, fake_batch: (
        tf.concat([real_batch[0], fake_batch[0]], axis=0),
        tf.concat([tf.ones((tf.shape(real_batch[0])[0], 1)), tf.zeros((tf.shape(fake_batch[0])[0], 1))], axis=0)))
    classifier = build_real_vs_synthetic_classifier(real.shape[1], real.shape[2])
    classifier.compile(keras.optimizers.Adam(), keras.losses.BinaryCrossentropy(from_logits=True))
    classifier.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False,
                   callbacks=[progress] if progress else [])
    test = np.concatenate([split["real"][1], split["synthetic"][1]])
    labels = np.concatenate([np.ones(len(split["real"][1])), np.zeros(len(split["synthetic"][1]))])
    predicted = batching.predict_in_batches(classifier, test)[:, 0] > 0
    return float(abs(np.mean(predicted == labels) - 0.5))


def next_step_task(windows):
    """(inputs (N, seq_len - 1, F - 1), targets (N, seq_len - 1, 1)): the other features up to step t, and the
    last feature at t + 1. A single feature predicts itself."""
    inputs = windows[:, :-1, :-1] if windows.shape[2] > 1 else windows[:, :-1, :]
    return inputs.astype("float32"), windows[:, 1:, -1:].astype("float32")


def predictive_score(train_windows, test_windows, steps, seed, progress=None):
    """Mean absolute error (>= 0) on `test_windows` of a fresh GRU predictor trained on `train_windows`."""
    inputs, targets = next_step_task(train_windows)
    predictor = build_next_step_predictor(train_windows.shape[1], inputs.shape[2], train_windows.shape[2])
    predictor.compile(keras.optimizers.Adam(), keras.losses.MeanAbsoluteError())
    predictor.fit(post_hoc_batches((inputs, targets), seed), epochs=1, steps_per_epoch=steps,
                  verbose=0, shuffle=False, callbacks=[progress] if progress else [])
    test_inputs, test_targets = next_step_task(test_windows)
    predicted = batching.predict_in_batches(predictor, test_inputs)
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


def scored_real_windows(rows, seq_len):
    """(windows (N, seq_len, columns) float32 of the real `rows` (T, columns) in the units the CSV scores
    are taken in, the scaler that puts other windows of those columns in the same units): each column
    min-max scaled over the real rows."""
    score_scaler = MinMaxScaler.fit(rows, data.SCALED_RANGE)
    return data.sliding_windows(score_scaler.transform(rows), seq_len).astype("float32"), score_scaler


def scored_windows(generation_model, settings, source, data_dir, samples, seed):
    """(real, synthetic) windows (N, seq_len, columns) float32 in the units the scores are taken in."""
    scaler, seq_len = settings["scaler"], settings["seq_len"]
    window_noise_dim = settings["window_noise_dim"]
    if source == "sines":
        real = data.make_sines(data.SINES_SEQUENCES, seq_len, data.SINES_FEATURES, settings["seed"])
        synthetic = generator.generate(generation_model, samples or len(real), seed, window_noise_dim)
        return real.astype("float32"), scaler.inverse_transform(synthetic).astype("float32")
    real, score_scaler = scored_real_windows(data.real_rows(source, data_dir, settings["columns"]), seq_len)
    decoded = generator.to_columns(settings, generator.generate(generation_model, samples or len(real), seed,
                                                                window_noise_dim))
    synthetic = score_scaler.transform(np.stack([decoded[name] for name in settings["columns"]], axis=-1))
    return real, synthetic.astype("float32")


def evaluate_generator(generation_model, settings, generator_path, *, source, data_dir, samples, iterations,
                       discriminative_steps, predictive_steps, seed, out_dir, metrics_json=None):
    """Score a loaded generator against its data (`source`), plot PCA and t-SNE, print and return the report.

    `samples`: synthetic windows (None: as many as the real data has). Scores are taken on the data as
    the paper's loaders give it: CSV data with every output column min-max scaled over the real rows
    (generated windows in original units, derived columns included, scaled alike); the sines in their
    own units, which the paper's loader never rescales.
    """
    real, synthetic = scored_windows(generation_model, settings, source, data_dir, samples, seed)
    stem = Path(generator_path).stem
    print(f"{stem}: {len(synthetic)} synthetic vs {len(real)} real windows of {settings['seq_len']} steps "
          f"({source}); {iterations} repeats of each score")
    scores = paper_scores(real, synthetic, iterations, discriminative_steps, predictive_steps, seed)
    plot_paths = {"pca": Path(out_dir) / f"{stem}_pca.png", "tsne": Path(out_dir) / f"{stem}_tsne.png"}
    plots.plot_embeddings(real, synthetic, plot_paths, stem, seed)
    report = {"generator": str(generator_path), "data": str(source), "real_windows": int(len(real)),
              "synthetic_windows": int(len(synthetic)), **scores, "paper": PAPER_SCORES.get(source),
              "plots": {key: str(path) for key, path in plot_paths.items()}}
    print_report(report)
    if metrics_json:
        io.write_json(metrics_json, report)
        print(f"wrote {metrics_json}")
    return report
