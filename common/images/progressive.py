"""Progressive GAN (Karras et al. 2018): networks grown from 4x4 to the target resolution, block by block.

Training runs in phases: 4x4 stabilisation, then for each doubling a fade-in phase (the new block's
output is blended in with alpha rising linearly from 0 to 1) and a stabilisation phase. Every phase
is a `ProgressiveGAN` whose generator and discriminator are built from one shared set of layers, so
the weights carry from phase to phase; each phase is one `training.train` run with its own folder,
checkpoint and fresh Adam state (as the paper's code resets it). Losses: WGAN-GP with the drift term.

Shapes: noise (batch, latent_dim) ~ N(0, 1); images (batch, r, r, channels) in [-1, 1] at the
phase's resolution r; the discriminator gives one critic score (batch, 1).
"""

import math
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import tensorflow as tf
from keras import layers, ops

from common import training
from common.gan import GAN, apply_gradients, float32, scaled_loss
from common.images.layers import (
    LEAKY_SLOPE,
    EqualizedConv2D,
    EqualizedDense,
    FadeIn,
    MinibatchStdDev,
    PixelNorm,
)

START_RESOLUTION = 4
# Feature maps: `max_filters` up to this resolution, halving with every doubling beyond it (the papers'
# code halves them the same way from 32x32 on, at 512 maps; a CPU needs fewer, and fewer at full size).
FULL_WIDTH_RESOLUTION = 8
# WGAN-GP (Gulrajani et al. 2017) and the paper's drift term that keeps critic scores near 0.
GRADIENT_PENALTY_WEIGHT = 10.0
DRIFT_WEIGHT = 1e-3
# The saved generator is a moving average of G's weights over the last phase: the paper's decay of
# 0.999 per batch of 16 is a half-life of about 11k images.
EMA_HALF_LIFE_IMAGES = 10_000
# The paper's Adam: no momentum, beta_2 0.99.
ADAM_BETAS = (0.0, 0.99)
ADAM_EPSILON = 1e-8
# The dense layer that makes the 4x4 map uses gain sqrt(2)/4 in the paper's code (its fan-out is 16x).
STEM_GAIN_DIVISOR = 4
FADE, STABLE = "fade", "stable"


