"""The names and limits the command line needs before anything heavy loads (no TensorFlow, no pandas)."""

# Volatility regimes, in order: terciles of the trailing portfolio volatility in the training period.
REGIME_NAMES = ("low", "mid", "high")
# How the volatility behind the regimes and the scaling is measured: a rolling standard deviation,
# RiskMetrics' exponentially weighted one, or a GARCH(1,1) or GJR-GARCH(1,1) variance (the latter reacts
# more to falls than to rises) filtered with training-period parameters.
CONDITIONS = ("realized-vol", "ewma-vol", "garch-vol", "gjr-vol")
# The conditions whose filter is fitted on the training period.
FITTED_CONDITIONS = ("garch-vol", "gjr-vol")
# Lags of the |r| autocorrelation the evaluation compares; a scenario window must be longer.
ACF_LAGS = 10
# A trailing volatility needs at least two returns.
MIN_VOL_WINDOW = 2
# The period flags, in order: (start, end) of the training period, then of the held-out test period.
PERIOD_KEYS = ("train_start", "train_end", "test_start", "test_end")
