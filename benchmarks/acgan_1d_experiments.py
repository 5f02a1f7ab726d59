"""Benchmark: the acgan_1d.py targets that need several trainings, run through the script's own main().

    python3 benchmarks/acgan_1d_experiments.py augmentation [--seeds 0 1 2 3 4]   # needs the fault data
    python3 benchmarks/acgan_1d_experiments.py augmentation --dataset overlapping
    python3 benchmarks/acgan_1d_experiments.py sklearn [--datasets wine breast_cancer iris]

augmentation: for each seed, a stratified 10% of the training CSV; an ACGAN trained on those rows only
(default settings); the downstream classifier trained on the 10% alone, on the 10% plus the `--balance`
rows (every class brought up to the largest), and, as the baseline, on the 10% plus as many randomly
repeated real rows per class; all tested on the test CSV. `--dataset fault` (default) uses
fault_train.csv / fault_test.csv; `--dataset overlapping` a generated table whose classes overlap and
are imbalanced, so that 10% of the rows leave room to improve.

sklearn: scikit-learn's bundled labelled datasets written as CSV (stratified 70/30 split, seed 0),
an ACGAN trained on each with the default settings, and `--evaluate` on the held-out 30%.

Writes `<out-dir>/<experiment>.json` and prints a Markdown table; timings are wall-clock per training.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import acgan_1d  # noqa: E402
from common import cli, datafiles  # noqa: E402
from common.io import write_json  # noqa: E402
from common.tabular import data, names  # noqa: E402

SUBSET_FRACTION = 0.1
TEST_FRACTION = 0.3
SPLIT_SEED = 0
SKLEARN_LOADERS = {"wine": "load_wine", "breast_cancer": "load_breast_cancer", "iris": "load_iris"}
SKLEARN_LABEL = "target"
OVERLAPPING_ROWS = 3000
OVERLAPPING_FEATURES = 10
OVERLAPPING_CLASSES = 4
OVERLAPPING_WEIGHTS = (0.55, 0.25, 0.12, 0.08)
OVERLAPPING_FLIPPED_LABELS = 0.05


def timed_main(argv):
    """Run acgan_1d.main(argv); fail loudly on a non-zero status. Returns the seconds it took."""
    start = time.perf_counter()
    status = acgan_1d.main(argv)
    if status:
        raise SystemExit(f"acgan_1d.py {' '.join(argv)} exited with {status}")
    return time.perf_counter() - start


def fault_split(args):
    """The fault data's own train and test CSVs (from the data directory) and the label column."""
    data_dir = datafiles.resolve_data_dir(args.data_dir)
    return data_dir / names.TRAIN_FILE, data_dir / names.TEST_FILE, names.LABEL_COLUMN


def overlapping_split(args):
    """A harder table than the fault data, generated offline: overlapping, imbalanced classes.

    scikit-learn's make_classification (OVERLAPPING_ROWS rows, OVERLAPPING_FEATURES features of which
    half informative, OVERLAPPING_CLASSES classes with OVERLAPPING_WEIGHTS, a fraction
    OVERLAPPING_FLIPPED_LABELS of labels flipped), split 70/30 stratified; written as train/test CSVs under --out-dir.
    """
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    features, labels = make_classification(
        n_samples=OVERLAPPING_ROWS, n_features=OVERLAPPING_FEATURES, n_informative=OVERLAPPING_FEATURES // 2,
        n_redundant=0, n_classes=OVERLAPPING_CLASSES, weights=list(OVERLAPPING_WEIGHTS),
        flip_y=OVERLAPPING_FLIPPED_LABELS, random_state=SPLIT_SEED)
    frame = pd.DataFrame(features, columns=[f"x{index}" for index in range(OVERLAPPING_FEATURES)]).round(4)
    frame[SKLEARN_LABEL] = labels
    train, test = train_test_split(frame, test_size=TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED)
    split_dir = Path(args.out_dir) / "augmentation_overlapping"
    split_dir.mkdir(parents=True, exist_ok=True)
    train.to_csv(split_dir / "train.csv", index=False)
    test.to_csv(split_dir / "test.csv", index=False)
    return split_dir / "train.csv", split_dir / "test.csv", SKLEARN_LABEL


