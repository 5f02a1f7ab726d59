"""TimeGAN (Yoon et al. 2019) on Sines, Stocks, Energy or any numeric CSV, with the paper's evaluation.

    python3 timegan.py --dataset stocks                     # train (runs/timegan_stocks), three phases
    python3 timegan.py --dataset stocks --resume            # continue a run in the phase it stopped in
    python3 timegan.py --data my_series.csv                 # any CSV of numeric columns, rows in time order
    python3 timegan.py --data energy.csv --log1p Appliances # model a spiky column through log1p
    python3 timegan.py --generator models/timegan_stocks.h5 --samples 1000 --csv stocks.csv
    python3 timegan.py --generator models/timegan_stocks.h5 --evaluate --metrics-json stocks.json

Hidden size, batch and steps per phase follow the data's shape unless given (the choice is printed).
Generated CSV: one row per time step, `sample,step,<the data's columns>`, in the data's original units
and dtypes (a date/time or row-number column is dropped on reading; `step` stands for it).
"""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import cli, distribute
from common.errors import ToolkitError
from common.timegan import names, recipe

PROG = "timegan.py"
NAME = "timegan"


@dataclass(frozen=True)
class TimeGANDefaults(cli.TrainingDefaults):
    """The paper's networks (reference implementation defaults), steps per phase and evaluation sizes.

    `steps` (every phase at once), `batch_size`, `hidden_dim`, the phases' steps, `gamma` and
    `latent_moment_weight` have no fixed default: `common.timegan.recipe` picks them from the data's
    shape (the measured 5,000 / 5,000 / 8,000 steps, hidden 24, batch 128, the paper's gamma 1 and no
    latent moment loss for up to 6 features). `latent_dim` (noise features per
    step) defaults to the modelled features.
    """

    dataset: str = "stocks"
    seq_len: int = 24
    hidden_dim: int | None = None
    num_layers: int = 3
    gamma: float | None = None
    latent_moment_weight: float | None = None
    module: str = names.RNN_MODULE_NAMES[0]
    autoencoder_steps: int | None = None
    supervisor_steps: int | None = None
    joint_steps: int | None = None
    csv_samples: int = 1000
    metric_iterations: int = 5
    discriminative_steps: int = names.DISCRIMINATIVE_STEPS
    predictive_steps: int = names.PREDICTIVE_STEPS


DEFAULTS = TimeGANDefaults(steps=None, batch_size=None, learning_rate=1e-3, latent_dim=None, sample_every=1000)


BATCH_HELP = (f"windows per global batch (default {recipe.BATCH_SIZE}, fewer for data with fewer than "
              f"{recipe.BATCH_SIZE * recipe.MIN_BATCHES_PER_EPOCH:,} windows)")


def build_parser():
    parser = cli.make_parser(PROG, __doc__)
    data = parser.add_argument_group("data")
    source = data.add_mutually_exclusive_group()
    source.add_argument("--dataset", choices=names.DATASETS,
                        help=f"a dataset of the paper (default for training: {DEFAULTS.dataset})")
    source.add_argument("--data", help="a CSV of numeric columns, one row per time step in time order (a "
                                       "date/time or row-number column is checked for order and dropped)")
    data.add_argument("--log1p", metavar="COLUMNS",
                      help="comma-separated columns to model as log1p(x - min), for heavy-tailed spiky columns")
    data.add_argument("--raw-columns", action="store_true",
                      help="model every column as a number, as the shipped generators were trained: no constant, "
                           "duplicate, linear-relation or discrete-level handling")
    data.add_argument("--seq-len", type=cli.positive_int,
                      help=f"time steps per window (default {DEFAULTS.seq_len}; a loaded generator's own)")
    # The shared flags' help states a single default; here both depend on the phase or the data.
    train = cli.add_training_arguments(parser, DEFAULTS, name=f"{NAME}_<data>",
                                       data_help="folder with stock_data.csv / energydata_complete.csv",
                                       steps_help="iterations of every phase",
                                       latent_help="noise features per step (default: data features)",
                                       batch_help=BATCH_HELP)
    for flag in names.PHASE_STEP_FLAGS:
        train.add_argument("--" + flag.replace("_", "-"), type=cli.positive_int,
                           help=f"iterations of the {flag.split('_')[0]} phase "
                                f"(default --steps, else from the data's shape)")
    train.add_argument("--module", choices=sorted(names.RNN_MODULE_NAMES), default=DEFAULTS.module)
    train.add_argument("--hidden-dim", type=cli.positive_int, default=DEFAULTS.hidden_dim,
                       help="units of every recurrent layer (default: 4 x modelled features, 24 to 64)")
    train.add_argument("--num-layers", type=cli.positive_int, default=DEFAULTS.num_layers)
    train.add_argument("--gamma", type=cli.positive_float, default=DEFAULTS.gamma,
                       help="weight of the losses on the generator's raw latents (default "
                            f"{recipe.WIDE_GAMMA:g} for data of more than {recipe.MEASURED_FEATURES} modelled "
                            f"features, else the paper's {recipe.PAPER_GAMMA:g})")
    train.add_argument("--window-noise-dim", type=cli.non_negative_int,
                       help="noise features drawn once per window and held over its steps (default: half of "
                            f"them for data of more than {recipe.MEASURED_FEATURES} modelled features, else 0)")
    train.add_argument("--dependence-weight", type=cli.non_negative_float,
                       help="weight of the loss matching within-window cross-column and lag-1 correlations "
                            f"(default {recipe.DEPENDENCE_WEIGHT:g} for data of more than "
                            f"{recipe.MEASURED_FEATURES} modelled features, else 0)")
    train.add_argument("--discriminator-updates", type=cli.positive_int,
                       help="discriminator updates a joint step, each on fresh noise (default "
                            f"{recipe.WIDE_DISCRIMINATOR_UPDATES} for data of more than {recipe.MEASURED_FEATURES} "
                            "modelled features, else 1; more cost joint steps in the default run)")
    train.add_argument("--latent-moment-weight", type=cli.non_negative_float, default=DEFAULTS.latent_moment_weight,
                       help="weight of the moment loss between real and generated latent sequences (default "
                            f"{recipe.WIDE_LATENT_MOMENT_WEIGHT:g} for data of more than "
                            f"{recipe.MEASURED_FEATURES} modelled features, else 0)")
    use = cli.add_generation_arguments(
        parser, generator_help="a saved generation model (.h5 or .keras) with its .json sidecar",
        samples_help=f"windows for --csv (default {DEFAULTS.csv_samples}) or --evaluate (default: as many "
                     "as the real data has)",
        evaluate_help="the paper's discriminative and predictive scores")
    use.add_argument("--metric-iterations", type=cli.positive_int, default=DEFAULTS.metric_iterations,
                     help="repeats of each score (default %(default)s; the paper used 10)")
    use.add_argument("--discriminative-steps", type=cli.positive_int, default=DEFAULTS.discriminative_steps,
                     help="training iterations of the post-hoc classifier (default %(default)s)")
    use.add_argument("--predictive-steps", type=cli.positive_int, default=DEFAULTS.predictive_steps,
                     help="training iterations of the post-hoc predictor (default %(default)s)")
    return parser


