"""cgan_timeseries.py and its modules: risk statistics, date alignment, the condition, the CLI and bad input."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from scipy import stats

import cgan_timeseries
from common import finance, gan
from common import timeseries_gan as tsg
from tests.helpers import one_line_error

WINDOW = 12
ASSETS = ["alpha", "beta", "gamma"]
# A tiny synthetic market: volatility switches between calm and stormy blocks of days.
DAYS = 560
CALM_VOL, STORM_VOL, BLOCK_DAYS = 0.004, 0.03, 40
PERIOD_FLAGS = ["--train-start", "2000-01-01", "--train-end", "2001-06-30",
                "--test-start", "2001-07-01", "--test-end", "2002-12-31"]
FAST = ["--steps", "2", "--batch-size", "16", "--latent-dim", "8", "--window", str(WINDOW),
        "--checkpoint-every", "1", "--sample-every", "2"] + PERIOD_FLAGS


def synthetic_prices(days=DAYS, seed=0):
    rng = np.random.default_rng(seed)
    vol = np.where((np.arange(days) // BLOCK_DAYS) % 2 == 0, CALM_VOL, STORM_VOL)
    returns = rng.standard_t(5, size=(days, len(ASSETS))) * vol[:, None] / np.sqrt(5 / 3)
    prices = 100 * np.exp(np.cumsum(returns, axis=0))
    frame = pd.DataFrame(prices, columns=ASSETS)
    frame.insert(0, "Date", pd.bdate_range("2000-01-03", periods=days).strftime("%Y-%m-%d"))
    return frame


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A generator trained for two steps on the synthetic market through main(argv)."""
    root = tmp_path_factory.mktemp("cgan_timeseries")
    csv = root / "prices.csv"
    synthetic_prices().to_csv(csv, index=False)
    assert cgan_timeseries.main(FAST + ["--data", str(csv), "--out-dir", str(root / "run")]) == 0
    return {"root": root, "prices": csv, "generator": root / "run" / "cgan_timeseries.h5"}


# ---- risk statistics ------------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "hits", "level"), [(250, 5, 0.99), (1000, 65, 0.95), (250, 0, 0.99)])
def test_kupiec_matches_the_binomial_likelihood_ratio(days, hits, level):
    violations = np.zeros(days, dtype=bool)
    violations[:hits] = True
    # Independently: LR = 2 [log Binomial(x; n, x/n) - log Binomial(x; n, 1 - level)], chi-squared(1).
    expected_lr = 2 * (stats.binom.logpmf(hits, days, hits / days) - stats.binom.logpmf(hits, days, 1 - level))
    result = finance.kupiec_pof(violations, level)
    assert result["violations"] == hits and result["rate"] == pytest.approx(hits / days)
    assert result["lr"] == pytest.approx(expected_lr, rel=1e-9, abs=1e-12)
    assert result["p_value"] == pytest.approx(stats.chi2.sf(expected_lr, 1), rel=1e-9)


def test_kupiec_textbook_value():
    # 250 days at 99% with 6 violations: LR = 3.555 (p = 0.059), the most violations Kupiec's test still
    # accepts at 95% confidence (Jorion, Value at Risk, table of non-rejection regions).
    violations = np.arange(250) < 6
    result = finance.kupiec_pof(violations, 0.99)
    assert result["lr"] == pytest.approx(3.5554, abs=1e-3)
    assert 0.05 < result["p_value"] < 0.06


def markov_log_likelihood_ratio(hits):
    """Christoffersen's LR computed by walking the sequence and multiplying transition probabilities."""
    pairs = list(zip(hits[:-1], hits[1:]))
    rate_after = {state: np.mean([now for before, now in pairs if before == state]) for state in (0, 1)}
    overall = np.mean([now for _, now in pairs])
    log_markov = sum(np.log(rate_after[before] if now else 1 - rate_after[before]) for before, now in pairs)
    log_independent = sum(np.log(overall if now else 1 - overall) for _, now in pairs)
    return 2 * (log_markov - log_independent)


def test_christoffersen_matches_the_markov_likelihood_ratio():
    hits = [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0]
    result = finance.christoffersen_independence(np.array(hits, dtype=bool))
    assert (result["n00"], result["n01"], result["n10"], result["n11"]) == (8, 4, 4, 3)
    expected = markov_log_likelihood_ratio(hits)
    assert result["lr"] == pytest.approx(expected, rel=1e-9)
    assert result["p_value"] == pytest.approx(stats.chi2.sf(expected, 1), rel=1e-9)


def test_christoffersen_flags_clustered_violations_only():
    clustered = np.zeros(500, dtype=bool)
    clustered[100:110] = True
    scattered = np.zeros(500, dtype=bool)
    scattered[::50] = True
    assert finance.christoffersen_independence(clustered)["p_value"] < 0.001
    assert finance.christoffersen_independence(scattered)["p_value"] > 0.3


