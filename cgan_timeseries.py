"""Conditional GAN for multi-asset return scenarios by volatility regime, with a portfolio VaR/ES backtest.

    python3 cgan_timeseries.py                                    # train on SP500, NASDAQ, WTI (arch data)
    python3 cgan_timeseries.py --generator models/cgan_timeseries.h5 --regime high --samples 1000 --csv high.csv
    python3 cgan_timeseries.py --generator models/cgan_timeseries.h5 --evaluate --metrics-json risk.json
"""

import sys
import time
from pathlib import Path

import numpy as np

import common  # noqa: F401  (pins the Keras backend before TensorFlow loads)
from common import cli, finance, gan, io, training
from common import timeseries_gan as tsg
from common.data import resolve_data_dir
from common.errors import ToolkitError
from common.io import save_generator, write_csv, write_json

NAME = "cgan_timeseries"
PROG = "cgan_timeseries.py"
DEFAULT_GENERATE_DIR = "generated_data"
# Chosen to train within 30 minutes on 2 shared CPU cores (see README).
DEFAULT_STEPS = 6000
DEFAULT_BATCH_SIZE = 128
DEFAULT_LEARNING_RATE = 2e-4
DEFAULT_LATENT_DIM = 128
DEFAULT_WINDOW = 20
DEFAULT_VOL_WINDOW = 20
DEFAULT_HS_WINDOW = 250
DEFAULT_SAMPLES = {"csv": 1000, "evaluate": 20000}
FAN_SCENARIOS = 12
PERIODS = {"train_start": "1999-01-01", "train_end": "2014-12-31", "test_start": "2015-01-01", "test_end": "2018-12-31"}


def parse_args(argv):
    parser = cli.OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    data = parser.add_argument_group("data")
    data.add_argument("--data", help="CSV of prices: a date column and one column per asset "
                                     "(default: SP500, NASDAQ and WTI from the arch package)")
    data.add_argument("--data-dir", help="folder a relative --data path is also looked for in "
                                         "(default: $GAN_DATA_DIR or ./data)")
    data.add_argument("--weights", help="portfolio weights, one per asset, e.g. 0.4,0.4,0.2 (default: equal)")
    data.add_argument("--condition", choices=["realized-vol", "ewma-vol"], default="realized-vol",
                      help="volatility behind the regimes and the scaling (default realized-vol)")
    data.add_argument("--vol-window", type=cli.positive_int, default=DEFAULT_VOL_WINDOW,
                      help=f"days of trailing volatility (default {DEFAULT_VOL_WINDOW})")
    data.add_argument("--window", type=cli.positive_int, default=DEFAULT_WINDOW,
                      help=f"days per scenario, more than {tsg.ACF_LAGS} (default {DEFAULT_WINDOW})")
    for key, value in PERIODS.items():
        data.add_argument("--" + key.replace("_", "-"), default=None, help=f"date (default {value})")
    train = parser.add_argument_group("training")
    train.add_argument("--steps", type=cli.positive_int, default=DEFAULT_STEPS,
                       help=f"generator updates (default {DEFAULT_STEPS})")
    train.add_argument("--batch-size", type=cli.positive_int, default=DEFAULT_BATCH_SIZE)
    train.add_argument("--learning-rate", type=cli.positive_float, default=DEFAULT_LEARNING_RATE)
    train.add_argument("--latent-dim", type=cli.positive_int, default=DEFAULT_LATENT_DIM)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out-dir", help="where outputs go (training: runs/cgan_timeseries; otherwise generated_data)")
    train.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out-dir")
    train.add_argument("--checkpoint-every", type=cli.positive_int, default=500)
    train.add_argument("--sample-every", type=cli.positive_int, default=1000)
    use = parser.add_argument_group("using a trained generator")
    use.add_argument("--generator", help="a saved generator (.h5 or .keras) with its .json sidecar")
    use.add_argument("--regime", choices=finance.REGIME_NAMES, help="scenarios of this regime (default: cycle)")
    use.add_argument("--samples", type=cli.positive_int,
                     help=f"scenarios for --csv (default {DEFAULT_SAMPLES['csv']}) or per regime for "
                          f"--evaluate (default {DEFAULT_SAMPLES['evaluate']})")
    use.add_argument("--csv", help="write --samples scenarios to this CSV")
    use.add_argument("--evaluate", action="store_true", help="risk report: regimes, backtest, stylized facts")
    use.add_argument("--metrics-json", help="with --evaluate: also write the report here")
    use.add_argument("--hs-window", type=cli.positive_int, default=DEFAULT_HS_WINDOW,
                     help=f"days of historical simulation (default {DEFAULT_HS_WINDOW})")
    return parser.parse_args(argv)


