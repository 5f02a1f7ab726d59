"""Conditional GAN for multi-asset return scenarios: networks, windows, sidecar, generation and risk report.

What the networks see. A window is `window` consecutive daily log returns of every asset, shape
(window, assets). Each window is divided by the assets' trailing volatility on the day before it
starts (what a risk manager knows at that close) and by a per-asset `return_scale`, so the networks
work on unit-scale "devolatilised" returns x. The condition is the volatility regime (low / mid /
high: terciles of the trailing portfolio volatility in the training period) on that same day, one-hot
(batch, 3). Scenarios in return units are x * return_scale * sigma, with sigma the trailing
volatilities of the day the scenario starts from (backtest, per-regime comparison) or, with only a
regime given, that regime's median training volatilities (stored in the sidecar). This is the split
of filtered historical simulation and GARCH -- level from the state, shape from the model -- with the
GAN learning the shape: fat tails, volatility clustering, cross-asset dependence and how each regime's
volatility tends to mean-revert within the window.

Architecture: 1-D convolutions over time rather than a recurrent network. Windows have a fixed,
short length, so nothing needs a recurrent state; convolutions see the whole window in parallel (an
LSTM steps through it one day at a time, several times slower on two CPU cores) and their receptive
field (two dilated kernel-5 layers: 13 days) covers the clustering lags we measure. The generator
multiplies an "innovation" head by a positive "volatility" head (softplus), a neural stochastic-
volatility form: a product of two noise-driven signals is heavy-tailed and, because the volatility
head is smooth over time, clustered -- a purely additive ReLU network has near-Gaussian tails. The
discriminator sees x, x*x and the cumulative path, so tails, clustering and multi-day moves are easy for
it to check.
"""

from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd
from keras import layers

from common import finance, io, plotting
from common.errors import ToolkitError

LEAKY_SLOPE = 0.2
CONV_FILTERS = 64
CONV_KERNEL = 5
DILATIONS = (1, 2)
DENSE_UNITS = 64
# The volatility head starts near softplus(0) = 0.69; small initial weights keep it there early on.
VOL_HEAD_INIT_STDDEV = 0.01
# Without dropout D won and G shrank the spread (1-day VaR 15-25% too small); with 0.3 both stay level.
D_DROPOUT = 0.3
HORIZON_DAYS = 10
ACF_LAGS = 10
VAR_LEVELS = (0.95, 0.99)
GENERATE_BATCH = 2000
# Targets of issue 7: Kupiec p-value floor and the tolerance on stylized facts.
KUPIEC_P_MIN = 0.05
STYLIZED_TOLERANCE = 0.25


