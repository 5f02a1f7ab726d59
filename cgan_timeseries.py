"""Conditional GAN for multi-asset return scenarios by volatility regime, with a portfolio VaR/ES backtest.

    python3 cgan_timeseries.py                                    # train on SP500, NASDAQ, WTI (arch data)
    python3 cgan_timeseries.py --generator models/cgan_timeseries.h5 --regime high --samples 1000 --csv high.csv
    python3 cgan_timeseries.py --generator models/cgan_timeseries.h5 --evaluate --metrics-json risk.json
"""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import cli
from common.errors import ToolkitError
from common.market.names import ACF_LAGS, CONDITIONS, MIN_VOL_WINDOW, PERIOD_KEYS, REGIME_NAMES

PROG = "cgan_timeseries.py"
NAME = "cgan_timeseries"


@dataclass(frozen=True)
class ScenarioDefaults(cli.TrainingDefaults):
    """The training recipe plus the market settings, evaluation sizes and periods (each a flag's default)."""

    window: int = 20
    vol_window: int = 20
    condition: str = "gjr-vol"
    hs_window: int = 250
    csv_samples: int = 1000
    evaluate_samples: int = 20000
    train_start: str = "1999-01-01"
    train_end: str = "2014-12-31"
    test_start: str = "2015-01-01"
    test_end: str = "2018-12-31"


# Chosen to train within 30 minutes on 2 shared CPU cores (see docs/cgan_timeseries.md).
DEFAULTS = ScenarioDefaults(steps=6000, batch_size=128, learning_rate=2e-4, latent_dim=128, sample_every=1000)


def build_parser():
    parser = cli.make_parser(PROG, __doc__)
    data = parser.add_argument_group("data")
    data.add_argument("--data", help="CSV of prices: a date column and one column per asset "
                                     "(default: SP500, NASDAQ and WTI from the arch package)")
    data.add_argument("--weights", help="portfolio weights, one per asset, e.g. 0.4,0.4,0.2 (default: equal)")
    data.add_argument("--condition", choices=CONDITIONS, default=DEFAULTS.condition,
                      help="volatility behind the regimes and the scaling (default %(default)s)")
    data.add_argument("--vol-window", type=cli.positive_int, default=DEFAULTS.vol_window,
                      help="days of trailing volatility (default %(default)s)")
    data.add_argument("--window", type=cli.positive_int, default=DEFAULTS.window,
                      help=f"days per scenario, more than {ACF_LAGS} (default %(default)s)")
    for key in PERIOD_KEYS:
        data.add_argument("--" + key.replace("_", "-"), help=f"date (default {getattr(DEFAULTS, key)})")
    cli.add_training_arguments(parser, DEFAULTS, name=NAME,
                               data_help="folder a relative --data path is also looked for in")
    use = cli.add_generation_arguments(
        parser, generator_help="a saved generator (.h5 or .keras) with its .json sidecar",
        samples_help=f"scenarios for --csv (default {DEFAULTS.csv_samples}) or per regime for "
                     f"--evaluate (default {DEFAULTS.evaluate_samples})",
        evaluate_help="risk report: regimes, backtest, stylized facts")
    use.add_argument("--regime", choices=REGIME_NAMES, help="scenarios of this regime (default: cycle)")
    use.add_argument("--hs-window", type=cli.positive_int, default=DEFAULTS.hs_window,
                     help="days of historical simulation (default %(default)s)")
    return parser


def check_flags(args):
    """Reject flag combinations that cannot work, before anything is read or written."""
    from common.market.data import check_date

    cli.check_generator_flags(args, generator_only=(("--regime", args.regime),))
    cli.check_input_file("--generator", args.generator)
    if args.window <= ACF_LAGS:
        raise ToolkitError(f"--window must exceed the {ACF_LAGS} autocorrelation lags; got {args.window}")
    if args.vol_window < MIN_VOL_WINDOW:
        raise ToolkitError(f"--vol-window must be at least {MIN_VOL_WINDOW} days; got {args.vol_window}")
    for key in PERIOD_KEYS:
        if getattr(args, key):
            check_date("--" + key.replace("_", "-"), getattr(args, key))


def periods(args, settings=None):
    """([train_start, train_end], [test_start, test_end]): the flags, else the sidecar's, else the defaults."""
    from common.market import data

    return data.choose_periods({key: getattr(args, key) for key in PERIOD_KEYS},
                               {key: getattr(DEFAULTS, key) for key in PERIOD_KEYS}, settings)