def check_flags(args):
    """Reject flag combinations that cannot work, before anything is read or written."""
    cli.check_generator_flags(args)
    cli.check_input_file("--generator", args.generator)
    if args.generator and (args.log1p or args.raw_columns):
        raise ToolkitError("--log1p and --raw-columns shape training; a loaded generator keeps its own columns")
    if args.dataset == "sines" and (args.log1p or args.raw_columns):
        raise ToolkitError("--log1p and --raw-columns apply to CSV data; the sines are generated")
    if args.seq_len is not None and args.seq_len < names.MIN_SEQ_LEN:
        raise ToolkitError(f"--seq-len must be at least {names.MIN_SEQ_LEN} (one step to predict the next); "
                           f"got {args.seq_len}")


def train(args):
    import keras
    import numpy as np
    import tensorflow as tf

    from common import batching, distribute
    from common.timegan import columns, data, generator, model, networks, phased_training, plots

    keras.utils.set_random_seed(args.seed)
    source = args.data or args.dataset or DEFAULTS.dataset
    seq_len = args.seq_len or DEFAULTS.seq_len
    series = data.training_data(source, seq_len, args.data_dir, args.seed, columns.parse_transforms(args.log1p),
                                args.raw_columns)
    for name in series.plan.dropped:
        print(f"note: dropped column {name!r} (time stamps or row numbers, rows checked to be in time order)")
    summary = columns.plan_summary(series.plan)
    if summary:
        print(summary)
    num_features = len(series.columns)
    z_dim = args.latent_dim or num_features
    if args.window_noise_dim is not None and args.window_noise_dim > z_dim:
        raise ToolkitError(f"--window-noise-dim must be at most the latent size ({z_dim}); got {args.window_noise_dim}")
    chosen = recipe.choose_recipe(
        num_features, len(series.windows), hidden_dim=args.hidden_dim, batch_size=args.batch_size,
        steps=tuple(getattr(args, flag) or args.steps for flag in names.PHASE_STEP_FLAGS), z_dim=z_dim,
        window_noise_dim=args.window_noise_dim, dependence_weight=args.dependence_weight,
        discriminator_updates=args.discriminator_updates, gamma=args.gamma,
        latent_moment_weight=args.latent_moment_weight,
        replicas=tf.distribute.get_strategy().num_replicas_in_sync)
    print(chosen.describe())
    if args.batch_size is None:
        # A given --batch-size was reported (and checked) when the strategy started.
        print(distribute.batch_line(tf.distribute.get_strategy(), chosen.batch_size))
    steps = list(chosen.steps)
    window_noise_dim = chosen.window_noise_dim
    name = f"{NAME}_{data.data_name(source)}"
    out_dir = Path(args.out_dir or f"runs/{name}")
    datasets = [batching.endless_batches(series.windows, chosen.batch_size, args.seed, batches_per_step=count,
                                         what="training windows")
                for count in (1, 1, model.GENERATOR_UPDATES_PER_STEP + 1)]
    nets = networks.build_networks(seq_len, num_features, z_dim, chosen.hidden_dim, args.num_layers, args.module)
    phases = model.build_phases(nets, args.learning_rate, chosen.gamma, window_noise_dim, chosen.dependence_weight,
                                chosen.discriminator_updates, chosen.latent_moment_weight)
    generation_model = networks.build_generation_model(nets, name)
    shown = series.windows[:plots.PLOTTED_WINDOWS]

    def write_reconstructions(step, folder):
        recovered = np.asarray(nets.recovery(nets.embedder(shown)))
        plots.plot_windows({"real": shown, "reconstructed": recovered}, series.columns,
                           folder / "samples" / f"step_{step:06d}.png", f"{name}: autoencoder, step {step}")

    def write_generated(step, folder):
        generated = generator.generate(generation_model, plots.PLOTTED_WINDOWS, args.seed, window_noise_dim)
        plots.plot_windows({"real": shown, "generated": generated}, series.columns,
                           folder / "samples" / f"step_{step:06d}.png", f"{name}: joint training, step {step}")

    print(f"training {name} on {len(series.windows)} windows of {seq_len} steps x {num_features} features "
          f"({series.source}); {args.module.upper()} hidden {chosen.hidden_dim} x {args.num_layers} layers, batch "
          f"{chosen.batch_size}; steps per phase {', '.join(map(str, steps))} into {out_dir}")
    began = time.monotonic()
    phased_training.train_phases(phases, datasets, steps, out_dir, resume=args.resume, overwrite=args.overwrite,
                                 checkpoint_every=args.checkpoint_every, sample_every=args.sample_every,
                                 sample_writers=[write_reconstructions, lambda step, folder: None, write_generated])
    settings = {
        "data": series.source, "columns": series.plan.names, "column_plan": series.plan.to_json(),
        "scaler": series.scaler.to_json(), "seq_len": seq_len, "z_dim": z_dim, "module": args.module,
        "hidden_dim": chosen.hidden_dim, "num_layers": args.num_layers, "steps": steps,
        "batch_size": chosen.batch_size, "seed": args.seed, "window_noise_dim": window_noise_dim,
        # How it was trained, for the record; generation reads none of these.
        "dependence_weight": chosen.dependence_weight, "discriminator_updates": chosen.discriminator_updates,
        "gamma": chosen.gamma, "latent_moment_weight": chosen.latent_moment_weight,
    }
    h5_path, keras_path, sidecar = generator.save_generator(generation_model, out_dir / f"{name}.h5", settings)
    print(f"trained in {time.monotonic() - began:.0f} s; saved generator: {h5_path}, {keras_path} "
          f"and settings {sidecar}")


