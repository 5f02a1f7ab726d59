"""TimeGAN (Yoon et al. 2019) on Sines, Stocks, Energy or any numeric CSV, with the paper's evaluation.

    python3 timegan.py --dataset stocks                     # train (runs/timegan_stocks), three phases
    python3 timegan.py --dataset stocks --resume            # continue a run in the phase it stopped in
    python3 timegan.py --data my_series.csv                 # any CSV of numeric columns, rows in time order
    python3 timegan.py --generator models/timegan_stocks.h5 --samples 1000 --csv stocks.csv
    python3 timegan.py --generator models/timegan_stocks.h5 --evaluate --metrics-json stocks.json

Generated CSV: one row per time step, `sample,step,<the data's columns>`, in the data's original units.
"""

import sys
import time
from pathlib import Path

import numpy as np

import common  # noqa: F401  (pins the Keras backend before TensorFlow loads)
from common import cli, io
from common import sequences as seqs
from common import timegan as tg
from common import timegan_metrics as metrics
from common.errors import ToolkitError
from common.io import save_generator, write_csv, write_json

NAME = "timegan"
PROG = "timegan.py"
DEFAULT_DATASET = "stocks"
DEFAULT_GENERATE_DIR = "generated_data"
# The paper's settings (reference implementation defaults).
DEFAULT_SEQ_LEN = 24
DEFAULT_HIDDEN_DIM = 24
DEFAULT_NUM_LAYERS = 3
DEFAULT_BATCH_SIZE = 128
DEFAULT_LEARNING_RATE = 1e-3
DEFAULT_GAMMA = 1.0
DEFAULT_MODULE = "gru"
# Iterations of each phase; the reference runs 10,000 of each.
# Iterations per phase. The reference runs 50,000 in each; these fit the 60-minute budget on 2 CPU
# cores (a joint step, with its two generator updates, costs about 8 autoencoder steps).
DEFAULT_PHASE_STEPS = {"autoencoder_steps": 5000, "supervisor_steps": 5000, "joint_steps": 10000}
DEFAULT_CHECKPOINT_EVERY = 500
DEFAULT_SAMPLE_EVERY = 1000
DEFAULT_CSV_SAMPLES = 1000
DEFAULT_METRIC_ITERATIONS = 5
PHASE_STEP_FLAGS = ("autoencoder_steps", "supervisor_steps", "joint_steps")


def parse_args(argv):
    parser = cli.OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    data = parser.add_argument_group("data")
    source = data.add_mutually_exclusive_group()
    source.add_argument("--dataset", choices=seqs.DATASETS,
                        help=f"a dataset of the paper (default for training: {DEFAULT_DATASET})")
    source.add_argument("--data", help="a CSV of numeric columns, one row per time step in time order")
    data.add_argument("--data-dir", help="folder with stock_data.csv / energydata_complete.csv "
                                         "(default: $GAN_DATA_DIR or ./data)")
    data.add_argument("--seq-len", type=cli.positive_int,
                      help=f"time steps per window (default {DEFAULT_SEQ_LEN}; a loaded generator's own)")
    train = parser.add_argument_group("training (defaults: the paper's networks)")
    train.add_argument("--steps", type=cli.positive_int, help="iterations of every phase")
    for flag in PHASE_STEP_FLAGS:
        train.add_argument("--" + flag.replace("_", "-"), type=cli.positive_int,
                           help=f"iterations of the {flag.split('_')[0]} phase "
                                f"(default --steps, else {DEFAULT_PHASE_STEPS[flag]})")
    train.add_argument("--batch-size", type=cli.positive_int, default=DEFAULT_BATCH_SIZE)
    train.add_argument("--learning-rate", type=cli.positive_float, default=DEFAULT_LEARNING_RATE,
                       help=f"Adam, every network (default {DEFAULT_LEARNING_RATE})")
    train.add_argument("--module", choices=sorted(tg.RNN_MODULES), default=DEFAULT_MODULE)
    train.add_argument("--hidden-dim", type=cli.positive_int, default=DEFAULT_HIDDEN_DIM)
    train.add_argument("--num-layers", type=cli.positive_int, default=DEFAULT_NUM_LAYERS)
    train.add_argument("--latent-dim", type=cli.positive_int, help="noise features per step (default: data features)")
    train.add_argument("--gamma", type=cli.positive_float, default=DEFAULT_GAMMA,
                       help=f"weight of the losses on the generator's raw latents (default {DEFAULT_GAMMA})")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out-dir", help="where outputs go (training: runs/timegan_<data>; otherwise generated_data)")
    train.add_argument("--resume", action="store_true", help="continue from the checkpoints in --out-dir")
    train.add_argument("--checkpoint-every", type=cli.positive_int, default=DEFAULT_CHECKPOINT_EVERY)
    train.add_argument("--sample-every", type=cli.positive_int, default=DEFAULT_SAMPLE_EVERY)
    use = parser.add_argument_group("using a trained generator")
    use.add_argument("--generator", help="a saved generation model (.h5 or .keras) with its .json sidecar")
    use.add_argument("--samples", type=cli.positive_int,
                     help=f"windows for --csv (default {DEFAULT_CSV_SAMPLES}) or --evaluate (default: as many "
                          "as the real data has)")
    use.add_argument("--csv", help="write --samples generated windows to this CSV")
    use.add_argument("--evaluate", action="store_true", help="the paper's discriminative and predictive scores")
    use.add_argument("--metrics-json", help="with --evaluate: also write the scores here")
    use.add_argument("--metric-iterations", type=cli.positive_int, default=DEFAULT_METRIC_ITERATIONS,
                     help=f"repeats of each score (default {DEFAULT_METRIC_ITERATIONS}; the paper used 10)")
    use.add_argument("--discriminative-steps", type=cli.positive_int, default=metrics.DISCRIMINATIVE_STEPS,
                     help=f"training iterations of the post-hoc classifier (default {metrics.DISCRIMINATIVE_STEPS})")
    use.add_argument("--predictive-steps", type=cli.positive_int, default=metrics.PREDICTIVE_STEPS,
                     help=f"training iterations of the post-hoc predictor (default {metrics.PREDICTIVE_STEPS})")
    return parser.parse_args(argv)