def check_args(args):
    """Reject flag combinations that cannot work, before anything is read or written."""
    cli.check_generator_flags(args, generator_only=[("--regime", args.regime)])
    if args.window <= tsg.ACF_LAGS:
        raise ToolkitError(f"--window must exceed the {tsg.ACF_LAGS} autocorrelation lags; got {args.window}")
    if args.vol_window < 2:
        raise ToolkitError(f"--vol-window must be at least 2 days; got {args.vol_window}")


def load_prices(data_path, data_dir):
    """Aligned prices: the arch portfolio, or a CSV (as given, else inside the data directory)."""
    if data_path is None:
        return finance.load_arch_prices(), "arch:" + ",".join(finance.ARCH_SERIES)
    path = Path(data_path)
    if not path.is_file() and not path.is_absolute() and (resolve_data_dir(data_dir) / path).is_file():
        path = resolve_data_dir(data_dir) / path
    return finance.read_price_csv(path), str(path)


def periods(args, settings=None):
    """(train_start, train_end), (test_start, test_end) from the flags, else the sidecar, else defaults."""
    chosen = {}
    for key, default in PERIODS.items():
        stored = settings.get(key.split("_")[0] + "_period") if settings else None
        fallback = stored[0 if key.endswith("start") else 1] if stored else default
        chosen[key] = getattr(args, key) or fallback
        try:
            np.datetime64(chosen[key])
        except ValueError:
            flag = "--" + key.replace("_", "-")
            raise ToolkitError(f"{flag} must be a date like 2015-01-01; got {chosen[key]!r}") from None
    if chosen["train_end"] >= chosen["test_start"]:
        raise ToolkitError(f"the training period must end before the test period starts; got train end "
                           f"{chosen['train_end']} and test start {chosen['test_start']}")
    return [chosen["train_start"], chosen["train_end"]], [chosen["test_start"], chosen["test_end"]]


def training_vol_floor(prices, train_period):
    returns = finance.log_returns(prices)
    positions = tsg.period_positions(returns.index, *train_period)
    return finance.VOL_FLOOR_FRACTION * returns.iloc[positions].std().to_numpy()


