"""What the MNIST-style image scripts share: flags, training, generation, CSV and evaluation.

Images here are 28x28 grayscale. Generators output (N, 28, 28, 1) in [-1, 1]; files hold uint8
pixels 0..255 in MNIST orientation. A conditional generator has two inputs, noise (N, latent_dim)
and a one-hot label (N, num_classes); an unconditional one has the noise input only.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common import cli, data, metrics, plotting, training
from common.errors import ToolkitError
from common.io import load_model, save_generator, write_csv, write_json

GRID_SIDE = 4
TRAINING_GRID_COLUMNS = 10
DEFAULT_SAMPLES = 2000
DEFAULT_GENERATE_DIR = "generated_data"
# Unconditional samples count as mode-balanced when every class gets 6%..14% of them.
BALANCE_RANGE = (0.06, 0.14)


@dataclass(frozen=True)
class TrainingDefaults:
    """A model's default recipe; every field is also a command-line flag."""

    steps: int
    batch_size: int
    learning_rate: float
    latent_dim: int = 100
    checkpoint_every: int = 500
    sample_every: int = 500


def add_common_arguments(parser, defaults):
    """The flags every image GAN script takes (training, generation and evaluation)."""
    train = parser.add_argument_group("training")
    train.add_argument("--steps", type=cli.positive_int, help=f"generator updates (default {defaults.steps})")
    train.add_argument("--batch-size", type=cli.positive_int, help=f"default {defaults.batch_size}")
    train.add_argument("--learning-rate", type=cli.positive_float, help=f"default {defaults.learning_rate}")
    train.add_argument("--latent-dim", type=cli.positive_int, default=defaults.latent_dim)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--data-dir", help="folder with mnist.npz (default: $GAN_DATA_DIR or ./data)")
    train.add_argument("--out-dir", help="where outputs go (training: runs/<model>; generation: generated_data)")
    train.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out-dir")
    train.add_argument("--checkpoint-every", type=cli.positive_int, default=defaults.checkpoint_every)
    train.add_argument("--sample-every", type=cli.positive_int, default=defaults.sample_every)
    use = parser.add_argument_group("using a trained generator")
    use.add_argument("--generator", help="a saved generator (.h5 or .keras): generate instead of training")
    use.add_argument("--samples", type=cli.positive_int,
                     help=f"images for --csv/--evaluate (default {DEFAULT_SAMPLES})")
    use.add_argument("--csv", help="write --samples generated images to this CSV")
    use.add_argument("--evaluate", action="store_true", help="score the generator with the judge")
    use.add_argument("--metrics-json", help="with --evaluate: also write the metrics here")
    use.add_argument("--judge", default="models/judge_mnist.keras", help="judge classifier for --evaluate")


def resolve_training_args(args, defaults):
    """Fill unset training flags from `defaults`."""
    for field in ("steps", "batch_size", "learning_rate"):
        if getattr(args, field) is None:
            setattr(args, field, getattr(defaults, field))


# ---- training ----------------------------------------------------------------------------------
def train_image_gan(
    gan, args, name, dataset_name="mnist", num_classes=None, split=None, balance_classes=False, noise=None,
):
    """Train `gan` on the training split of `dataset_name` (EMNIST: of `split`) and save its generator.

    Writes `<out-dir>/<name>.h5` and `.keras`, sample grids in `<out-dir>/samples/`, the loss plot,
    and a checkpoint for `--resume`. `noise(count, latent_dim, seed)` draws the grids' fixed latent
    codes (default `sample_noise`, N(0, 1)). Returns the path of the saved `.h5`.
    """
    import keras

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), _ = data.load_labelled_images(dataset_name, args.data_dir, split)
    out_dir = Path(args.out_dir or f"runs/{name}")
    dataset = data.image_batches(x_train, y_train, args.batch_size, args.seed, balance_classes=balance_classes)
    rows = num_classes or TRAINING_GRID_COLUMNS
    fixed_noise = (noise or sample_noise)(rows * TRAINING_GRID_COLUMNS, args.latent_dim, args.seed)
    fixed_labels = np.repeat(np.arange(rows), TRAINING_GRID_COLUMNS) if num_classes else None

    def write_samples(step):
        images = generate(gan.generator, fixed_noise, fixed_labels)
        plotting.image_grid(
            images, out_dir / "samples" / f"step_{step:06d}.png", rows, TRAINING_GRID_COLUMNS,
            title=f"{name}, step {step}", row_labels=fixed_labels[::TRAINING_GRID_COLUMNS] if num_classes else None,
        )

    print(f"training {name} for {args.steps} steps (batch {args.batch_size}) into {out_dir}")
    training.train(
        gan, dataset, args.steps, out_dir, resume=args.resume,
        checkpoint_every=args.checkpoint_every, sample_every=args.sample_every, write_samples=write_samples,
    )
    h5_path, keras_path = save_generator(gan.generator, out_dir / f"{name}.h5")
    print(f"saved generator: {h5_path} and {keras_path}")
    return h5_path


