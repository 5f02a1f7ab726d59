"""This family's figures: VaR/ES by regime, the held-out backtest, stylized facts and scenario fans."""

import matplotlib.pyplot as plt
import numpy as np

from common.market.evaluation import HORIZON_DAYS, VAR_LEVELS
from common.market.names import ACF_LAGS
from common.plotting import save_figure

# Side-by-side bars: real (or historical) left of centre, generated right.
BAR_WIDTH = 0.4
PANEL_INCHES = 5
# Histogram range: the central 99.9% of real returns, so one outlier does not squeeze the bins.
HISTOGRAM_QUANTILES = (0.0005, 0.9995)
HISTOGRAM_BINS = 60
BACKTEST_LEGEND_COLUMNS = 3


def _paired_bars(axis, labels, left, right, left_label, right_label, **tick_style):
    positions = np.arange(len(labels))
    axis.bar(positions - BAR_WIDTH / 2, left, BAR_WIDTH, label=left_label)
    axis.bar(positions + BAR_WIDTH / 2, right, BAR_WIDTH, label=right_label)
    axis.set_xticks(positions, labels, **tick_style)
    axis.grid(alpha=0.3, axis="y")


def plot_regime_risk(report, path):
    """Bars of generated vs historical VaR and ES per regime (report: name -> entry), horizon and level."""
    keys = [f"{kind}_{horizon}d_{round(level * 100)}" for kind in ("var", "es")
            for horizon in (1, HORIZON_DAYS) for level in VAR_LEVELS]
    figure, axes = plt.subplots(1, len(report), figsize=(PANEL_INCHES * len(report), 4), sharey=True, squeeze=False)
    for axis, (name, entry) in zip(axes[0], report.items()):
        _paired_bars(axis, [key.replace("_", " ") for key in keys], [entry[key]["historical"] for key in keys],
                     [entry[key]["generated"] for key in keys], "historical", "generated", rotation=60, fontsize=8)
        axis.set_title(f"{name} regime")
    axes[0][0].set_ylabel("portfolio loss")
    axes[0][0].legend()
    figure.suptitle("VaR and ES by regime: generated scenarios vs historical windows")
    save_figure(figure, path)


def plot_backtest(arrays, path, level=VAR_LEVELS[-1]):
    """Held-out portfolio returns with each model's VaR at `level` (as a negative return) and its violations."""
    figure, axis = plt.subplots(figsize=(11, 4.5))
    dates, realized = arrays["dates"], arrays["realized"]
    axis.plot(dates, realized, color="gray", linewidth=0.6, label="portfolio return")
    for model, by_level in arrays["forecasts"].items():
        line = axis.plot(dates, -by_level[level], linewidth=1, label=f"{model} VaR {level:.0%}")[0]
        hits = realized < -by_level[level]
        axis.scatter(dates[hits], realized[hits], color=line.get_color(), s=14, zorder=3)
    axis.set_ylabel("daily return")
    axis.set_title(f"Held-out backtest: {level:.0%} 1-day VaR (dots: violations)")
    # Below the axes: inside, the legend would hide the 2015-2016 violations.
    axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=BACKTEST_LEGEND_COLUMNS)
    axis.grid(alpha=0.3)
    save_figure(figure, path)


def plot_stylized_facts(report, series, path):
    """Per regime: return histograms (log scale, tails), |r| autocorrelation and cross-asset correlations."""
    names = list(report)
    figure, axes = plt.subplots(3, len(names), figsize=(PANEL_INCHES * len(names), 11), squeeze=False)
    for column, name in enumerate(names):
        entry, daily = report[name], series[name]
        axis = axes[0][column]
        bins = np.linspace(*np.quantile(daily["real_daily"], HISTOGRAM_QUANTILES), HISTOGRAM_BINS)
        axis.hist(daily["real_daily"], bins=bins, density=True, histtype="step", label="real")
        axis.hist(daily["fake_daily"], bins=bins, density=True, histtype="step", label="generated")
        axis.set_yscale("log")
        low, high = entry["interval"]["kurtosis"]
        axis.set_title(f"{name}: kurtosis real {entry['kurtosis']['real']:.1f} (90% interval {low:.1f}-{high:.1f}), "
                       f"generated {entry['kurtosis']['generated']:.1f}", fontsize=9)
        axis.legend(fontsize=8, loc="upper right")
        axis = axes[1][column]
        lags = np.arange(1, ACF_LAGS + 1)
        axis.plot(lags, entry["abs_autocorrelation"]["real"], marker="o", label="real")
        axis.plot(lags, entry["abs_autocorrelation"]["generated"], marker="s", label="generated")
        axis.set_xlabel("lag (days)")
        low, high = entry["interval"]["abs_acf_mean"]
        axis.axhspan(low, high, color="gray", alpha=0.15, label="90% interval of the real mean")
        axis.set_title(f"{name}: autocorrelation of |portfolio return|", fontsize=9)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
        axis = axes[2][column]
        correlation = entry["correlation"]
        pairs = list(correlation["real"])
        _paired_bars(axis, pairs, [correlation["real"][pair] for pair in pairs],
                     [correlation["generated"][pair] for pair in pairs], "real", "generated", fontsize=8)
        axis.set_title(f"{name}: cross-asset correlation", fontsize=9)
        axis.legend(fontsize=8)
    figure.suptitle("Stylized facts by regime: real vs generated")
    figure.tight_layout()
    save_figure(figure, path)


def plot_scenario_fan(returns_by_regime, weights, path, title):
    """Cumulative portfolio paths of a few scenarios per regime (dict name -> (N, window, assets) log returns)."""
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
    save_figure(figure, path)
