"""InfoGAN (Chen et al. 2016) on CharacterTrajectories: ask for a letter, get that letter, in a style you pick.

    python3 infogan_timeseries.py --train-judge       # the judge (models/judge_character_trajectories.keras)
    python3 infogan_timeseries.py                     # train the InfoGAN (runs/infogan_timeseries)
    python3 infogan_timeseries.py --generator models/infogan_timeseries.h5 --letter s --codes 0.5 -1
    python3 infogan_timeseries.py --generator models/infogan_timeseries.h5 --samples 200 --csv letters.csv
    python3 infogan_timeseries.py --generator models/infogan_timeseries.h5 --evaluate --metrics-json m.json

Sequences are pen-tip velocities (x, y, force) in the dataset's (standardised) units; a generated
sequence ends where the generator's 'still writing' signal drops below 0.5.
"""

import sys
from pathlib import Path

import numpy as np

import common  # noqa: F401  (pins the Keras backend before TensorFlow loads)
from common import cli, image_gan, training
from common import sequence_infogan as infogan
from common import trajectories as traj
from common.errors import ToolkitError
from common.io import load_model, save_generator, save_model, write_csv, write_json

NAME = "infogan_timeseries"
PROG = "infogan_timeseries.py"
NUM_CODES = 2
# Chosen to reach the quality targets within 30 minutes on 2 shared CPU cores (see README).
DEFAULTS = image_gan.TrainingDefaults(steps=8000, batch_size=64, learning_rate=2e-4, latent_dim=32,
                                      checkpoint_every=500, sample_every=1000)
DEFAULT_SAMPLES = 1000
DEFAULT_JUDGE = "models/judge_character_trajectories.keras"
JUDGE_EPOCHS = 40
JUDGE_BATCH_SIZE = 64
SCORE_EPOCHS = 15
GRID_COLUMNS = 6
SINGLE_LETTER_GRID = (3, 6)
SWEEP_POINTS = 5
SWEEP_LETTER = "s"
Q_SUFFIX = "_q"


def parse_args(argv):
    parser = cli.OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    train = parser.add_argument_group("training")
    train.add_argument("--steps", type=cli.positive_int, help=f"generator updates (default {DEFAULTS.steps})")
    train.add_argument("--batch-size", type=cli.positive_int, help=f"default {DEFAULTS.batch_size}")
    train.add_argument("--learning-rate", type=cli.positive_float, help=f"default {DEFAULTS.learning_rate}")
    train.add_argument("--latent-dim", type=cli.positive_int, default=DEFAULTS.latent_dim, help="noise size")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--data-dir", help="folder with character_trajectories.npz (default: $GAN_DATA_DIR or ./data)")
    train.add_argument("--out-dir", help="where outputs go (training: runs/infogan_timeseries; else generated_data)")
    train.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out-dir")
    train.add_argument("--checkpoint-every", type=cli.positive_int, default=DEFAULTS.checkpoint_every)
    train.add_argument("--sample-every", type=cli.positive_int, default=DEFAULTS.sample_every)
    train.add_argument("--train-judge", action="store_true",
                       help="train the letter classifier used by --evaluate on the real training set, write --judge")
    use = parser.add_argument_group("using a trained generator")
    use.add_argument("--generator", help="a saved generator (.h5 or .keras): generate instead of training")
    letter = use.add_mutually_exclusive_group()
    letter.add_argument("--letter", help=f"generate only this letter ({' '.join(traj.CLASS_NAMES)})")
    letter.add_argument("--label", type=int, help=f"generate only this label (0..{traj.NUM_CLASSES - 1})")
    use.add_argument("--codes", type=float, nargs=NUM_CODES, metavar=("C1", "C2"),
                     help="fix the continuous style codes (trained on -1..1); default: random")
    use.add_argument("--samples", type=cli.positive_int,
                     help=f"sequences for --csv/--evaluate (default {DEFAULT_SAMPLES})")
    use.add_argument("--csv", help="write --samples generated sequences to this CSV (one row per time step)")
    use.add_argument("--evaluate", action="store_true", help="score the generator (judge, Q head, real vs fake)")
    use.add_argument("--metrics-json", help="with --evaluate: also write the metrics here")
    use.add_argument("--judge", default=DEFAULT_JUDGE, help=f"letter classifier (default {DEFAULT_JUDGE})")
    use.add_argument("--q-network", help="discriminator with the Q heads, for --evaluate "
                                         f"(default: <generator>{Q_SUFFIX}.keras beside the generator)")
    args = parser.parse_args(argv)
    image_gan.resolve_training_args(args, DEFAULTS)
    return args


