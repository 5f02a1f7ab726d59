"""Benchmark: which volatility state makes filtered historical simulation's VaR violations independent.

    python3 benchmarks/market_volatility_filters.py [--vol-window 20]

For each `--condition` of cgan_timeseries.py (20-day realized, RiskMetrics EWMA, GARCH(1,1) fitted on
1999-2014), the default portfolio (SP500, NASDAQ, WTI, equal weights) is forecast over 2015-2018 by
filtered historical simulation: the training period's devolatilised returns times each day's
volatility known at the previous close, the same split of level and shape as the GAN. Prints, per
condition and VaR level, the violation rate and the Kupiec, Christoffersen and conditional-coverage
p-values, plus the 99% traffic-light worst window. No network is trained; it runs in seconds.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vol-window", type=int, default=20, help="days behind the volatility (default 20)")
    args = parser.parse_args()
    prices = data.load_arch_prices()
    weights = np.full(prices.shape[1], 1 / prices.shape[1])
    floor = data.training_vol_floor(prices, TRAIN_PERIOD)
    print(f"{'condition':<13} {'level':>5} {'rate':>7} {'Kupiec p':>9} {'Christoffersen p':>17} {'CC p':>6} "
          f"{'worst 250-day window':>21}")
    for condition in CONDITIONS:
        params = data.volatility_params(prices, weights, condition, TRAIN_PERIOD)
        market = data.build_market(prices, weights, args.vol_window, condition, floor, params)
        index = market.returns.index
        days = data.period_positions(index, *TEST_PERIOD)
        residuals = evaluation.training_residuals(market, data.period_positions(index, *TRAIN_PERIOD))
        predictive = risk.filtered_historical_simulation(residuals, market.asset_vol.to_numpy()[days - 1], weights)
        report, _ = risk.backtest(market.portfolio.to_numpy()[days], predictive, evaluation.VAR_LEVELS)
        for level in evaluation.VAR_LEVELS:
            result = report[str(level)]
            light = result.get("traffic_light")
            worst = f"{light['max_violations']} ({light['worst_zone']})" if light else ""
            print(f"{condition:<13} {level:>5.0%} {result['violation_rate']:>7.2%} {result['kupiec']['p_value']:>9.3f} "
                  f"{result['christoffersen']['p_value']:>17.3f} {result['conditional_coverage']['p_value']:>6.3f} "
                  f"{worst:>21}")


if __name__ == "__main__":
    main()
