"""Portfolio risk: VaR and ES, their backtests, and the baseline models.

VaR and ES are positive losses (fractions of the portfolio value): VaR at level 0.99 is the loss
exceeded with probability 1%. A violation is a day whose realized return is below -VaR. A model's
forecast for a day is its predictive distribution, held as a sample of that day's portfolio return
(one row of a (days, K) array), so every model is backtested the same way.
"""

import numpy as np
from scipy import stats

# arch fits GARCH far more reliably on returns in percent than in fractions.
GARCH_SCALE = 100.0
# The Basel traffic light (BCBS 1996): 99% VaR violations in 250 trading days. Up to GREEN_MAX is green,
# up to YELLOW_MAX yellow, more is red.
TRAFFIC_LIGHT_DAYS = 250
TRAFFIC_LIGHT_LEVEL = 0.99
GREEN_MAX, YELLOW_MAX = 4, 9
ZONES = ("green", "yellow", "red")
# The regulators' expected-shortfall level (FRTB) and the simulations behind the ES test's p-value.
ES_TEST_LEVEL = 0.975
ES_TEST_SIMULATIONS = 2000
# Quantile grid of a parametric predictive distribution (midpoints of equal-probability cells).
PARAMETRIC_GRID = 20000


def value_at_risk(returns, level, axis=None):
    """VaR at `level` (e.g. 0.99) of simple returns: the loss -quantile(1 - level), positive for a loss."""
    return -np.quantile(np.asarray(returns), 1 - level, axis=axis)


def expected_shortfall(returns, level):
    """ES at `level`: the mean loss over the outcomes at or beyond the VaR."""
    returns = np.asarray(returns)
    return float(-returns[returns <= -value_at_risk(returns, level)].mean())


# ---- backtests ---------------------------------------------------------------------------------
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


def conditional_coverage(violations, level):
    """Christoffersen's (1998) joint test: correct rate and independence, LR_cc = LR_uc + LR_ind ~ chi-squared(2)."""
    statistic = kupiec_pof(violations, level)["lr"] + christoffersen_independence(violations)["lr"]
    return {"lr": statistic, "p_value": float(stats.chi2.sf(statistic, 2))}


def traffic_light_zone(violations_count):
    """The Basel zone of a count of 99% VaR violations in 250 days: green (0-4), yellow (5-9), red (10+)."""
    if violations_count <= GREEN_MAX:
        return ZONES[0]
    return ZONES[1] if violations_count <= YELLOW_MAX else ZONES[2]


def traffic_light(violations, days=TRAFFIC_LIGHT_DAYS):
    """Zones of every rolling `days`-day window of 99% VaR violations (bools (T,), T >= days).

    Returns {"windows": count, "zones": {zone: windows}, "max_violations": the worst window's count,
    "worst_zone"}; with fewer than `days` days, one window of all of them.
    """
    hits = np.asarray(violations, dtype=int)
    span = min(days, len(hits))
    counts = np.convolve(hits, np.ones(span, dtype=int), mode="valid")
    zones = [traffic_light_zone(count) for count in counts]
    worst = int(counts.max())
    return {"window_days": span, "windows": len(counts), "zones": {zone: zones.count(zone) for zone in ZONES},
            "max_violations": worst, "worst_zone": traffic_light_zone(worst)}


def var_es_from_sample(predictive, level):
    """VaR and ES (positive losses, (days,) each) of per-day predictive samples (days, K) of the return."""
    predictive = np.asarray(predictive, dtype=float)
    var = -np.quantile(predictive, 1 - level, axis=1)
    tail = predictive <= -var[:, None]
    return var, -(predictive * tail).sum(axis=1) / tail.sum(axis=1)


def acerbi_szekely_z2(realized, var, es, level):
    """Acerbi and Szekely's (2014) Z2 = 1 - sum_t L_t 1{L_t > VaR_t} / (T (1 - level) ES_t), L = -return.

    realized (..., T) returns; var, es (T,) positive losses. E[Z2] = 0 when the forecasts are right;
    negative values mean the tail risk was underestimated.
    """
    realized = np.asarray(realized, dtype=float)
    losses = -realized * (realized < -np.asarray(var))
    return 1 - (losses / np.asarray(es)).sum(axis=-1) / (realized.shape[-1] * (1 - level))


