"""Benchmark: which volatility state makes filtered historical simulation's VaR violations independent.

    python3 benchmarks/market_volatility_filters.py [--vol-window 20]

For each `--condition` of cgan_timeseries.py (20-day realized, RiskMetrics EWMA, GARCH(1,1) and
GJR-GARCH(1,1) fitted on 1999-2014), three portfolios (the default SP500, NASDAQ, WTI at equal
weights; SP500 alone; 0.7 NASDAQ + 0.3 WTI) are forecast over 2015-2018 by filtered historical
simulation: the training period's devolatilised returns times each day's volatility known at the
previous close, the same split of level and shape as the GAN. Prints, per portfolio, condition and
VaR level, the violation rate and the Kupiec, Christoffersen and conditional-coverage p-values, plus
the 99% traffic-light worst window. No network is trained; it runs in seconds.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from common.market import data, evaluation, risk  # noqa: E402
from common.market.names import CONDITIONS  # noqa: E402

TRAIN_PERIOD = ("1999-01-01", "2014-12-31")
TEST_PERIOD = ("2015-01-01", "2018-12-31")
# The default portfolio and two others the same defaults are tried on: asset -> weight.
PORTFOLIOS = {"SP500+NASDAQ+WTI 1/3": {"SP500": 1 / 3, "NASDAQ": 1 / 3, "WTI": 1 / 3},
              "SP500 alone": {"SP500": 1.0},
              "0.7 NASDAQ + 0.3 WTI": {"NASDAQ": 0.7, "WTI": 0.3}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vol-window", type=int, default=20, help="days behind the volatility (default 20)")
    args = parser.parse_args()
    every_price = data.load_arch_prices()
    print(f"{'portfolio':<20} {'condition':<13} {'level':>5} {'rate':>7} {'Kupiec p':>9} {'Christoffersen p':>17} "
          f"{'CC p':>6} {'worst 250-day window':>21}")
    for name, weights in PORTFOLIOS.items():
        prices = every_price[list(weights)]
        for condition in CONDITIONS:
            report_condition(name, prices, np.asarray(list(weights.values())), condition, args.vol_window)


def report_condition(name, prices, weights, condition, vol_window):
    """Print FHS's backtest figures for one portfolio and volatility state."""
    floor = data.training_vol_floor(prices, TRAIN_PERIOD)
    params = data.volatility_params(prices, weights, condition, TRAIN_PERIOD)
    market = data.build_market(prices, weights, vol_window, condition, floor, params)
    index = market.returns.index
    days = data.period_positions(index, *TEST_PERIOD)
    residuals = evaluation.training_residuals(market, data.period_positions(index, *TRAIN_PERIOD))
    predictive = risk.filtered_historical_simulation(residuals, market.asset_vol.to_numpy()[days - 1], weights)
    report, _ = risk.backtest(market.portfolio.to_numpy()[days], predictive, evaluation.VAR_LEVELS)
    for level in evaluation.VAR_LEVELS:
        result = report[str(level)]
        light = result.get("traffic_light")
        worst = f"{light['max_violations']} ({light['worst_zone']})" if light else ""
        print(f"{name:<20} {condition:<13} {level:>5.0%} {result['violation_rate']:>7.2%} "
              f"{result['kupiec']['p_value']:>9.3f} {result['christoffersen']['p_value']:>17.3f} "
              f"{result['conditional_coverage']['p_value']:>6.3f} {worst:>21}")


if __name__ == "__main__":
    main()
