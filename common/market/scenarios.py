"""The generator's settings (its versioned sidecar) and scenario generation in return units.

What the networks see. A window is `window` consecutive daily log returns of every asset, shape
(window, assets). Each window is divided by the assets' volatility known at the close before it
starts (by default GJR-GARCH(1,1)-filtered, see data.trailing_volatility) and by a per-asset
`return_scale`, so the networks work on unit-scale "devolatilised" returns x. The condition is the
volatility regime (low / mid / high: terciles of the portfolio's volatility in the training period)
on that same day, one-hot (batch, 3). Scenarios in return units are calibrate(x) * return_scale
* sigma (calibrate: the regime's per-day mean and covariance map, see calibrate_moments), with sigma
the volatilities of the day the scenario starts from (backtest, per-regime
comparison) or, with only a regime given, that regime's median training volatilities (stored in the
sidecar). This is the split of filtered historical simulation and GARCH -- level from the state,
shape from the model -- with the GAN learning the shape: fat tails, volatility clustering,
cross-asset dependence and how each regime's volatility tends to mean-revert within the window.

The sidecar `<stem>.json` beside the generator holds everything generation needs without data:
assets, weights, window, vol_window, condition, regimes, vol_floor, vol_params (the GARCH parameters
of "garch-vol" and "gjr-vol", else null), latent_dim, the train and test periods, the data source,
regime_thresholds (2,), return_scale (assets,), regime_asset_vol (regime name -> (assets,)) and
moment_calibration (see calibrate_moments; older sidecars hold spread_scale or neither).
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


def calibrate_moments(generator, settings, x, regimes, seed):
    """Settings plus "moment_calibration": per regime, the affine map that gives each day of the generated
    windows the training windows' mean and cross-asset covariance.

    x (N, window, assets) and regimes (N,): the training windows the generator learned. The GAN
    learns the shape of the windows, but from one training seed to the next it draws each day up to
    15% too wide or too narrow, with a drift of up to 0.15 standard deviations, and correlations of
    oil with the stock indices from -0.2 to +0.3 (real: 0.05-0.2); the portfolio's spread follows.
    Per day t the map is x_t -> mean_real_t + (x_t - mean_generated_t) T_t, with T_t the optimal
    transport map between Gaussians of the generated and the real covariance (symmetric, the linear map
    closest to the identity that matches them; for one asset the ratio of standard deviations). Tails,
    volatility clustering across days and the shape of the dependence stay the GAN's.
    Stored per regime name: "generated_mean" and "real_mean" (window, assets), "transform"
    (window, assets, assets).
    """
    calibration = {}
    for index, name in enumerate(REGIME_NAMES):
        generated = generate_standardized(generator, np.full(CALIBRATION_SAMPLES, index), seed + index)
        real = x[regimes == index]
        transforms = [gaussian_transport(np.cov(generated[:, day].T), np.cov(real[:, day].T))
                      for day in range(x.shape[1])]
        calibration[name] = {"generated_mean": generated.mean(axis=0).tolist(), "real_mean": real.mean(axis=0).tolist(),
                             "transform": np.stack(transforms).tolist()}
    return {**settings, "moment_calibration": calibration}


def gaussian_transport(source_cov, target_cov):
    """The symmetric (assets, assets) map T with T source_cov T = target_cov that moves points least: the
    optimal transport map between zero-mean Gaussians, S^-1/2 (S^1/2 C S^1/2)^1/2 S^-1/2."""
    source_root = _symmetric_power(np.atleast_2d(source_cov), 0.5)
    source_inverse_root = _symmetric_power(np.atleast_2d(source_cov), -0.5)
    middle = _symmetric_power(source_root @ np.atleast_2d(target_cov) @ source_root, 0.5)
    return source_inverse_root @ middle @ source_inverse_root


def _symmetric_power(matrix, power):
    """matrix^power of a symmetric positive definite matrix, through its eigendecomposition."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values ** power) @ vectors.T


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
    """Network output after the regime's calibration (N, window, assets), for int regimes (N,).

    Sidecars written before "moment_calibration" existed hold a per-day standard-deviation ratio
    ("spread_scale", regime name -> (window, assets)) or nothing; they are used as they are.
    """
    x = generate_standardized(generator, regimes, seed)
    regimes = np.asarray(regimes, dtype=int)
    if "moment_calibration" in settings:
        calibrated = np.empty_like(x)
        for index, name in enumerate(REGIME_NAMES):
            chosen = regimes == index
            if chosen.any():
                fit = {key: np.asarray(value, dtype=x.dtype)
                       for key, value in settings["moment_calibration"][name].items()}
                calibrated[chosen] = fit["real_mean"] + np.einsum("nta,tab->ntb", x[chosen] - fit["generated_mean"],
                                                                   fit["transform"])
        return calibrated
    if "spread_scale" in settings:
        scales = np.array([settings["spread_scale"][name] for name in REGIME_NAMES])
        return x * scales[regimes]
    return x


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