# ---- training ----------------------------------------------------------------------------------
def train(args):
    import keras

    keras.utils.set_random_seed(args.seed)
    prices, source = load_prices(args.data, args.data_dir)
    weights = finance.parse_weights(args.weights, [str(name) for name in prices.columns])
    train_period, test_period = periods(args)
    vol_floor = training_vol_floor(prices, train_period)
    market = tsg.build_market(prices, weights, args.vol_window, args.condition, vol_floor)
    starts = tsg.window_starts(market, tsg.period_positions(market.returns.index, *train_period), args.window)
    if len(starts) < len(finance.REGIME_NAMES):
        raise ToolkitError(f"the training period {train_period[0]}..{train_period[1]} must hold at least "
                           f"{len(finance.REGIME_NAMES)} windows of {args.window} days after {args.vol_window} "
                           f"days of history; got {len(starts)}")
    settings = tsg.fit_settings(market, starts, {
        "assets": market.assets, "weights": [float(value) for value in weights], "window": args.window,
        "vol_window": args.vol_window, "condition": args.condition, "regimes": list(finance.REGIME_NAMES),
        "vol_floor": [float(value) for value in vol_floor], "latent_dim": args.latent_dim,
        "train_period": train_period, "test_period": test_period, "data": source,
    })
    x, regimes = tsg.training_examples(market, starts, settings)
    dataset = tsg.window_batches(x, regimes, args.batch_size, args.seed)
    num_regimes = len(finance.REGIME_NAMES)
    model = gan.ConditionalGAN(
        tsg.build_timeseries_generator(args.latent_dim, args.window, len(market.assets), num_regimes),
        tsg.build_timeseries_discriminator(args.window, len(market.assets), num_regimes),
        args.latent_dim, num_regimes,
    )
    model.compile(*training.adam_pair(args.learning_rate, args.steps))
    out_dir = Path(args.out_dir or f"runs/{NAME}")

    def write_samples(step):
        scenarios = {name: tsg.regime_scenarios(model.generator, settings, [name] * FAN_SCENARIOS, args.seed)
                     for name in finance.REGIME_NAMES}
        tsg.plot_scenario_fan(scenarios, weights, out_dir / "samples" / f"step_{step:06d}.png",
                              f"{NAME}, step {step}: portfolio paths at each regime's median volatility")

    print(f"training {NAME} for {args.steps} steps (batch {args.batch_size}) on {len(x)} windows of "
          f"{args.window} days x {len(market.assets)} assets ({', '.join(market.assets)}) into {out_dir}")
    began = time.monotonic()
    training.train(model, dataset, args.steps, out_dir, resume=args.resume,
                   checkpoint_every=args.checkpoint_every, sample_every=args.sample_every,
                   write_samples=write_samples)
    h5_path, keras_path = save_generator(model.generator, out_dir / f"{NAME}.h5")
    write_json(io.sidecar_path(h5_path), settings)
    print(f"trained in {time.monotonic() - began:.0f} s; saved generator: {h5_path}, {keras_path} "
          f"and settings {io.sidecar_path(h5_path)}")


# ---- generation --------------------------------------------------------------------------------
def write_scenarios(generator, settings, args):
    """A fan plot per regime, and with --csv the scenarios in return units."""
    out_dir = Path(args.out_dir or DEFAULT_GENERATE_DIR)
    names = [args.regime] if args.regime else list(finance.REGIME_NAMES)
    fans = {name: tsg.regime_scenarios(generator, settings, [name] * FAN_SCENARIOS, args.seed) for name in names}
    suffix = f"_{args.regime}" if args.regime else ""
    fan_path = out_dir / f"{NAME}{suffix}.png"
    tsg.plot_scenario_fan(fans, settings["weights"], fan_path, f"{NAME}: portfolio paths of generated scenarios")
    print(f"wrote {fan_path}")
    if args.csv:
        count = args.samples or DEFAULT_SAMPLES["csv"]
        regime_names = [names[index % len(names)] for index in range(count)]
        returns = tsg.regime_scenarios(generator, settings, regime_names, args.seed + 1)
        write_csv(tsg.scenarios_frame(returns, regime_names, settings["assets"]), args.csv)
        print(f"wrote {count} scenarios of {settings['window']} days ({', '.join(names)}) to {args.csv}")