def write_windows(generation_model, settings, args):
    """A plot of a few generated windows in original units, and with --csv `--samples` windows as CSV."""
    import numpy as np

    from common import io
    from common.timegan import data, generator, plots

    names_out = settings["columns"]
    stem = Path(args.generator).stem
    plot_path = Path(args.out_dir or cli.DEFAULT_GENERATE_DIR) / f"{stem}.png"
    shown = generator.to_columns(settings, generator.generate(generation_model, plots.PLOTTED_WINDOWS, args.seed,
                                                                        settings["window_noise_dim"]))
    plots.plot_windows({"generated": np.stack([shown[name] for name in names_out], axis=-1)}, names_out, plot_path,
                       f"{stem}: generated windows")
    print(f"wrote {plot_path}")
    if args.csv:
        count = args.samples or DEFAULTS.csv_samples
        windows = generator.to_columns(settings, generator.generate(generation_model, count, args.seed + 1,
                                                                             settings["window_noise_dim"]))
        io.write_csv(data.windows_frame(windows, names_out), args.csv)
        print(f"wrote {count} windows of {settings['seq_len']} steps ({count * settings['seq_len']} rows) "
              f"to {args.csv}")


def run(args):
    from common.timegan import evaluation, generator

    if not args.generator:
        train(args)
        return
    generation_model, settings = generator.load_generator(args.generator, args.seq_len)
    if not args.evaluate:
        write_windows(generation_model, settings, args)
        return
    evaluation.evaluate_generator(
        generation_model, settings, args.generator, source=args.data or args.dataset or settings["data"],
        data_dir=args.data_dir, samples=args.samples, iterations=args.metric_iterations,
        discriminative_steps=args.discriminative_steps, predictive_steps=args.predictive_steps, seed=args.seed,
        out_dir=args.out_dir or cli.DEFAULT_GENERATE_DIR, metrics_json=args.metrics_json)


def main(argv=None):
    return cli.main(build_parser(), argv, run, check_flags)


if __name__ == "__main__":
    # TimeGAN's recurrent steps are many small ops: on 2 CPU cores a joint step took 6% less time
    # this way (0.337 vs 0.360 s, Stocks shape; docs/timegan.md, "Threads"). Set before TensorFlow
    # starts, so only here: a caller of main() in a running TensorFlow keeps its own threads.
    distribute.prefer_ops_side_by_side()
    sys.exit(main())
