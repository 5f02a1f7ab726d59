"""InfoGAN (Chen et al. 2016) on CharacterTrajectories: ask for a letter, get that letter, in a style you pick.

Sequences are pen-tip velocities (x, y, force) in the dataset's (standardised) units; a generated
sequence ends where the generator's 'still writing' signal drops below 0.5.

    python3 infogan_timeseries.py --train-judge       # the judge (models/judge_character_trajectories.keras)
    python3 infogan_timeseries.py                     # train the InfoGAN (runs/infogan_timeseries)
    python3 infogan_timeseries.py --generator models/infogan_timeseries.h5 --letter s --codes 0.5 -1
    python3 infogan_timeseries.py --generator models/infogan_timeseries.h5 --samples 200 --csv letters.csv
    python3 infogan_timeseries.py --generator models/infogan_timeseries.h5 --evaluate --metrics-json m.json
"""

import sys
from dataclasses import dataclass
from pathlib import Path

from common import cli
from common.errors import ToolkitError
from common.trajectories.names import CLASS_NAMES, NUM_CLASSES, NUM_CODES, letter_to_label, q_network_path

PROG = "infogan_timeseries.py"
NAME = "infogan_timeseries"


@dataclass(frozen=True)
class InfoGANDefaults(cli.TrainingDefaults):
    """The training recipe plus the generation flags' defaults."""

    samples: int = 1000
    judge: str = "models/judge_character_trajectories.keras"


# Chosen to reach the quality targets within 30 minutes on 2 shared CPU cores (see docs/infogan_timeseries.md).
DEFAULTS = InfoGANDefaults(steps=8000, batch_size=64, learning_rate=2e-4, latent_dim=32, sample_every=1000)


def build_parser():
    parser = cli.make_parser(PROG, __doc__)
    train = cli.add_training_arguments(parser, DEFAULTS, name=NAME, data_help="folder with character_trajectories.npz")
    train.add_argument("--train-judge", action="store_true",
                       help="train the letter classifier used by --evaluate on the real training set, write --judge")
    use = cli.add_generation_arguments(
        parser, generator_help="a saved generator (.h5 or .keras): generate instead of training",
        samples_help=f"sequences for --csv/--evaluate (default {DEFAULTS.samples})",
        evaluate_help="score the generator (judge, Q head, real vs fake)",
        csv_help="write --samples generated sequences to this CSV (one row per time step)")
    letter = use.add_mutually_exclusive_group()
    letter.add_argument("--letter", help=f"generate only this letter ({' '.join(CLASS_NAMES)})")
    letter.add_argument("--label", type=int, help=f"generate only this label (0..{NUM_CLASSES - 1})")
    use.add_argument("--codes", type=float, nargs=NUM_CODES, metavar=("C1", "C2"),
                     help="fix the continuous style codes (trained on -1..1); default: random")
    use.add_argument("--judge", default=DEFAULTS.judge, help="letter classifier (default %(default)s)")
    use.add_argument("--q-network", help="discriminator with the Q heads, for --evaluate "
                                         "(default: <generator>_q.keras beside the generator)")
    return parser


def check_flags(args):
    """Reject flag combinations that cannot work, before anything is read or written."""
    if args.letter is not None:
        args.label = letter_to_label(args.letter)
    if args.label is not None and not 0 <= args.label < NUM_CLASSES:
        raise ToolkitError(f"--label must be between 0 and {NUM_CLASSES - 1}; got {args.label}")
    cli.check_generator_flags(args, generator_only=(("--letter/--label", args.label is not None),
                                                    ("--codes", args.codes)))
    if args.train_judge and args.generator:
        raise ToolkitError("--train-judge trains the judge only; got --generator too")
    cli.check_input_file("--generator", args.generator)
    if args.evaluate:
        cli.check_input_file("--judge", args.judge)
        cli.check_input_file("--q-network", args.q_network or str(q_network_path(args.generator)))


