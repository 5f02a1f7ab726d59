"""Auxiliary-classifier GAN (Odena et al. 2017) for labelled numeric rows: synthetic labelled CSV for augmentation.

    python3 acgan_1d.py                                          # train on fault_train.csv (label "state")
    python3 acgan_1d.py --data rows.csv --label-column class     # train on any labelled numeric CSV
    python3 acgan_1d.py --generator models/acgan_1d.h5 --samples-per-class 100 --csv rows.csv
    python3 acgan_1d.py --generator models/acgan_1d.h5 --label 4 --samples-per-class 50 --csv fours.csv
    python3 acgan_1d.py --generator models/acgan_1d.h5 --balance --csv extra_rows.csv
    python3 acgan_1d.py --generator models/acgan_1d.h5 --evaluate --metrics-json metrics.json
"""

import sys
from pathlib import Path

import numpy as np

import common  # noqa: F401  (pins the Keras backend before TensorFlow loads)
from common import acgan, cli, data, image_gan, tabular, training
from common.errors import ToolkitError
from common.io import load_model, save_generator, write_csv, write_json

NAME = "acgan_1d"
PROG = "acgan_1d.py"
DEFAULT_TRAIN_FILE = "fault_train.csv"
DEFAULT_TEST_FILE = "fault_test.csv"
DEFAULT_LABEL_COLUMN = "state"
# The fault data has no canonical download; this is where the shared copy comes from.
FAULT_DATA_SOURCE = "GitHub Jaehoon9201/Keras-1D-ACGAN-Data-Augmentation (data/train_data.csv, data/test_data.csv)"
DEFAULT_SAMPLES_PER_CLASS = 100
# Chosen to meet the quality targets in under 5 minutes on 2 CPU cores (see README).
DEFAULTS = image_gan.TrainingDefaults(steps=6000, batch_size=64, learning_rate=2e-4, latent_dim=32,
                                      checkpoint_every=1000, sample_every=2000)


def parse_args(argv):
    parser = cli.OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    source = parser.add_argument_group("data")
    source.add_argument("--data", help=f"training CSV (default: {DEFAULT_TRAIN_FILE} in the data dir)")
    source.add_argument("--label-column", default=DEFAULT_LABEL_COLUMN,
                        help="the class column for training (default %(default)s; a generator knows its own)")
    source.add_argument("--test-data",
                        help=f"test CSV for --evaluate (default with the fault data: {DEFAULT_TEST_FILE})")
    train = parser.add_argument_group("training")
    train.add_argument("--steps", type=cli.positive_int, default=DEFAULTS.steps)
    train.add_argument("--batch-size", type=cli.positive_int, default=DEFAULTS.batch_size)
    train.add_argument("--learning-rate", type=cli.positive_float, default=DEFAULTS.learning_rate)
    train.add_argument("--latent-dim", type=cli.positive_int, default=DEFAULTS.latent_dim)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--data-dir", help="folder with the fault CSVs (default: $GAN_DATA_DIR or ./data)")
    train.add_argument("--out-dir", help=f"where outputs go (training: runs/{NAME}; generation: generated_data)")
    train.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out-dir")
    train.add_argument("--checkpoint-every", type=cli.positive_int, default=DEFAULTS.checkpoint_every)
    train.add_argument("--sample-every", type=cli.positive_int, default=DEFAULTS.sample_every)
    use = parser.add_argument_group("using a trained generator")
    use.add_argument("--generator", help="a saved generator (.h5 or .keras) with its .scaler.json beside it")
    use.add_argument("--samples", type=cli.positive_int, help="total rows, classes in turn")
    use.add_argument("--samples-per-class", type=cli.positive_int,
                     help=f"rows per class (default {DEFAULT_SAMPLES_PER_CLASS}); with --evaluate: synthetic "
                          "training rows per class (default: as many as the real training CSV)")
    use.add_argument("--label", help="generate only this class (a value of the label column)")
    use.add_argument("--balance", action="store_true",
                     help="the rows that bring every class of the training CSV up to the largest class")
    use.add_argument("--csv", help=f"where generated rows go (default <out-dir>/{NAME}.csv)")
    use.add_argument("--evaluate", action="store_true", help="score the generator with a downstream classifier")
    use.add_argument("--metrics-json", help="with --evaluate: also write the metrics here")
    return parser.parse_args(argv)


def check_flag_combinations(args):
    """Reject flags that need --generator (or --evaluate) or that contradict each other."""
    generation = [flag for flag, value in (("--csv", args.csv), ("--evaluate", args.evaluate),
                                           ("--samples", args.samples), ("--samples-per-class", args.samples_per_class),
                                           ("--label", args.label), ("--balance", args.balance)) if value]
    if args.generator is None and generation:
        raise ToolkitError(f"{generation[0]} needs --generator PATH; got no --generator")
    if args.metrics_json and not args.evaluate:
        raise ToolkitError("--metrics-json needs --evaluate")
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


