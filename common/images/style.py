"""StyleGAN2 (Karras et al. 2020): mapping network, modulated convolutions, noise, skip outputs, and its training.

The generator is one Keras model, noise z (batch, latent_dim) ~ N(0, 1) -> images (batch, R, R,
channels), made of three named parts that generation and the tests reach inside:
- "mapping" (a sub-model): z -> w (batch, latent_dim), pixel norm then equalised dense layers at
  a 0.01 learning-rate multiplier;
- "truncation" (a layer): w -> per-layer styles ws (batch, num_ws, latent_dim), pulled towards the
  running mean `w_avg` by psi (1: unchanged, 0: every image the mean w); generation can instead pull
  each w towards its nearest of K centres of w (`w_centres`, multi-modal truncation);
- "synthesis" (a sub-model): ws -> images, from a learned 4x4 constant through modulated/demodulated
  3x3 convolutions with per-pixel noise of learned strength, and RGB outputs at every resolution
  summed through upsampling skips.
num_ws = 2 log2(R) - 2; ws[0] drives the 4x4 convolution, ws[1] its RGB output and the first 8x8
convolution, and so on upwards, so the first styles are the coarse ones.

Training (`StyleGAN`): the non-saturating logistic loss, R1 on real images every `R1_INTERVAL` steps
(lazy regularisation), style mixing on 90% of the batches, the moving average of w, and an
exponential moving average of G's weights, which is the generator that gets saved.
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from common.batching import predict_in_batches
from common.gan import GAN, apply_gradients, float32, replica_mean, run_when, scaled_loss
from common.images.layers import (
    EPSILON,
    HE_GAIN,
    LEAKY_SLOPE,
    PACKAGE,
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStdDev,
    PixelNorm,
    he_scale,
    leaky_relu,
)
from common.images.progressive import START_RESOLUTION, filters_at, resolutions_up_to

MAPPING_LR_MULTIPLIER = 0.01
# The moving average of w moves this much towards each batch's mean w (StyleGAN's w_avg_beta).
W_AVERAGE_BETA = 0.995
# StyleGAN2-ADA's small-dataset settings: half-life of G's weight average in images, R1 weight and
# interval, style-mixing probability, Adam betas.
EMA_HALF_LIFE_IMAGES = 10_000
R1_GAMMA = 0.01
R1_INTERVAL = 16
MIXING_PROBABILITY = 0.9
ADAM_BETAS = (0.0, 0.99)
ADAM_EPSILON = 1e-8
# The layers whose styles count as coarse: those working at 4x4 and 8x8.
COARSE_RESOLUTION = 8
# Multi-modal truncation: codes mapped to find the centres of w, and k-means restarts.
W_CENTRE_SAMPLES = 20_000
KMEANS_RESTARTS = 3


def num_styles(resolution):
    """Styles the synthesis network takes at `resolution`: 2 log2(R) - 2."""
    return 2 * int(math.log2(resolution)) - 2


def coarse_styles(resolution):
    """How many of the first styles drive the layers at 4x4 and 8x8 (4 at any resolution >= 8)."""
    return min(num_styles(COARSE_RESOLUTION), num_styles(resolution))


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConstantInput(keras.layers.Layer):
    """The learned starting map: styles (batch, num_ws, w_dim) -> (batch, size, size, channels), one per image."""

    def __init__(self, channels, size=START_RESOLUTION, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.size = channels, size

    def build(self, input_shape):
        self.constant = self.add_weight(name="constant", shape=(1, self.size, self.size, self.channels),
                                        initializer=keras.initializers.RandomNormal(stddev=1.0))

    def call(self, styles):
        return ops.tile(self.constant, (ops.shape(styles)[0], 1, 1, 1))

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}


@keras.saving.register_keras_serializable(package=PACKAGE)
class StyledConv(keras.layers.Layer):
    """A modulated convolution driven by one style: [x (b, h, w, in), ws (b, num_ws, w_dim)] -> (b, h', w', filters).

    The style ws[:, style_index] goes through an affine map (bias 1) to one scale per input channel;
    the convolution weights are scaled by it and, with `demodulate`, each output channel is divided
    by the resulting weights' norm (StyleGAN2's replacement for AdaIN). Computed as scale-input,
    convolve, scale-output, which is the same arithmetic as per-sample weights. With `upsample`, x is
    first doubled (bilinear). With `use_noise`, per-pixel N(0, 1) noise times a learned strength
    (starting at 0) is added; `noise_enabled = False` switches it off at inference. `activate` adds
    the leaky ReLU (gain sqrt 2); the RGB outputs are linear and not demodulated.
    """

    def __init__(self, filters, kernel_size, style_index, upsample=False, demodulate=True, use_noise=True,
                 activate=True, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.style_index = filters, kernel_size, style_index
        self.upsample, self.demodulate, self.use_noise, self.activate = upsample, demodulate, use_noise, activate
        self.noise_enabled = True

    def build(self, input_shape):
        image_shape, styles_shape = input_shape
        channels, style_dim = int(image_shape[-1]), int(styles_shape[-1])
        self.affine_scale = he_scale(style_dim, gain=1.0)
        self.weight_scale = he_scale(self.kernel_size * self.kernel_size * channels, gain=1.0)
        normal = keras.initializers.RandomNormal(stddev=1.0)
        self.affine_kernel = self.add_weight(name="affine_kernel", shape=(style_dim, channels), initializer=normal)
        self.affine_bias = self.add_weight(name="affine_bias", shape=(channels,), initializer="ones")
        self.kernel = self.add_weight(name="kernel", shape=(self.kernel_size, self.kernel_size, channels,
                                                            self.filters), initializer=normal)
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        if self.use_noise:
            self.noise_strength = self.add_weight(name="noise_strength", shape=(), initializer="zeros")

    def call(self, inputs):
        image, styles = inputs
        style = ops.matmul(styles[:, self.style_index], self.affine_kernel * self.affine_scale) + self.affine_bias
        if self.upsample:
            height, width = image.shape[1], image.shape[2]
            image = ops.image.resize(image, (2 * height, 2 * width), interpolation="bilinear")
        weight = self.kernel * self.weight_scale
        out = ops.conv(image * style[:, None, None, :], weight, padding="same")
        if self.demodulate:
            # Norm of each sample's modulated weights per output channel: sqrt(sum_{k,k,in} (w * s_in)^2).
            norms = ops.matmul(ops.square(style), ops.sum(ops.square(weight), axis=(0, 1)))
            out = out * ops.rsqrt(norms + EPSILON)[:, None, None, :]
        if self.use_noise and self.noise_enabled:
            shape = ops.shape(out)
            out = out + self.noise_strength * tf.random.normal((shape[0], shape[1], shape[2], 1), dtype=out.dtype)
        out = out + self.bias
        return leaky_relu(out) * HE_GAIN if self.activate else out

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "style_index": self.style_index, "upsample": self.upsample, "demodulate": self.demodulate,
                "use_noise": self.use_noise, "activate": self.activate}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Truncation(keras.layers.Layer):
    """w (batch, w_dim) -> ws (batch, num_ws, w_dim) = w_avg + psi * (w - w_avg), one copy per style.

    `w_avg` is a non-trainable weight that training keeps as a moving average of w; `psi` is set
    at generation time (1: no truncation).
    """

    def __init__(self, num_ws, psi=1.0, **kwargs):
        super().__init__(**kwargs)
        self.num_ws, self.psi = num_ws, psi

    def build(self, input_shape):
        # Training sets it from the mean over every replica (see StyleGAN.follow_w_average).
        self.w_avg = self.add_weight(name="w_avg", shape=(int(input_shape[-1]),), initializer="zeros",
                                     trainable=False, aggregation="only_first_replica")

    def call(self, w):
        truncated = self.w_avg + self.psi * (w - self.w_avg)
        return ops.repeat(truncated[:, None, :], self.num_ws, axis=1)

    def get_config(self):
        return {**super().get_config(), "num_ws": self.num_ws, "psi": self.psi}


def build_mapping(latent_dim, num_layers):
    """z (batch, latent_dim) -> w (batch, latent_dim)."""
    z = keras.Input((latent_dim,), name="z")
    hidden = PixelNorm(name="z_norm")(z)
    for index in range(num_layers):
        hidden = EqualizedDense(latent_dim, lr_multiplier=MAPPING_LR_MULTIPLIER, name=f"mapping_dense{index}")(hidden)
        hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"mapping_act{index}")(hidden)
    return keras.Model(z, hidden, name="mapping")


def build_synthesis(resolution, channels, latent_dim, max_filters):
    """ws (batch, num_ws, latent_dim) -> images (batch, R, R, channels), roughly in [-1, 1] (linear output).

    Layers are named by resolution: "conv_4x4", "conv0_8x8", "conv1_8x8", "rgb_8x8", ...
    """
    ws = keras.Input((num_styles(resolution), latent_dim), name="ws")
    hidden = ConstantInput(filters_at(START_RESOLUTION, max_filters), name="constant_4x4")(ws)
    hidden = StyledConv(filters_at(START_RESOLUTION, max_filters), 3, 0, name="conv_4x4")([hidden, ws])
    rgb = StyledConv(channels, 1, 1, demodulate=False, use_noise=False, activate=False, name="rgb_4x4")([hidden, ws])
    for level, size in enumerate(resolutions_up_to(resolution)[1:], start=1):
        width, tag = filters_at(size, max_filters), f"{size}x{size}"
        hidden = StyledConv(width, 3, 2 * level - 1, upsample=True, name=f"conv0_{tag}")([hidden, ws])
        hidden = StyledConv(width, 3, 2 * level, name=f"conv1_{tag}")([hidden, ws])
        new_rgb = StyledConv(channels, 1, 2 * level + 1, demodulate=False, use_noise=False, activate=False,
                             name=f"rgb_{tag}")([hidden, ws])
        rgb = layers.Add(name=f"skip_{tag}")([layers.UpSampling2D(interpolation="bilinear",
                                                                   name=f"rgb_up_{tag}")(rgb), new_rgb])
    return keras.Model(ws, rgb, name="synthesis")


def build_generator(resolution, channels, latent_dim, max_filters, mapping_layers):
    """The saved generator: z -> mapping -> truncation -> synthesis (see the module docstring)."""
    z = keras.Input((latent_dim,), name="z")
    w = build_mapping(latent_dim, mapping_layers)(z)
    ws = Truncation(num_styles(resolution), name="truncation")(w)
    image = build_synthesis(resolution, channels, latent_dim, max_filters)(ws)
    return keras.Model(z, image, name="stylegan_generator")


def build_discriminator(resolution, channels, max_filters):
    """Residual discriminator: images (batch, R, R, channels) -> logit (batch, 1), minibatch stddev at 4x4."""
    image = keras.Input((resolution, resolution, channels), name="image")
    hidden = EqualizedConv2D(filters_at(resolution, max_filters), 1, name=f"from_rgb_{resolution}")(image)
    hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name="from_rgb_act")(hidden)
    for size in reversed(resolutions_up_to(resolution)[1:]):
        width, narrower = filters_at(size, max_filters), filters_at(size // 2, max_filters)
        skip = layers.AveragePooling2D(2, name=f"skip_down_{size}")(hidden)
        skip = EqualizedConv2D(narrower, 1, gain=1.0, name=f"skip_{size}")(skip)
        branch = EqualizedConv2D(width, 3, name=f"conv0_{size}")(hidden)
        branch = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"act0_{size}")(branch)
        branch = EqualizedConv2D(narrower, 3, name=f"conv1_{size}")(branch)
        branch = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"act1_{size}")(branch)
        branch = layers.AveragePooling2D(2, name=f"down_{size}")(branch)
        # Halving the variance of the sum keeps activations at the same scale through the blocks.
        hidden = layers.Rescaling(1 / math.sqrt(2), name=f"residual_{size}")(layers.Add()([branch, skip]))
    first = filters_at(START_RESOLUTION, max_filters)
    hidden = MinibatchStdDev(name="minibatch_stddev")(hidden)
    hidden = EqualizedConv2D(first, 3, name="conv_4x4")(hidden)
    hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name="act_4x4")(hidden)
    hidden = layers.Flatten()(hidden)
    hidden = EqualizedDense(first, name="dense_4x4")(hidden)
    hidden = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name="act_dense_4x4")(hidden)
    logit = EqualizedDense(1, gain=1.0, name="logit")(hidden)
    return keras.Model(image, logit, name="stylegan_discriminator")


def set_noise(generator, enabled):
    """Switch the per-pixel noise of every modulated convolution in `generator` on or off (eager calls)."""
    for layer in generator.get_layer("synthesis").layers:
        if isinstance(layer, StyledConv):
            layer.noise_enabled = enabled


def styles(generator, z, psi=1.0, centres=None):
    """Per-layer styles (N, num_ws, latent_dim) of latent codes z (N, latent_dim), truncated by `psi`
    towards the mean w, or with `centres` (K, latent_dim) towards each w's nearest centre."""
    truncation = generator.get_layer("truncation")
    w = generator.get_layer("mapping")(z, training=False)
    if centres is None:
        anchor = ops.convert_to_tensor(truncation.w_avg)
    else:
        centres = ops.convert_to_tensor(centres, dtype=w.dtype)
        distances = ops.sum(ops.square(w[:, None, :] - centres[None, :, :]), axis=-1)
        anchor = ops.take(centres, ops.argmin(distances, axis=1), axis=0)
    return ops.repeat((anchor + psi * (w - anchor))[:, None, :], truncation.num_ws, axis=1)