def test_var_and_es_of_a_known_distribution():
    returns = np.linspace(-0.10, 0.09, 20)  # -0.10, -0.09, ..., 0.09
    assert finance.value_at_risk(returns, 0.95) == pytest.approx(0.0905)  # linear interpolation at 0.95 of 19 steps
    assert finance.expected_shortfall(returns, 0.95) == pytest.approx(0.10)
    assert finance.expected_shortfall(returns, 0.90) == pytest.approx(0.095)


def test_buy_and_hold_portfolio_return():
    returns = np.log(np.array([[[1.10, 0.90], [1.00, 1.00]]]))  # one window, two days, two assets
    assert finance.portfolio_returns(returns, [0.5, 0.5]) == pytest.approx([0.0])
    assert finance.portfolio_returns(returns[:, :1], [1.0, 0.0]) == pytest.approx([0.10])


def test_dates_align_across_calendars():
    dates = pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"])
    stock = pd.Series([100.0, 101.0, 102.0, 103.0, 104.0], index=dates)
    # Oil skips 01-06 (a holiday on its exchange), has a missing quote on 01-07 and trades on 01-09.
    oil = pd.Series([50.0, 51.0, np.nan, 53.0, 54.0],
                    index=pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-07", "2020-01-08", "2020-01-09"]))
    prices = finance.align_prices({"stock": stock, "oil": oil})
    assert list(prices.index) == list(pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-08"]))
    returns = finance.log_returns(prices)
    # The return on 01-08 spans 01-03 -> 01-08 for both assets.
    assert returns.loc["2020-01-08", "stock"] == pytest.approx(np.log(104 / 101))
    assert returns.loc["2020-01-08", "oil"] == pytest.approx(np.log(53 / 51))


def test_regimes_split_volatility_into_terciles():
    vol = np.arange(1, 10, dtype=float)
    thresholds = finance.regime_thresholds(vol)
    np.testing.assert_array_equal(finance.assign_regimes(vol, thresholds), [0, 0, 0, 1, 1, 1, 2, 2, 2])


def test_pooled_abs_autocorrelation_sees_clustering():
    rng = np.random.default_rng(0)
    calm_and_stormy = rng.normal(size=(400, 20)) * rng.choice([0.2, 3.0], size=(400, 1))
    independent = rng.normal(size=(400, 20))
    assert finance.pooled_abs_autocorrelation(calm_and_stormy, 10).min() > 0.3
    assert np.abs(finance.pooled_abs_autocorrelation(independent, 10)).max() < 0.05


# ---- the networks -----------------------------------------------------------------------------
def tiny_gan():
    model = gan.ConditionalGAN(tsg.build_timeseries_generator(8, WINDOW, 3, 3),
                               tsg.build_timeseries_discriminator(WINDOW, 3, 3), 8, 3)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return model


def test_regime_reaches_the_generator():
    model = tiny_gan()
    noise = tf.random.normal((4, 8), seed=1)
    outputs = {regime: np.asarray(model.generate(noise, tf.one_hot([regime] * 4, 3))) for regime in (0, 2)}
    assert outputs[0].shape == (4, WINDOW, 3)
    assert np.abs(outputs[0] - outputs[2]).mean() > 1e-4


def test_steps_update_only_their_network():
    model = tiny_gan()
    real = tf.random.normal((8, WINDOW, 3), seed=2)
    conditions = tf.one_hot(tf.range(8) % 3, 3)
    g_before = [np.array(v) for v in model.generator.trainable_variables]
    d_before = [np.array(v) for v in model.discriminator.trainable_variables]
    model.discriminator_step(real, conditions)
    assert all(not np.array_equal(a, b) for a, b in zip(d_before, model.discriminator.trainable_variables))
    assert all(np.array_equal(a, b) for a, b in zip(g_before, model.generator.trainable_variables))
    d_before = [np.array(v) for v in model.discriminator.weights]  # weights: without dropout seeds
    model.generator_step(8)
    assert all(not np.array_equal(a, b) for a, b in zip(g_before, model.generator.trainable_variables))
    assert all(np.array_equal(a, b) for a, b in zip(d_before, model.discriminator.weights))


# ---- the script -------------------------------------------------------------------------------
def test_training_writes_generator_sidecar_and_checkpoint(trained):
    run_dir = trained["generator"].parent
    for name in ("cgan_timeseries.h5", "cgan_timeseries.keras", "cgan_timeseries.json", "checkpoint.npz",
                 "losses.png", "samples/step_000002.png"):
        assert (run_dir / name).is_file(), name
    settings = json.loads((run_dir / "cgan_timeseries.json").read_text())
    assert settings["assets"] == ASSETS and settings["window"] == WINDOW
    low, high = (np.array(settings["regime_asset_vol"][name]) for name in ("low", "high"))
    assert np.all(high > low) and len(settings["regime_thresholds"]) == 2


def test_high_regime_csv_is_more_volatile(tmp_path, trained):
    frames = {}
    for regime in ("low", "high"):
        csv = tmp_path / f"{regime}.csv"
        assert cgan_timeseries.main(["--generator", str(trained["generator"]), "--regime", regime,
                                     "--samples", "50", "--csv", str(csv), "--out-dir", str(tmp_path)]) == 0
        frames[regime] = pd.read_csv(csv)
    assert list(frames["high"].columns) == ["scenario", "step", "regime"] + ASSETS
    assert len(frames["high"]) == 50 * WINDOW and set(frames["high"]["regime"]) == {"high"}
    assert frames["high"][ASSETS].to_numpy().std() > 2 * frames["low"][ASSETS].to_numpy().std()
    assert (tmp_path / "cgan_timeseries_high.png").is_file()


def test_csv_without_regime_cycles_regimes(tmp_path, trained):
    csv = tmp_path / "all.csv"
    assert cgan_timeseries.main(["--generator", str(trained["generator"]), "--samples", "4", "--csv", str(csv),
                                 "--out-dir", str(tmp_path)]) == 0
    frame = pd.read_csv(csv)
    assert list(frame.groupby("scenario")["regime"].first()) == ["low", "mid", "high", "low"]
    np.testing.assert_array_equal(frame["step"][:WINDOW], np.arange(WINDOW))


def test_evaluate_writes_the_risk_report(tmp_path, trained, capsys):
    metrics = tmp_path / "risk.json"
    assert cgan_timeseries.main(["--generator", str(trained["generator"]), "--evaluate", "--samples", "300",
                                 "--data", str(trained["prices"]), "--hs-window", "60", "--metrics-json",
                                 str(metrics), "--out-dir", str(tmp_path)]) == 0
    report = json.loads(metrics.read_text())
    assert set(report["regimes"]) == {"low", "mid", "high"}
    high = report["regimes"]["high"]
    for key in ("var_1d_95", "var_1d_99", "var_10d_95", "var_10d_99", "es_1d_95", "es_10d_99"):
        assert set(high[key]) == {"historical", "generated"}
    assert high["var_1d_99"]["historical"] > report["regimes"]["low"]["var_1d_99"]["historical"]
    assert len(high["abs_autocorrelation"]["generated"]) == tsg.ACF_LAGS
    assert set(report["backtest"]["models"]) == {"gan", "garch_t", "historical_simulation"}
    for model in report["backtest"]["models"].values():
        for level in ("0.95", "0.99"):
            assert 0 <= model[level]["kupiec"]["p_value"] <= 1
            assert 0 <= model[level]["christoffersen"]["p_value"] <= 1
    for path in report["plots"].values():
        assert (tmp_path / path.split("/")[-1]).is_file()
    assert "Kupiec p" in capsys.readouterr().out


# ---- bad input: one line on stderr, non-zero exit ------------------------------------------------
def test_unknown_regime(trained, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cgan_timeseries.main(["--generator", str(trained["generator"]), "--regime", "extreme"])
    assert exit_info.value.code != 0
    one_line_error(capsys, "argument --regime: invalid choice: 'extreme'")


def test_csv_without_a_date_column(tmp_path, capsys):
    csv = tmp_path / "no_date.csv"
    synthetic_prices(30).drop(columns="Date").to_csv(csv, index=False)
    assert cgan_timeseries.main(FAST + ["--data", str(csv), "--out-dir", str(tmp_path / "run")]) != 0
    one_line_error(capsys, "must have a 'date' column")
    assert not (tmp_path / "run").exists()


def test_non_positive_prices(tmp_path, capsys):
    frame = synthetic_prices(30)
    frame.loc[7, "beta"] = -1.5
    csv = tmp_path / "negative.csv"
    frame.to_csv(csv, index=False)
    assert cgan_timeseries.main(FAST + ["--data", str(csv), "--out-dir", str(tmp_path / "run")]) != 0
    one_line_error(capsys, f"prices must be positive; got -1.5 for beta on {frame.loc[7, 'Date']}")


def test_weights_that_do_not_match_the_assets(tmp_path, capsys):
    csv = tmp_path / "prices.csv"
    synthetic_prices(30).to_csv(csv, index=False)
    assert cgan_timeseries.main(FAST + ["--data", str(csv), "--weights", "0.5,0.5",
                                        "--out-dir", str(tmp_path / "run")]) != 0
    one_line_error(capsys, "--weights must give one weight per asset (3: alpha, beta, gamma); got 2")


def test_regime_without_generator(capsys):
    assert cgan_timeseries.main(["--regime", "high"]) != 0
    one_line_error(capsys, "--regime needs --generator")


def test_generator_without_sidecar(tmp_path, trained, capsys):
    lonely = tmp_path / "lonely.h5"
    lonely.write_bytes(trained["generator"].read_bytes())
    assert cgan_timeseries.main(["--generator", str(lonely), "--out-dir", str(tmp_path)]) != 0
    one_line_error(capsys, "lonely.json beside it; not found")
