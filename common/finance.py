"""Market data and portfolio risk: prices, returns, volatility regimes, VaR/ES, backtests, baselines.

Conventions. Prices are a DataFrame indexed by date, one column per asset, all > 0. Returns are
daily log returns r_t = log(p_t / p_{t-1}) of the assets. A portfolio holds fixed `weights` (one
per asset) bought at the start of a horizon: its simple return over the horizon is
sum_i w_i (exp(sum_t r_it) - 1). VaR and ES are reported as positive losses (fractions of the
portfolio value): VaR at level 0.99 is the loss exceeded with probability 1%.
"""

import numpy as np
import pandas as pd
from scipy import stats

from common.errors import ToolkitError

# The default portfolio: series shipped with the `arch` package (module, price column).
ARCH_SERIES = {"SP500": ("sp500", "Adj Close"), "NASDAQ": ("nasdaq", "Adj Close"), "WTI": ("wti", "DCOILWTICO")}
REGIME_NAMES = ("low", "mid", "high")
# A trailing volatility is never taken below this fraction of the asset's training volatility:
# a flat stretch of prices would otherwise make the standardised returns explode.
VOL_FLOOR_FRACTION = 0.1
# RiskMetrics (J.P. Morgan 1996) decay for daily exponentially weighted volatility.
EWMA_DECAY = 0.94
# arch fits GARCH far more reliably on returns in percent than in fractions.
GARCH_SCALE = 100.0


# ---- prices ------------------------------------------------------------------------------------
def load_arch_prices():
    """The default portfolio's daily prices (SP500, NASDAQ, WTI) aligned on common trading dates."""
    import importlib

    series = {}
    for name, (module, column) in ARCH_SERIES.items():
        try:
            frame = importlib.import_module(f"arch.data.{module}").load()
        except ImportError as error:
            raise ToolkitError(f"the default data needs the 'arch' package (pip install arch); got {error}") from error
        series[name] = frame[column]
    return align_prices(series)