def filters_at(resolution, max_filters):
    """Feature maps of the blocks working at `resolution`."""
    return int(max(1, min(max_filters, max_filters * FULL_WIDTH_RESOLUTION // resolution)))


def resolutions_up_to(resolution):
    """4, 8, ..., `resolution` (a power of two >= 4)."""
    return [START_RESOLUTION * 2 ** level for level in range(int(math.log2(resolution // START_RESOLUTION)) + 1)]


@dataclass(frozen=True)
class Phase:
    """One training phase: the resolution it trains at, and whether it fades that resolution in."""

    resolution: int
    kind: str

    @property
    def name(self):
        return f"{self.resolution}x{self.resolution}_{self.kind}"


def phase_plan(resolution):
    """The phases up to `resolution`: 4x4 stable, then (fade, stable) for each doubling."""
    plan = [Phase(START_RESOLUTION, STABLE)]
    for size in resolutions_up_to(resolution)[1:]:
        plan += [Phase(size, FADE), Phase(size, STABLE)]
    return plan


class ProgressiveNetworks:
    """Every layer of the full-size generator and discriminator, built once and shared by the phase models.

    `generator(r, fading)` and `discriminator(r, fading)` return Keras models at resolution r; with
    `fading`, the r-resolution block is blended with the path that ends at r/2, through a `FadeIn`
    layer whose alpha training sets.
    """

    def __init__(self, resolution, channels, latent_dim, max_filters):
        self.resolution, self.channels, self.latent_dim = resolution, channels, latent_dim
        self.max_filters = max_filters
        sizes = resolutions_up_to(resolution)
        width = {size: filters_at(size, max_filters) for size in sizes}
        first = width[START_RESOLUTION]
        self.stem = [
            PixelNorm(name="g_latent_norm"),
            EqualizedDense(START_RESOLUTION * START_RESOLUTION * first,
                           gain=math.sqrt(2) / STEM_GAIN_DIVISOR, name="g_dense_4x4"),
            layers.Reshape((START_RESOLUTION, START_RESOLUTION, first), name="g_reshape_4x4"),
            layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name="g_act_dense_4x4"),
            PixelNorm(name="g_norm_dense_4x4"),
            EqualizedConv2D(first, 3, name="g_conv_4x4"),
            layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name="g_act_4x4"),
            PixelNorm(name="g_norm_4x4"),
        ]
        self.g_blocks = {
            size: [layers.UpSampling2D(name=f"g_up_{size}")] + [
                layer for index in range(2) for layer in (
                    EqualizedConv2D(width[size], 3, name=f"g_conv{index}_{size}"),
                    layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"g_act{index}_{size}"),
                    PixelNorm(name=f"g_norm{index}_{size}"))
            ] for size in sizes[1:]
        }
        self.to_rgb = {size: EqualizedConv2D(channels, 1, gain=1.0, name=f"to_rgb_{size}") for size in sizes}
        self.from_rgb = {
            size: [EqualizedConv2D(width[size], 1, name=f"from_rgb_{size}"),
                   layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"d_act_rgb_{size}")] for size in sizes
        }
        self.d_blocks = {
            size: [EqualizedConv2D(width[size], 3, name=f"d_conv0_{size}"),
                   layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"d_act0_{size}"),
                   EqualizedConv2D(width[size // 2], 3, name=f"d_conv1_{size}"),
                   layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"d_act1_{size}"),
                   layers.AveragePooling2D(2, name=f"d_down_{size}")] for size in sizes[1:]
        }
        self.d_final = [
            MinibatchStdDev(name="d_minibatch_stddev"),
            EqualizedConv2D(first, 3, name="d_conv_4x4"),
            layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name="d_act_4x4"),
            layers.Flatten(name="d_flatten"),
            EqualizedDense(first, name="d_dense_4x4"),
            layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name="d_act_dense_4x4"),
            EqualizedDense(1, gain=1.0, name="critic"),
        ]

    def twin(self):
        """Fresh layers of the same settings (for the moving average of G's weights)."""
        return ProgressiveNetworks(self.resolution, self.channels, self.latent_dim, self.max_filters)

    def generator(self, resolution, fading=False):
        """Noise (batch, latent_dim) -> images (batch, r, r, channels), linear output (no tanh, as in the paper)."""
        noise = keras.Input((self.latent_dim,), name="noise")
        hidden = _apply(self.stem, noise)
        sizes = resolutions_up_to(resolution)
        for size in sizes[1:-1] if fading else sizes[1:]:
            hidden = _apply(self.g_blocks[size], hidden)
        image = self.to_rgb[resolution](_apply(self.g_blocks[resolution], hidden) if fading else hidden)
        if fading:
            old = layers.UpSampling2D(name=f"g_fade_up_{resolution}")(self.to_rgb[resolution // 2](hidden))
            image = FadeIn(name=f"g_fade_{resolution}")([old, image])
        return keras.Model(noise, image, name=f"progan_generator_{resolution}")

    def discriminator(self, resolution, fading=False):
        """Images (batch, r, r, channels) in [-1, 1] -> critic score (batch, 1)."""
        image = keras.Input((resolution, resolution, self.channels), name="image")
        hidden = _apply(self.from_rgb[resolution], image)
        if resolution > START_RESOLUTION:
            hidden = _apply(self.d_blocks[resolution], hidden)
        if fading:
            old = layers.AveragePooling2D(2, name=f"d_fade_down_{resolution}")(image)
            old = _apply(self.from_rgb[resolution // 2], old)
            hidden = FadeIn(name=f"d_fade_{resolution}")([old, hidden])
        for size in reversed(resolutions_up_to(resolution)[1:-1]):
            hidden = _apply(self.d_blocks[size], hidden)
        return keras.Model(image, _apply(self.d_final, hidden), name=f"progan_discriminator_{resolution}")


def _apply(stack, tensor):
    for layer in stack:
        tensor = layer(tensor)
    return tensor


class ProgressiveGAN(GAN):
    """One phase of progressive training: WGAN-GP with drift, real images brought to the phase resolution.

    Batches hold real images (batch, R, R, channels) in [-1, 1] at the target resolution R (labels,
    if any, unused); they are average-pooled to the phase's resolution r. In a fade-in phase of
    `fade_steps` steps, alpha = steps done / fade_steps, and the real images are blended the same way
    as the generator's output: the r/2 image upsampled, moving to the r image as alpha rises.
    """

    def __init__(self, generator, discriminator, latent_dim, source_resolution, fade_steps=None, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.resolution = int(generator.outputs[0].shape[1])
        self.pool = source_resolution // self.resolution
        self.fade_steps = fade_steps
        self.fades = [layer for net in (generator, discriminator) for layer in net.layers if isinstance(layer, FadeIn)]

    def current_alpha(self):
        """Fade-in weight of the new block after the steps done so far: 0 -> 1 over `fade_steps`, else 1."""
        if not self.fade_steps:
            return ops.convert_to_tensor(1.0)
        done = ops.cast(self.g_optimizer.iterations, "float32")
        return ops.minimum(done / self.fade_steps, 1.0)

    def train_step(self, data):
        alpha = self.current_alpha()
        for fade in self.fades:
            fade.alpha.assign(alpha)
        return super().train_step(data)

    def split_batch(self, data):
        real, _ = super().split_batch(data)
        if self.pool > 1:
            real = ops.average_pool(real, self.pool, self.pool)
        if self.fades:
            coarse = ops.repeat(ops.repeat(ops.average_pool(real, 2, 2), 2, axis=1), 2, axis=2)
            real = coarse + self.current_alpha() * (real - coarse)
        return real, None

    def discriminator_step(self, real, real_conditions):
        batch_size = ops.shape(real)[0]
        # Under a mixed policy the generator's output is in the compute dtype; the blend is in float32.
        fake = ops.cast(self.generate(self.sample_noise(batch_size), None, training=True), real.dtype)
        mix = tf.random.uniform((batch_size, 1, 1, 1))
        between = real + mix * (fake - real)
        variables = self.discriminator_variables()
        with tf.GradientTape() as tape:
            real_output = float32(self.discriminate(real, None, training=True))
            fake_output = float32(self.discriminate(fake, None, training=True))
            with tf.GradientTape() as penalty_tape:
                penalty_tape.watch(between)
                between_output = float32(self.discriminate(between, None, training=True))
            slopes = ops.sqrt(ops.sum(ops.square(ops.cast(penalty_tape.gradient(between_output, between), "float32")),
                                      axis=(1, 2, 3)))
            penalty = ops.mean(ops.square(slopes - 1.0))
            loss = (self.discriminator_loss(real_output, fake_output, None, None)
                    + GRADIENT_PENALTY_WEIGHT * penalty)
            scaled = scaled_loss(loss, self.d_optimizer)
        apply_gradients(self.d_optimizer, tape.gradient(scaled, variables), variables)
        return loss

    def discriminator_loss(self, real_output, fake_output, real_conditions, fake_conditions):
        """Wasserstein critic loss plus the drift term (the gradient penalty is added in the step)."""
        return ops.mean(fake_output) - ops.mean(real_output) + DRIFT_WEIGHT * ops.mean(ops.square(real_output))

    def generator_loss(self, fake_output, fake_conditions):
        return -ops.mean(fake_output)


def adam(learning_rate):
    """The paper's optimizer for one network of one phase."""
    return keras.optimizers.Adam(learning_rate, beta_1=ADAM_BETAS[0], beta_2=ADAM_BETAS[1], epsilon=ADAM_EPSILON)


def build_phases(networks, learning_rate, steps, fade_steps):
    """A compiled `ProgressiveGAN` for each phase of `phase_plan(networks.resolution)`, sharing the layers.

    `steps` and `fade_steps` are the lengths of stabilisation and fade-in phases.
    """
    gans = []
    plan = phase_plan(networks.resolution)
    for index, phase in enumerate(plan):
        fading = phase.kind == FADE
        # The last phase, at full resolution, keeps the moving average of G's weights that gets saved.
        average = networks.twin().generator(phase.resolution) if index == len(plan) - 1 else None
        gan = ProgressiveGAN(networks.generator(phase.resolution, fading),
                             networks.discriminator(phase.resolution, fading), networks.latent_dim,
                             networks.resolution, fade_steps if fading else None, generator_ema=average,
                             ema_half_life_images=EMA_HALF_LIFE_IMAGES)
        gan.compile(adam(learning_rate), adam(learning_rate))
        gans.append(gan)
    return gans


def phase_lengths(resolution, steps, fade_steps, final_steps):
    """Steps of each phase of `phase_plan(resolution)`: `fade_steps` for fade-ins, `steps` for
    stabilisations, `final_steps` for the last one, at full resolution (the paper's runs also spend
    their remaining images there)."""
    lengths = [fade_steps if phase.kind == FADE else steps for phase in phase_plan(resolution)]
    return lengths[:-1] + [final_steps]


def phase_dir(out_dir, index, resolution):
    """Phase i keeps its checkpoint, loss history and samples in `<out_dir>/<i+1>_<r>x<r>_<kind>/`."""
    return Path(out_dir) / f"{index + 1}_{phase_plan(resolution)[index].name}"


def resume_point(gans, lengths, out_dir, resolution):
    """(phase index to train next, whether it continues from its own checkpoint) for --resume.

    The latest phase with a checkpoint holds the weights of every layer grown so far; if it is
    complete, they are restored here and the next phase starts from its first step.
    """
    checkpoints = [phase_dir(out_dir, index, resolution) / training.CHECKPOINT_FILE for index in range(len(gans))]
    return training.resume_phase(gans, lengths, checkpoints, steps_flag="--final-steps")


def train_progressively(gans, dataset, lengths, out_dir, *, resume, overwrite, checkpoint_every, sample_every,
                        write_samples):
    """Run the phases in order with `training.train`, resuming inside the phase a run stopped in.

    `write_samples(generator, step, folder)` draws a phase's samples. Returns the seconds each phase
    took, by phase name (phases already complete before a resume are left out).
    """
    resolution = int(gans[-1].generator.outputs[0].shape[1])
    seconds = {}
    with training.claim_run_folder(out_dir, resume=resume, overwrite=overwrite) as claimed:
        first, continuing = resume_point(gans, lengths, out_dir, resolution) if resume else (0, False)
        for index in range(first, len(gans)):
            folder = phase_dir(out_dir, index, resolution)
            phase = phase_plan(resolution)[index]
            print(f"phase {index + 1}/{len(gans)} ({phase.name}): {lengths[index]} steps into {folder}")
            gan = gans[index]
            if not continuing:
                gan.start_average()
            started = time.monotonic()
            training.train(gan, dataset, lengths[index], folder, resume=continuing, folder=claimed,
                           checkpoint_every=checkpoint_every, sample_every=sample_every,
                           write_samples=lambda step, gan=gan, folder=folder: write_samples(gan.final_generator,
                                                                                            step, folder))
            seconds[phase.name] = time.monotonic() - started
            continuing = False
    return seconds