AUGMENTATION_DATASETS = {"fault": fault_split, "overlapping": overlapping_split}


def augmentation(args):
    from sklearn.model_selection import train_test_split

    from common.tabular import evaluation

    train_path, test_path, label = AUGMENTATION_DATASETS[args.dataset](args)
    train_text = pd.read_csv(train_path, dtype=str, keep_default_na=False)
    test_rows = data.read_table(test_path, label)
    classes = data.check_classes(data.read_table(train_path, label))
    test_ids = data.class_indices(test_rows.labels, classes)
    results = []
    for seed in args.seeds:
        run_dir = Path(args.out_dir) / f"augmentation_{args.dataset}" / f"seed{seed}"
        subset_path = run_dir / "train_10pct.csv"
        subset, _ = train_test_split(train_text, train_size=SUBSET_FRACTION, stratify=train_text[label],
                                     random_state=seed)
        run_dir.mkdir(parents=True, exist_ok=True)
        subset.to_csv(subset_path, index=False)
        generator_path = run_dir / "acgan_1d.h5"
        # A finished seed (run by an earlier or a parallel invocation) is scored, not retrained; an
        # unfinished one starts over.
        seconds = None
        if not generator_path.is_file():
            seconds = timed_main(["--data", str(subset_path), "--label-column", label, "--seed", str(seed),
                                  "--out-dir", str(run_dir), "--overwrite"])
        extra_path = run_dir / "balance_rows.csv"
        timed_main(["--generator", str(generator_path), "--balance", "--seed", str(seed), "--csv", str(extra_path)])
        real, extra = data.read_table(subset_path, label), data.read_table(extra_path, label)
        real_ids, extra_ids = data.class_indices(real.labels, classes), data.class_indices(extra.labels, classes)
        real_only = evaluation.classifier_scores(real.features, real_ids, test_rows.features, test_ids, len(classes))
        augmented = evaluation.classifier_scores(np.concatenate([real.features, extra.features]),
                                              np.concatenate([real_ids, extra_ids]),
                                              test_rows.features, test_ids, len(classes))
        # The baseline a skeptical user would try first: the same class counts by repeating real rows.
        repeated = duplicate_rows(real_ids, np.bincount(extra_ids, minlength=len(classes)), seed)
        duplicated = evaluation.classifier_scores(np.concatenate([real.features, real.features[repeated]]),
                                               np.concatenate([real_ids, real_ids[repeated]]),
                                               test_rows.features, test_ids, len(classes))
        results.append({"seed": seed, "real_rows": len(real_ids), "synthetic_rows": len(extra_ids),
                        "training_seconds": seconds, "real_only": real_only, "augmented": augmented,
                        "duplicated": duplicated})
        print(f"seed {seed}: 10% real macro-F1 {real_only['macro_f1']:.4f}, + {len(extra_ids)} synthetic "
              f"{augmented['macro_f1']:.4f}, + as many repeated real rows {duplicated['macro_f1']:.4f} "
              f"(trained in {seconds} s)")
    variants = ("real_only", "augmented", "duplicated")
    summary = {
        "dataset": args.dataset,
        "classifier": evaluation.CLASSIFIER_NAME,
        **{f"{key}_macro_f1_mean": float(np.mean([r[key]["macro_f1"] for r in results])) for key in variants},
        **{f"{key}_accuracy_mean": float(np.mean([r[key]["accuracy"] for r in results])) for key in variants},
        "runs": results,
    }
    write_json(Path(args.out_dir) / f"augmentation_{args.dataset}_seeds{'_'.join(map(str, args.seeds))}.json",
               summary)
    print("\n| seed | 10% real macro-F1 | 10% real + balance rows macro-F1 | 10% real + repeated real rows | "
          "synthetic rows |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['seed']} | {r['real_only']['macro_f1']:.4f} | {r['augmented']['macro_f1']:.4f} "
              f"| {r['duplicated']['macro_f1']:.4f} | {r['synthetic_rows']} |")
    print(f"| mean | {summary['real_only_macro_f1_mean']:.4f} | {summary['augmented_macro_f1_mean']:.4f} "
          f"| {summary['duplicated_macro_f1_mean']:.4f} | |")