def check_args(args):
    cli.check_generator_flags(args)
    if args.letter is not None:
        args.label = traj.letter_to_label(args.letter)
    if args.label is not None and not 0 <= args.label < traj.NUM_CLASSES:
        raise ToolkitError(f"--label must be between 0 and {traj.NUM_CLASSES - 1}; got {args.label}")
    chosen = [flag for flag, value in (("--letter/--label", args.label is not None), ("--codes", args.codes))
              if value]
    if args.generator is None and chosen:
        raise ToolkitError(f"{' and '.join(chosen)} need --generator PATH; got no --generator")
    if args.train_judge and args.generator:
        raise ToolkitError("--train-judge trains the judge only; got --generator too")


# ---- training ----------------------------------------------------------------------------------
def build_gan(latent_dim, steps):
    generator = infogan.build_generator(latent_dim, traj.NUM_CLASSES, NUM_CODES, steps, traj.NUM_CHANNELS)
    discriminator = infogan.build_discriminator(steps, traj.NUM_CHANNELS, traj.NUM_CLASSES, NUM_CODES)
    return infogan.SequenceInfoGAN(generator, discriminator, latent_dim, traj.NUM_CLASSES, NUM_CODES)


def sequence_batches(arrays, batch_size, seed):
    """Endless shuffled batches of (sequences with the end signal (batch, steps, 4), int32 labels)."""
    import tensorflow as tf

    x, labels = arrays["x_train"], arrays["y_train"]
    if batch_size > len(x):
        raise ToolkitError(f"--batch-size must be at most the {len(x)} training sequences; got {batch_size}")
    sequences = traj.with_pen_down(x, arrays["lengths_train"])
    dataset = tf.data.Dataset.from_tensor_slices((sequences, labels.astype("int32")))
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).repeat()
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def train(args):
    import keras

    keras.utils.set_random_seed(args.seed)
    arrays = traj.load(args.data_dir)
    steps = arrays["x_train"].shape[1]
    out_dir = Path(args.out_dir or f"runs/{NAME}")
    model = build_gan(args.latent_dim, steps)
    model.compile(*training.adam_pair(args.learning_rate, args.steps))
    dataset = sequence_batches(arrays, args.batch_size, args.seed)
    grid_labels = np.repeat(np.arange(traj.NUM_CLASSES), GRID_COLUMNS)
    noise, codes = infogan.sample_latents(len(grid_labels), args.latent_dim, NUM_CODES, args.seed)

    def write_samples(step):
        raw = infogan.run_generator(model.generator, noise, grid_labels, codes, traj.NUM_CLASSES)
        velocities, lengths = traj.split_pen_down(raw)
        traj.letter_grid(velocities, lengths, out_dir / "samples" / f"step_{step:06d}.png", traj.NUM_CLASSES,
                         GRID_COLUMNS, row_labels=traj.CLASS_NAMES, title=f"{NAME}, step {step}")

    print(f"training {NAME} for {args.steps} steps (batch {args.batch_size}) into {out_dir}")
    training.train(model, dataset, args.steps, out_dir, resume=args.resume,
                   checkpoint_every=args.checkpoint_every, sample_every=args.sample_every,
                   write_samples=write_samples)
    h5_path, keras_path = save_generator(model.generator, out_dir / f"{NAME}.h5")
    q_path = q_network_path(h5_path)
    save_model(model.discriminator, q_path)
    print(f"saved generator: {h5_path} and {keras_path}; discriminator with Q heads: {q_path}")


def q_network_path(generator_path):
    generator_path = Path(generator_path)
    return generator_path.with_name(generator_path.stem + Q_SUFFIX + ".keras")