# ---- networks ----------------------------------------------------------------------------------
def build_timeseries_generator(latent_dim, window, num_assets, num_regimes):
    """Noise (batch, latent_dim) ~ N(0,1) and one-hot regime (batch, num_regimes) -> x (batch, window, assets).

    x is unbounded (linear innovation times softplus volatility), in units of the standardised returns.
    """
    noise = keras.Input((latent_dim,), name="noise")
    regime = keras.Input((num_regimes,), name="regime")
    hidden = layers.Concatenate(name="noise_and_regime")([noise, regime])
    hidden = layers.Dense(window * CONV_FILTERS)(hidden)
    hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    hidden = layers.Reshape((window, CONV_FILTERS))(hidden)
    # The regime also enters every time step directly, so no layer can lose it.
    regime_steps = layers.RepeatVector(window)(regime)
    for dilation in DILATIONS:
        hidden = layers.Concatenate()([hidden, regime_steps])
        hidden = layers.Conv1D(CONV_FILTERS, CONV_KERNEL, padding="same", dilation_rate=dilation)(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    innovation = layers.Conv1D(num_assets, 1, name="innovation")(hidden)
    log_vol = layers.Conv1D(num_assets, 1, kernel_initializer=keras.initializers.RandomNormal(
        stddev=VOL_HEAD_INIT_STDDEV), name="volatility_logit")(hidden)
    volatility = layers.Activation("softplus", name="volatility")(log_vol)
    returns = layers.Multiply(name="returns")([innovation, volatility])
    return keras.Model([noise, regime], returns, name="cgan_timeseries_generator")


def build_timeseries_discriminator(window, num_assets, num_regimes, dropout=D_DROPOUT):
    """x (batch, window, assets) and one-hot regime (batch, num_regimes) -> one real/fake logit (batch, 1).

    `dropout`: rate after each convolution.
    """
    returns = keras.Input((window, num_assets), name="returns")
    regime = keras.Input((num_regimes,), name="regime")
    squared = layers.Multiply(name="squared_returns")([returns, returns])
    regime_steps = layers.RepeatVector(window)(regime)
    # The cumulative path (a fixed upper-triangular sum over time) lets D see multi-day moves, which a
    # generator with mean-reverting wiggles would otherwise get away with (10-day VaR far too small).
    by_asset = layers.Permute((2, 1))(returns)
    summing = layers.Dense(window, use_bias=False, trainable=False, name="cumulative_sum")
    path = layers.Permute((2, 1), name="cumulative_path")(summing(by_asset))
    hidden = layers.Concatenate(name="returns_squares_path_regime")([returns, squared, path, regime_steps])
    for strides in (1, 2, 2):
        hidden = layers.Conv1D(CONV_FILTERS, CONV_KERNEL, strides=strides, padding="same")(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
        hidden = layers.Dropout(dropout)(hidden)
    hidden = layers.Flatten()(hidden)
    hidden = layers.Concatenate()([hidden, regime])
    hidden = layers.Dense(DENSE_UNITS)(hidden)
    hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    logit = layers.Dense(1, name="logit")(hidden)
    summing.set_weights([np.triu(np.ones((window, window)))])
    return keras.Model([returns, regime], logit, name="cgan_timeseries_discriminator")


# ---- market state and windows ------------------------------------------------------------------
@dataclass
class Market:
    """Aligned returns of a portfolio and what is known at each close.

    returns: asset log returns (DataFrame, days x assets); asset_vol: their trailing volatility known
    at each close (floored); portfolio: daily portfolio simple returns (Series); portfolio_vol: its
    trailing volatility; weights (assets,).
    """

    returns: pd.DataFrame
    asset_vol: pd.DataFrame
    portfolio: pd.Series
    portfolio_vol: pd.Series
    weights: np.ndarray

    @property
    def assets(self):
        return [str(name) for name in self.returns.columns]


def build_market(prices, weights, vol_window, condition, vol_floor):
    """The Market of `prices` (aligned DataFrame); `vol_floor` (assets,) bounds asset volatility below."""
    returns = finance.log_returns(prices)
    asset_vol = finance.trailing_volatility(returns, vol_window, condition)
    asset_vol = asset_vol.clip(lower=pd.Series(np.asarray(vol_floor), index=returns.columns), axis=1)
    portfolio = finance.daily_portfolio_returns(returns, weights)
    portfolio_vol = finance.trailing_volatility(portfolio.to_frame(), vol_window, condition).iloc[:, 0]
    return Market(returns, asset_vol, portfolio, portfolio_vol, np.asarray(weights, dtype=float))


def period_positions(index, start, end):
    """Integer positions of the dates in [start, end] (strings or None for open ends)."""
    dates = pd.DatetimeIndex(index)
    mask = np.ones(len(dates), dtype=bool)
    if start:
        mask &= dates >= pd.Timestamp(start)
    if end:
        mask &= dates <= pd.Timestamp(end)
    return np.flatnonzero(mask)


def window_starts(market, positions, window):
    """Start positions s of windows lying inside `positions` whose state (day s-1) is known."""
    if not len(positions):
        return np.array([], dtype=int)
    first, last = positions[0], positions[-1]
    known = np.isfinite(market.asset_vol.to_numpy()).all(axis=1) & np.isfinite(market.portfolio_vol.to_numpy())
    starts = np.arange(max(first, 1), last - window + 2)
    return starts[known[starts - 1]]


def windows_at(market, starts, window):
    """Return windows (N, window, assets) starting at `starts` and their state: sigma (N, assets), vol (N,)."""
    values = market.returns.to_numpy()
    windows = np.stack([values[start:start + window] for start in starts]) if len(starts) else np.zeros(
        (0, window, len(market.assets)))
    return windows, market.asset_vol.to_numpy()[starts - 1], market.portfolio_vol.to_numpy()[starts - 1]


def fit_settings(market, starts, settings):
    """Complete the sidecar `settings` from the training windows: thresholds, scales, regime volatilities."""
    windows, sigma, portfolio_vol = windows_at(market, starts, settings["window"])
    thresholds = finance.regime_thresholds(portfolio_vol)
    regimes = finance.assign_regimes(portfolio_vol, thresholds)
    standardized = windows / sigma[:, None, :]
    settings = dict(settings)
    settings["regime_thresholds"] = [float(value) for value in thresholds]
    settings["return_scale"] = [float(value) for value in standardized.reshape(-1, windows.shape[-1]).std(axis=0)]
    settings["regime_asset_vol"] = {
        name: [float(value) for value in np.median(sigma[regimes == index], axis=0)]
        for index, name in enumerate(finance.REGIME_NAMES)
    }
    return settings


def training_examples(market, starts, settings):
    """Network inputs for the training windows: x (N, window, assets) float32 and regimes (N,) int32."""
    windows, sigma, portfolio_vol = windows_at(market, starts, settings["window"])
    x = windows / sigma[:, None, :] / np.asarray(settings["return_scale"])
    regimes = finance.assign_regimes(portfolio_vol, settings["regime_thresholds"])
    return x.astype("float32"), regimes.astype("int32")


def window_batches(x, regimes, batch_size, seed):
    """An endless shuffled tf.data of (x (batch, window, assets) float32, regime (batch,) int32) batches."""
    import tensorflow as tf

    if batch_size > len(x):
        raise ToolkitError(f"--batch-size must be at most the {len(x)} training windows; got {batch_size}")
    dataset = tf.data.Dataset.from_tensor_slices((x, regimes))
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).repeat()
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


# ---- sidecar, loading and generation -----------------------------------------------------------
def load_generator_and_settings(path):
    """Load a scenario generator and its JSON sidecar, checking that they fit each other."""
    generator = io.load_model(path, what="generator")
    sidecar = io.sidecar_path(path)
    settings = io.read_sidecar(path)
    try:
        assets, window = settings["assets"], int(settings["window"])
    except (KeyError, TypeError, ValueError) as error:
        raise ToolkitError(f"{sidecar} is not a cgan_timeseries settings file ({error})") from error
    inputs = generator.inputs
    if len(inputs) != 2 or inputs[1].shape[-1] != len(finance.REGIME_NAMES):
        raise ToolkitError(f"{path} must be a generator with inputs (noise, regime one-hot of "
                           f"{len(finance.REGIME_NAMES)}); it has {len(inputs)} input(s)")
    if tuple(generator.outputs[0].shape[1:]) != (window, len(assets)):
        raise ToolkitError(f"{path} outputs {tuple(generator.outputs[0].shape[1:])} but {sidecar} describes "
                           f"windows of ({window}, {len(assets)})")
    return generator, settings


def generate_standardized(generator, regimes, seed):
    """Network output x (N, window, assets) float64 for int regimes (N,), with noise from `seed`."""
    latent_dim = int(generator.inputs[0].shape[-1])
    num_regimes = int(generator.inputs[1].shape[-1])
    rng = np.random.default_rng(seed)
    regimes = np.asarray(regimes, dtype=int)
    outputs = []
    for begin in range(0, len(regimes), GENERATE_BATCH):
        labels = regimes[begin:begin + GENERATE_BATCH]
        noise = rng.normal(size=(len(labels), latent_dim)).astype("float32")
        one_hot = np.eye(num_regimes, dtype="float32")[labels]
        outputs.append(np.asarray(generator([noise, one_hot], training=False), dtype=float))
    return np.concatenate(outputs) if outputs else np.zeros((0, *generator.outputs[0].shape[1:]))


def to_returns(x, sigma, settings):
    """Log returns (N, window, assets) from network output x and starting volatilities sigma (N, assets)."""
    return x * np.asarray(settings["return_scale"]) * np.asarray(sigma)[:, None, :]


def scenarios_frame(returns, regime_names, assets):
    """The scenario CSV layout: scenario, step, regime, then one log-return column per asset."""
    count, window, _ = returns.shape
    frame = pd.DataFrame({
        "scenario": np.repeat(np.arange(count), window),
        "step": np.tile(np.arange(window), count),
        "regime": np.repeat(np.asarray(regime_names), window),
    })
    for index, asset in enumerate(assets):
        frame[asset] = returns[:, :, index].ravel()
    return frame


def regime_scenarios(generator, settings, regime_names, seed):
    """Scenarios in return units for a list of regime names, at each regime's median training volatility."""
    regimes = np.array([finance.regime_index(name) for name in regime_names])
    sigma = np.array([settings["regime_asset_vol"][name] for name in regime_names]).reshape(len(regimes), -1)
    return to_returns(generate_standardized(generator, regimes, seed), sigma, settings)


# ---- the risk report ---------------------------------------------------------------------------
def regime_report(generator, market, starts, settings, samples, seed):
    """Per regime: 1- and 10-day VaR/ES vs historical, kurtosis, |r| autocorrelation and correlations.

    Real: the training windows starting in the regime. Generated: `samples` scenarios under the
    regime, each started from the volatilities of a randomly drawn real window of that regime.
    """
    windows, sigma, portfolio_vol = windows_at(market, starts, settings["window"])
    regimes = finance.assign_regimes(portfolio_vol, settings["regime_thresholds"])
    rng = np.random.default_rng(seed)
    report, series = {}, {}
    for index, name in enumerate(finance.REGIME_NAMES):
        real = windows[regimes == index]
        if not len(real):
            raise ToolkitError(f"no training window falls in the {name} regime; use a longer training period")
        drawn = rng.integers(0, len(real), samples)
        fake = to_returns(generate_standardized(generator, np.full(samples, index), seed + index),
                          sigma[regimes == index][drawn], settings)
        entry = {"real_windows": int(len(real)), "generated_windows": int(samples)}
        for horizon in (1, HORIZON_DAYS):
            real_pnl = finance.portfolio_returns(real[:, :horizon], market.weights)
            fake_pnl = finance.portfolio_returns(fake[:, :horizon], market.weights)
            for level in VAR_LEVELS:
                key = f"{horizon}d_{round(level * 100)}"
                entry[f"var_{key}"] = {"historical": float(finance.value_at_risk(real_pnl, level)),
                                       "generated": float(finance.value_at_risk(fake_pnl, level))}
                entry[f"es_{key}"] = {"historical": finance.expected_shortfall(real_pnl, level),
                                      "generated": finance.expected_shortfall(fake_pnl, level)}
        real_daily = np.expm1(real) @ market.weights
        fake_daily = np.expm1(fake) @ market.weights
        entry["kurtosis"] = {"real": finance.kurtosis(real_daily), "generated": finance.kurtosis(fake_daily)}
        entry["kurtosis_per_asset"] = {
            asset: {"real": finance.kurtosis(real[:, :, column]), "generated": finance.kurtosis(fake[:, :, column])}
            for column, asset in enumerate(market.assets)
        }
        real_acf = finance.pooled_abs_autocorrelation(real_daily, ACF_LAGS)
        fake_acf = finance.pooled_abs_autocorrelation(fake_daily, ACF_LAGS)
        entry["abs_autocorrelation"] = {"real": real_acf.tolist(), "generated": fake_acf.tolist()}
        entry["correlation"] = {
            "real": finance.correlation_pairs(real.reshape(-1, real.shape[-1]), market.assets),
            "generated": finance.correlation_pairs(fake.reshape(-1, fake.shape[-1]), market.assets),
        }
        entry["targets"] = stylized_targets(entry)
        report[name] = entry
        series[name] = {"real_daily": real_daily.ravel(), "fake_daily": fake_daily.ravel()}
    return report, series


def stylized_targets(entry):
    """Kurtosis and mean |r| autocorrelation (lags 1-10) within 25% of real, with the relative errors."""
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
            "abs_acf_max_lag_relative_error": float(lag_errors.max())}


