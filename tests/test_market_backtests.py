"""common.market statistics against known values: volatility filters, VaR and ES backtests, FHS, bootstrap."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from common.market import data, evaluation, risk

# ---- volatility filters ---------------------------------------------------------------------------
RETURNS = np.array([0.01, -0.02, 0.03, 0.0, -0.01])


def test_ewma_matches_a_hand_computed_riskmetrics_series():
    volatility = data.trailing_volatility(pd.DataFrame({"asset": RETURNS}), 2, "ewma-vol")["asset"].to_numpy()
    # Started at day 1 from the mean square of days 0-1, then sigma2_t = 0.94 sigma2_{t-1} + 0.06 r_t^2.
    variance = [(0.01 ** 2 + 0.02 ** 2) / 2]
    variance.append(0.94 * variance[-1] + 0.06 * 0.03 ** 2)  # 2.89e-4
    variance.append(0.94 * variance[-1] + 0.06 * 0.0 ** 2)  # 2.7166e-4
    variance.append(0.94 * variance[-1] + 0.06 * 0.01 ** 2)  # 2.613604e-4
    assert np.isnan(volatility[0])
    np.testing.assert_allclose(volatility[1:] ** 2, [2.5e-4, 2.89e-4, 2.7166e-4, 2.613604e-4], rtol=1e-12)
    np.testing.assert_allclose(volatility[1:], np.sqrt(variance), rtol=1e-12)


def test_garch_filter_uses_each_columns_parameters():
    returns = pd.DataFrame({"a": RETURNS, "b": -RETURNS})
    params = [[1e-5, 0.1, 0.8], [0.0, 0.5, 0.5]]
    volatility = data.trailing_volatility(returns, 2, "garch-vol", params).to_numpy()
    start = (0.01 ** 2 + 0.02 ** 2) / 2
    assert volatility[2, 0] ** 2 == pytest.approx(1e-5 + 0.1 * 0.03 ** 2 + 0.8 * start, rel=1e-12)
    assert volatility[2, 1] ** 2 == pytest.approx(0.5 * 0.03 ** 2 + 0.5 * start, rel=1e-12)


def test_garch_fit_recovers_simulated_parameters():
    omega, alpha, beta = 2e-6, 0.08, 0.9
    rng = np.random.default_rng(0)
    returns, variance = np.empty(6000), omega / (1 - alpha - beta)
    for day in range(len(returns)):
        returns[day] = np.sqrt(variance) * rng.standard_normal()
        variance = omega + alpha * returns[day] ** 2 + beta * variance
    fitted = data.fit_garch(returns, np.arange(len(returns)))
    assert fitted[1] == pytest.approx(alpha, abs=0.03) and fitted[2] == pytest.approx(beta, abs=0.04)
    assert fitted[0] / (1 - fitted[1] - fitted[2]) == pytest.approx(omega / (1 - alpha - beta), rel=0.2)


def test_gjr_filter_weighs_a_fall_more_than_a_rise_of_the_same_size():
    # Day 2 of "up" rises 3%, day 2 of "down" falls 3%; the same parameters otherwise.
    returns = pd.DataFrame({"up": RETURNS, "down": [0.01, -0.02, -0.03, 0.0, -0.01]})
    params = [[1e-5, 0.05, 0.8, 0.1]] * 2
    volatility = data.trailing_volatility(returns, 2, "gjr-vol", params).to_numpy()
    start = (0.01 ** 2 + 0.02 ** 2) / 2
    up = 1e-5 + 0.05 * 0.03 ** 2 + 0.8 * start
    down = 1e-5 + (0.05 + 0.1) * 0.03 ** 2 + 0.8 * start
    np.testing.assert_allclose(volatility[2] ** 2, [up, down], rtol=1e-12)
    # Day 4 falls 1% in both: the leverage term applies to both.
    np.testing.assert_allclose(volatility[4] ** 2, 1e-5 + 0.15 * 0.01 ** 2 + 0.8 * (1e-5 + 0.8 * volatility[2] ** 2),
                               rtol=1e-12)


def test_gjr_fit_recovers_a_simulated_leverage_term():
    omega, alpha, beta, gamma = 2e-6, 0.02, 0.9, 0.12
    rng = np.random.default_rng(1)
    returns, variance = np.empty(8000), omega / (1 - alpha - beta - gamma / 2)
    for day in range(len(returns)):
        returns[day] = np.sqrt(variance) * rng.standard_normal()
        variance = omega + (alpha + gamma * (returns[day] < 0)) * returns[day] ** 2 + beta * variance
    fitted = data.fit_garch(returns, np.arange(len(returns)), leverage=True)
    assert len(fitted) == 4
    assert fitted[3] == pytest.approx(gamma, abs=0.04) and fitted[1] == pytest.approx(alpha, abs=0.03)
    assert len(data.fit_garch(returns, np.arange(len(returns)))) == 3


# ---- VaR backtests --------------------------------------------------------------------------------
def test_conditional_coverage_is_the_sum_of_both_likelihood_ratios():
    hits = np.array([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0], dtype=bool)
    # Independently: the binomial coverage ratio at 5% plus the Markov-chain ratio of the 19 transitions
    # (n00, n01, n10, n11) = (8, 4, 4, 3).
    coverage = 2 * (stats.binom.logpmf(7, 20, 7 / 20) - stats.binom.logpmf(7, 20, 0.05))
    markov = (8 * np.log(8 / 12) + 4 * np.log(4 / 12) + 4 * np.log(4 / 7) + 3 * np.log(3 / 7)
              - 12 * np.log(12 / 19) - 7 * np.log(7 / 19))
    result = risk.conditional_coverage(hits, 0.95)
    assert result["lr"] == pytest.approx(coverage + 2 * markov, rel=1e-9)
    assert result["p_value"] == pytest.approx(stats.chi2.sf(coverage + 2 * markov, 2), rel=1e-9)


def test_clustered_violations_at_the_right_rate_fail_only_independence():
    clustered = np.zeros(1000, dtype=bool)
    for start in (100, 400, 700, 900):
        clustered[start:start + 5] = True  # 20 violations, 2%: too many for 99% but in clusters of five
    at_rate = np.zeros(1000, dtype=bool)
    at_rate[[50, 230, 420, 510, 640, 720, 810, 860, 930, 990]] = True  # 1%, spread out
    assert risk.kupiec_pof(clustered, 0.98)["p_value"] > 0.5
    assert risk.christoffersen_independence(clustered)["p_value"] < 1e-6
    assert risk.conditional_coverage(clustered, 0.98)["p_value"] < 1e-6
    assert risk.conditional_coverage(at_rate, 0.99)["p_value"] > 0.5


@pytest.mark.parametrize(("count", "zone"), [(0, "green"), (4, "green"), (5, "yellow"), (9, "yellow"),
                                             (10, "red"), (25, "red")])
def test_traffic_light_zone_boundaries(count, zone):
    assert risk.traffic_light_zone(count) == zone


def test_traffic_light_counts_every_rolling_window():
    violations = np.zeros(300, dtype=bool)
    violations[:5] = True  # only the window starting on day 0 holds all five
    result = risk.traffic_light(violations)
    assert result["windows"] == 51 and result["max_violations"] == 5 and result["worst_zone"] == "yellow"
    assert result["zones"] == {"green": 50, "yellow": 1, "red": 0}
    violations[260:270] = True  # all ten lie in the 31 windows that start on days 20-50
    result = risk.traffic_light(violations)
    assert result["max_violations"] == 10 and result["zones"]["red"] == 31 and result["worst_zone"] == "red"


# ---- expected shortfall ---------------------------------------------------------------------------
def test_z2_of_a_hand_computed_case():
    realized = np.array([-0.03, 0.01, -0.05, 0.0])
    # Losses beyond VaR 0.02: 0.03 and 0.05; Z2 = 1 - (0.03 / 0.04 + 0.05 / 0.04) / (4 * 0.025) = -19.
    assert risk.acerbi_szekely_z2(realized, np.full(4, 0.02), np.full(4, 0.04), 0.975) == pytest.approx(-19.0)


def test_var_and_es_from_a_sample():
    predictive = np.tile(np.linspace(-0.10, 0.09, 20), (2, 1))
    var, es = risk.var_es_from_sample(predictive, 0.95)
    np.testing.assert_allclose(var, [0.0905, 0.0905])
    np.testing.assert_allclose(es, [0.10, 0.10])


ES_DAYS, ES_GRID, ES_REPEATS = 500, 1000, 200


def normal_model():
    """A model with a known predictive distribution: N(0, sigma_t^2), sigma_t moving between two levels."""
    sigma = np.where(np.arange(ES_DAYS) % 100 < 50, 0.01, 0.03)
    grid = stats.norm.ppf((np.arange(ES_GRID) + 0.5) / ES_GRID)
    return sigma, sigma[:, None] * grid[None, :]


def rejection_rate(draw_innovations):
    sigma, predictive = normal_model()
    rng = np.random.default_rng(1)
    p_values = [risk.es_backtest(sigma * draw_innovations(rng), predictive, simulations=500, seed=repeat)["p_value"]
                for repeat in range(ES_REPEATS)]
    return np.mean(np.array(p_values) <= 0.05)


def test_es_test_keeps_its_level_on_data_from_the_model():
    # 5% plus three binomial standard errors of a rate measured on 200 draws.
    assert rejection_rate(lambda rng: rng.standard_normal(ES_DAYS)) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / ES_REPEATS)


def test_es_test_rejects_fatter_tails():
    assert rejection_rate(lambda rng: rng.standard_t(3, ES_DAYS)) >= 0.9


# ---- baselines -------------------------------------------------------------------------------------
def test_filtered_historical_simulation_rescales_residuals_by_todays_volatility():
    residuals = np.array([[1.0, -1.0], [-2.0, 0.5]])
    sigma = np.array([[0.01, 0.02], [0.03, 0.01]])
    predictive = risk.filtered_historical_simulation(residuals, sigma, [0.5, 0.5])
    expected_day0 = [0.5 * np.expm1(0.01) + 0.5 * np.expm1(-0.02), 0.5 * np.expm1(-0.02) + 0.5 * np.expm1(0.01)]
    np.testing.assert_allclose(predictive[0], expected_day0)
    np.testing.assert_allclose(predictive[1, 1], 0.5 * np.expm1(-0.06) + 0.5 * np.expm1(0.005))


def test_historical_simulation_uses_only_the_days_before():
    portfolio = np.arange(10.0)
    np.testing.assert_array_equal(risk.historical_simulation(portfolio, [5, 9], 3), [[2, 3, 4], [6, 7, 8]])


def test_backtest_reports_every_test():
    rng = np.random.default_rng(0)
    predictive = rng.standard_normal((300, 400)) * 0.01
    report, forecasts = risk.backtest(rng.standard_normal(300) * 0.01, predictive, (0.95, 0.99))
    assert set(report) == {"0.95", "0.99", "es_test"}
    assert "traffic_light" in report["0.99"] and "traffic_light" not in report["0.95"]
    np.testing.assert_allclose(forecasts[0.99], -np.quantile(predictive, 0.01, axis=1))
    assert report["0.99"]["kupiec"]["violations"] == int(np.sum(report["0.99"]["violation_rate"] * 300 + 0.5))


# ---- stylized facts against their own noise ----------------------------------------------------------
def test_bootstrap_interval_covers_the_truth_of_independent_windows():
    windows = np.random.default_rng(0).standard_normal((600, 20))
    interval = evaluation.bootstrap_intervals(windows, block=40, resamples=300)
    assert interval["kurtosis"][0] < 3 < interval["kurtosis"][1] < 3.3
    assert interval["abs_acf_mean"][0] < 0 < interval["abs_acf_mean"][1]


def test_longer_blocks_widen_the_interval_of_overlapping_windows():
    # Overlapping windows of one clustered series, as the regimes' real windows are: neighbours share days.
    rng = np.random.default_rng(0)
    volatility = np.repeat(rng.choice([0.5, 2.0], size=40), 50)
    series = rng.standard_normal(len(volatility)) * volatility
    windows = np.stack([series[start:start + 20] for start in range(len(series) - 20)])
    widths = {block: np.diff(evaluation.bootstrap_intervals(windows, block=block, resamples=300)["abs_acf_mean"])[0]
              for block in (1, 40)}
    assert widths[40] > 2 * widths[1]