# ---- generation --------------------------------------------------------------------------------
def load_generator(path, conditional, num_classes=None):
    """Load an image generator and check that it is the kind this script drives.

    Returns `(generator, latent_dim)`. A conditional generator must take [noise, one-hot label]
    with `num_classes` classes; an unconditional one must take noise only.
    """
    generator = load_model(path, what="generator")
    inputs = generator.inputs
    if conditional and len(inputs) != 2:
        raise ToolkitError(
            f"{path} must be a conditional generator with inputs (noise, label); it has {len(inputs)} input"
            " -- use it with dcgan_mnist.py"
        )
    if not conditional and len(inputs) != 1:
        raise ToolkitError(
            f"{path} must be an unconditional generator with one noise input; it has {len(inputs)}"
            " inputs -- use it with cgan_mnist.py"
        )
    if conditional and inputs[1].shape[-1] != num_classes:
        raise ToolkitError(f"{path} must have {num_classes} label classes; it has {inputs[1].shape[-1]}")
    if tuple(generator.outputs[0].shape[1:]) != (*data.IMAGE_SHAPE, 1):
        raise ToolkitError(f"{path} must output 28x28x1 images; it outputs {generator.outputs[0].shape[1:]}")
    return generator, int(inputs[0].shape[-1])


def generate(generator, noise, labels=None, batch_size=500):
    """uint8 images (N, 28, 28) from `noise` (N, latent_dim) and, if conditional, int `labels` (N,)."""
    num_classes = generator.inputs[1].shape[-1] if labels is not None else None
    outputs = []
    for start in range(0, len(noise), batch_size):
        batch = noise[start:start + batch_size].astype("float32")
        if labels is None:
            inputs = batch
        else:
            inputs = [batch, np.eye(num_classes, dtype="float32")[labels[start:start + batch_size]]]
        outputs.append(np.asarray(generator(inputs, training=False)))
    return data.unit_range_to_images(np.concatenate(outputs))


def sample_noise(count, latent_dim, seed):
    """Latent codes (count, latent_dim) float32 ~ N(0, 1)."""
    return np.random.default_rng(seed).normal(size=(count, latent_dim)).astype("float32")


def sample_uniform_noise(count, latent_dim, seed):
    """Latent codes (count, latent_dim) float32 ~ U(0, 1)."""
    return np.random.default_rng(seed).uniform(size=(count, latent_dim)).astype("float32")


def cycling_labels(count, num_classes):
    """Labels 0, 1, ..., num_classes-1, 0, 1, ... of length `count`."""
    return np.arange(count) % num_classes


def images_frame(images, labels=None):
    """The image CSV layout: optional `label` column first, then px0..px783 as ints 0..255."""
    pixels = images.reshape(len(images), -1)
    frame = pd.DataFrame(pixels, columns=[f"px{index}" for index in range(pixels.shape[1])])
    if labels is not None:
        frame.insert(0, "label", np.asarray(labels, dtype=np.int64))
    return frame