def backtest_report(generator, market, settings, test_positions, samples, hs_window, seed):
    """Held-out 1-day VaR backtest of the GAN, GARCH(1,1)-t and historical simulation, side by side.

    Each test day t uses only what was known at the close of t-1: its regime and volatilities for
    the GAN (a pool of `samples` scenarios per regime, rescaled by that day's volatilities), the
    filtered GARCH variance (parameters fitted on the training period) and the previous `hs_window`
    portfolio returns. Returns (report dict, arrays for plotting).
    """
    known = np.isfinite(market.asset_vol.to_numpy()).all(axis=1) & np.isfinite(market.portfolio_vol.to_numpy())
    days = np.array([t for t in test_positions if t >= hs_window and known[t - 1]])
    if len(days) < 2:
        raise ToolkitError(f"the test period needs at least 2 days with {hs_window} days of history; got {len(days)}")
    regimes = finance.assign_regimes(market.portfolio_vol.to_numpy()[days - 1], settings["regime_thresholds"])
    sigma = market.asset_vol.to_numpy()[days - 1]
    pools = [generate_standardized(generator, np.full(samples, index), seed + index)[:, 0, :]
             * np.asarray(settings["return_scale"]) for index in range(len(finance.REGIME_NAMES))]
    realized = market.portfolio.to_numpy()[days]
    train_positions = period_positions(market.returns.index, *settings["train_period"])
    garch, garch_params = finance.garch_t_var(market.portfolio.to_numpy(), train_positions, days, VAR_LEVELS)
    forecasts = {"gan": {}, "garch_t": garch, "historical_simulation": {}}
    for level in VAR_LEVELS:
        forecasts["gan"][level] = np.array([
            finance.value_at_risk(np.expm1(pools[regime] * vol) @ market.weights, level)
            for regime, vol in zip(regimes, sigma)
        ])
        forecasts["historical_simulation"][level] = finance.historical_simulation_var(
            market.portfolio.to_numpy(), days, level, hs_window)
    report = {"days": int(len(days)), "first_day": str(market.returns.index[days[0]].date()),
              "last_day": str(market.returns.index[days[-1]].date()),
              "regime_days": {name: int(np.sum(regimes == index)) for index, name in enumerate(finance.REGIME_NAMES)},
              "garch_params": garch_params, "models": {}}
    for model, by_level in forecasts.items():
        report["models"][model] = {}
        for level in VAR_LEVELS:
            result = finance.backtest(realized, by_level[level], level)
            result.pop("violations")
            report["models"][model][str(level)] = result
    gan = report["models"]["gan"]
    garch_results = report["models"]["garch_t"]
    report["targets"] = {
        "gan_kupiec_pass_all_levels": all(gan[str(level)]["kupiec"]["p_value"] > KUPIEC_P_MIN for level in VAR_LEVELS),
        "gan_at_least_as_close_as_garch": all(
            abs(gan[str(level)]["violation_rate"] - (1 - level))
            <= abs(garch_results[str(level)]["violation_rate"] - (1 - level)) for level in VAR_LEVELS),
    }
    arrays = {"dates": market.returns.index[days], "realized": realized, "forecasts": forecasts}
    return report, arrays