# ---- data ------------------------------------------------------------------------------------
def default_data_file(args, filename):
    """`filename` in the data directory; the fault data has no download, so say where it comes from."""
    path = data.resolve_data_dir(args.data_dir) / filename
    if not path.is_file():
        raise ToolkitError(f"{filename} is not in {path.parent} and has no download URL; get it from "
                           f"{FAULT_DATA_SOURCE} into that folder, or pass --data-dir or --data")
    return path


def training_table(args, label_column):
    return tabular.read_table(args.data or default_data_file(args, DEFAULT_TRAIN_FILE), label_column)


def test_table(args, label_column):
    if args.test_data:
        return tabular.read_table(args.test_data, label_column)
    if args.data:
        raise ToolkitError(f"--evaluate with --data {args.data} needs --test-data PATH; got none")
    return tabular.read_table(default_data_file(args, DEFAULT_TEST_FILE), label_column)


# ---- training --------------------------------------------------------------------------------
def build_gan(latent_dim, num_classes, num_features):
    generator = acgan.build_tabular_generator(latent_dim, num_classes, num_features)
    discriminator = acgan.build_tabular_discriminator(num_features, num_classes)
    return acgan.ACGAN(generator, discriminator, latent_dim, num_classes)


def train(args):
    import keras

    keras.utils.set_random_seed(args.seed)
    table = training_table(args, args.label_column)
    classes = tabular.check_classes(table)
    info = tabular.ModelInfo.from_table(table, classes)
    class_ids = tabular.class_indices(table.labels, classes)
    dataset = tabular.row_batches(info.scaler.transform(table.features), class_ids, args.batch_size, args.seed)
    out_dir = Path(args.out_dir or f"runs/{NAME}")
    model = build_gan(args.latent_dim, len(classes), len(info.feature_columns))
    model.compile(*training.adam_pair(args.learning_rate, args.steps))

    def write_samples(step):
        synthetic, synthetic_ids = tabular.generate_rows(model.generator, info, info.class_counts, args.seed)
        tabular.plot_pca_overlay(table.features, class_ids, synthetic, synthetic_ids, info,
                                 out_dir / "samples" / f"pca_step_{step:06d}.png")

    print(f"training {NAME} on {table.path} ({len(table.features)} rows, {len(classes)} classes, "
          f"{len(info.feature_columns)} features) for {args.steps} steps (batch {args.batch_size}) into {out_dir}")
    training.train(model, dataset, args.steps, out_dir, resume=args.resume,
                   checkpoint_every=args.checkpoint_every, sample_every=args.sample_every, write_samples=write_samples)
    h5_path = out_dir / f"{NAME}.h5"
    # The sidecar first: a generator file never exists without the scaler that decodes it.
    scaler_path = tabular.save_sidecar(info, h5_path)
    h5_path, keras_path = save_generator(model.generator, h5_path)
    print(f"saved generator: {h5_path} and {keras_path}, scaler: {scaler_path}")


# ---- generation ------------------------------------------------------------------------------
def load_generator(path):
    """The generator, its sidecar (`tabular.ModelInfo`), checked against each other."""
    info = tabular.load_sidecar(path)
    generator = load_model(path, what="generator")
    tabular.check_generator(generator, info, path)
    return generator, info


def class_index(info, label):
    """The index of the class written as `label` (text, or the same number written differently)."""
    if label in info.classes:
        return info.classes.index(label)
    for index, value in enumerate(info.classes):
        try:
            if float(value) == float(label):
                return index
        except ValueError:
            continue
    raise ToolkitError(f"--label must be one of the classes {info.classes}; got {label!r}")


def requested_counts(args, info):
    """Rows per class to generate, from --label / --samples / --samples-per-class / --balance."""
    num_classes = len(info.classes)
    if args.balance:
        class_counts = info.class_counts
        if args.data:
            table = tabular.read_table(args.data, info.label_column)
            tabular.check_table_matches(table, info, args.generator)
            class_counts = [int(np.sum(table.labels == value)) for value in info.classes]
        return tabular.balance_counts(class_counts)
    if args.samples:
        return np.array([args.samples // num_classes + (index < args.samples % num_classes)
                         for index in range(num_classes)])
    per_class = args.samples_per_class or DEFAULT_SAMPLES_PER_CLASS
    if args.label is not None:
        counts = np.zeros(num_classes, dtype=int)
        counts[class_index(info, args.label)] = per_class
        return counts
    return np.full(num_classes, per_class)


def write_rows(generator, info, args):
    counts = requested_counts(args, info)
    features, class_ids = tabular.generate_rows(generator, info, counts, args.seed)
    path = Path(args.csv or Path(args.out_dir or image_gan.DEFAULT_GENERATE_DIR) / f"{NAME}.csv")
    write_csv(tabular.rows_frame(features, class_ids, info), path)
    summary = ", ".join(f"{value}: {count}" for value, count in zip(info.classes, counts))
    print(f"wrote {int(np.sum(counts))} rows to {path} ({info.label_column} {summary})")


