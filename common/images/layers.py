"""Custom layers of the progressive and style-based GANs, registered so that saved models load in safe mode.

Images are (batch, height, width, channels) float32. The equalised-learning-rate layers (Karras et al.
2018) store N(0, 1 / lr_multiplier) weights and multiply them at run time by He's constant
gain / sqrt(fan_in) (times `lr_multiplier`), so Adam's per-parameter step sizes treat every layer alike.
"""

import math

import keras
from keras import ops

PACKAGE = "images"
# He's gain for leaky-ReLU layers, as the papers use it.
HE_GAIN = math.sqrt(2.0)
LEAKY_SLOPE = 0.2
# Keeps the normalisations finite for all-zero inputs.
EPSILON = 1e-8


def he_scale(fan_in, gain=HE_GAIN, lr_multiplier=1.0):
    """The run-time weight multiplier of an equalised layer: gain / sqrt(fan_in) * lr_multiplier."""
    return gain / math.sqrt(fan_in) * lr_multiplier


def leaky_relu(values):
    """Leaky ReLU with slope 0.2, the activation of every hidden layer here."""
    return ops.leaky_relu(values, negative_slope=LEAKY_SLOPE)


@keras.saving.register_keras_serializable(package=PACKAGE)
class EqualizedDense(keras.layers.Layer):
    """Dense layer with the equalised learning rate: (batch, in) -> (batch, units)."""

    def __init__(self, units, gain=HE_GAIN, lr_multiplier=1.0, bias_init=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.gain, self.lr_multiplier, self.bias_init = units, gain, lr_multiplier, bias_init

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.scale = he_scale(fan_in, self.gain, self.lr_multiplier)
        self.kernel = self.add_weight(
            name="kernel", shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier))
        self.bias = self.add_weight(name="bias", shape=(self.units,),
                                    initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier))

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel * self.scale) + self.bias * self.lr_multiplier

    def get_config(self):
        return {**super().get_config(), "units": self.units, "gain": self.gain,
                "lr_multiplier": self.lr_multiplier, "bias_init": self.bias_init}


@keras.saving.register_keras_serializable(package=PACKAGE)
class EqualizedConv2D(keras.layers.Layer):
    """'Same'-padded, stride-1 convolution with the equalised learning rate: (b, h, w, in) -> (b, h, w, filters)."""

    def __init__(self, filters, kernel_size, gain=HE_GAIN, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.gain = filters, kernel_size, gain

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.scale = he_scale(self.kernel_size * self.kernel_size * channels, self.gain)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, inputs):
        return ops.conv(inputs, self.kernel * self.scale, padding="same") + self.bias

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size, "gain": self.gain}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PixelNorm(keras.layers.Layer):
    """Pixel-wise feature normalisation: each pixel's feature vector scaled to unit mean square (last axis)."""

    def call(self, inputs):
        return inputs * ops.rsqrt(ops.mean(ops.square(inputs), axis=-1, keepdims=True) + EPSILON)


@keras.saving.register_keras_serializable(package=PACKAGE)
class MinibatchStdDev(keras.layers.Layer):
    """Minibatch standard deviation (Karras et al. 2018): (b, h, w, c) -> (b, h, w, c + 1).

    The extra feature map holds, for every image, the standard deviation of each feature over groups
    of `group_size` images, averaged over features and pixels: a discriminator sees how varied a
    batch is, so a generator that collapses onto few images is caught. The batch size must be a
    multiple of the group size (or smaller than it: one group).
    """

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = group_size

    def call(self, inputs):
        batch = ops.shape(inputs)[0]
        height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3]
        group = ops.minimum(self.group_size, batch)
        grouped = ops.reshape(inputs, (group, -1, height, width, channels))
        deviation = ops.sqrt(ops.var(grouped, axis=0) + EPSILON)
        statistic = ops.mean(deviation, axis=(1, 2, 3), keepdims=True)  # (batch / group, 1, 1, 1)
        statistic = ops.tile(statistic, (group, height, width, 1))
        return ops.concatenate([inputs, statistic], axis=-1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


@keras.saving.register_keras_serializable(package=PACKAGE)
class FadeIn(keras.layers.Layer):
    """Linear blend of the old path and the new block: [old, new] -> old + alpha * (new - old).

    `alpha` is a non-trainable weight (saved and checkpointed with the network) that training moves
    from 0 to 1 while a new resolution is faded in.
    """

    def build(self, input_shape):
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="zeros", trainable=False,
                                     aggregation="only_first_replica")

    def call(self, inputs):
        old, new = inputs
        return old + self.alpha * (new - old)