def write_outputs(generator, latent_dim, args, name, labels_for=None, noise=sample_noise, label_word="digit"):
    """Generation mode: a 4x4 grid PNG, and with --csv a CSV of --samples images.

    `labels_for(count)` gives the int labels for a conditional generator (None: unconditional);
    `noise(count, latent_dim, seed)` draws the latent codes. A grid of one label is named
    `<name>_<label_word><label>.png`.
    """
    out_dir = Path(args.out_dir or DEFAULT_GENERATE_DIR)
    grid_count = GRID_SIDE * GRID_SIDE
    grid_labels = labels_for(grid_count) if labels_for else None
    grid = generate(generator, noise(grid_count, latent_dim, args.seed), grid_labels)
    suffix = f"_{label_word}{grid_labels[0]}" if labels_for and len(set(grid_labels)) == 1 else ""
    grid_path = out_dir / f"{name}{suffix}.png"
    plotting.image_grid(grid, grid_path, GRID_SIDE, GRID_SIDE, title=name + suffix.replace("_", " "))
    print(f"wrote {grid_path}")
    if args.csv:
        count = args.samples or DEFAULT_SAMPLES
        labels = labels_for(count) if labels_for else None
        images = generate(generator, noise(count, latent_dim, args.seed + 1), labels)
        write_csv(images_frame(images, labels), args.csv)
        print(f"wrote {count} images to {args.csv}")


# ---- evaluation --------------------------------------------------------------------------------
def evaluate(
    generator, latent_dim, args, name, num_classes, conditional, dataset_name="mnist", split=None,
    noise=sample_noise, extra_metrics=None,
):
    """Judge the generator and print (and with --metrics-json, write) the metrics.

    Conditional: per-class judge accuracy of samples with cycling labels. Unconditional: the share
    of samples the judge puts in each class. Both: Fréchet distance of judge features against the
    real test set of `dataset_name` (EMNIST: `split`), beside the floor of real training images
    against the same test images. `extra_metrics(report, images, labels, real_data)`, when given,
    adds (and prints) more entries before the report is written; `real_data` is the loaded dataset.
    """
    count = args.samples or DEFAULT_SAMPLES
    classifier, features = metrics.load_judge(args.judge)
    real_data = data.load_labelled_images(dataset_name, args.data_dir, split)
    (x_train, _), (x_test, _) = real_data
    rng = np.random.default_rng(args.seed)
    labels = cycling_labels(count, num_classes) if conditional else None
    images = generate(generator, noise(count, latent_dim, args.seed), labels)
    unit = data.images_to_unit_range(images)
    predicted = metrics.predict_classes(classifier, unit)
    real_test = data.images_to_unit_range(x_test[rng.choice(len(x_test), min(count, len(x_test)), replace=False)])
    real_train = data.images_to_unit_range(x_train[rng.choice(len(x_train), count, replace=False)])
    test_features = metrics.embed(features, real_test)
    report = {
        "generator": str(args.generator),
        "samples": count,
        "frechet_distance": metrics.frechet_distance(metrics.embed(features, unit), test_features),
        "frechet_distance_real_floor": metrics.frechet_distance(metrics.embed(features, real_train), test_features),
    }
    print(f"{name}: {count} samples judged by {args.judge}")
    if conditional:
        accuracy = metrics.per_class_accuracy(labels, predicted, num_classes)
        report["judge_accuracy_mean"] = float(np.mean(accuracy))
        report["judge_accuracy_per_class"] = [float(value) for value in accuracy]
        for label, value in enumerate(accuracy):
            print(f"  class {label}: judge accuracy {value:6.1%}")
        print(f"  mean judge accuracy {np.mean(accuracy):.2%} (min {np.min(accuracy):.2%})")
    else:
        fractions = metrics.class_fractions(predicted, num_classes)
        report["class_fractions"] = [float(value) for value in fractions]
        report["balanced"] = bool(np.all((fractions >= BALANCE_RANGE[0]) & (fractions <= BALANCE_RANGE[1])))
        for label, value in enumerate(fractions):
            print(f"  class {label}: {value:6.1%} of samples")
        print(f"  every class within {BALANCE_RANGE[0]:.0%}..{BALANCE_RANGE[1]:.0%}: {report['balanced']}")
        histogram_path = Path(args.out_dir or DEFAULT_GENERATE_DIR) / f"{name}_class_histogram.png"
        plotting.class_histogram(fractions, data.CLASS_NAMES["mnist"], histogram_path, expected=1 / num_classes,
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