def duplicate_rows(class_ids, extra_counts, seed):
    """Indices into `class_ids` drawing extra_counts[c] rows of each class c at random, with repeats."""
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(class_ids == index), count) for index, count in enumerate(extra_counts)
             if count]
    return np.concatenate(picks) if picks else np.array([], dtype=int)


def sklearn_datasets(args):
    import sklearn.datasets
    from sklearn.model_selection import train_test_split

    rows = []
    for name in args.datasets:
        bunch = getattr(sklearn.datasets, SKLEARN_LOADERS[name])(as_frame=True)
        frame = bunch.frame
        train, test = train_test_split(frame, test_size=TEST_FRACTION, stratify=frame[SKLEARN_LABEL],
                                       random_state=SPLIT_SEED)
        run_dir = Path(args.out_dir) / "sklearn" / name
        run_dir.mkdir(parents=True, exist_ok=True)
        train.to_csv(run_dir / "train.csv", index=False)
        test.to_csv(run_dir / "test.csv", index=False)
        common = ["--data", str(run_dir / "train.csv"), "--label-column", SKLEARN_LABEL]
        # A finished dataset (run by an earlier or a parallel invocation) is scored, not retrained; an
        # unfinished one starts over.
        seconds = None
        if not (run_dir / "acgan_1d.h5").is_file():
            seconds = timed_main([*common, "--out-dir", str(run_dir), "--overwrite"])
        metrics_path = run_dir / "metrics.json"
        timed_main(["--generator", str(run_dir / "acgan_1d.h5"), "--evaluate", *common,
                    "--test-data", str(run_dir / "test.csv"), "--metrics-json", str(metrics_path),
                    "--out-dir", str(run_dir / "evaluation")])
        report = json.loads(metrics_path.read_text())
        rows.append({"dataset": name, "train_rows": len(train), "features": frame.shape[1] - 1,
                     "classes": int(frame[SKLEARN_LABEL].nunique()), "training_seconds": seconds,
                     "trtr_macro_f1": report["trtr"]["macro_f1"], "tstr_macro_f1": report["tstr"]["macro_f1"],
                     "real_plus_synthetic_macro_f1": report["real_plus_synthetic"]["macro_f1"],
                     "tstr_over_trtr": report["tstr_over_trtr_macro_f1"],
                     "ks_mean": float(np.mean(list(report["ks_per_feature"].values()))),
                     "ks_mean_real_floor": float(np.mean(list(report["ks_per_feature_real_floor"].values())))})
    write_json(Path(args.out_dir) / "sklearn.json", rows)
    print("\n| dataset | train rows | features | classes | TRTR macro-F1 | TSTR macro-F1 | TSTR/TRTR "
          "| real+synth macro-F1 | mean KS (floor) | training s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['dataset']} | {r['train_rows']} | {r['features']} | {r['classes']} | {r['trtr_macro_f1']:.4f} "
              f"| {r['tstr_macro_f1']:.4f} | {r['tstr_over_trtr']:.3f} | {r['real_plus_synthetic_macro_f1']:.4f} "
              f"| {r['ks_mean']:.3f} ({r['ks_mean_real_floor']:.3f}) | {r['training_seconds'] or 'earlier run'} |")


def build_parser():
    parser = cli.make_parser("acgan_1d_experiments.py", __doc__)
    parser.add_argument("experiment", choices=["augmentation", "sklearn"])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(5)), help="default 0 1 2 3 4")
    parser.add_argument("--dataset", choices=sorted(AUGMENTATION_DATASETS), default="fault",
                        help="augmentation: the fault CSVs, or a generated table with overlapping, imbalanced classes")
    parser.add_argument("--datasets", nargs="+", choices=sorted(SKLEARN_LOADERS), default=list(SKLEARN_LOADERS))
    parser.add_argument("--data-dir", help="folder with the fault CSVs (default: $GAN_DATA_DIR or ./data)")
    parser.add_argument("--out-dir", default="runs/acgan_1d_experiments")
    return parser


def run(args):
    (augmentation if args.experiment == "augmentation" else sklearn_datasets)(args)


def main(argv=None):
    return cli.main(build_parser(), argv, run)


if __name__ == "__main__":
    sys.exit(main())
