"""Prices, returns, trailing volatility, regimes and the return windows the networks train on.

Conventions. Prices are a DataFrame indexed by date, one column per asset, all > 0. Returns are
daily log returns r_t = log(p_t / p_{t-1}) of the assets. A portfolio holds fixed `weights` (one
per asset) bought at the start of a horizon: its simple return over the horizon is
sum_i w_i (exp(sum_t r_it) - 1). A window starting at position s holds the returns of days
s .. s+window-1; its state (volatilities, regime) is what was known at the close of day s-1.
"""

import importlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common.datafiles import resolve_data_dir
from common.errors import ToolkitError, first_line
from common.market.names import CONDITIONS, FITTED_CONDITIONS, PERIOD_KEYS, REGIME_NAMES

# The default portfolio: series shipped with the `arch` package (module, price column).
ARCH_SERIES = {"SP500": ("sp500", "Adj Close"), "NASDAQ": ("nasdaq", "Adj Close"), "WTI": ("wti", "DCOILWTICO")}
ARCH_SOURCE = "arch:" + ",".join(ARCH_SERIES)
# A trailing volatility is never taken below this fraction of the asset's training volatility:
# a flat stretch of prices would otherwise make the standardised returns explode.
VOL_FLOOR_FRACTION = 0.1
# RiskMetrics (J.P. Morgan 1996) decay for daily exponentially weighted volatility.
EWMA_DECAY = 0.94
# GARCH is fitted on returns in percent, where arch's optimiser converges reliably.
PERCENT = 100.0
# Fewer common dates give no return to measure anything on.
MIN_COMMON_DATES = 3


# ---- prices ------------------------------------------------------------------------------------
def load_arch_prices():
    """The default portfolio's daily prices (SP500, NASDAQ, WTI) aligned on common trading dates."""
    series = {}
    for name, (module, column) in ARCH_SERIES.items():
        try:
            frame = importlib.import_module(f"arch.data.{module}").load()
        except ImportError as error:
            raise ToolkitError(f"the default data needs the 'arch' package (pip install arch); got {error}") from error
        series[name] = frame[column]
    return align_prices(series)


def load_prices(data_path, data_dir):
    """(aligned prices, source text): the arch portfolio, or a CSV (as given, else inside the data directory)."""
    if data_path is None:
        return load_arch_prices(), ARCH_SOURCE
    path = Path(data_path)
    if not path.is_file() and not path.is_absolute() and (resolve_data_dir(data_dir) / path).is_file():
        path = resolve_data_dir(data_dir) / path
    return read_price_csv(path), str(path)