# ---- evaluation --------------------------------------------------------------------------------
def evaluate(generator, settings, args):
    """The risk report: per-regime VaR/ES, held-out backtest vs GARCH and HS, stylized facts, plots."""
    prices, source = load_prices(args.data, args.data_dir) if args.data else (finance.load_arch_prices(),
                                                                              settings["data"])
    assets = [str(name) for name in prices.columns]
    if assets != settings["assets"]:
        raise ToolkitError(f"the data's assets must be those the generator was trained on ({settings['assets']}); "
                           f"got {assets}")
    weights = finance.parse_weights(args.weights, assets) if args.weights else np.asarray(settings["weights"])
    train_period, test_period = periods(args, settings)
    settings = {**settings, "train_period": train_period}
    market = tsg.build_market(prices, weights, settings["vol_window"], settings["condition"], settings["vol_floor"])
    index = market.returns.index
    starts = tsg.window_starts(market, tsg.period_positions(index, *train_period), settings["window"])
    test_positions = tsg.period_positions(index, *test_period)
    samples = args.samples or DEFAULT_SAMPLES["evaluate"]
    out_dir = Path(args.out_dir or DEFAULT_GENERATE_DIR)
    print(f"{NAME}: risk report for {', '.join(assets)} (weights {', '.join(f'{w:g}' for w in weights)}), "
          f"{samples} generated scenarios per regime")
    regimes, series = tsg.regime_report(generator, market, starts, settings, samples, args.seed)
    backtest, arrays = tsg.backtest_report(generator, market, settings, test_positions, samples,
                                           args.hs_window, args.seed + len(finance.REGIME_NAMES))
    plots = {"regime_risk": out_dir / f"{NAME}_regime_risk.png", "backtest": out_dir / f"{NAME}_backtest.png",
             "stylized_facts": out_dir / f"{NAME}_stylized_facts.png"}
    tsg.plot_regime_risk(regimes, plots["regime_risk"])
    tsg.plot_backtest(arrays, plots["backtest"])
    tsg.plot_stylized_facts(regimes, series, plots["stylized_facts"])
    report = {"generator": str(args.generator), "data": source, "assets": assets,
              "weights": [float(value) for value in weights], "samples_per_regime": samples,
              "train_period": train_period, "test_period": test_period, "regimes": regimes,
              "backtest": backtest, "plots": {key: str(path) for key, path in plots.items()}}
    print_report(report)
    if args.metrics_json:
        write_json(args.metrics_json, report)
        print(f"wrote {args.metrics_json}")
    return report


def print_report(report):
    print(f"per regime, training windows {report['train_period'][0]}..{report['train_period'][1]} "
          "(loss as a fraction of the portfolio; historical / generated):")
    for name, entry in report["regimes"].items():
        cells = "  ".join(f"{key.replace('_', ' ')} {entry[key]['historical']:.4f}/{entry[key]['generated']:.4f}"
                          for key in entry if key.startswith(("var_", "es_")))
        print(f"  {name:>4}: {cells}")
        targets = entry["targets"]
        acf = entry["abs_autocorrelation"]
        print(f"        kurtosis real {entry['kurtosis']['real']:.2f} generated {entry['kurtosis']['generated']:.2f} "
              f"(error {targets['kurtosis_relative_error']:.0%}); mean |r| autocorrelation lags 1-{tsg.ACF_LAGS} "
              f"real {np.mean(acf['real']):.3f} generated {np.mean(acf['generated']):.3f} "
              f"(error {targets['abs_acf_mean_relative_error']:.0%}, "
              f"{targets['abs_acf_lags_within_tolerance']}/{tsg.ACF_LAGS} lags within "
              f"{tsg.STYLIZED_TOLERANCE:.0%})")
        correlation = entry["correlation"]
        pairs = "  ".join(f"{pair} {correlation['real'][pair]:.2f}/{correlation['generated'][pair]:.2f}"
                          for pair in correlation["real"])
        print(f"        correlation real/generated: {pairs}")
    backtest = report["backtest"]
    print(f"held-out backtest {backtest['first_day']}..{backtest['last_day']} ({backtest['days']} days; "
          f"regime days {backtest['regime_days']}):")
    print(f"  {'model':<22} {'level':>5} {'violations':>10} {'rate':>7} {'Kupiec p':>9} {'Christoffersen p':>17}")
    for model, levels in backtest["models"].items():
        for level, result in levels.items():
            print(f"  {model:<22} {float(level):>5.0%} {result['kupiec']['violations']:>10d} "
                  f"{result['violation_rate']:>7.2%} {result['kupiec']['p_value']:>9.3f} "
                  f"{result['christoffersen']['p_value']:>17.3f}")
    print(f"  targets: {backtest['targets']}")
    for key, path in report["plots"].items():
        print(f"  plot {key}: {path}")


def run(args):
    check_args(args)
    if args.generator:
        generator, settings = tsg.load_generator_and_settings(args.generator)
        if args.evaluate:
            evaluate(generator, settings, args)
        else:
            write_scenarios(generator, settings, args)
        return
    train(args)


def main(argv=None):
    args = parse_args(argv)
    return cli.run(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