# ---- evaluation ------------------------------------------------------------------------------
def evaluate(generator, info, args):
    """Score the generator on the real test split and print (and with --metrics-json, write) the table.

    Downstream classifier: `tabular.make_classifier()` (a seeded random forest). TRTR trains it on
    the real training rows, TSTR on as many generated rows per class, real+synthetic on both; all
    are tested on the real test rows. KS statistics and correlation differences compare generated
    rows (in the test split's class proportions) with the real test rows, beside the real-train floor.
    """
    train_rows, test_rows = training_table(args, info.label_column), test_table(args, info.label_column)
    for table in (train_rows, test_rows):
        tabular.check_table_matches(table, info, args.generator)
    num_classes = len(info.classes)
    train_ids = tabular.class_indices(train_rows.labels, info.classes)
    test_ids = tabular.class_indices(test_rows.labels, info.classes)
    train_counts = np.bincount(train_ids, minlength=num_classes)
    synthetic_counts = np.full(num_classes, args.samples_per_class) if args.samples_per_class else train_counts
    synthetic, synthetic_ids = tabular.generate_rows(generator, info, synthetic_counts, args.seed)
    setups = {
        "trtr": (train_rows.features, train_ids),
        "tstr": (synthetic, synthetic_ids),
        "real_plus_synthetic": (np.concatenate([train_rows.features, synthetic]),
                                np.concatenate([train_ids, synthetic_ids])),
    }
    scores = {name: tabular.classifier_scores(features, ids, test_rows.features, test_ids, num_classes)
              for name, (features, ids) in setups.items()}
    test_counts = np.bincount(test_ids, minlength=num_classes)
    like_test, like_test_ids = tabular.generate_rows(generator, info, test_counts, args.seed + 1)
    report = {
        "generator": str(args.generator),
        "classifier": f"RandomForestClassifier(n_estimators={tabular.CLASSIFIER_TREES}, "
                      f"random_state={tabular.CLASSIFIER_SEED})",
        "classes": info.classes,
        "train_rows": int(len(train_ids)),
        "test_rows": int(len(test_ids)),
        "synthetic_rows_per_class": [int(count) for count in synthetic_counts],
        **scores,
        "tstr_over_trtr_macro_f1": scores["tstr"]["macro_f1"] / max(scores["trtr"]["macro_f1"], 1e-12),
        "ks_per_feature": dict(zip(info.feature_columns,
                                   tabular.ks_statistics(test_rows.features, like_test).tolist())),
        "ks_per_feature_real_floor": dict(zip(info.feature_columns,
                                              tabular.ks_statistics(test_rows.features, train_rows.features).tolist())),
        "correlation_difference": tabular.correlation_difference(test_rows.features, like_test),
        "correlation_difference_real_floor": tabular.correlation_difference(test_rows.features, train_rows.features),
    }
    print_report(report, info)
    out_dir = Path(args.out_dir or image_gan.DEFAULT_GENERATE_DIR)
    distributions_path, pca_path = out_dir / f"{NAME}_class_distributions.png", out_dir / f"{NAME}_pca.png"
    tabular.plot_class_distributions(test_rows.features, test_ids, like_test, like_test_ids, info, distributions_path)
    tabular.plot_pca_overlay(test_rows.features, test_ids, like_test, like_test_ids, info, pca_path)
    print(f"plots: {distributions_path}, {pca_path}")
    if args.metrics_json:
        write_json(args.metrics_json, report)
        print(f"wrote {args.metrics_json}")
    return report


def print_report(report, info):
    print(f"{NAME}: downstream classifier {report['classifier']}, tested on {report['test_rows']} real rows")
    print(f"  {'trained on':<22}{'accuracy':>9}{'macro-F1':>10}   recall per class ({', '.join(info.classes)})")
    for name, title in (("trtr", "real (TRTR)"), ("tstr", "synthetic (TSTR)"),
                        ("real_plus_synthetic", "real + synthetic")):
        scores = report[name]
        recalls = " ".join(f"{value:.2f}" for value in scores["recall_per_class"])
        print(f"  {title:<22}{scores['accuracy']:>9.4f}{scores['macro_f1']:>10.4f}   {recalls}")
    print(f"  TSTR / TRTR macro-F1: {report['tstr_over_trtr_macro_f1']:.3f}")
    print(f"  {'feature':<12}{'KS gen vs test':>15}{'KS train vs test':>18}")
    for name, value in report["ks_per_feature"].items():
        print(f"  {name:<12}{value:>15.3f}{report['ks_per_feature_real_floor'][name]:>18.3f}")
    generated, floor = report["correlation_difference"], report["correlation_difference_real_floor"]
    print(f"  |correlation difference| vs test: generated mean {generated['mean']:.3f} max {generated['max']:.3f}; "
          f"real train mean {floor['mean']:.3f} max {floor['max']:.3f}")


def run(args):
    check_flag_combinations(args)
    if args.generator:
        generator, info = load_generator(args.generator)
        if args.evaluate:
            evaluate(generator, info, args)
        else:
            write_rows(generator, info, args)
        return
    train(args)


def main(argv=None):
    args = parse_args(argv)
    return cli.run(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