def read_price_csv(path):
    """Prices from a CSV with a date column (named 'date', any case) and one price column per asset."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise ToolkitError(f"price CSV not found: {path}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ToolkitError(f"{path} is not a readable CSV ({first_line(error)})") from error
    date_columns = [column for column in frame.columns if str(column).strip().lower() == "date"]
    if not date_columns:
        raise ToolkitError(f"{path} must have a 'date' column; got columns {list(frame.columns)}")
    assets = [column for column in frame.columns if column != date_columns[0]]
    if not assets:
        raise ToolkitError(f"{path} must have at least one price column besides the date; got none")
    dates = pd.to_datetime(frame[date_columns[0]], errors="coerce")
    if dates.isna().any():
        bad = frame[date_columns[0]][dates.isna()].iloc[0]
        raise ToolkitError(f"{path}: every date must parse as a date; got {bad!r}")
    series = {}
    for asset in assets:
        values = pd.to_numeric(frame[asset], errors="coerce")
        text_cells = frame[asset][values.isna() & frame[asset].notna()]
        if len(text_cells):
            raise ToolkitError(f"{path}: prices must be numbers; got {text_cells.iloc[0]!r} in column {asset}")
        series[str(asset)] = pd.Series(values.to_numpy(), index=dates.to_numpy(), name=str(asset))
    return align_prices(series)


def align_prices(series):
    """Join price series (dict name -> Series indexed by date) on the dates where all have a price.

    Assets trade on different calendars (an exchange holiday, a missing quote): a date is kept only
    when every asset has a price, so each return spans the same interval for every asset. Returns a
    DataFrame sorted by date; raises ToolkitError for non-positive prices or too few common dates.
    """
    cleaned = {}
    for name, values in series.items():
        values = pd.Series(values).dropna()
        values.index = pd.DatetimeIndex(values.index)
        if values.index.has_duplicates:
            raise ToolkitError(f"{name}: each date must appear once; got {values.index[values.index.duplicated()][0]}")
        if (values <= 0).any():
            day = values.index[np.argmax((values <= 0).to_numpy())]
            raise ToolkitError(f"prices must be positive; got {values[day]} for {name} on {day.date()}")
        cleaned[name] = values
    prices = pd.concat(cleaned, axis=1, join="inner").sort_index()
    if len(prices) < MIN_COMMON_DATES:
        raise ToolkitError(f"the assets need at least {MIN_COMMON_DATES} common dates; got {len(prices)}")
    return prices


def log_returns(prices):
    """Daily log returns (DataFrame, one row fewer than `prices`, indexed by the later date)."""
    return np.log(prices).diff().iloc[1:]


def parse_weights(text, assets):
    """Portfolio weights (assets,) from '0.5,0.3,0.2' (one per asset); None gives equal weights."""
    if text is None:
        return np.full(len(assets), 1.0 / len(assets))
    try:
        weights = np.array([float(part) for part in text.split(",")])
    except ValueError:
        raise ToolkitError(f"--weights must be comma-separated numbers; got {text!r}") from None
    if len(weights) != len(assets):
        raise ToolkitError(
            f"--weights must give one weight per asset ({len(assets)}: {', '.join(assets)}); got {len(weights)}"
        )
    if not np.all(np.isfinite(weights)) or not np.any(weights):
        raise ToolkitError(f"--weights must be finite and not all zero; got {text!r}")
    return weights


def portfolio_returns(returns, weights):
    """Buy-and-hold portfolio simple return over the steps of each window.

    `returns`: log returns (..., steps, assets); returns (...,): sum_i w_i (exp(sum_t r_ti) - 1).
    """
    cumulative = np.asarray(returns).sum(axis=-2)
    return np.expm1(cumulative) @ np.asarray(weights)


def daily_portfolio_returns(returns, weights):
    """Daily portfolio simple returns (Series) from a DataFrame of asset log returns."""
    return pd.Series(np.expm1(returns.to_numpy()) @ np.asarray(weights), index=returns.index)


# ---- periods -----------------------------------------------------------------------------------
def choose_periods(requested, defaults, settings=None):
    """([train_start, train_end], [test_start, test_end]) as date strings.

    Each date comes from `requested` (dict key -> date or None, the flags), else the periods stored
    in the generator's `settings`, else `defaults` (dict key -> date); keys are PERIOD_KEYS.
    """
    chosen = {}
    for key in PERIOD_KEYS:
        stored = settings.get(key.split("_")[0] + "_period") if settings else None
        fallback = stored[0 if key.endswith("start") else 1] if stored else defaults[key]
        chosen[key] = requested.get(key) or fallback
        check_date("--" + key.replace("_", "-"), chosen[key])
    if chosen["train_end"] >= chosen["test_start"]:
        raise ToolkitError(f"the training period must end before the test period starts; got train end "
                           f"{chosen['train_end']} and test start {chosen['test_start']}")
    return [chosen["train_start"], chosen["train_end"]], [chosen["test_start"], chosen["test_end"]]


def check_date(flag, text):
    """ToolkitError unless `text` is a date like 2015-01-01."""
    try:
        np.datetime64(text)
    except ValueError:
        raise ToolkitError(f"{flag} must be a date like 2015-01-01; got {text!r}") from None


def period_positions(index, start, end):
    """Integer positions of the dates in [start, end] (strings or None for open ends)."""
    dates = pd.DatetimeIndex(index)
    mask = np.ones(len(dates), dtype=bool)
    if start:
        mask &= dates >= pd.Timestamp(start)
    if end:
        mask &= dates <= pd.Timestamp(end)
    return np.flatnonzero(mask)


# ---- volatility and regimes --------------------------------------------------------------------
def variance_filter(returns, omega, alpha, beta, window, leverage=0.0):
    """Variance known at each close, sigma2_t = omega + (alpha + leverage [r_t < 0]) r_t^2 + beta sigma2_{t-1}
    (array like `returns`).

    `returns` (days,) or (days, columns); omega, alpha, beta, leverage scalars or (columns,). The
    recursion starts at row window-1 from the mean square of the first `window` returns (all known
    by then); earlier rows are NaN. RiskMetrics' EWMA is omega = 0, alpha = 1 - decay, beta = decay;
    GARCH(1,1) has leverage 0, GJR-GARCH(1,1) a positive one.
    """
    values = np.asarray(returns, dtype=float)
    squared = values ** 2
    variance = np.full(squared.shape, np.nan)
    if len(squared) < window:
        return variance
    omega, alpha, beta, leverage = (np.broadcast_to(np.asarray(value, dtype=float), squared.shape[1:])
                                    for value in (omega, alpha, beta, leverage))
    variance[window - 1] = squared[:window].mean(axis=0)
    for row in range(window, len(squared)):
        variance[row] = omega + (alpha + leverage * (values[row] < 0)) * squared[row] + beta * variance[row - 1]
    return variance


def fit_garch(returns, positions, leverage=False):
    """GARCH(1,1) parameters [omega, alpha, beta] (return units) of a zero-mean series, fitted on `positions`;
    with `leverage`, GJR-GARCH(1,1) parameters [omega, alpha, beta, gamma] (gamma: the extra weight of a fall).

    Gaussian quasi-maximum likelihood with `arch`, on returns in percent (where it converges reliably).
    """
    from arch import arch_model

    values = np.asarray(returns, dtype=float) * PERCENT
    fitted = arch_model(values, mean="Zero", vol="GARCH", p=1, o=int(leverage), q=1, dist="normal").fit(
        first_obs=int(positions[0]), last_obs=int(positions[-1]) + 1, disp="off")
    params = [float(fitted.params["omega"]) / PERCENT ** 2, float(fitted.params["alpha[1]"]),
              float(fitted.params["beta[1]"])]
    return params + [float(fitted.params["gamma[1]"])] if leverage else params


def volatility_params(prices, weights, condition, train_period):
    """What the volatility filter needs beyond the data: GARCH parameters for "garch-vol" and "gjr-vol",
    else None.

    Returns {"assets": [parameters per asset], "portfolio": parameters}, each [omega, alpha, beta]
    (plus gamma for "gjr-vol"), fitted on the training period's returns (the portfolio's are its daily
    simple returns).
    """
    if condition not in FITTED_CONDITIONS:
        return None
    returns = log_returns(prices)
    positions = period_positions(returns.index, *train_period)
    leverage = condition == "gjr-vol"
    return {"assets": [fit_garch(returns[asset], positions, leverage) for asset in returns.columns],
            "portfolio": fit_garch(daily_portfolio_returns(returns, weights), positions, leverage)}


def trailing_volatility(returns, window, method=CONDITIONS[0], params=None):
    """Volatility known at each day's close, from that day's and earlier returns (DataFrame like `returns`).

    "realized-vol": standard deviation of the last `window` returns. "ewma-vol": RiskMetrics
    exponentially weighted volatility (decay EWMA_DECAY). "garch-vol" / "gjr-vol": the GARCH(1,1) /
    GJR-GARCH(1,1) variance with `params` ([omega, alpha, beta] / [omega, alpha, beta, gamma] per
    column). The first window-1 rows are NaN.
    """
    frame = pd.DataFrame(returns)
    if method == "realized-vol":
        return frame.rolling(window).std()
    if method == "ewma-vol":
        variance = variance_filter(frame.to_numpy(), 0.0, 1 - EWMA_DECAY, EWMA_DECAY, window)
    elif method in FITTED_CONDITIONS:
        if params is None:
            raise ToolkitError(f"--condition {method} needs GARCH parameters fitted on the training period")
        columns = np.asarray(params, dtype=float).reshape(frame.shape[1], -1)
        leverage = columns[:, 3] if columns.shape[1] > 3 else 0.0
        variance = variance_filter(frame.to_numpy(), columns[:, 0], columns[:, 1], columns[:, 2], window, leverage)
    else:
        raise ToolkitError(f"--condition must be one of {', '.join(CONDITIONS)}; got {method!r}")
    return pd.DataFrame(np.sqrt(variance), index=frame.index, columns=frame.columns)


def training_vol_floor(prices, train_period):
    """Per-asset lower bound (assets,) of the trailing volatility: a fraction of the training volatility."""
    returns = log_returns(prices)
    positions = period_positions(returns.index, *train_period)
    return VOL_FLOOR_FRACTION * returns.iloc[positions].std().to_numpy()


def regime_thresholds(portfolio_vol):
    """Tercile boundaries (2,) of a portfolio volatility series: below the first is 'low', above the second 'high'."""
    values = np.asarray(portfolio_vol, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        raise ToolkitError("the training period is too short to measure any volatility")
    return np.quantile(values, [1 / 3, 2 / 3])


def assign_regimes(portfolio_vol, thresholds):
    """Regime index 0 (low), 1 (mid) or 2 (high) for each volatility (array of ints)."""
    return np.searchsorted(np.asarray(thresholds), np.asarray(portfolio_vol, dtype=float), side="right")


def regime_index(name):
    """The index of a regime name; ToolkitError for an unknown name."""
    if name not in REGIME_NAMES:
        raise ToolkitError(f"regime must be one of {', '.join(REGIME_NAMES)}; got {name!r}")
    return REGIME_NAMES.index(name)


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

    def state_known(self):
        """Bools (days,): whether every volatility is known at that day's close."""
        return np.isfinite(self.asset_vol.to_numpy()).all(axis=1) & np.isfinite(self.portfolio_vol.to_numpy())