def check_args(args):
    """Reject flag combinations that cannot work, before anything is read or written."""
    cli.check_generator_flags(args)
    if args.seq_len is not None and args.seq_len < metrics.MIN_SEQ_LEN:
        raise ToolkitError(f"--seq-len must be at least {metrics.MIN_SEQ_LEN} (one step to predict the next); "
                           f"got {args.seq_len}")


def data_name(source):
    """`stocks` for a dataset, the file stem for a CSV: names the run folder and the model files."""
    return source if source in seqs.DATASETS else Path(source).stem


# ---- training ----------------------------------------------------------------------------------
def train(args):
    import keras

    keras.utils.set_random_seed(args.seed)
    source = args.data or args.dataset or DEFAULT_DATASET
    seq_len = args.seq_len or DEFAULT_SEQ_LEN
    steps = [getattr(args, flag) or args.steps or DEFAULT_PHASE_STEPS[flag] for flag in PHASE_STEP_FLAGS]
    data = seqs.training_data(source, seq_len, args.data_dir, args.seed)
    num_features = len(data.columns)
    z_dim = args.latent_dim or num_features
    name = f"{NAME}_{data_name(source)}"
    out_dir = Path(args.out_dir or f"runs/{name}")
    datasets = [seqs.window_batches(data.windows, args.batch_size, args.seed),
                seqs.window_batches(data.windows, args.batch_size, args.seed),
                seqs.window_batches(data.windows, args.batch_size, args.seed, tg.GENERATOR_UPDATES_PER_STEP + 1)]
    networks = tg.build_networks(seq_len, num_features, z_dim, args.hidden_dim, args.num_layers, args.module)
    phases = tg.build_phases(networks, args.learning_rate, args.gamma)
    generation_model = tg.build_generation_model(networks, name)
    shown = data.windows[:metrics.PLOTTED_WINDOWS]

    def write_reconstructions(step, folder):
        recovered = np.asarray(networks.recovery(networks.embedder(shown)))
        metrics.plot_windows({"real": shown, "reconstructed": recovered}, data.columns,
                             folder / "samples" / f"step_{step:06d}.png", f"{name}: autoencoder, step {step}")

    def write_generated(step, folder):
        generated = tg.generate(generation_model, metrics.PLOTTED_WINDOWS, args.seed)
        metrics.plot_windows({"real": shown, "generated": generated}, data.columns,
                             folder / "samples" / f"step_{step:06d}.png", f"{name}: joint training, step {step}")

    print(f"training {name} on {len(data.windows)} windows of {seq_len} steps x {num_features} features "
          f"({data.source}); {args.module.upper()} hidden {args.hidden_dim} x {args.num_layers} layers, batch "
          f"{args.batch_size}; steps per phase {', '.join(map(str, steps))} into {out_dir}")
    began = time.monotonic()
    tg.train_phases(phases, datasets, steps, out_dir, resume=args.resume, checkpoint_every=args.checkpoint_every,
                    sample_every=args.sample_every,
                    sample_writers=[write_reconstructions, lambda step, folder: None, write_generated])
    h5_path, keras_path = save_generator(generation_model, out_dir / f"{name}.h5")
    settings = {
        "data": data.source, "columns": data.columns, "scaler": data.scaler.to_json(), "seq_len": seq_len,
        "z_dim": z_dim, "module": args.module, "hidden_dim": args.hidden_dim, "num_layers": args.num_layers,
        "steps": steps, "batch_size": args.batch_size, "seed": args.seed,
    }
    write_json(io.sidecar_path(h5_path), settings)
    print(f"trained in {time.monotonic() - began:.0f} s; saved generator: {h5_path}, {keras_path} "
          f"and settings {io.sidecar_path(h5_path)}")