def train_judge(args):
    import keras

    keras.utils.set_random_seed(args.seed)
    arrays = traj.load(args.data_dir)
    x_train = arrays["x_train"]
    judge = infogan.build_sequence_classifier(x_train.shape[1], traj.NUM_CHANNELS, traj.NUM_CLASSES,
                                              name="letter_judge")
    infogan.train_classifier(judge, x_train, arrays["y_train"], JUDGE_EPOCHS, JUDGE_BATCH_SIZE, args.seed, verbose=2)
    test_accuracy, _ = infogan.accuracy(judge, arrays["x_test"], arrays["y_test"])
    save_model(judge, args.judge)
    print(f"letter judge: real test accuracy {test_accuracy:.4f}; saved {args.judge}")


# ---- generation --------------------------------------------------------------------------------
def load_generator(path):
    """Load a sequence InfoGAN generator; returns (generator, latent_dim, steps)."""
    generator = load_model(path, what="generator")
    inputs = generator.inputs
    shapes = [tuple(tensor.shape[1:]) for tensor in inputs]
    if len(inputs) != 3 or shapes[1] != (traj.NUM_CLASSES,) or shapes[2] != (NUM_CODES,):
        raise ToolkitError(f"{path} must be an {NAME} generator with inputs (noise, letter[{traj.NUM_CLASSES}], "
                           f"codes[{NUM_CODES}]); got input shapes {shapes}")
    output_shape = tuple(generator.outputs[0].shape[1:])
    if len(output_shape) != 2 or output_shape[1] != traj.NUM_CHANNELS + 1:
        raise ToolkitError(f"{path} must output (steps, {traj.NUM_CHANNELS + 1}) sequences; it outputs {output_shape}")
    return generator, int(shapes[0][0]), int(output_shape[0])


def generate(generator, latent_dim, labels, seed, codes=None):
    """(velocities (N, steps, 3) zero after the end, lengths (N,), codes used (N, 2)) for int labels (N,)."""
    noise, random_codes = infogan.sample_latents(len(labels), latent_dim, NUM_CODES, seed)
    codes = random_codes if codes is None else np.tile(np.asarray(codes, dtype="float32"), (len(labels), 1))
    raw = infogan.run_generator(generator, noise, labels, codes, traj.NUM_CLASSES)
    velocities, lengths = traj.split_pen_down(raw)
    return velocities, lengths, codes


def labels_for(label, count):
    return np.full(count, label) if label is not None else np.arange(count) % traj.NUM_CLASSES


def style_sweep(generator, latent_dim, label, path, seed):
    """A SWEEP_POINTS x SWEEP_POINTS grid for one letter: code 1 along rows, code 2 along columns, same noise."""
    values = np.linspace(-infogan.CODE_RANGE, infogan.CODE_RANGE, SWEEP_POINTS)
    codes = np.array([(first, second) for first in values for second in values], dtype="float32")
    noise, _ = infogan.sample_latents(1, latent_dim, NUM_CODES, seed)
    raw = infogan.run_generator(generator, np.repeat(noise, len(codes), axis=0), np.full(len(codes), label), codes,
                                traj.NUM_CLASSES)
    velocities, lengths = traj.split_pen_down(raw)
    traj.letter_grid(velocities, lengths, path, SWEEP_POINTS, SWEEP_POINTS,
                     row_labels=[f"{value:+.1f}" for value in values],
                     column_labels=[f"{value:+.1f}" for value in values], row_title="code 1",
                     column_title="code 2", title=f"{NAME}: style sweep of '{traj.CLASS_NAMES[label]}'")