def build_market(prices, weights, vol_window, condition, vol_floor, vol_params=None):
    """The Market of `prices` (aligned DataFrame); `vol_floor` (assets,) bounds asset volatility below.

    `vol_params`: what `volatility_params` returns for `condition` (None unless fitted).
    """
    params = vol_params or {}
    returns = log_returns(prices)
    asset_vol = trailing_volatility(returns, vol_window, condition, params.get("assets"))
    asset_vol = asset_vol.clip(lower=pd.Series(np.asarray(vol_floor), index=returns.columns), axis=1)
    portfolio = daily_portfolio_returns(returns, weights)
    portfolio_vol = trailing_volatility(portfolio.to_frame(), vol_window, condition,
                                        params.get("portfolio")).iloc[:, 0]
    return Market(returns, asset_vol, portfolio, portfolio_vol, np.asarray(weights, dtype=float))


def window_starts(market, positions, window):
    """Start positions s of windows lying inside `positions` whose state (day s-1) is known."""
    if not len(positions):
        return np.array([], dtype=int)
    first, last = positions[0], positions[-1]
    starts = np.arange(max(first, 1), last - window + 2)
    return starts[market.state_known()[starts - 1]]


def windows_at(market, starts, window):
    """Return windows (N, window, assets) starting at `starts` and their state: sigma (N, assets), vol (N,)."""
    values = market.returns.to_numpy()
    windows = np.stack([values[start:start + window] for start in starts]) if len(starts) else np.zeros(
        (0, window, len(market.assets)))
    return windows, market.asset_vol.to_numpy()[starts - 1], market.portfolio_vol.to_numpy()[starts - 1]
