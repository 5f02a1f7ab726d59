"""The scenario generator and discriminator: 1-D convolutions over the days of a return window.

Convolutions rather than a recurrent network: windows have a fixed, short length, so nothing needs
a recurrent state; convolutions see the whole window in parallel (an LSTM steps through it one day
at a time, several times slower on two CPU cores) and their receptive field (two dilated kernel-5
layers: 13 days) covers the clustering lags the evaluation measures. The generator multiplies an
"innovation" head by a positive "volatility" head (softplus), a neural stochastic-volatility form:
a product of two noise-driven signals is heavy-tailed and, because the volatility head is smooth
over time, clustered -- a purely additive ReLU network has near-Gaussian tails. The discriminator
sees x, x*x and the cumulative path, so tails, clustering and multi-day moves are easy for it to check.
"""

import keras
import numpy as np
from keras import layers

LEAKY_SLOPE = 0.2
CONV_FILTERS = 64
CONV_KERNEL = 5
DILATIONS = (1, 2)
# The discriminator halves the time axis twice after a first full-resolution convolution.
D_STRIDES = (1, 2, 2)
DENSE_UNITS = 64
# The volatility head starts near softplus(0) = 0.69; small initial weights keep it there early on.
VOL_HEAD_INIT_STDDEV = 0.01
# Without dropout D won and G shrank the spread (1-day VaR 15-25% too small); with 0.3 both stay level.
D_DROPOUT = 0.3


def build_generator(latent_dim, window, num_assets, num_regimes):
    """Noise (batch, latent_dim) ~ N(0,1) and one-hot regime (batch, num_regimes) -> x (batch, window, assets).

    x is unbounded (linear innovation times softplus volatility), in units of the standardised returns.
    """
    noise = keras.Input((latent_dim,), name="noise")
    regime = keras.Input((num_regimes,), name="regime")
    hidden = layers.Concatenate(name="noise_and_regime")([noise, regime])
    hidden = layers.Dense(window * CONV_FILTERS)(hidden)
    hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    hidden = layers.Reshape((window, CONV_FILTERS))(hidden)
    # The regime also enters every time step directly, so no layer can lose it.
    regime_steps = layers.RepeatVector(window)(regime)
    for dilation in DILATIONS:
        hidden = layers.Concatenate()([hidden, regime_steps])
        hidden = layers.Conv1D(CONV_FILTERS, CONV_KERNEL, padding="same", dilation_rate=dilation)(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    innovation = layers.Conv1D(num_assets, 1, name="innovation")(hidden)
    log_vol = layers.Conv1D(num_assets, 1, kernel_initializer=keras.initializers.RandomNormal(
        stddev=VOL_HEAD_INIT_STDDEV), name="volatility_logit")(hidden)
    volatility = layers.Activation("softplus", name="volatility")(log_vol)
    returns = layers.Multiply(name="returns")([innovation, volatility])
    return keras.Model([noise, regime], returns, name="cgan_timeseries_generator")


def build_discriminator(window, num_assets, num_regimes, dropout=D_DROPOUT):
    """x (batch, window, assets) and one-hot regime (batch, num_regimes) -> one real/fake logit (batch, 1).

    `dropout`: rate after each convolution.
    """
    returns = keras.Input((window, num_assets), name="returns")
    regime = keras.Input((num_regimes,), name="regime")
    squared = layers.Multiply(name="squared_returns")([returns, returns])
    regime_steps = layers.RepeatVector(window)(regime)
    # The cumulative path (a fixed upper-triangular sum over time) lets D see multi-day moves, which a
    # generator with mean-reverting wiggles would otherwise get away with (10-day VaR far too small).
    by_asset = layers.Permute((2, 1))(returns)
    summing = layers.Dense(window, use_bias=False, trainable=False, name="cumulative_sum")
    path = layers.Permute((2, 1), name="cumulative_path")(summing(by_asset))
    hidden = layers.Concatenate(name="returns_squares_path_regime")([returns, squared, path, regime_steps])
    for strides in D_STRIDES:
        hidden = layers.Conv1D(CONV_FILTERS, CONV_KERNEL, strides=strides, padding="same")(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
        hidden = layers.Dropout(dropout)(hidden)
    hidden = layers.Flatten()(hidden)
    hidden = layers.Concatenate()([hidden, regime])
    hidden = layers.Dense(DENSE_UNITS)(hidden)
    hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(hidden)
    logit = layers.Dense(1, name="logit")(hidden)
    summing.set_weights([np.triu(np.ones((window, window)))])
    return keras.Model([returns, regime], logit, name="cgan_timeseries_discriminator")
