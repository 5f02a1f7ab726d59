"""Auxiliary-classifier GAN (Odena et al. 2017) for labelled numeric rows: synthetic labelled CSV for augmentation.

    python3 acgan_1d.py                                          # train on fault_train.csv (label "state")
    python3 acgan_1d.py --data rows.csv --label-column class     # train on any labelled numeric CSV
    python3 acgan_1d.py --generator models/acgan_1d.h5 --samples-per-class 100 --csv rows.csv
    python3 acgan_1d.py --generator models/acgan_1d.h5 --label 4 --samples-per-class 50 --csv fours.csv
    python3 acgan_1d.py --generator models/acgan_1d.h5 --balance --csv extra_rows.csv
    python3 acgan_1d.py --generator models/acgan_1d.h5 --evaluate --metrics-json metrics.json
"""

import sys
from dataclasses import dataclass
from pathlib import Path

from common import cli
from common.errors import ToolkitError
from common.tabular import names

PROG = "acgan_1d.py"
NAME = "acgan_1d"


@dataclass(frozen=True)
class Defaults(cli.TrainingDefaults):
    """The training recipe plus the rows per class a generation writes when not told otherwise."""

    samples_per_class: int = 100


# Chosen to meet the quality targets in under 5 minutes on 2 CPU cores (see docs/acgan_1d.md).
DEFAULTS = Defaults(steps=6000, batch_size=64, learning_rate=2e-4, latent_dim=32, checkpoint_every=1000,
                    sample_every=2000)


def build_parser():
    parser = cli.make_parser(PROG, __doc__)
    source = parser.add_argument_group("data")
    source.add_argument("--data", help=f"training CSV (default: {names.TRAIN_FILE} in the data dir)")
    source.add_argument("--label-column", default=names.LABEL_COLUMN,
                        help="the class column for training (default %(default)s; a generator knows its own)")
    source.add_argument("--test-data",
                        help=f"test CSV for --evaluate (default with the fault data: {names.TEST_FILE})")
    cli.add_training_arguments(parser, DEFAULTS, name=NAME, data_help="folder with the fault CSVs")
    use = cli.add_generation_arguments(
        parser, generator_help="a saved generator (.h5) with its .json settings file beside it",
        samples_help="total rows, classes in turn",
        evaluate_help="score the generator with a downstream classifier")
    use.add_argument("--samples-per-class", type=cli.positive_int,
                     help=f"rows per class (default {DEFAULTS.samples_per_class}); with --evaluate: synthetic "
                          "training rows per class (default: as many as the real training CSV)")
    use.add_argument("--label", help="generate only this class (a value of the label column)")
    use.add_argument("--balance", action="store_true",
                     help="the rows that bring every class of the training CSV up to the largest class")
    return parser


def check_flags(args):
    """Reject flags that need --generator (or --evaluate), that contradict each other, or name no file."""
    cli.check_generator_flags(args, generator_only=(
        ("--samples", args.samples), ("--samples-per-class", args.samples_per_class), ("--label", args.label),
        ("--balance", args.balance)))
    if args.test_data and not args.evaluate:
        raise ToolkitError("--test-data needs --evaluate")
    if args.generator and args.data and not (args.balance or args.evaluate):
        raise ToolkitError("--data with --generator is read only by --balance and --evaluate; got neither")
    counts = [flag for flag, value in (("--samples", args.samples), ("--samples-per-class", args.samples_per_class),
                                       ("--balance", args.balance)) if value]
    if len(counts) > 1:
        raise ToolkitError(f"give at most one of --samples, --samples-per-class, --balance; got {' and '.join(counts)}")
    if args.label is not None and (args.balance or args.samples):
        raise ToolkitError("--label takes --samples-per-class (rows of that class); got --label with "
                           + ("--balance" if args.balance else "--samples"))
    if args.evaluate and (args.label is not None or args.balance or args.samples or args.csv):
        raise ToolkitError("--evaluate makes its own rows; use --samples-per-class only")
    if args.evaluate and args.data and not args.test_data:
        raise ToolkitError(f"--evaluate with --data {args.data} needs --test-data PATH; got none")
    for flag, path in (("--generator", args.generator), ("--data", args.data), ("--test-data", args.test_data)):
        cli.check_input_file(flag, path)