# ---- plots -------------------------------------------------------------------------------------
def plot_regime_risk(report, path):
    """Bars of generated vs historical VaR and ES per regime, horizon and level."""
    import matplotlib.pyplot as plt

    keys = [f"{kind}_{horizon}d_{round(level * 100)}" for kind in ("var", "es")
            for horizon in (1, HORIZON_DAYS) for level in VAR_LEVELS]
    figure, axes = plt.subplots(1, len(report), figsize=(5 * len(report), 4), sharey=True, squeeze=False)
    positions = np.arange(len(keys))
    for axis, (name, entry) in zip(axes[0], report.items()):
        axis.bar(positions - 0.2, [entry[key]["historical"] for key in keys], 0.4, label="historical")
        axis.bar(positions + 0.2, [entry[key]["generated"] for key in keys], 0.4, label="generated")
        axis.set_xticks(positions, [key.replace("_", " ") for key in keys], rotation=60, fontsize=8)
        axis.set_title(f"{name} regime")
        axis.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel("portfolio loss")
    axes[0][0].legend()
    figure.suptitle("VaR and ES by regime: generated scenarios vs historical windows")
    plotting.save_figure(figure, path)


def plot_backtest(arrays, path, level=VAR_LEVELS[-1]):
    """Held-out portfolio returns with each model's VaR at `level` (as a negative return) and its violations."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(11, 4.5))
    dates, realized = arrays["dates"], arrays["realized"]
    axis.plot(dates, realized, color="gray", linewidth=0.6, label="portfolio return")
    for model, by_level in arrays["forecasts"].items():
        line = axis.plot(dates, -by_level[level], linewidth=1, label=f"{model} VaR {level:.0%}")[0]
        hits = realized < -by_level[level]
        axis.scatter(dates[hits], realized[hits], color=line.get_color(), s=14, zorder=3)
    axis.set_ylabel("daily return")
    axis.set_title(f"Held-out backtest: {level:.0%} 1-day VaR (dots: violations)")
    axis.legend(fontsize=8, loc="lower left")
    axis.grid(alpha=0.3)
    plotting.save_figure(figure, path)


def plot_stylized_facts(report, series, path):
    """Per regime: return histograms (log scale, tails), |r| autocorrelation and cross-asset correlations."""
    import matplotlib.pyplot as plt

    names = list(report)
    figure, axes = plt.subplots(3, len(names), figsize=(5 * len(names), 11), squeeze=False)
    for column, name in enumerate(names):
        entry, data = report[name], series[name]
        axis = axes[0][column]
        bins = np.linspace(*np.quantile(data["real_daily"], [0.0005, 0.9995]), 60)
        axis.hist(data["real_daily"], bins=bins, density=True, histtype="step", label="real")
        axis.hist(data["fake_daily"], bins=bins, density=True, histtype="step", label="generated")
        axis.set_yscale("log")
        axis.set_title(f"{name}: kurtosis real {entry['kurtosis']['real']:.1f}, "
                       f"generated {entry['kurtosis']['generated']:.1f}", fontsize=9)
        axis.legend(fontsize=8, loc="upper right")
        axis = axes[1][column]
        lags = np.arange(1, ACF_LAGS + 1)
        axis.plot(lags, entry["abs_autocorrelation"]["real"], marker="o", label="real")
        axis.plot(lags, entry["abs_autocorrelation"]["generated"], marker="s", label="generated")
        axis.set_xlabel("lag (days)")
        axis.set_title(f"{name}: autocorrelation of |portfolio return|", fontsize=9)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
        axis = axes[2][column]
        pairs = list(entry["correlation"]["real"])
        positions = np.arange(len(pairs))
        axis.bar(positions - 0.2, [entry["correlation"]["real"][pair] for pair in pairs], 0.4, label="real")
        axis.bar(positions + 0.2, [entry["correlation"]["generated"][pair] for pair in pairs], 0.4,
                 label="generated")
        axis.set_xticks(positions, pairs, fontsize=8)
        axis.set_title(f"{name}: cross-asset correlation", fontsize=9)
        axis.grid(alpha=0.3, axis="y")
        axis.legend(fontsize=8)
    figure.suptitle("Stylized facts by regime: real vs generated")
    figure.tight_layout()
    plotting.save_figure(figure, path)


def plot_scenario_fan(returns_by_regime, weights, path, title):
    """Cumulative portfolio paths of a few scenarios per regime (dict name -> (N, window, assets))."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(returns_by_regime), figsize=(4 * len(returns_by_regime), 3.2),
                                sharey=True, squeeze=False)
    for axis, (name, returns) in zip(axes[0], returns_by_regime.items()):
        paths = np.expm1(np.cumsum(returns, axis=1)) @ np.asarray(weights)
        axis.plot(np.arange(1, paths.shape[1] + 1), paths.T, linewidth=0.7, alpha=0.7)
        axis.set_title(f"{name} regime", fontsize=9)
        axis.set_xlabel("day")
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel("cumulative portfolio return")
    figure.suptitle(title)
    plotting.save_figure(figure, path)