def train(args):
    import keras

    from common import batching, gan, training
    from common.market import data, networks, plots, scenarios

    keras.utils.set_random_seed(args.seed)
    prices, source = data.load_prices(args.data, args.data_dir)
    weights = data.parse_weights(args.weights, [str(name) for name in prices.columns])
    train_period, test_period = periods(args)
    settings, x, regimes = scenarios.training_setup(
        prices, weights, train_period, test_period, window=args.window, vol_window=args.vol_window,
        condition=args.condition, latent_dim=args.latent_dim, source=source)
    assets = settings["assets"]
    dataset = batching.endless_batches((x, regimes), args.batch_size, args.seed, what="training windows")
    model = gan.ConditionalGAN(networks.build_generator(args.latent_dim, args.window, len(assets), len(REGIME_NAMES)),
                               networks.build_discriminator(args.window, len(assets), len(REGIME_NAMES)),
                               args.latent_dim, len(REGIME_NAMES))
    model.compile(*training.adam_pair(args.learning_rate, args.steps))
    out_dir = Path(args.out_dir or f"runs/{NAME}")

    def write_samples(step):
        plots.plot_scenario_fan(scenarios.regime_fans(model.generator, settings, REGIME_NAMES, args.seed), weights,
                                out_dir / "samples" / f"step_{step:06d}.png",
                                f"{NAME}, step {step}: portfolio paths at each regime's median volatility")

    print(f"training {NAME} for {args.steps} steps (batch {args.batch_size}) on {len(x)} windows of "
          f"{args.window} days x {len(assets)} assets ({', '.join(assets)}) into {out_dir}")
    began = time.monotonic()
    training.train(model, dataset, args.steps, out_dir, resume=args.resume, overwrite=args.overwrite,
                   checkpoint_every=args.checkpoint_every, sample_every=args.sample_every,
                   write_samples=write_samples)
    settings = scenarios.calibrate_moments(model.generator, settings, x, regimes, args.seed)
    h5_path, keras_path, sidecar = scenarios.save_generator(model.generator, out_dir / f"{NAME}.h5", settings)
    print(f"trained in {time.monotonic() - began:.0f} s; saved generator: {h5_path}, {keras_path} "
          f"and settings {sidecar}")


def write_scenarios(generator, settings, args):
    """A fan plot per regime, and with --csv the scenarios in return units."""
    from common import io
    from common.market import plots, scenarios

    out_dir = Path(args.out_dir or cli.DEFAULT_GENERATE_DIR)
    names = [args.regime] if args.regime else list(REGIME_NAMES)
    fan_path = out_dir / (f"{NAME}_{args.regime}.png" if args.regime else f"{NAME}.png")
    plots.plot_scenario_fan(scenarios.regime_fans(generator, settings, names, args.seed), settings["weights"],
                            fan_path, f"{NAME}: portfolio paths of generated scenarios")
    print(f"wrote {fan_path}")
    if args.csv:
        count = args.samples or DEFAULTS.csv_samples
        io.write_csv(scenarios.scenarios_table(generator, settings, names, count, args.seed + 1), args.csv)
        print(f"wrote {count} scenarios of {settings['window']} days ({', '.join(names)}) to {args.csv}")


def evaluate(generator, settings, args):
    """The risk report: per-regime VaR/ES, held-out backtest vs GARCH and HS, stylized facts, plots."""
    from common import io
    from common.market import data, evaluation, plots

    prices, source = data.load_prices(args.data, args.data_dir)
    source = source if args.data else settings["data"]
    assets, weights = evaluation.portfolio_weights(prices, settings, args.weights)
    train_period, test_period = periods(args, settings)
    samples = args.samples or DEFAULTS.evaluate_samples
    out_dir = Path(args.out_dir or cli.DEFAULT_GENERATE_DIR)
    print(f"{NAME}: risk report for {', '.join(assets)} (weights {', '.join(f'{w:g}' for w in weights)}), "
          f"{samples} generated scenarios per regime")
    report, arrays = evaluation.risk_report(generator, settings, prices, weights, train_period, test_period,
                                            samples=samples, hs_window=args.hs_window, seed=args.seed)
    paths = {key: out_dir / f"{NAME}_{key}.png" for key in ("regime_risk", "backtest", "stylized_facts")}
    plots.plot_regime_risk(report["regimes"], paths["regime_risk"])
    plots.plot_backtest(arrays["backtest"], paths["backtest"])
    plots.plot_stylized_facts(report["regimes"], arrays["series"], paths["stylized_facts"])
    report = {"generator": str(args.generator), "data": source, **report,
              "plots": {key: str(path) for key, path in paths.items()}}
    print("\n".join(evaluation.format_report(report)))
    if args.metrics_json:
        io.write_json(args.metrics_json, report)
        print(f"wrote {args.metrics_json}")


def run(args):
    if args.generator is None:
        train(args)
        return
    from common.market import scenarios

    generator, settings = scenarios.load_generator(args.generator)
    (evaluate if args.evaluate else write_scenarios)(generator, settings, args)


def main(argv=None):
    return cli.main(build_parser(), argv, run, check_flags)


if __name__ == "__main__":
    sys.exit(main())