def w_centres(generator, count, seed, samples=W_CENTRE_SAMPLES):
    """Multi-modal truncation's anchors (Mokady et al. 2022): k-means centres (count, latent_dim) of the
    w of `samples` codes drawn with `seed`. On data of several classes the mean w lies between classes,
    so truncating towards it turns samples into the classes next to it; each cluster's centre keeps them."""
    from sklearn.cluster import KMeans

    z = np.random.default_rng(seed).normal(size=(samples, int(generator.inputs[0].shape[-1]))).astype("float32")
    w = np.asarray(predict_in_batches(generator.get_layer("mapping"), z))
    clusters = KMeans(count, n_init=KMEANS_RESTARTS, random_state=seed).fit(w)
    return clusters.cluster_centers_.astype("float32")


class StyleGAN(GAN):
    """StyleGAN2 training on the one GAN loop: the networks, the regularisers and the averages as hooks.

    `generator` and `generator_ema` are two `build_generator` models of the same settings; the
    second starts as a copy of the first and follows it as the base GAN's moving average of G's weights
    (buffers such as w_avg are copied after `auxiliary_steps` has moved them). Batches
    hold real images (batch, R, R, channels) in [-1, 1] (labels, if any, unused).
    """

    auxiliary_loss_names = ("r1_penalty",)

    def __init__(self, generator, discriminator, generator_ema, latent_dim, r1_gamma=R1_GAMMA,
                 r1_interval=R1_INTERVAL, mixing_probability=MIXING_PROBABILITY, **kwargs):
        super().__init__(generator, discriminator, latent_dim, generator_ema=generator_ema,
                         ema_half_life_images=EMA_HALF_LIFE_IMAGES, **kwargs)
        self.start_average()
        self.mapping = generator.get_layer("mapping")
        self.synthesis = generator.get_layer("synthesis")
        self.truncation = generator.get_layer("truncation")
        self.num_ws = self.truncation.num_ws
        self.r1_gamma, self.r1_interval, self.mixing_probability = r1_gamma, r1_interval, mixing_probability
        self.last_r1 = keras.Variable(0.0, trainable=False, name="last_r1_penalty",
                                      aggregation="only_first_replica")

    def sample_noise(self, batch_size):
        """Two latent codes per image (batch, 2, latent_dim): the second is used by style mixing."""
        return tf.random.normal((batch_size, 2, self.latent_dim))

    def generate(self, noise, conditions, training=False):
        """Images from codes (batch, 2, latent_dim): with probability `mixing_probability` the styles
        switch from the first code's w to the second's at a random layer, else the first's throughout."""
        batch_size = ops.shape(noise)[0]
        w = ops.reshape(self.mapping(ops.reshape(noise, (-1, self.latent_dim)), training=training),
                        (batch_size, 2, self.latent_dim))
        crossover = tf.random.uniform((), 1, self.num_ws, dtype="int32")
        crossover = ops.where(tf.random.uniform(()) < self.mixing_probability, crossover, self.num_ws)
        layer_index = ops.arange(self.num_ws)[None, :, None]
        ws = ops.where(layer_index < crossover, w[:, :1], w[:, 1:])
        return self.synthesis(ws, training=training)

    def discriminator_loss(self, real_output, fake_output, real_conditions, fake_conditions):
        """Logistic loss: softplus(D(fake)) + softplus(-D(real)) (no label smoothing; R1 regularises D)."""
        return ops.mean(ops.softplus(fake_output)) + ops.mean(ops.softplus(-real_output))

    def generator_loss(self, fake_output, fake_conditions):
        """Non-saturating loss: softplus(-D(fake))."""
        return ops.mean(ops.softplus(-fake_output))

    def auxiliary_steps(self, real, real_conditions):
        """Lazy R1 on D every `r1_interval` steps, then the w average follows G (G's weight average follows
        after this hook, in the base step).

        Reports the R1 penalty (mean squared gradient norm on real images, over the global batch) of
        the last step that took it.
        """
        due = ops.equal(self.g_optimizer.iterations % self.r1_interval, 0)
        run_when(due, self.r1_step, real)
        self.follow_w_average(ops.shape(real)[0])
        return {"r1_penalty": ops.convert_to_tensor(self.last_r1)}

    def r1_step(self, real):
        """One D update on gamma/2 * |grad D(real)|^2, weighted by the interval (lazy regularisation)."""
        variables = self.discriminator_variables()
        with tf.GradientTape() as tape:
            with tf.GradientTape() as input_tape:
                input_tape.watch(real)
                output = float32(self.discriminate(real, None, training=True))
            gradients = ops.cast(input_tape.gradient(output, real), "float32")
            penalty = ops.mean(ops.sum(ops.square(gradients), axis=(1, 2, 3)))
            loss = scaled_loss(penalty * (self.r1_gamma / 2) * self.r1_interval, self.d_optimizer)
        # D's output bias has no gradient with respect to the input, so none in the penalty either:
        # apply_gradients leaves it out.
        apply_gradients(self.d_optimizer, tape.gradient(loss, variables), variables)
        self.last_r1.assign(replica_mean(penalty))

    def follow_w_average(self, batch_size):
        w = self.mapping(tf.random.normal((batch_size, self.latent_dim)), training=False)
        # Each replica samples its own codes: the mean over all of them keeps the replicas' averages equal.
        mean = replica_mean(ops.mean(ops.cast(w, "float32"), axis=0))
        self.truncation.w_avg.assign(mean + W_AVERAGE_BETA * (self.truncation.w_avg - mean))


def optimizers(learning_rate):
    """(D's, G's) Adam; D's steps and betas are rescaled for the lazy R1 updates it also makes."""
    ratio = R1_INTERVAL / (R1_INTERVAL + 1)
    discriminator = keras.optimizers.Adam(learning_rate * ratio, beta_1=ADAM_BETAS[0] ** ratio,
                                          beta_2=ADAM_BETAS[1] ** ratio, epsilon=ADAM_EPSILON)
    generator = keras.optimizers.Adam(learning_rate, beta_1=ADAM_BETAS[0], beta_2=ADAM_BETAS[1],
                                      epsilon=ADAM_EPSILON)
    return discriminator, generator


def build_stylegan(resolution, channels, latent_dim, max_filters, mapping_layers, learning_rate):
    """A compiled `StyleGAN` at `resolution` with `channels` image channels."""
    generator, generator_ema = (build_generator(resolution, channels, latent_dim, max_filters, mapping_layers)
                                for _ in range(2))
    gan = StyleGAN(generator, build_discriminator(resolution, channels, max_filters), generator_ema, latent_dim)
    gan.compile(*optimizers(learning_rate))
    return gan
