"""Scoring a ProGAN or StyleGAN generator trained on MNIST or Fashion-MNIST with the project's judge.

Generated images (N, R, R, 1) are brought back to the dataset's 28x28 (resized to the padded 32x32,
border cropped) and rounded to pixels, as real images are, before the judge sees them. Reported:
the Fréchet distance of judge features against real test images (with the floor of real training
images), the share of samples in each class; for StyleGAN also the truncation trick at psi 0.5
against 1 (judge confidence, within-class diversity, class shares), towards the mean w and towards the
nearest of one k-means centre of w per class (multi-modal truncation), psi 0 (spread of the images: one image when the
noise is off) and style mixing (how often the judge keeps the class of the coarse-style source).
"""

from pathlib import Path

import numpy as np

from common import metrics, plotting
from common.batching import predict_in_batches
from common.cli import DEFAULT_GENERATE_DIR
from common.errors import ToolkitError
from common.images import style
from common.images.data import images_to_unit_range, load_image_dataset
from common.images.evaluation import DIVERSITY_PER_CLASS, within_class_diversity
from common.images.folders import crop_padding
from common.images.hires_options import JUDGE_PATTERN
from common.images.names import CLASS_NAMES
from common.images.options import DEFAULT_SAMPLES
from common.images.synthesis import STYLEGAN, mixed_styles, sample_codes, synthesize, to_pixels
from common.io import write_json

# Unconditional samples count as mode-balanced when every class gets 5%..15% of them.
CLASS_SHARE_RANGE = (0.05, 0.15)
TRUNCATION_PSI = 0.5
# Images drawn at psi 0 to see that they are one image.
MEAN_IMAGE_SAMPLES = 16
MIXING_TARGET = 0.8


def judge_pixels(samples):
    """Generated images (N, R, R, 1) of a padded 28x28 dataset -> uint8 (N, 28, 28) as the judge's data is stored."""
    return to_pixels(np.clip(crop_padding(samples), -1.0, 1.0))


def evaluate(generator, settings, args, name):
    """Judge the generator; print the metrics (and with --metrics-json write them); returns the report."""
    dataset = settings.get("dataset")
    if dataset not in CLASS_NAMES or settings.get("padded_from") is None:
        raise ToolkitError(f"--evaluate needs a generator trained on --dataset ({' or '.join(CLASS_NAMES)}); "
                           f"{args.generator} was trained on a folder of pictures")
    judge = args.judge or JUDGE_PATTERN.format(dataset)
    if not Path(judge).is_file():
        raise ToolkitError(f"--judge must name an existing judge classifier; got {judge}")
    count, latent_dim, seed = args.samples or DEFAULT_SAMPLES, settings["latent_dim"], args.seed
    num_classes = len(CLASS_NAMES[dataset])
    classifier, features = metrics.load_judge(judge)
    (x_train, _), (x_test, _) = load_image_dataset(dataset, args.data_dir)
    rng = np.random.default_rng(seed)
    codes = sample_codes(count, latent_dim, seed)
    pixels = judge_pixels(predict_in_batches(generator, codes))
    unit = images_to_unit_range(pixels)
    probabilities = predict_in_batches(classifier, unit)
    predicted = np.argmax(probabilities, axis=1)
    real_test = images_to_unit_range(x_test[rng.choice(len(x_test), min(count, len(x_test)), replace=False)])
    real_train = images_to_unit_range(x_train[rng.choice(len(x_train), count, replace=False)])
    test_features = metrics.embed(features, real_test)
    fractions = metrics.class_fractions(predicted, num_classes)
    report = {
        "generator": str(args.generator), "samples": count, "judge": judge,
        "frechet_distance": metrics.frechet_distance(metrics.embed(features, unit), test_features),
        "frechet_distance_real_floor": metrics.frechet_distance(metrics.embed(features, real_train), test_features),
        "class_fractions": [float(value) for value in fractions],
        "balanced": bool(np.all((fractions >= CLASS_SHARE_RANGE[0]) & (fractions <= CLASS_SHARE_RANGE[1]))),
    }
    print(f"{name}: {count} samples judged by {judge}")
    for label, value in enumerate(fractions):
        print(f"  {CLASS_NAMES[dataset][label]:>12}: {value:6.1%} of samples")
    print(f"  every class within {CLASS_SHARE_RANGE[0]:.0%}..{CLASS_SHARE_RANGE[1]:.0%}: {report['balanced']}")
    print(f"  Fréchet distance (judge features) {report['frechet_distance']:.2f}; "
          f"real train vs test floor {report['frechet_distance_real_floor']:.2f}")
    histogram_path = Path(args.out_dir or DEFAULT_GENERATE_DIR) / f"{name}_class_histogram.png"
    plotting.class_histogram(fractions, CLASS_NAMES[dataset], histogram_path, expected=1 / num_classes,
                             title=f"{name}: judge's classes of {count} samples")
    if settings["model"] == STYLEGAN:
        report.update(style_metrics(generator, classifier, codes, num_classes, seed))
    if args.metrics_json:
        write_json(args.metrics_json, report)
        print(f"wrote {args.metrics_json}")
    return report