def es_backtest(realized, predictive, level=ES_TEST_LEVEL, simulations=ES_TEST_SIMULATIONS, seed=0):
    """Acerbi-Szekely Z2 of the realized returns (T,) with its p-value simulated under the model.

    `predictive` (T, K): each day's sample of the model's return distribution; VaR and ES come from
    it, and `simulations` paths are drawn from it (one value per day, uniformly from the row). The
    one-sided p-value is P(Z2 <= observed) under the model; a small p means the tail is too thin.
    """
    predictive = np.asarray(predictive, dtype=float)
    var, es = var_es_from_sample(predictive, level)
    observed = float(acerbi_szekely_z2(realized, var, es, level))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, predictive.shape[1], size=(simulations, predictive.shape[0]))
    simulated = acerbi_szekely_z2(np.take_along_axis(predictive.T, draws, axis=0), var, es, level)
    p_value = (1 + np.sum(simulated <= observed)) / (simulations + 1)
    return {"level": level, "z2": observed, "p_value": float(p_value), "simulations": simulations}


def backtest(realized, predictive, levels, seed=0):
    """All backtests of one model's predictive samples (days, K) against the realized returns (days,).

    Returns ({str(level): {"kupiec", "christoffersen", "conditional_coverage", "violation_rate"} and,
    at TRAFFIC_LIGHT_LEVEL, "traffic_light"}, "es_test": dict), {level: VaR forecasts (days,)}).
    """
    realized = np.asarray(realized, dtype=float)
    report, forecasts = {}, {}
    for level in levels:
        var = -np.quantile(predictive, 1 - level, axis=1)
        violations = realized < -var
        entry = {"kupiec": kupiec_pof(violations, level), "christoffersen": christoffersen_independence(violations),
                 "conditional_coverage": conditional_coverage(violations, level),
                 "violation_rate": float(violations.mean())}
        if level == TRAFFIC_LIGHT_LEVEL:
            entry["traffic_light"] = traffic_light(violations)
        report[str(level)], forecasts[level] = entry, var
    report["es_test"] = es_backtest(realized, predictive, seed=seed)
    return report, forecasts


def _xlogy(count, probability):
    """count * log(probability), with 0 * log(0) = 0 as the likelihoods need."""
    return 0.0 if count == 0 else float(count * np.log(probability))


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else 0.0


# ---- baselines: each day's predictive sample (days, K) of the portfolio return -------------------
def historical_simulation(portfolio, test_positions, window):
    """The `window` portfolio returns before each test day (days, window)."""
    values = np.asarray(portfolio, dtype=float)
    return np.stack([values[position - window:position] for position in test_positions])


def filtered_historical_simulation(residuals, sigma, weights):
    """Filtered historical simulation (Barone-Adesi et al. 1999) of a buy-and-hold portfolio, one day ahead.

    residuals (K, assets): the training period's devolatilised log returns r_t / sigma_{t-1};
    sigma (days, assets): each test day's volatility known at the previous close. Returns the
    portfolio's simple returns (days, K) = sum_i w_i (exp(z_ki sigma_ti) - 1).
    """
    residuals = np.asarray(residuals, dtype=float)
    return np.stack([np.expm1(residuals * vol) @ np.asarray(weights) for vol in np.asarray(sigma)])


def garch_t(portfolio, train_positions, test_positions):
    """One-day predictive distribution from a GARCH(1,1) with Student-t innovations and constant mean (`arch`).

    Parameters are estimated once on the training days; each test day's variance is then filtered
    with those parameters from the returns up to the day before, as in arch's VaR example. Returns
    (predictive (days, PARAMETRIC_GRID): mean + sigma times the t quantiles at equal-probability
    midpoints, fitted parameters dict).
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
    grid = (np.arange(PARAMETRIC_GRID) + 0.5) / PARAMETRIC_GRID
    quantiles = np.asarray(model.distribution.ppf(grid, fitted.params.to_numpy()[-1:]), dtype=float)
    predictive = (mean[:, None] + sigma[:, None] * quantiles[None, :]) / GARCH_SCALE
    return predictive, {name: float(value) for name, value in fitted.params.items()}