def read_price_csv(path):
    """Prices from a CSV with a date column (named 'date', any case) and one price column per asset."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise ToolkitError(f"price CSV not found: {path}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ToolkitError(f"{path} is not a readable CSV ({str(error).strip().splitlines()[0]})") from error
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
    if len(prices) < 3:
        raise ToolkitError(f"the assets need at least 3 common dates; got {len(prices)}")
    return prices


def log_returns(prices):
    """Daily log returns (DataFrame, one row fewer than `prices`, indexed by the later date)."""
    return np.log(prices).diff().iloc[1:]


def parse_weights(text, assets):
    """Portfolio weights from '0.5,0.3,0.2' (one per asset); None gives equal weights."""
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


# ---- volatility and regimes --------------------------------------------------------------------
def trailing_volatility(returns, window, method="realized-vol"):
    """Volatility known at each day's close, from that day's and earlier returns (same shape).

    "realized-vol": standard deviation of the last `window` returns (NaN for the first window-1
    rows). "ewma-vol": RiskMetrics exponentially weighted volatility, started after `window` rows.
    """
    frame = pd.DataFrame(returns)
    if method == "realized-vol":
        return frame.rolling(window).std()
    if method == "ewma-vol":
        variance = (frame ** 2).ewm(alpha=1 - EWMA_DECAY, adjust=False).mean()
        variance.iloc[: window - 1] = np.nan
        return np.sqrt(variance)
    raise ToolkitError(f"--condition must be realized-vol or ewma-vol; got {method!r}")


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


# ---- risk measures -----------------------------------------------------------------------------
def value_at_risk(returns, level, axis=None):
    """VaR at `level` (e.g. 0.99) of simple returns: the loss -quantile(1 - level), positive for a loss."""
    return -np.quantile(np.asarray(returns), 1 - level, axis=axis)


def expected_shortfall(returns, level):
    """ES at `level`: the mean loss over the outcomes at or beyond the VaR."""
    returns = np.asarray(returns)
    return float(-returns[returns <= -value_at_risk(returns, level)].mean())


def kupiec_pof(violations, level):
    """Kupiec (1995) proportion-of-failures test for VaR at `level` (violations: bools, one per day).

    LR = -2 log[(1-p)^(n-x) p^x / ((1-x/n)^(n-x) (x/n)^x)] with p = 1 - level, chi-squared(1) under
    correct coverage. Returns a dict with days, violations, rate, expected rate, LR and p-value.
    """
    hits = np.asarray(violations, dtype=bool)
    days, count = len(hits), int(hits.sum())
    expected = 1 - level
    observed = count / days
    log_null = _xlogy(days - count, 1 - expected) + _xlogy(count, expected)
    log_alternative = _xlogy(days - count, 1 - observed) + _xlogy(count, observed)
    statistic = max(0.0, -2 * (log_null - log_alternative))
    return {"days": days, "violations": count, "rate": observed, "expected_rate": expected,
            "lr": statistic, "p_value": float(stats.chi2.sf(statistic, 1))}


def christoffersen_independence(violations):
    """Christoffersen (1998) independence test: are violations more likely the day after one?

    Compares a first-order Markov chain of violation indicators (pi01 = P(hit | no hit yesterday),
    pi11 = P(hit | hit yesterday)) with independent hits at rate pi; LR ~ chi-squared(1).
    """
    hits = np.asarray(violations, dtype=bool).astype(int)
    previous, current = hits[:-1], hits[1:]
    n = {(i, j): int(np.sum((previous == i) & (current == j))) for i in (0, 1) for j in (0, 1)}
    pi01 = _ratio(n[0, 1], n[0, 0] + n[0, 1])
    pi11 = _ratio(n[1, 1], n[1, 0] + n[1, 1])
    pi = _ratio(n[0, 1] + n[1, 1], sum(n.values()))
    log_null = _xlogy(n[0, 0] + n[1, 0], 1 - pi) + _xlogy(n[0, 1] + n[1, 1], pi)
    log_markov = (_xlogy(n[0, 0], 1 - pi01) + _xlogy(n[0, 1], pi01)
                  + _xlogy(n[1, 0], 1 - pi11) + _xlogy(n[1, 1], pi11))
    statistic = max(0.0, -2 * (log_null - log_markov))
    return {"n00": n[0, 0], "n01": n[0, 1], "n10": n[1, 0], "n11": n[1, 1], "pi01": pi01, "pi11": pi11,
            "lr": statistic, "p_value": float(stats.chi2.sf(statistic, 1))}


def backtest(realized, var_forecasts, level):
    """Violations of a VaR forecast series by the realized returns, with both tests (a dict)."""
    violations = np.asarray(realized) < -np.asarray(var_forecasts)
    return {"kupiec": kupiec_pof(violations, level), "christoffersen": christoffersen_independence(violations),
            "violation_rate": float(violations.mean()), "violations": violations}


def _xlogy(count, probability):
    """count * log(probability), with 0 * log(0) = 0 as the likelihoods need."""
    return 0.0 if count == 0 else float(count * np.log(probability))


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else 0.0


# ---- baselines ---------------------------------------------------------------------------------
def historical_simulation_var(portfolio, test_positions, level, window):
    """1-day VaR for each test day from the `window` portfolio returns before it (array)."""
    values = np.asarray(portfolio)
    return np.array([value_at_risk(values[position - window:position], level) for position in test_positions])


def garch_t_var(portfolio, train_positions, test_positions, levels):
    """1-day VaR from a GARCH(1,1) with Student-t innovations and constant mean, fitted with `arch`.

    Parameters are estimated once on the training days; each test day's variance is then filtered
    with those parameters from the returns up to the day before, as in arch's VaR example. Returns
    ({level: VaR array}, fitted parameters dict).
    """
    from arch import arch_model

    values = np.asarray(portfolio, dtype=float) * GARCH_SCALE
    model = arch_model(values, mean="Constant", vol="GARCH", p=1, q=1, dist="t")
    fitted = model.fit(first_obs=int(train_positions[0]), last_obs=int(train_positions[-1]) + 1, disp="off")
    # A forecast made at the close of day d is for day d + 1.
    forecast = fitted.forecast(start=int(test_positions[0]) - 1, horizon=1, reindex=False)
    origins = np.asarray(test_positions) - 1 - (int(test_positions[0]) - 1)
    mean = forecast.mean.to_numpy()[origins, 0]
    sigma = np.sqrt(forecast.variance.to_numpy()[origins, 0])
    forecasts = {}
    for level in levels:
        quantile = model.distribution.ppf(1 - level, fitted.params.to_numpy()[-1:])
        forecasts[level] = -(mean + sigma * float(np.squeeze(quantile))) / GARCH_SCALE
    return forecasts, {name: float(value) for name, value in fitted.params.items()}


# ---- stylized facts ----------------------------------------------------------------------------
def kurtosis(values):
    """Pearson kurtosis E[(x-mu)^4] / sigma^4 of all values (3 for a normal distribution)."""
    return float(stats.kurtosis(np.ravel(values), fisher=False))


def pooled_abs_autocorrelation(windows, lags):
    """Autocorrelation of |r| at lags 1..lags, pooled over windows (N, steps) of one series.

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