def train(args):
    import keras

    from common import training
    from common.io import save_generator, save_model
    from common.trajectories import data, model, plots

    keras.utils.set_random_seed(args.seed)
    arrays = data.load(args.data_dir)
    out_dir = Path(args.out_dir or f"runs/{NAME}")
    gan = model.build_gan(args.latent_dim, arrays["x_train"].shape[1])
    gan.compile(*training.adam_pair(args.learning_rate, args.steps))
    dataset = data.training_batches(arrays, args.batch_size, args.seed)

    def write_samples(step):
        plots.generated_letters(gan.generator, args.latent_dim, out_dir / "samples" / f"step_{step:06d}.png",
                                args.seed, title=f"{NAME}, step {step}")

    print(f"training {NAME} for {args.steps} steps (batch {args.batch_size}) into {out_dir}")
    training.train(gan, dataset, args.steps, out_dir, resume=args.resume, overwrite=args.overwrite,
                   checkpoint_every=args.checkpoint_every, sample_every=args.sample_every,
                   write_samples=write_samples)
    h5_path, keras_path = save_generator(gan.generator, out_dir / f"{NAME}.h5")
    q_path = q_network_path(h5_path)
    save_model(gan.discriminator, q_path)
    print(f"saved generator: {h5_path} and {keras_path}; discriminator with Q heads: {q_path}")


def train_judge(args):
    import keras

    from common.io import save_model
    from common.trajectories import data, evaluation

    keras.utils.set_random_seed(args.seed)
    judge, test_accuracy = evaluation.train_judge(data.load(args.data_dir), args.seed)
    save_model(judge, args.judge)
    print(f"letter judge: real test accuracy {test_accuracy:.4f}; saved {args.judge}")


def write_outputs(generator, latent_dim, args):
    from common.io import write_csv
    from common.trajectories import data, generation, plots

    out_dir = Path(args.out_dir or cli.DEFAULT_GENERATE_DIR)
    grid_name = "letters" if args.label is None else f"letter_{CLASS_NAMES[args.label]}"
    grid_path = out_dir / f"{NAME}_{grid_name}.png"
    codes_text = "random codes" if args.codes is None else "codes " + " ".join(f"{code:g}" for code in args.codes)
    plots.generated_letters(generator, latent_dim, grid_path, args.seed, f"{NAME} ({codes_text})",
                            label=args.label, codes=args.codes)
    print(f"wrote {grid_path}")
    sweep_label = args.label if args.label is not None else letter_to_label(plots.SWEEP_LETTER)
    sweep_letter = CLASS_NAMES[sweep_label]
    sweep_path = out_dir / f"{NAME}_style_{sweep_letter}.png"
    plots.style_sweep(generator, latent_dim, sweep_label, sweep_path, args.seed,
                      f"{NAME}: style sweep of '{sweep_letter}'")
    print(f"wrote {sweep_path}")
    if args.csv:
        count = args.samples or DEFAULTS.samples
        labels = generation.labels_for(args.label, count)
        velocities, lengths, _, _ = generation.generate(generator, latent_dim, labels, args.seed + 1, args.codes)
        write_csv(data.sequences_frame(velocities, lengths, labels), args.csv)
        print(f"wrote {count} sequences ({int(lengths.sum())} rows) to {args.csv}")


def evaluate(generator, latent_dim, args):
    from common.io import load_model, write_json
    from common.trajectories import data, evaluation, generation

    count = args.samples or DEFAULTS.samples
    judge = load_model(args.judge, what="judge classifier")
    q_network = load_model(args.q_network or q_network_path(args.generator), what="Q network")
    scores = evaluation.evaluate(generator, latent_dim, judge, q_network, data.load(args.data_dir),
                                 generation.labels_for(args.label, count), args.seed)
    report = {"generator": str(args.generator), "samples": count, "judge": str(args.judge), **scores}
    print(f"{NAME}: {count} samples; judge {args.judge} (real test accuracy {report['judge_real_test_accuracy']:.2%})")
    print("\n".join(evaluation.report_lines(report)))
    if args.metrics_json:
        write_json(args.metrics_json, report)
        print(f"wrote {args.metrics_json}")


def run(args):
    from common.trajectories.generation import load_generator

    if args.train_judge:
        train_judge(args)
    elif args.generator:
        generator, latent_dim, _ = load_generator(args.generator)
        (evaluate if args.evaluate else write_outputs)(generator, latent_dim, args)
    else:
        train(args)


def main(argv=None):
    return cli.main(build_parser(), argv, run, check_flags)


if __name__ == "__main__":
    sys.exit(main())