def train(args):
    import keras

    from common import batching, io, training
    from common.tabular import data, generation, networks, plots

    keras.utils.set_random_seed(args.seed)
    table = data.training_table(args.data, args.data_dir, args.label_column)
    classes = data.check_classes(table)
    info = generation.ModelInfo.from_table(table, classes)
    class_ids = data.class_indices(table.labels, classes)
    # Class-balanced real batches: the fake labels are uniform, and D must not tell fakes by their class mix.
    dataset = batching.endless_batches((info.scaler.transform(table.features).astype("float32"), class_ids),
                                       args.batch_size, args.seed, balance_labels=class_ids, what="training rows")
    out_dir = Path(args.out_dir or f"runs/{NAME}")
    model = networks.build_acgan(args.latent_dim, len(classes), len(info.feature_columns))
    model.compile(*training.adam_pair(args.learning_rate, args.steps))

    def write_samples(step):
        synthetic, synthetic_ids = generation.generate_rows(model.generator, info, info.class_counts, args.seed)
        plots.plot_pca_overlay(table.features, class_ids, synthetic, synthetic_ids, info,
                               out_dir / "samples" / f"pca_step_{step:06d}.png")

    print(f"training {NAME} on {table.path} ({len(table.features)} rows, {len(classes)} classes, "
          f"{len(info.feature_columns)} features) for {args.steps} steps (batch {args.batch_size}) into {out_dir}")
    training.train(model, dataset, args.steps, out_dir, resume=args.resume, overwrite=args.overwrite,
                   checkpoint_every=args.checkpoint_every, sample_every=args.sample_every, write_samples=write_samples)
    h5_path = out_dir / f"{NAME}.h5"
    # The settings first: a generator file never exists without the scaler that decodes it.
    settings_path = generation.save_settings(info, h5_path)
    h5_path, keras_path = io.save_generator(model.generator, h5_path)
    print(f"saved generator: {h5_path} and {keras_path}, settings: {settings_path}")


def write_rows(generator, info, args):
    from common import io
    from common.tabular import data, generation

    if args.balance:
        table = data.read_table(args.data, info.label_column) if args.data else None
        counts = generation.balance_counts(info, table, args.generator)
    else:
        counts = generation.requested_counts(info, args.samples_per_class or DEFAULTS.samples_per_class,
                                             samples=args.samples, label=args.label)
    features, class_ids = generation.generate_rows(generator, info, counts, args.seed)
    path = Path(args.csv or Path(args.out_dir or cli.DEFAULT_GENERATE_DIR) / f"{NAME}.csv")
    io.write_csv(data.rows_frame(features, class_ids, info), path)
    summary = ", ".join(f"{value}: {count}" for value, count in zip(info.classes, counts))
    print(f"wrote {int(sum(counts))} rows to {path} ({info.label_column} {summary})")


def evaluate(generator, info, args):
    from common import io
    from common.tabular import data, evaluation, plots

    train_table = data.training_table(args.data, args.data_dir, info.label_column)
    test_table = data.test_table(args.test_data, args.data_dir, info.label_column)
    report, shown = evaluation.evaluate(generator, info, train_table, test_table, args.samples_per_class,
                                        args.seed, args.generator)
    print("\n".join(evaluation.report_lines(report, NAME)))
    out_dir = Path(args.out_dir or cli.DEFAULT_GENERATE_DIR)
    distributions_path, pca_path = out_dir / f"{NAME}_class_distributions.png", out_dir / f"{NAME}_pca.png"
    plots.plot_class_distributions(shown.real, shown.real_ids, shown.generated, shown.generated_ids, info,
                                   distributions_path)
    plots.plot_pca_overlay(shown.real, shown.real_ids, shown.generated, shown.generated_ids, info, pca_path)
    print(f"plots: {distributions_path}, {pca_path}")
    if args.metrics_json:
        io.write_json(args.metrics_json, report)
        print(f"wrote {args.metrics_json}")


def run(args):
    if args.generator is None:
        train(args)
        return
    from common.tabular import generation

    generator, info = generation.load_generator(args.generator)
    (evaluate if args.evaluate else write_rows)(generator, info, args)


def main(argv=None):
    return cli.main(build_parser(), argv, run, check_flags)


if __name__ == "__main__":
    sys.exit(main())
