"""The generator's settings (its versioned sidecar) and scenario generation in return units.

What the networks see. A window is `window` consecutive daily log returns of every asset, shape
(window, assets). Each window is divided by the assets' volatility known at the close before it
starts (by default GARCH(1,1)-filtered, see data.trailing_volatility) and by a per-asset
`return_scale`, so the networks work on unit-scale "devolatilised" returns x. The condition is the
volatility regime (low / mid / high: terciles of the portfolio's volatility in the training period)
on that same day, one-hot (batch, 3). Scenarios in return units are x * spread_scale * return_scale
* sigma, with sigma the volatilities of the day the scenario starts from (backtest, per-regime
comparison) or, with only a regime given, that regime's median training volatilities (stored in the
sidecar). This is the split of filtered historical simulation and GARCH -- level from the state,
shape from the model -- with the GAN learning the shape: fat tails, volatility clustering,
cross-asset dependence and how each regime's volatility tends to mean-revert within the window.

The sidecar `<stem>.json` beside the generator holds everything generation needs without data:
assets, weights, window, vol_window, condition, regimes, vol_floor, vol_params (the GARCH parameters
of "garch-vol", else null), latent_dim, the train and test periods, the data source,
regime_thresholds (2,), return_scale (assets,), regime_asset_vol (regime name -> (assets,)) and
spread_scale (regime name -> (window, assets), see calibrate_spread; absent in older sidecars).
"""

import numpy as np
import pandas as pd

from common import batching, io
from common.errors import ToolkitError
from common.market import data
from common.market.names import REGIME_NAMES

SIDECAR_FORMAT = "market"
SIDECAR_VERSION = 1
# Portfolio paths per regime in a fan plot: enough to see the spread, few enough to tell lines apart.
FAN_SCENARIOS = 12
# Generated windows per regime behind the spread calibration: its standard errors stay near 0.5%.
CALIBRATION_SAMPLES = 20000


# ---- settings from the training windows --------------------------------------------------------
def training_setup(prices, weights, train_period, test_period, *, window, vol_window, condition, latent_dim,
                   source):
    """The sidecar settings and the network inputs of the training windows.

    Returns (settings, x (N, window, assets) float32, regimes (N,) int32).
    """
    vol_floor = data.training_vol_floor(prices, train_period)
    vol_params = data.volatility_params(prices, weights, condition, train_period)
    market = data.build_market(prices, weights, vol_window, condition, vol_floor, vol_params)
    starts = data.window_starts(market, data.period_positions(market.returns.index, *train_period), window)
    if len(starts) < len(REGIME_NAMES):
        raise ToolkitError(f"the training period {train_period[0]}..{train_period[1]} must hold at least "
                           f"{len(REGIME_NAMES)} windows of {window} days after {vol_window} "
                           f"days of history; got {len(starts)}")
    settings = fit_settings(market, starts, {
        "assets": market.assets, "weights": [float(value) for value in weights], "window": window,
        "vol_window": vol_window, "condition": condition, "regimes": list(REGIME_NAMES),
        "vol_floor": [float(value) for value in vol_floor], "vol_params": vol_params, "latent_dim": latent_dim,
        "train_period": list(train_period), "test_period": list(test_period), "data": source,
    })
    x, regimes = training_examples(market, starts, settings)
    return settings, x, regimes


def fit_settings(market, starts, settings):
    """Complete the sidecar `settings` from the training windows: thresholds, scales, regime volatilities."""
    windows, sigma, portfolio_vol = data.windows_at(market, starts, settings["window"])
    thresholds = data.regime_thresholds(portfolio_vol)
    regimes = data.assign_regimes(portfolio_vol, thresholds)
    standardized = windows / sigma[:, None, :]
    settings = dict(settings)
    settings["regime_thresholds"] = [float(value) for value in thresholds]
    settings["return_scale"] = [float(value) for value in standardized.reshape(-1, windows.shape[-1]).std(axis=0)]
    settings["regime_asset_vol"] = {
        name: [float(value) for value in np.median(sigma[regimes == index], axis=0)]
        for index, name in enumerate(REGIME_NAMES)
    }
    return settings


def training_examples(market, starts, settings):
    """Network inputs for the windows at `starts`: x (N, window, assets) float32 and regimes (N,) int32."""
    windows, sigma, portfolio_vol = data.windows_at(market, starts, settings["window"])
    x = windows / sigma[:, None, :] / np.asarray(settings["return_scale"])
    regimes = data.assign_regimes(portfolio_vol, settings["regime_thresholds"])
    return x.astype("float32"), regimes.astype("int32")