def write_outputs(generator, latent_dim, args):
    out_dir = Path(args.out_dir or image_gan.DEFAULT_GENERATE_DIR)
    if args.label is None:
        rows, columns = traj.NUM_CLASSES, GRID_COLUMNS
        grid_labels = np.repeat(np.arange(traj.NUM_CLASSES), GRID_COLUMNS)
        grid_path, row_labels = out_dir / f"{NAME}_letters.png", traj.CLASS_NAMES
    else:
        rows, columns = SINGLE_LETTER_GRID
        grid_labels = np.full(rows * columns, args.label)
        letter = traj.CLASS_NAMES[args.label]
        grid_path, row_labels = out_dir / f"{NAME}_letter_{letter}.png", None
    velocities, lengths, _ = generate(generator, latent_dim, grid_labels, args.seed, args.codes)
    codes_text = "random codes" if args.codes is None else "codes " + " ".join(f"{code:g}" for code in args.codes)
    traj.letter_grid(velocities, lengths, grid_path, rows, columns, row_labels=row_labels,
                     title=f"{NAME} ({codes_text})")
    print(f"wrote {grid_path}")
    sweep_label = args.label if args.label is not None else traj.letter_to_label(SWEEP_LETTER)
    sweep_path = out_dir / f"{NAME}_style_{traj.CLASS_NAMES[sweep_label]}.png"
    style_sweep(generator, latent_dim, sweep_label, sweep_path, args.seed)
    print(f"wrote {sweep_path}")
    if args.csv:
        count = args.samples or DEFAULT_SAMPLES
        labels = labels_for(args.label, count)
        velocities, lengths, _ = generate(generator, latent_dim, labels, args.seed + 1, args.codes)
        write_csv(traj.sequences_frame(velocities, lengths, labels), args.csv)
        print(f"wrote {count} sequences ({int(lengths.sum())} rows) to {args.csv}")


# ---- evaluation --------------------------------------------------------------------------------
def evaluate(generator, latent_dim, args):
    """Label fidelity per letter (judge), R^2 of the codes read back by Q, discriminative score."""
    from common import metrics

    count = args.samples or DEFAULT_SAMPLES
    judge = load_model(args.judge, what="judge classifier")
    q_network = load_model(args.q_network or q_network_path(args.generator), what="Q network")
    arrays = traj.load(args.data_dir)
    judge_test_accuracy, _ = infogan.accuracy(judge, arrays["x_test"], arrays["y_test"])
    labels = labels_for(args.label, count)
    noise, codes = infogan.sample_latents(count, latent_dim, NUM_CODES, args.seed)
    raw = infogan.run_generator(generator, noise, labels, codes, traj.NUM_CLASSES)
    velocities, lengths = traj.split_pen_down(raw)
    _, predicted = infogan.accuracy(judge, velocities, labels)
    fidelity = metrics.per_class_accuracy(labels, predicted, traj.NUM_CLASSES)
    code_r2 = infogan.r_squared(codes, infogan.estimate_codes(q_network, raw))
    score = infogan.discriminative_score(arrays["x_test"], velocities, SCORE_EPOCHS, JUDGE_BATCH_SIZE, args.seed)
    measured = ~np.isnan(fidelity)
    report = {
        "generator": str(args.generator),
        "samples": count,
        "judge": str(args.judge),
        "judge_real_test_accuracy": judge_test_accuracy,
        "label_fidelity_mean": float(np.mean(fidelity[measured])),
        "label_fidelity_per_letter": {traj.CLASS_NAMES[index]: float(fidelity[index])
                                      for index in np.flatnonzero(measured)},
        "code_r2": [float(value) for value in code_r2],
        "discriminative_score": score,
        "mean_length_generated": float(lengths.mean()),
        "mean_length_real_test": float(arrays["lengths_test"].mean()),
    }
    print(f"{NAME}: {count} samples; judge {args.judge} (real test accuracy {judge_test_accuracy:.2%})")
    for letter, value in report["label_fidelity_per_letter"].items():
        print(f"  letter {letter}: label fidelity {value:6.1%}")
    print(f"  mean label fidelity {report['label_fidelity_mean']:.2%} (min {np.min(fidelity[measured]):.2%})")
    print("  continuous codes recovered by Q: R^2 " + ", ".join(f"{value:.3f}" for value in code_r2))
    print(f"  discriminative score |acc - 0.5| {score:.3f} (0 = indistinguishable)")
    print(f"  mean length {report['mean_length_generated']:.1f} steps "
          f"(real test {report['mean_length_real_test']:.1f})")
    if args.metrics_json:
        write_json(args.metrics_json, report)
        print(f"wrote {args.metrics_json}")
    return report


def run(args):
    check_args(args)
    if args.train_judge:
        train_judge(args)
    elif args.generator:
        generator, latent_dim, _ = load_generator(args.generator)
        if args.evaluate:
            evaluate(generator, latent_dim, args)
        else:
            write_outputs(generator, latent_dim, args)
    else:
        train(args)


def main(argv=None):
    args = parse_args(argv)
    return cli.run(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