# ---- generation and evaluation -----------------------------------------------------------------
def write_windows(generation_model, settings, args):
    """A plot of a few generated windows in original units, and with --csv `--samples` windows as CSV."""
    scaler = seqs.MinMaxScaler.from_json(settings["scaler"])
    stem = Path(args.generator).stem
    plot_path = Path(args.out_dir or DEFAULT_GENERATE_DIR) / f"{stem}.png"
    shown = scaler.unscale(tg.generate(generation_model, metrics.PLOTTED_WINDOWS, args.seed))
    metrics.plot_windows({"generated": shown}, settings["columns"], plot_path, f"{stem}: generated windows")
    print(f"wrote {plot_path}")
    if args.csv:
        count = args.samples or DEFAULT_CSV_SAMPLES
        windows = scaler.unscale(tg.generate(generation_model, count, args.seed + 1))
        write_csv(seqs.windows_frame(windows, settings["columns"]), args.csv)
        print(f"wrote {count} windows of {settings['seq_len']} steps ({count * settings['seq_len']} rows) "
              f"to {args.csv}")


def evaluate(generation_model, settings, args):
    source = args.data or args.dataset or settings["data"]
    scaler = seqs.MinMaxScaler.from_json(settings["scaler"])
    real = seqs.evaluation_windows(source, settings["seq_len"], args.data_dir, scaler, settings["columns"],
                                   settings["seed"])
    synthetic = tg.generate(generation_model, args.samples or len(real), args.seed)
    # Scores are taken on the data as the paper's loaders give it: CSV data min-max scaled, which is what
    # the networks see; the sines in their own units, which the paper's loader never rescales.
    if source == "sines":
        real, synthetic = scaler.unscale(real), scaler.unscale(synthetic)
    out_dir = Path(args.out_dir or DEFAULT_GENERATE_DIR)
    stem = Path(args.generator).stem
    print(f"{stem}: {len(synthetic)} synthetic vs {len(real)} real windows of {settings['seq_len']} steps "
          f"({source}); {args.metric_iterations} repeats of each score")
    report = metrics.paper_scores(real, synthetic, args.metric_iterations, args.discriminative_steps,
                                  args.predictive_steps, args.seed)
    plots = {"pca": out_dir / f"{stem}_pca.png", "tsne": out_dir / f"{stem}_tsne.png"}
    metrics.plot_embeddings(real, synthetic, plots, stem, args.seed)
    report = {"generator": str(args.generator), "data": str(source), "real_windows": int(len(real)),
              "synthetic_windows": int(len(synthetic)), **report,
              "paper": metrics.PAPER_SCORES.get(source), "plots": {key: str(path) for key, path in plots.items()}}
    metrics.print_report(report)
    if args.metrics_json:
        write_json(args.metrics_json, report)
        print(f"wrote {args.metrics_json}")
    return report


def run(args):
    check_args(args)
    if args.generator:
        generation_model, settings = metrics.load_generator_and_settings(args.generator, args.seq_len)
        if args.evaluate:
            evaluate(generation_model, settings, args)
        else:
            write_windows(generation_model, settings, args)
        return
    train(args)


def main(argv=None):
    args = parse_args(argv)
    return cli.run(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
