"""Market scenarios: a conditional GAN that generates multi-asset daily return windows by volatility regime.

`names` holds the regime names and the other constants the command line needs (no TensorFlow);
`data` loads and aligns prices and builds the market state (returns, trailing volatilities, regimes,
windows); `risk` holds VaR/ES, the Kupiec and Christoffersen backtests and the GARCH(1,1)-t and
historical-simulation baselines; `networks` the 1-D convolutional generator and discriminator;
`scenarios` the generator's settings (the versioned sidecar, written and read there) and scenario
generation in return units; `evaluation` the per-regime risk, stylized-fact and held-out backtest
reports; `plots` this family's figures.
"""
