"""cgan_timeseries.py and common.market: risk statistics, date alignment, the condition, the CLI and bad input."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from scipy import stats

import cgan_timeseries
from common import gan
from common.errors import ToolkitError
from common.market import data, evaluation, networks, risk, scenarios
from common.market.names import ACF_LAGS
from tests.conftest import MODELS

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
    result = risk.kupiec_pof(violations, level)
    assert result["violations"] == hits and result["rate"] == pytest.approx(hits / days)
    assert result["lr"] == pytest.approx(expected_lr, rel=1e-9, abs=1e-12)
    assert result["p_value"] == pytest.approx(stats.chi2.sf(expected_lr, 1), rel=1e-9)


def test_kupiec_textbook_value():
    # 250 days at 99% with 6 violations: LR = 3.555 (p = 0.059), the most violations Kupiec's test still
    # accepts at 95% confidence (Jorion, Value at Risk, table of non-rejection regions).
    violations = np.arange(250) < 6
    result = risk.kupiec_pof(violations, 0.99)
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
    result = risk.christoffersen_independence(np.array(hits, dtype=bool))
    assert (result["n00"], result["n01"], result["n10"], result["n11"]) == (8, 4, 4, 3)
    expected = markov_log_likelihood_ratio(hits)
    assert result["lr"] == pytest.approx(expected, rel=1e-9)
    assert result["p_value"] == pytest.approx(stats.chi2.sf(expected, 1), rel=1e-9)


def test_christoffersen_flags_clustered_violations_only():
    clustered = np.zeros(500, dtype=bool)
    clustered[100:110] = True
    scattered = np.zeros(500, dtype=bool)
    scattered[::50] = True
    assert risk.christoffersen_independence(clustered)["p_value"] < 0.001
    assert risk.christoffersen_independence(scattered)["p_value"] > 0.3


def test_var_and_es_of_a_known_distribution():
    returns = np.linspace(-0.10, 0.09, 20)  # -0.10, -0.09, ..., 0.09
    assert risk.value_at_risk(returns, 0.95) == pytest.approx(0.0905)  # linear interpolation at 0.95 of 19 steps
    assert risk.expected_shortfall(returns, 0.95) == pytest.approx(0.10)
    assert risk.expected_shortfall(returns, 0.90) == pytest.approx(0.095)


def test_buy_and_hold_portfolio_return():
    returns = np.log(np.array([[[1.10, 0.90], [1.00, 1.00]]]))  # one window, two days, two assets
    assert data.portfolio_returns(returns, [0.5, 0.5]) == pytest.approx([0.0])
    assert data.portfolio_returns(returns[:, :1], [1.0, 0.0]) == pytest.approx([0.10])


def test_dates_align_across_calendars():
    dates = pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"])
    stock = pd.Series([100.0, 101.0, 102.0, 103.0, 104.0], index=dates)
    # Oil skips 01-06 (a holiday on its exchange), has a missing quote on 01-07 and trades on 01-09.
    oil = pd.Series([50.0, 51.0, np.nan, 53.0, 54.0],
                    index=pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-07", "2020-01-08", "2020-01-09"]))
    prices = data.align_prices({"stock": stock, "oil": oil})
    assert list(prices.index) == list(pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-08"]))
    returns = data.log_returns(prices)
    # The return on 01-08 spans 01-03 -> 01-08 for both assets.
    assert returns.loc["2020-01-08", "stock"] == pytest.approx(np.log(104 / 101))
    assert returns.loc["2020-01-08", "oil"] == pytest.approx(np.log(53 / 51))


def test_volatility_state_follows_the_condition():
    prices = data.align_prices({asset: pd.Series(column.to_numpy(), index=pd.to_datetime(synthetic_prices()["Date"]))
                                for asset, column in synthetic_prices()[ASSETS].items()})
    train = ["2000-01-01", "2001-06-30"]
    weights = np.full(len(ASSETS), 1 / len(ASSETS))
    floor = data.training_vol_floor(prices, train)
    assert data.volatility_params(prices, weights, "ewma-vol", train) is None
    params = data.volatility_params(prices, weights, "garch-vol", train)
    states = {condition: data.build_market(prices, weights, 20, condition, floor, params if condition == "garch-vol"
                                           else None).asset_vol.to_numpy()[40:]
              for condition in ("realized-vol", "ewma-vol", "garch-vol")}
    assert np.abs(states["ewma-vol"] / states["realized-vol"] - 1).mean() > 0.05
    assert np.abs(states["garch-vol"] / states["ewma-vol"] - 1).mean() > 0.01
    with pytest.raises(ToolkitError, match="garch-vol needs GARCH parameters"):
        data.build_market(prices, weights, 20, "garch-vol", floor)


def test_regimes_split_volatility_into_terciles():
    vol = np.arange(1, 10, dtype=float)
    thresholds = data.regime_thresholds(vol)
    np.testing.assert_array_equal(data.assign_regimes(vol, thresholds), [0, 0, 0, 1, 1, 1, 2, 2, 2])


def test_pooled_abs_autocorrelation_sees_clustering():
    rng = np.random.default_rng(0)
    calm_and_stormy = rng.normal(size=(400, 20)) * rng.choice([0.2, 3.0], size=(400, 1))
    independent = rng.normal(size=(400, 20))
    assert evaluation.pooled_abs_autocorrelation(calm_and_stormy, 10).min() > 0.3
    assert np.abs(evaluation.pooled_abs_autocorrelation(independent, 10)).max() < 0.05


# ---- the networks -----------------------------------------------------------------------------
def tiny_gan():
    model = gan.ConditionalGAN(networks.build_generator(8, WINDOW, 3, 3),
                               networks.build_discriminator(WINDOW, 3, 3), 8, 3)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return model


def test_regime_reaches_the_generator():
    model = tiny_gan()
    noise = tf.random.normal((4, 8), seed=1)
    outputs = {regime: np.asarray(model.generate(noise, tf.one_hot([regime] * 4, 3))) for regime in (0, 2)}
    assert outputs[0].shape == (4, WINDOW, 3)
    assert np.abs(outputs[0] - outputs[2]).mean() > 1e-4


def test_generation_follows_regime_and_seed():
    generator = networks.build_generator(8, WINDOW, 3, 3)
    low, high = (scenarios.generate_standardized(generator, np.full(5, regime), seed=3) for regime in (0, 2))
    assert low.shape == (5, WINDOW, 3)
    assert np.abs(low - high).mean() > 1e-4
    np.testing.assert_array_equal(low, scenarios.generate_standardized(generator, np.full(5, 0), seed=3))
    assert np.abs(low - scenarios.generate_standardized(generator, np.full(5, 0), seed=4)).mean() > 1e-4


def test_moment_calibration_pins_each_regimes_daily_mean_and_covariance_to_the_training_windows():
    generator = networks.build_generator(8, WINDOW, len(ASSETS), 3)
    regimes = np.repeat([0, 1, 2], 600)
    rng = np.random.default_rng(0)
    # Per regime its own spread, drift and correlation of the first two assets.
    mixing = {index: np.array([[scale, 0, 0], [scale * rho, scale * np.sqrt(1 - rho ** 2), 0], [0, 0, scale]])
              for index, (scale, rho) in enumerate([(0.5, 0.9), (1.0, 0.0), (3.0, -0.5)])}
    x = np.stack([rng.standard_normal((WINDOW, len(ASSETS))) @ mixing[regime].T for regime in regimes])
    x += np.array([-0.2, 0.0, 0.3])[regimes][:, None, None]
    settings = scenarios.calibrate_moments(generator, {}, x, regimes, seed=0)
    for index in range(3):
        real = x[regimes == index]
        calibrated = scenarios.generate_calibrated(generator, settings, np.full(20000, index), seed=7)
        np.testing.assert_allclose(calibrated.mean(axis=0), real.mean(axis=0), atol=0.05 * mixing[index][0, 0])
        for day in (0, WINDOW - 1):
            np.testing.assert_allclose(np.cov(calibrated[:, day].T), np.cov(real[:, day].T),
                                       atol=0.1 * mixing[index][0, 0] ** 2)
    # Sidecars written before it generate as they did: a per-day spread ratio, or the network's output.
    spread = {name: np.full((WINDOW, len(ASSETS)), 2.0).tolist() for name in ("low", "mid", "high")}
    np.testing.assert_allclose(scenarios.generate_calibrated(generator, {"spread_scale": spread}, np.zeros(3, int), 1),
                               2 * scenarios.generate_standardized(generator, np.zeros(3, int), seed=1), rtol=1e-6)
    np.testing.assert_array_equal(scenarios.generate_calibrated(generator, {}, np.zeros(3, int), seed=1),
                                  scenarios.generate_standardized(generator, np.zeros(3, int), seed=1))


def test_gaussian_transport_maps_one_covariance_onto_another_and_moves_nothing_it_need_not():
    source = np.array([[1.0, 0.3], [0.3, 2.0]])
    target = np.array([[0.5, -0.2], [-0.2, 1.5]])
    transport = scenarios.gaussian_transport(source, target)
    np.testing.assert_allclose(transport, transport.T, atol=1e-12)
    np.testing.assert_allclose(transport @ source @ transport, target, atol=1e-12)
    np.testing.assert_allclose(scenarios.gaussian_transport(source, source), np.eye(2), atol=1e-12)
    # One asset: the ratio of the standard deviations.
    assert scenarios.gaussian_transport(4.0, 9.0)[0, 0] == pytest.approx(1.5)


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


# ---- the sidecar ------------------------------------------------------------------------------
def tiny_settings():
    return {"assets": ASSETS, "window": WINDOW, "weights": [1 / 3] * 3}


def test_sidecar_round_trip_is_tagged(tmp_path):
    generator = networks.build_generator(8, WINDOW, len(ASSETS), 3)
    h5_path, keras_path, sidecar = scenarios.save_generator(generator, tmp_path / "g.h5", tiny_settings())
    assert h5_path.is_file() and keras_path.is_file() and sidecar == tmp_path / "g.json"
    assert scenarios.read_settings(h5_path) == tiny_settings()
    loaded, settings = scenarios.load_generator(h5_path)
    assert settings == tiny_settings() and loaded.outputs[0].shape[1:] == (WINDOW, len(ASSETS))
    stored = sidecar.read_text()
    assert f'"format": "{scenarios.SIDECAR_FORMAT}"' in stored and f'"version": {scenarios.SIDECAR_VERSION}' in stored


def test_sidecar_that_does_not_fit_the_generator(tmp_path, one_line_error):
    generator = networks.build_generator(8, WINDOW, len(ASSETS), 3)
    scenarios.save_generator(generator, tmp_path / "g.h5", {**tiny_settings(), "window": WINDOW + 1})
    assert cgan_timeseries.main(["--generator", str(tmp_path / "g.h5"), "--out-dir", str(tmp_path)]) != 0
    one_line_error(f"describes windows of ({WINDOW + 1}, {len(ASSETS)})")


# ---- the script -------------------------------------------------------------------------------
@pytest.mark.slow
def test_training_writes_generator_sidecar_and_checkpoint(trained):
    run_dir = trained["generator"].parent
    for name in ("cgan_timeseries.h5", "cgan_timeseries.keras", "cgan_timeseries.json", "checkpoint.npz",
                 "losses.png", "samples/step_000002.png"):
        assert (run_dir / name).is_file(), name
    settings = scenarios.read_settings(trained["generator"])
    assert settings["assets"] == ASSETS and settings["window"] == WINDOW
    low, high = (np.array(settings["regime_asset_vol"][name]) for name in ("low", "high"))
    assert np.all(high > low) and len(settings["regime_thresholds"]) == 2
    # The default volatility state is GJR-GARCH(1,1), fitted on the training period: one set per asset, at
    # most integrated (alpha + beta + gamma / 2 = 1 on this market of abrupt calm and stormy blocks).
    assert settings["condition"] == "gjr-vol" and len(settings["vol_params"]["assets"]) == len(ASSETS)
    for omega, alpha, beta, gamma in settings["vol_params"]["assets"] + [settings["vol_params"]["portfolio"]]:
        assert omega > 0 and min(alpha, beta, gamma) >= 0 and alpha + beta + gamma / 2 <= 1 + 1e-9
    # The moment calibration: per regime a mean and a cross-asset map for every day of the window.
    for fit in settings["moment_calibration"].values():
        assert np.shape(fit["transform"]) == (WINDOW, len(ASSETS), len(ASSETS))
        assert np.shape(fit["real_mean"]) == np.shape(fit["generated_mean"]) == (WINDOW, len(ASSETS))


@pytest.mark.slow
def test_high_regime_csv_is_more_volatile(tmp_path, trained):
    frames = {}
    for regime in ("low", "high"):
        csv = tmp_path / f"{regime}.csv"
        assert cgan_timeseries.main(["--generator", str(trained["generator"]), "--regime", regime,
                                     "--samples", "50", "--csv", str(csv), "--out-dir", str(tmp_path)]) == 0
        frames[regime] = pd.read_csv(csv)
    assert list(frames["high"].columns) == ["scenario", "step", "regime"] + ASSETS
    assert len(frames["high"]) == 50 * WINDOW and set(frames["high"]["regime"]) == {"high"}
    # Every asset swings more in the high regime. Not by the full ratio of the regimes' volatilities: the
    # calibrated spread includes the calm windows that run into a storm, as the real ones do.
    assert np.all(frames["high"][ASSETS].to_numpy().std(axis=0) > frames["low"][ASSETS].to_numpy().std(axis=0))
    assert (tmp_path / "cgan_timeseries_high.png").is_file()


@pytest.mark.slow
def test_csv_without_regime_cycles_regimes(tmp_path, trained):
    csv = tmp_path / "all.csv"
    assert cgan_timeseries.main(["--generator", str(trained["generator"]), "--samples", "4", "--csv", str(csv),
                                 "--out-dir", str(tmp_path)]) == 0
    frame = pd.read_csv(csv)
    assert list(frame.groupby("scenario")["regime"].first()) == ["low", "mid", "high", "low"]
    np.testing.assert_array_equal(frame["step"][:WINDOW], np.arange(WINDOW))


@pytest.mark.slow
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
        assert high[key]["historical"] > report["regimes"]["low"][key]["historical"]
    assert len(high["abs_autocorrelation"]["generated"]) == ACF_LAGS
    # Every test day has the 60 days of history the baselines need, so all of them are backtested.
    returns_dates = pd.to_datetime(synthetic_prices()["Date"])[1:]
    test_days = int(((returns_dates >= PERIOD_FLAGS[5]) & (returns_dates <= PERIOD_FLAGS[7])).sum())
    assert report["backtest"]["days"] == test_days
    assert set(report["backtest"]["models"]) == set(evaluation.MODELS)
    for model in report["backtest"]["models"].values():
        for level in ("0.95", "0.99"):
            kupiec = model[level]["kupiec"]
            assert kupiec["days"] == test_days
            assert kupiec["violations"] == round(model[level]["violation_rate"] * test_days)
            assert 0 <= model[level]["conditional_coverage"]["p_value"] <= 1
        light = model["0.99"]["traffic_light"]
        # Fewer test days than the 250 of a traffic-light window: one window of all of them.
        assert test_days < risk.TRAFFIC_LIGHT_DAYS and light["window_days"] == test_days
        assert sum(light["zones"].values()) == light["windows"] == 1
        assert light["max_violations"] == model["0.99"]["kupiec"]["violations"]
        assert 0 < model["es_test"]["p_value"] <= 1 and model["es_test"]["level"] == risk.ES_TEST_LEVEL
    for entry in report["regimes"].values():
        interval = entry["interval"]["kurtosis"]
        assert interval[0] < entry["kurtosis"]["real"] < interval[1]
    assert set(report["backtest"]["targets"]) >= {"gan_es_test_pass", "gan_traffic_light_all_green"}
    for path in report["plots"].values():
        assert (tmp_path / path.split("/")[-1]).is_file()
    assert "Kupiec p" in capsys.readouterr().out


# ---- bad input: one line on stderr, non-zero exit ------------------------------------------------
def test_unknown_regime(tmp_path, one_line_error):
    with pytest.raises(SystemExit) as exit_info:
        cgan_timeseries.main(["--generator", str(tmp_path / "g.h5"), "--regime", "extreme"])
    assert exit_info.value.code != 0
    one_line_error("argument --regime: invalid choice: 'extreme'")


def test_csv_without_a_date_column(tmp_path, one_line_error):
    csv = tmp_path / "no_date.csv"
    synthetic_prices(30).drop(columns="Date").to_csv(csv, index=False)
    assert cgan_timeseries.main(FAST + ["--data", str(csv), "--out-dir", str(tmp_path / "run")]) != 0
    one_line_error("must have a 'date' column")
    assert not (tmp_path / "run").exists()


def test_non_positive_prices(tmp_path, one_line_error):
    frame = synthetic_prices(30)
    frame.loc[7, "beta"] = -1.5
    csv = tmp_path / "negative.csv"
    frame.to_csv(csv, index=False)
    assert cgan_timeseries.main(FAST + ["--data", str(csv), "--out-dir", str(tmp_path / "run")]) != 0
    one_line_error(f"prices must be positive; got -1.5 for beta on {frame.loc[7, 'Date']}")


def test_weights_that_do_not_match_the_assets(tmp_path, one_line_error):
    csv = tmp_path / "prices.csv"
    synthetic_prices(30).to_csv(csv, index=False)
    assert cgan_timeseries.main(FAST + ["--data", str(csv), "--weights", "0.5,0.5",
                                        "--out-dir", str(tmp_path / "run")]) != 0
    one_line_error("--weights must give one weight per asset (3: alpha, beta, gamma); got 2")


@pytest.mark.parametrize(("flags", "message"), [
    (["--regime", "high"], "--regime needs --generator"),
    (["--window", "10"], "--window must exceed the 10 autocorrelation lags; got 10"),
    (["--vol-window", "1"], "--vol-window must be at least 2 days; got 1"),
    (["--test-start", "2015-13-01"], "--test-start must be a date like 2015-01-01; got '2015-13-01'"),
    (["--generator", "missing.h5"], "--generator must name an existing file; got missing.h5"),
])
def test_flags_checked_before_anything_loads(flags, message, one_line_error):
    assert cgan_timeseries.main(flags) != 0
    one_line_error(message)


def test_generator_without_sidecar(tmp_path, one_line_error):
    lonely = tmp_path / "lonely.h5"
    scenarios.save_generator(networks.build_generator(8, WINDOW, len(ASSETS), 3), lonely, tiny_settings())
    (tmp_path / "lonely.json").unlink()
    assert cgan_timeseries.main(["--generator", str(lonely), "--out-dir", str(tmp_path)]) != 0
    one_line_error("lonely.json beside it; not found")


# ---- the shipped generator ------------------------------------------------------------------------
@pytest.mark.slow
def test_shipped_cgan_timeseries_writes_regime_scenarios_offline(tmp_path):
    """`python3 cgan_timeseries.py --generator models/cgan_timeseries.h5 --regime R --csv PATH`, no data needed."""
    settings = scenarios.read_settings(MODELS / "cgan_timeseries.h5")
    spread = {}
    for regime in ("low", "high"):
        csv = tmp_path / f"{regime}.csv"
        assert cgan_timeseries.main(["--generator", str(MODELS / "cgan_timeseries.h5"), "--regime", regime,
                                     "--samples", "400", "--csv", str(csv), "--out-dir", str(tmp_path)]) == 0
        frame = pd.read_csv(csv)
        assert list(frame.columns) == ["scenario", "step", "regime", *settings["assets"]]
        returns = frame[settings["assets"]].to_numpy()
        assert np.isfinite(returns).all()
        spread[regime] = returns.std(axis=0)
    # Each asset's daily spread follows its regime's volatility: stormy scenarios swing more.
    low_vol, high_vol = (np.asarray(settings["regime_asset_vol"][name]) for name in ("low", "high"))
    np.testing.assert_allclose(spread["high"] / spread["low"], high_vol / low_vol, rtol=0.35)
    assert np.all(spread["high"] > spread["low"])