def truncated_judgement(generator, classifier, codes, psi, num_classes, seed, centres=None):
    """(mean judge confidence, mean within-class diversity, class fractions (num_classes,)) of the images of
    `codes` at truncation `psi` (towards the mean w, or the nearest of `centres`)."""
    pixels = judge_pixels(synthesize(generator, style.styles(generator, codes, psi, centres)))
    probabilities = predict_in_batches(classifier, images_to_unit_range(pixels))
    predicted = np.argmax(probabilities, axis=1)
    diversity = within_class_diversity(pixels, predicted, num_classes, DIVERSITY_PER_CLASS, seed)
    return (float(np.mean(np.max(probabilities, axis=1))), float(np.nanmean(diversity)),
            metrics.class_fractions(predicted, num_classes))


def style_metrics(generator, classifier, codes, num_classes, seed):
    """Truncation, mean-image and style-mixing figures of a StyleGAN generator, printed and returned."""
    report = {}
    # Multi-modal truncation with one centre of w per class the judge knows.
    centres = style.w_centres(generator, num_classes, seed)
    for psi, anchors, key, label in ((1.0, None, "psi_1.0", "none"),
                                     (TRUNCATION_PSI, None, f"psi_{TRUNCATION_PSI}", "towards the mean w"),
                                     (TRUNCATION_PSI, centres, f"psi_{TRUNCATION_PSI}_centres_{num_classes}",
                                      f"towards the nearest of {num_classes} centres of w")):
        confidence, diversity, fractions = truncated_judgement(generator, classifier, codes, psi, num_classes, seed,
                                                               anchors)
        report[f"{key}_judge_confidence"], report[f"{key}_within_class_diversity"] = confidence, diversity
        report[f"{key}_class_fractions"] = [float(value) for value in fractions]
        print(f"  truncation psi {psi} ({label}): judge confidence {confidence:.3f}, within-class diversity "
              f"{diversity:.2f}, classes {np.min(fractions):.1%}..{np.max(fractions):.1%}")
    mean_codes = codes[:MEAN_IMAGE_SAMPLES]
    style.set_noise(generator, False)
    try:
        quiet = synthesize(generator, style.styles(generator, mean_codes, 0.0))
    finally:
        style.set_noise(generator, True)
    noisy = synthesize(generator, style.styles(generator, mean_codes, 0.0))
    report["psi_0_max_pixel_difference_noise_off"] = float(np.max(np.ptp(to_pixels(quiet).astype(float), axis=0)))
    report["psi_0_mean_pixel_std_noise_on"] = float(np.mean(np.std(to_pixels(noisy).astype(float), axis=0)))
    print(f"  psi 0: largest pixel difference between {MEAN_IMAGE_SAMPLES} images "
          f"{report['psi_0_max_pixel_difference_noise_off']:.0f} (noise off), mean pixel std "
          f"{report['psi_0_mean_pixel_std_noise_on']:.2f} of 255 (noise on)")
    coarse_codes, fine_codes = codes, sample_codes(len(codes), codes.shape[1], seed + 1)
    judged = [np.argmax(predict_in_batches(classifier, images_to_unit_range(judge_pixels(images))), axis=1)
              for images in (synthesize(generator, style.styles(generator, coarse_codes)),
                             synthesize(generator, style.styles(generator, fine_codes)),
                             synthesize(generator, mixed_styles(generator, coarse_codes, fine_codes)))]
    coarse_class, fine_class, mixed_class = judged
    report["mixing_keeps_coarse_class"] = float(np.mean(mixed_class == coarse_class))
    report["mixing_takes_fine_class"] = float(np.mean(mixed_class == fine_class))
    report["mixing_sources_same_class"] = float(np.mean(coarse_class == fine_class))
    print(f"  style mixing (4x4-8x8 styles from A): judged A's class {report['mixing_keeps_coarse_class']:.1%}, "
          f"B's {report['mixing_takes_fine_class']:.1%} (A and B alike {report['mixing_sources_same_class']:.1%}; "
          f"target A >= {MIXING_TARGET:.0%})")
    return report
