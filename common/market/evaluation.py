"""The risk report of a scenario generator: per-regime VaR/ES and stylized facts, and a held-out VaR backtest.

Real and generated data are measured the same way. Per regime, the real data are the training
windows starting in that regime; the generated ones are scenarios of that regime, each started from
the volatilities of a randomly drawn real window of the regime. The backtest forecasts each test
day's 1-day VaR from what was known at the previous close only, for the GAN, GARCH(1,1)-t and
historical simulation side by side.
"""

import numpy as np
from scipy import stats

from common.errors import ToolkitError
from common.market import data, risk
from common.market.names import ACF_LAGS, REGIME_NAMES
from common.market.scenarios import generate_calibrated, to_returns

# The multi-day horizon of the per-regime VaR/ES (one trading fortnight, the Basel horizon).
HORIZON_DAYS = 10
VAR_LEVELS = (0.95, 0.99)
# A backtest passes when its p-value exceeds this.
TEST_P_MIN = 0.05
# Generated kurtosis and |r| autocorrelation reported as matching when within this relative error of real.
STYLIZED_TOLERANCE = 0.25
# Block bootstrap of a regime's real windows: blocks of this many window lengths of consecutive windows,
# so the windows that share days (up to window - 1 of them on each side) mostly stay together.
BOOTSTRAP_BLOCK_WINDOWS = 2
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_COVERAGE = 0.90
# The backtest's models, in table order.
MODELS = ("gan", "garch_t", "historical_simulation", "filtered_historical_simulation")


# ---- stylized facts ----------------------------------------------------------------------------
def kurtosis(values):
    """Pearson kurtosis E[(x-mu)^4] / sigma^4 of all values (3 for a normal distribution)."""
    return float(stats.kurtosis(np.ravel(values), fisher=False))


def pooled_abs_autocorrelation(windows, lags):
    """Autocorrelation (lags,) of |r| at lags 1..lags, pooled over windows (N, steps) of one series.

    Each lag's correlation uses every pair (|r_t|, |r_t+lag|) inside a window, with the mean and
    variance of |r| over all windows, so real and generated windows are measured the same way.
    """
    absolute = np.abs(np.asarray(windows, dtype=float))
    centred = absolute - absolute.mean()
    variance = np.mean(centred ** 2)
    return np.array([np.mean(centred[:, :-lag] * centred[:, lag:]) / variance for lag in range(1, lags + 1)])


def correlation_pairs(daily_returns, assets):
    """Pairwise correlations {"A/B": value} of daily returns (M, assets)."""
    matrix = np.corrcoef(np.asarray(daily_returns), rowvar=False)
    return {f"{assets[i]}/{assets[j]}": float(matrix[i, j])
            for i in range(len(assets)) for j in range(i + 1, len(assets))}


def stylized_statistics(daily_windows):
    """(kurtosis, mean |r| autocorrelation over lags 1..ACF_LAGS) of daily portfolio returns (N, steps)."""
    return kurtosis(daily_windows), float(pooled_abs_autocorrelation(daily_windows, ACF_LAGS).mean())