def calibrate_spread(generator, settings, x, regimes, seed):
    """Settings plus "spread_scale": per regime, the real / generated standard deviation (window, assets).

    x (N, window, assets) and regimes (N,): the training windows the generator learned. The GAN
    learns the shape of the windows, but how wide it draws each day of them varies by about 15%
    from one training seed to the next; pinning each regime's, day's and asset's standard deviation
    to the training windows' leaves tails, clustering and dependence to the GAN.
    """
    scales = {}
    for index, name in enumerate(REGIME_NAMES):
        generated = generate_standardized(generator, np.full(CALIBRATION_SAMPLES, index), seed + index)
        scales[name] = (x[regimes == index].std(axis=0) / generated.std(axis=0)).tolist()
    return {**settings, "spread_scale": scales}


# ---- the generator and its sidecar, side by side -----------------------------------------------
def save_generator(generator, h5_path, settings):
    """Save the generator (`.h5` and `.keras`) and its settings sidecar; returns the three paths."""
    h5_path, keras_path = io.save_generator(generator, h5_path)
    sidecar = io.write_sidecar(h5_path, SIDECAR_FORMAT, SIDECAR_VERSION, settings)
    return h5_path, keras_path, sidecar


def read_settings(model_path):
    """The settings dict stored beside `model_path` by `save_generator`."""
    return io.read_sidecar(model_path, SIDECAR_FORMAT, SIDECAR_VERSION)


def load_generator(path):
    """Load a scenario generator and its settings, checking that they fit each other."""
    generator = io.load_model(path, what="generator")
    settings = read_settings(path)
    sidecar = io.sidecar_path(path)
    try:
        assets, window = settings["assets"], int(settings["window"])
    except (KeyError, TypeError, ValueError) as error:
        raise ToolkitError(f"{sidecar} is not a complete {SIDECAR_FORMAT} settings file ({error})") from error
    inputs = generator.inputs
    if len(inputs) != 2 or inputs[1].shape[-1] != len(REGIME_NAMES):
        raise ToolkitError(f"{path} must be a generator with inputs (noise, regime one-hot of "
                           f"{len(REGIME_NAMES)}); it has {len(inputs)} input(s)")
    if tuple(generator.outputs[0].shape[1:]) != (window, len(assets)):
        raise ToolkitError(f"{path} outputs {tuple(generator.outputs[0].shape[1:])} but {sidecar} describes "
                           f"windows of ({window}, {len(assets)})")
    return generator, settings


# ---- generation --------------------------------------------------------------------------------
def generate_standardized(generator, regimes, seed):
    """Network output x (N, window, assets) float32 for int regimes (N,), with N(0,1) noise from `seed`."""
    latent_dim = int(generator.inputs[0].shape[-1])
    num_regimes = int(generator.inputs[1].shape[-1])
    regimes = np.asarray(regimes, dtype=int)
    noise = np.random.default_rng(seed).normal(size=(len(regimes), latent_dim))
    return batching.predict_in_batches(generator, [noise, np.eye(num_regimes)[regimes]])


def generate_calibrated(generator, settings, regimes, seed):
    """Network output times the regime's spread calibration (N, window, assets), for int regimes (N,).

    A generator saved without "spread_scale" in its settings is used as it is.
    """
    x = generate_standardized(generator, regimes, seed)
    if "spread_scale" not in settings:
        return x
    scales = np.array([settings["spread_scale"][name] for name in REGIME_NAMES])
    return x * scales[np.asarray(regimes, dtype=int)]


def to_returns(x, sigma, settings):
    """Log returns (N, window, assets) from network output x and starting volatilities sigma (N, assets)."""
    return x * np.asarray(settings["return_scale"]) * np.asarray(sigma)[:, None, :]


def regime_scenarios(generator, settings, regime_names, seed):
    """Scenarios (N, window, assets) in log returns for N regime names, at each regime's median training volatility."""
    regimes = np.array([data.regime_index(name) for name in regime_names])
    sigma = np.array([settings["regime_asset_vol"][name] for name in regime_names]).reshape(len(regimes), -1)
    return to_returns(generate_calibrated(generator, settings, regimes, seed), sigma, settings)


def regime_fans(generator, settings, names, seed):
    """FAN_SCENARIOS scenarios per regime name: dict name -> (FAN_SCENARIOS, window, assets), for a fan plot."""
    return {name: regime_scenarios(generator, settings, [name] * FAN_SCENARIOS, seed) for name in names}


def scenarios_table(generator, settings, names, count, seed):
    """`count` scenarios cycling through the regime `names`, in the scenario CSV layout.

    Columns: scenario, step, regime, then one log-return column per asset; count * window rows.
    """
    regime_names = [names[index % len(names)] for index in range(count)]
    returns = regime_scenarios(generator, settings, regime_names, seed)
    window = returns.shape[1]
    frame = pd.DataFrame({
        "scenario": np.repeat(np.arange(count), window),
        "step": np.tile(np.arange(window), count),
        "regime": np.repeat(np.asarray(regime_names), window),
    })
    for index, asset in enumerate(settings["assets"]):
        frame[asset] = returns[:, :, index].ravel()
    return frame

