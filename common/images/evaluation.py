"""Scoring a trained image generator with the judge: per-class accuracy or class balance, Fréchet
distance against real test images, and (AE-ACGAN) reconstruction error and within-class diversity."""

from pathlib import Path

import numpy as np

from common import metrics, plotting
from common.batching import predict_in_batches
from common.cli import DEFAULT_GENERATE_DIR
from common.images.data import MAX_PIXEL, images_to_unit_range, load_labelled_images
from common.images.generation import cycling_labels, generate, sample_noise
from common.images.names import MNIST, class_names
from common.images.options import DEFAULT_SAMPLES
from common.io import write_json

# Unconditional samples count as mode-balanced when every class gets 6%..14% of them.
BALANCE_RANGE = (0.06, 0.14)
# Generated and real images per class for the within-class diversity check.
DIVERSITY_PER_CLASS = 100
DIVERSITY_TARGET = 0.8


def evaluate(
    generator, latent_dim, args, name, num_classes, conditional, dataset_name=MNIST, split=None,
    noise=sample_noise, extra_metrics=None,
):
    """Judge the generator and print (and with --metrics-json, write) the metrics; returns the report.

    `args` holds --samples, --seed, --judge, --data-dir, --out-dir, --generator and --metrics-json.
    Conditional: per-class judge accuracy of samples with cycling labels. Unconditional: the share
    of samples the judge puts in each class, with a histogram PNG. Both: Fréchet distance of judge
    features against the real test set of `dataset_name` (EMNIST: `split`), beside the floor of real
    training images against the same test images. `extra_metrics(report, images, labels, real_data)`,
    when given, adds (and prints) more entries before the report is written.
    """
    count = args.samples or DEFAULT_SAMPLES
    classifier, features = metrics.load_judge(args.judge)
    real_data = load_labelled_images(dataset_name, args.data_dir, split)
    (x_train, _), (x_test, _) = real_data
    rng = np.random.default_rng(args.seed)
    labels = cycling_labels(count, num_classes) if conditional else None
    images = generate(generator, noise(count, latent_dim, args.seed), labels)
    unit = images_to_unit_range(images)
    predicted = metrics.predict_classes(classifier, unit)
    real_test = images_to_unit_range(x_test[rng.choice(len(x_test), min(count, len(x_test)), replace=False)])
    real_train = images_to_unit_range(x_train[rng.choice(len(x_train), count, replace=False)])
    test_features = metrics.embed(features, real_test)
    report = {
        "generator": str(args.generator),
        "samples": count,
        "frechet_distance": metrics.frechet_distance(metrics.embed(features, unit), test_features),
        "frechet_distance_real_floor": metrics.frechet_distance(metrics.embed(features, real_train), test_features),
    }
    print(f"{name}: {count} samples judged by {args.judge}")
    names = class_names(dataset_name, split)
    if conditional:
        accuracy = metrics.per_class_accuracy(labels, predicted, num_classes)
        report["judge_accuracy_mean"] = float(np.mean(accuracy))
        report["judge_accuracy_per_class"] = [float(value) for value in accuracy]
        for label, value in enumerate(accuracy):
            print(f"  {names[label]:>12}: judge accuracy {value:6.1%}")
        print(f"  mean judge accuracy {np.mean(accuracy):.2%} (min {np.min(accuracy):.2%})")
    else:
        fractions = metrics.class_fractions(predicted, num_classes)
        report["class_fractions"] = [float(value) for value in fractions]
        report["balanced"] = bool(np.all((fractions >= BALANCE_RANGE[0]) & (fractions <= BALANCE_RANGE[1])))
        for label, value in enumerate(fractions):
            print(f"  {names[label]:>12}: {value:6.1%} of samples")
        print(f"  every class within {BALANCE_RANGE[0]:.0%}..{BALANCE_RANGE[1]:.0%}: {report['balanced']}")
        histogram_path = Path(args.out_dir or DEFAULT_GENERATE_DIR) / f"{name}_class_histogram.png"
        plotting.class_histogram(fractions, names, histogram_path, expected=1 / num_classes,
                                 title=f"{name}: judge's classes of {count} samples")
        print(f"  histogram: {histogram_path}")
    print(f"  Fréchet distance (judge features) {report['frechet_distance']:.2f}; "
          f"real train vs test floor {report['frechet_distance_real_floor']:.2f}")
    if extra_metrics is not None:
        extra_metrics(report, images, labels, real_data)
    if args.metrics_json:
        write_json(args.metrics_json, report)
        print(f"wrote {args.metrics_json}")
    return report


def autoencoder_and_diversity(encoder, generator, num_classes, seed):
    """An `extra_metrics` for `evaluate`: the autoencoder's test reconstruction error (pixels 0..1) and
    the within-class diversity of generated over real test images, per class and summarised."""

    def add(report, images, labels, real_data):
        _, (x_test, y_test) = real_data
        count = min(len(images), len(x_test))
        codes = predict_in_batches(encoder, images_to_unit_range(x_test[:count]))
        rebuilt = generate(generator, codes, y_test[:count])
        # Pixels in 0..1, so the error reads as a fraction of the full intensity range.
        report["reconstruction_mae"] = float(np.mean(np.abs(rebuilt.astype(np.float64) - x_test[:count]) / MAX_PIXEL))
        generated = within_class_diversity(images, labels, num_classes, DIVERSITY_PER_CLASS, seed)
        real = within_class_diversity(x_test, y_test, num_classes, DIVERSITY_PER_CLASS, seed)
        ratio = generated / real
        report["diversity_ratio_per_class"] = [float(value) for value in ratio]
        report["diversity_ratio_mean"] = float(np.nanmean(ratio))
        report["diversity_ratio_min"] = float(np.nanmin(ratio))
        print(f"  autoencoder reconstruction MAE on {count} test images: {report['reconstruction_mae']:.4f} "
              "(pixels 0..1)")
        print(f"  within-class diversity, generated / real: mean {report['diversity_ratio_mean']:.2f}, "
              f"lowest {report['diversity_ratio_min']:.2f} (target >= {DIVERSITY_TARGET})")

    return add


def within_class_diversity(images, labels, num_classes, per_class, seed):
    """Mean pairwise Euclidean distance between images of the same class, per class (num_classes,).

    Images are uint8 (N, 28, 28) taken as pixels in [0, 1]; at most `per_class` images per class are
    used. A collapsed class scores near 0; a class with fewer than two images is NaN.
    """
    rng = np.random.default_rng(seed)
    scores = np.full(num_classes, np.nan)
    for label in range(num_classes):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            continue
        chosen = rng.choice(members, min(per_class, len(members)), replace=False)
        vectors = images[chosen].reshape(len(chosen), -1).astype(np.float64) / MAX_PIXEL
        squared = np.sum(vectors ** 2, axis=1)
        distances = np.sqrt(np.clip(squared[:, None] + squared[None, :] - 2 * vectors @ vectors.T, 0, None))
        scores[label] = distances[np.triu_indices(len(chosen), k=1)].mean()
    return scores