def bootstrap_intervals(daily_windows, block, resamples=BOOTSTRAP_RESAMPLES, coverage=BOOTSTRAP_COVERAGE, seed=0):
    """Moving-block bootstrap intervals of the kurtosis and mean |r| autocorrelation of windows (N, steps).

    The windows are in time order; each resample joins randomly placed blocks of `block` consecutive
    windows into N windows. Returns {"kurtosis": [low, high], "abs_acf_mean": [low, high]}, the
    central `coverage` percentile intervals.
    """
    windows = np.asarray(daily_windows, dtype=float)
    count = len(windows)
    block = min(block, count)
    rng = np.random.default_rng(seed)
    blocks = -(-count // block)
    values = []
    for _ in range(resamples):
        starts = rng.integers(0, count - block + 1, blocks)
        values.append(stylized_statistics(windows[(starts[:, None] + np.arange(block)).ravel()[:count]]))
    tails = [(1 - coverage) / 2 * 100, (1 + coverage) / 2 * 100]
    low_high = np.percentile(np.array(values), tails, axis=0)
    return {"kurtosis": low_high[:, 0].tolist(), "abs_acf_mean": low_high[:, 1].tolist()}


def stylized_targets(entry):
    """Generated kurtosis and mean |r| autocorrelation (lags 1-10) vs real: inside the real 90% interval, and
    the relative errors with the 25% comparison."""
    kurt = entry["kurtosis"]
    kurt_error = abs(kurt["generated"] - kurt["real"]) / abs(kurt["real"])
    real_acf = np.array(entry["abs_autocorrelation"]["real"])
    fake_acf = np.array(entry["abs_autocorrelation"]["generated"])
    lag_errors = np.abs(fake_acf - real_acf) / np.abs(real_acf)
    mean_error = abs(fake_acf.mean() - real_acf.mean()) / abs(real_acf.mean())
    return {"kurtosis_relative_error": float(kurt_error), "kurtosis_ok": bool(kurt_error <= STYLIZED_TOLERANCE),
            "abs_acf_mean_relative_error": float(mean_error),
            "abs_acf_mean_ok": bool(mean_error <= STYLIZED_TOLERANCE),
            "abs_acf_lags_within_tolerance": int(np.sum(lag_errors <= STYLIZED_TOLERANCE)),
            "abs_acf_max_lag_relative_error": float(lag_errors.max()),
            "kurtosis_in_interval": _inside(kurt["generated"], entry["interval"]["kurtosis"]),
            "abs_acf_mean_in_interval": _inside(fake_acf.mean(), entry["interval"]["abs_acf_mean"])}


def _inside(value, interval):
    return bool(interval[0] <= value <= interval[1])


# ---- the reports -------------------------------------------------------------------------------
def portfolio_weights(prices, settings, weights_text=None):
    """Check that `prices` hold the generator's assets; returns (assets, weights (assets,)).

    `weights_text` ('0.5,0.3,0.2') overrides the weights stored in `settings`.
    """
    assets = [str(name) for name in prices.columns]
    if assets != settings["assets"]:
        raise ToolkitError(f"the data's assets must be those the generator was trained on ({settings['assets']}); "
                           f"got {assets}")
    weights = data.parse_weights(weights_text, assets) if weights_text else np.asarray(settings["weights"])
    return assets, weights


def risk_report(generator, settings, prices, weights, train_period, test_period, *, samples, hs_window, seed):
    """Per-regime risk and stylized facts on the training period, and the backtest on the test period.

    Returns (report dict: assets, weights, samples_per_regime, train_period, test_period, regimes,
    backtest; arrays for the plots: "series" per regime and "backtest").
    """
    settings = {**settings, "train_period": train_period}
    market = data.build_market(prices, weights, settings["vol_window"], settings["condition"], settings["vol_floor"],
                               settings.get("vol_params"))
    index = market.returns.index
    starts = data.window_starts(market, data.period_positions(index, *train_period), settings["window"])
    regimes, series = regime_report(generator, market, starts, settings, samples, seed)
    backtest, arrays = backtest_report(generator, market, settings, data.period_positions(index, *test_period),
                                       samples, hs_window, seed + len(REGIME_NAMES))
    report = {"assets": market.assets, "weights": [float(value) for value in weights],
              "samples_per_regime": samples, "train_period": train_period, "test_period": test_period,
              "regimes": regimes, "backtest": backtest}
    return report, {"series": series, "backtest": arrays}


def regime_report(generator, market, starts, settings, samples, seed):
    """Per regime: 1- and 10-day VaR/ES vs historical, kurtosis, |r| autocorrelation (with the real
    statistics' bootstrap intervals) and correlations.

    Returns (report: regime name -> dict, series: regime name -> daily portfolio returns "real_daily"
    and "fake_daily", flat arrays).
    """
    windows, sigma, portfolio_vol = data.windows_at(market, starts, settings["window"])
    regimes = data.assign_regimes(portfolio_vol, settings["regime_thresholds"])
    rng = np.random.default_rng(seed)
    report, series = {}, {}
    for index, name in enumerate(REGIME_NAMES):
        real = windows[regimes == index]
        if not len(real):
            raise ToolkitError(f"no training window falls in the {name} regime; use a longer training period")
        drawn = rng.integers(0, len(real), samples)
        fake = to_returns(generate_calibrated(generator, settings, np.full(samples, index), seed + index),
                          sigma[regimes == index][drawn], settings)
        entry = {"real_windows": int(len(real)), "generated_windows": int(samples)}
        for horizon in (1, HORIZON_DAYS):
            real_pnl = data.portfolio_returns(real[:, :horizon], market.weights)
            fake_pnl = data.portfolio_returns(fake[:, :horizon], market.weights)
            for level in VAR_LEVELS:
                key = f"{horizon}d_{round(level * 100)}"
                entry[f"var_{key}"] = {"historical": float(risk.value_at_risk(real_pnl, level)),
                                       "generated": float(risk.value_at_risk(fake_pnl, level))}
                entry[f"es_{key}"] = {"historical": risk.expected_shortfall(real_pnl, level),
                                      "generated": risk.expected_shortfall(fake_pnl, level)}
        real_daily = np.expm1(real) @ market.weights
        fake_daily = np.expm1(fake) @ market.weights
        entry["kurtosis"] = {"real": kurtosis(real_daily), "generated": kurtosis(fake_daily)}
        entry["kurtosis_per_asset"] = {
            asset: {"real": kurtosis(real[:, :, column]), "generated": kurtosis(fake[:, :, column])}
            for column, asset in enumerate(market.assets)
        }
        entry["abs_autocorrelation"] = {"real": pooled_abs_autocorrelation(real_daily, ACF_LAGS).tolist(),
                                        "generated": pooled_abs_autocorrelation(fake_daily, ACF_LAGS).tolist()}
        entry["interval"] = bootstrap_intervals(real_daily, BOOTSTRAP_BLOCK_WINDOWS * settings["window"],
                                                seed=seed + index)
        entry["correlation"] = {
            "real": correlation_pairs(real.reshape(-1, real.shape[-1]), market.assets),
            "generated": correlation_pairs(fake.reshape(-1, fake.shape[-1]), market.assets),
        }
        entry["targets"] = stylized_targets(entry)
        report[name] = entry
        series[name] = {"real_daily": real_daily.ravel(), "fake_daily": fake_daily.ravel()}
    return report, series


def backtest_report(generator, market, settings, test_positions, samples, hs_window, seed):
    """Held-out 1-day backtest of the GAN, GARCH(1,1)-t, historical and filtered historical simulation.

    Each test day t uses only what was known at the close of t-1: its regime and volatilities for
    the GAN (a pool of `samples` scenarios per regime, rescaled by that day's volatilities) and for
    FHS (the training period's devolatilised returns, rescaled the same way), the filtered GARCH
    variance (parameters fitted on the training period) and the previous `hs_window` portfolio
    returns. Returns (report dict, arrays for plotting: dates, realized (days,) and forecasts:
    model -> level -> VaR (days,)).
    """
    known = market.state_known()
    days = np.array([t for t in test_positions if t >= hs_window and known[t - 1]])
    if len(days) < 2:
        raise ToolkitError(f"the test period needs at least 2 days with {hs_window} days of history; got {len(days)}")
    regimes = data.assign_regimes(market.portfolio_vol.to_numpy()[days - 1], settings["regime_thresholds"])
    sigma = market.asset_vol.to_numpy()[days - 1]
    portfolio = market.portfolio.to_numpy()
    realized = portfolio[days]
    train_positions = data.period_positions(market.returns.index, *settings["train_period"])
    garch, garch_params = risk.garch_t(portfolio, train_positions, days)
    predictive = {"gan": gan_predictive(generator, settings, regimes, sigma, market.weights, samples, seed),
                  "garch_t": garch,
                  "historical_simulation": risk.historical_simulation(portfolio, days, hs_window),
                  "filtered_historical_simulation": risk.filtered_historical_simulation(
                      training_residuals(market, train_positions), sigma, market.weights)}
    models, forecasts = {}, {}
    for model in MODELS:
        models[model], forecasts[model] = risk.backtest(realized, predictive[model], VAR_LEVELS, seed)
    report = {"days": int(len(days)), "first_day": str(market.returns.index[days[0]].date()),
              "last_day": str(market.returns.index[days[-1]].date()),
              "regime_days": {name: int(np.sum(regimes == index)) for index, name in enumerate(REGIME_NAMES)},
              "garch_params": garch_params, "models": models}
    report["targets"] = backtest_targets(models)
    arrays = {"dates": market.returns.index[days], "realized": realized, "forecasts": forecasts}
    return report, arrays


def gan_predictive(generator, settings, regimes, sigma, weights, samples, seed):
    """The GAN's 1-day portfolio returns (days, samples): first days of each regime's scenarios times sigma_t."""
    pools = [generate_calibrated(generator, settings, np.full(samples, index), seed + index)[:, 0, :]
             * np.asarray(settings["return_scale"]) for index in range(len(REGIME_NAMES))]
    return np.stack([np.expm1(pools[regime] * vol) @ np.asarray(weights) for regime, vol in zip(regimes, sigma)])


def training_residuals(market, train_positions):
    """Devolatilised asset returns r_t / sigma_{t-1} (K, assets) of the training days whose state is known."""
    positions = np.asarray(train_positions)
    positions = positions[(positions >= 1) & market.state_known()[np.maximum(positions - 1, 0)]]
    return market.returns.to_numpy()[positions] / market.asset_vol.to_numpy()[positions - 1]


def backtest_targets(models):
    """Whether the GAN passes every backtest and is at least as close to the nominal rate as each baseline."""
    gan = models["gan"]

    def gap(model, level):
        return abs(models[model][str(level)]["violation_rate"] - (1 - level))

    return {
        "gan_kupiec_pass_all_levels": all(gan[str(level)]["kupiec"]["p_value"] > TEST_P_MIN for level in VAR_LEVELS),
        "gan_christoffersen_pass_all_levels": all(
            gan[str(level)]["christoffersen"]["p_value"] > TEST_P_MIN for level in VAR_LEVELS),
        "gan_conditional_coverage_pass_all_levels": all(
            gan[str(level)]["conditional_coverage"]["p_value"] > TEST_P_MIN for level in VAR_LEVELS),
        "gan_traffic_light_all_green": gan[str(risk.TRAFFIC_LIGHT_LEVEL)]["traffic_light"]["worst_zone"] == "green",
        "gan_es_test_pass": gan["es_test"]["p_value"] > TEST_P_MIN,
        "gan_at_least_as_close_as_garch": all(gap("gan", level) <= gap("garch_t", level) for level in VAR_LEVELS),
        "gan_at_least_as_close_as_fhs": all(
            gap("gan", level) <= gap("filtered_historical_simulation", level) for level in VAR_LEVELS),
    }


def format_report(report):
    """The risk report as printed lines: per regime VaR/ES, stylized facts, correlations; the backtest table."""
    lines = [f"per regime, training windows {report['train_period'][0]}..{report['train_period'][1]} "
             "(loss as a fraction of the portfolio; historical / generated):"]
    for name, entry in report["regimes"].items():
        cells = "  ".join(f"{key.replace('_', ' ')} {entry[key]['historical']:.4f}/{entry[key]['generated']:.4f}"
                          for key in entry if key.startswith(("var_", "es_")))
        lines.append(f"  {name:>4}: {cells}")
        targets = entry["targets"]
        acf = entry["abs_autocorrelation"]
        lines.append(
            f"        kurtosis real {entry['kurtosis']['real']:.2f} generated {entry['kurtosis']['generated']:.2f} "
            f"(error {targets['kurtosis_relative_error']:.0%}); mean |r| autocorrelation lags 1-{ACF_LAGS} "
            f"real {np.mean(acf['real']):.3f} generated {np.mean(acf['generated']):.3f} "
            f"(error {targets['abs_acf_mean_relative_error']:.0%}, "
            f"{targets['abs_acf_lags_within_tolerance']}/{ACF_LAGS} lags within {STYLIZED_TOLERANCE:.0%})")
        interval = entry["interval"]
        lines.append(
            f"        real {BOOTSTRAP_COVERAGE:.0%} bootstrap interval: kurtosis {interval['kurtosis'][0]:.2f}-"
            f"{interval['kurtosis'][1]:.2f} (generated inside: {targets['kurtosis_in_interval']}); mean |r| "
            f"autocorrelation {interval['abs_acf_mean'][0]:.3f}-{interval['abs_acf_mean'][1]:.3f} "
            f"(generated inside: {targets['abs_acf_mean_in_interval']})")
        correlation = entry["correlation"]
        pairs = "  ".join(f"{pair} {correlation['real'][pair]:.2f}/{correlation['generated'][pair]:.2f}"
                          for pair in correlation["real"])
        lines.append(f"        correlation real/generated: {pairs}")
    backtest = report["backtest"]
    lines.append(f"held-out backtest {backtest['first_day']}..{backtest['last_day']} ({backtest['days']} days; "
                 f"regime days {backtest['regime_days']}):")
    lines.append(f"  {'model':<30} {'level':>5} {'violations':>10} {'rate':>7} {'Kupiec p':>9} "
                 f"{'Christoffersen p':>17} {'CC p':>6}  {'traffic light (windows)':<24} {'ES p':>6}")
    for model, results in backtest["models"].items():
        es_test = results["es_test"]
        for level in VAR_LEVELS:
            result = results[str(level)]
            light = result.get("traffic_light")
            zones = " ".join(f"{zone[0].upper()}{light['zones'][zone]}" for zone in risk.ZONES) if light else ""
            es_cell = f"{es_test['p_value']:>6.3f}" if level == risk.TRAFFIC_LIGHT_LEVEL else ""
            lines.append(f"  {model:<30} {level:>5.0%} {result['kupiec']['violations']:>10d} "
                         f"{result['violation_rate']:>7.2%} {result['kupiec']['p_value']:>9.3f} "
                         f"{result['christoffersen']['p_value']:>17.3f} "
                         f"{result['conditional_coverage']['p_value']:>6.3f}  {zones:<24} {es_cell}".rstrip())
    lines.append(f"  (traffic light: 99% VaR violations in each rolling {risk.TRAFFIC_LIGHT_DAYS}-day window, "
                 f"G/Y/R = windows green 0-{risk.GREEN_MAX}, yellow -{risk.YELLOW_MAX}, red more; ES p: "
                 f"Acerbi-Szekely Z2 at {risk.ES_TEST_LEVEL:.1%}, simulated under each model)")
    lines.append(f"  targets: {backtest['targets']}")
    lines.extend(f"  plot {key}: {path}" for key, path in report.get("plots", {}).items())
    return lines
