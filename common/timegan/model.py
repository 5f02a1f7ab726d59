"""TimeGAN's losses and its three training phases, each a keras.Model sharing the five networks.

Batches are windows (batch, seq_len, features) in [0, 1]. Each phase has its own optimizers and is
driven by `common.training.train`:

1. autoencoder: embedder + recovery on the reconstruction loss;
2. supervisor: the supervisor alone on the supervised (next latent step) loss, on real latents;
3. joint: per step, twice (generator + supervisor update, then embedder + recovery update), then a
   discriminator update only while its loss exceeds 0.15, as in the reference implementation.
   Options beyond the paper, all off by default: noise features held over a window's steps
   (`window_noise_dim`), a loss on within-window correlations (`dependence_weight`) and the moment
   loss on the supervised latents against the real ones (`latent_moment_weight`).

Graph size decides how long a phase waits before its first step: the joint step keeps the recurrent
loops and runs its two generator updates as one traced loop body (benchmarks/timegan_unroll.py
measures both choices). Where one network is applied to several batches (the discriminator to real
and both fake latents, the supervisor to generated and real latents) it runs once on them stacked:
on 2 CPU cores that saved 8% of the step's CPU time and a fifth of the wait for its first step.
"""

import keras
import tensorflow as tf
from keras import ops

from common.gan import (
    PrebuiltModel,
    apply_gradients,
    apply_gradients_when,
    float32,
    loss_scaled,
    replica_mean,
    scaled_loss,
    step_logs,
)
from common.timegan.networks import set_unrolled

# Loss weights and thresholds of the reference implementation.
RECONSTRUCTION_WEIGHT = 10.0
SUPERVISED_WEIGHT = 100.0
MOMENT_WEIGHT = 100.0
JOINT_SUPERVISED_WEIGHT = 0.1
DISCRIMINATOR_LOSS_THRESHOLD = 0.15
GENERATOR_UPDATES_PER_STEP = 2
# Keeps the square roots of the moment loss differentiable at a zero variance.
MOMENT_EPSILON = 1e-6


def reconstruction_loss(real, recovered):
    """10 * sqrt(mean squared error) between windows and their reconstruction (the paper's E_loss0)."""
    return RECONSTRUCTION_WEIGHT * ops.sqrt(ops.mean(ops.square(float32(real) - float32(recovered))))


def supervised_loss(latent, supervised):
    """Mean squared error between latent step t+1 and the supervisor's prediction made at step t."""
    latent, supervised = float32(latent), float32(supervised)
    return ops.mean(ops.square(latent[:, 1:, :] - supervised[:, :-1, :]))


def moment_loss(real, fake):
    """Mean |std difference| + mean |mean difference| per (step, feature), moments over the batch."""
    real, fake = float32(real), float32(fake)
    real_std = ops.sqrt(ops.var(real, axis=0) + MOMENT_EPSILON)
    fake_std = ops.sqrt(ops.var(fake, axis=0) + MOMENT_EPSILON)
    return ops.mean(ops.abs(fake_std - real_std)) + ops.mean(ops.abs(ops.mean(fake, axis=0) - ops.mean(real, axis=0)))


def within_window_dependence(windows):
    """Cross-column correlations (features, features) and lag-1 autocorrelations (features,) of windows
    (batch, seq_len, features), each window centred on its own means, pooled over the batch."""
    centred = windows - ops.mean(windows, axis=1, keepdims=True)
    covariance = ops.einsum("btf,btg->fg", centred, centred)
    variance = ops.diagonal(covariance) + MOMENT_EPSILON
    correlation = covariance / ops.sqrt(ops.expand_dims(variance, 0) * ops.expand_dims(variance, 1))
    lagged = ops.sum(centred[:, 1:] * centred[:, :-1], axis=(0, 1))
    return correlation, lagged / variance


def dependence_loss(real, fake):
    """Mean |difference| of the within-window cross-column and lag-1 correlations (each in [-1, 1]).

    The per-step moments leave these free, and they are what a classifier on whole windows tells apart
    first on wide tables (spurious correlations between independent noise columns, wrong smoothness).
    """
    real_correlation, real_lagged = within_window_dependence(float32(real))
    fake_correlation, fake_lagged = within_window_dependence(float32(fake))
    return ops.mean(ops.abs(fake_correlation - real_correlation)) + ops.mean(ops.abs(fake_lagged - real_lagged))


def call_stacked(network, inputs, training):
    """[network(x) for x in inputs] as one call on the inputs stacked along the batch (each recurrent
    step then runs once for all of them); `inputs` differ only in their batch size."""
    outputs = network(ops.concatenate(inputs, axis=0), training=training)
    return tf.split(outputs, [ops.shape(x)[0] for x in inputs], axis=0)


def adversarial_loss(logits, target):
    """Mean sigmoid cross-entropy of per-step logits against a constant 0/1 target."""
    logits = float32(logits)
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True))


# ---- the three phases --------------------------------------------------------------------------
class TimeGANPhase(PrebuiltModel):
    """One training phase: owns the shared networks, its own optimizers and a step counter.

    Every phase checkpoints all five networks, so the latest phase checkpoint alone restores the
    whole model. Batches are windows (batch, seq_len, features) in [0, 1] unless a phase says otherwise.
    """

    loss_names = ()
    # Unroll the recurrences while this phase trains (if the networks were built to allow it).
    unrolled = True

    def __init__(self, networks, **kwargs):
        super().__init__(**kwargs)
        self.embedder = networks.embedder
        self.recovery = networks.recovery
        self.generator = networks.generator
        self.supervisor = networks.supervisor
        self.discriminator = networks.discriminator
        # The joint phase updates its networks twice per step, so steps are counted here rather than
        # read off an optimizer (see common.training.global_step).
        self.step_counter = keras.Variable(0, dtype="int64", trainable=False, name="step_counter",
                                           aggregation="only_first_replica")
        self.loss_trackers = [keras.metrics.Mean(name=name) for name in self.loss_names]
        self.may_unroll = any(getattr(layer, "unroll", False) for net in self.networks for layer in net.layers)
        self.built = True

    def make_train_function(self, force=False):
        # The step is traced at its first call, within this fit(): the layers' setting then holds.
        set_unrolled(self.networks, self.unrolled and self.may_unroll)
        return super().make_train_function(force)

    @property
    def metrics(self):
        return self.loss_trackers

    @property
    def networks(self):
        return [self.embedder, self.recovery, self.generator, self.supervisor, self.discriminator]

    def attach_optimizers(self, optimizers_and_variables):
        """Compile with one optimizer per trained network group: [(optimizer, variables), ...]."""
        super().compile()
        optimizers = [optimizer for optimizer, _ in optimizers_and_variables]
        if len({id(optimizer) for optimizer in optimizers}) != len(optimizers):
            raise ValueError("each network group needs its own optimizer instance")
        for optimizer, variables in optimizers_and_variables:
            # Slots now, so that a checkpoint has them to restore into.
            optimizer.build(variables)

    def finish_step(self, losses):
        """Count the step and return the logs: each loss's running mean and this step's value."""
        self.step_counter.assign_add(1)
        logs = {}
        for tracker, loss in zip(self.loss_trackers, losses):
            tracker.update_state(loss)
            logs[tracker.name] = tracker.result()
            logs[f"{tracker.name}_step"] = loss
        return step_logs(logs)

    @staticmethod
    def apply(optimizer, scaled, tape, variables):
        """Apply the gradients of `scaled` (a `common.gan.scaled_loss`, taken inside the tape)."""
        apply_gradients(optimizer, tape.gradient(scaled, variables), variables)


class AutoencoderPhase(TimeGANPhase):
    """Phase 1: embedder and recovery learn to reconstruct the windows."""

    loss_names = ("reconstruction_loss",)

    def compile(self, autoencoder_optimizer):
        self.autoencoder_optimizer = loss_scaled(autoencoder_optimizer)
        self.attach_optimizers([(self.autoencoder_optimizer, self.trained_variables())])

    @property
    def optimizers(self):
        return [self.autoencoder_optimizer]

    def trained_variables(self):
        return self.embedder.trainable_variables + self.recovery.trainable_variables

    def train_step(self, real):
        variables = self.trained_variables()
        with tf.GradientTape() as tape:
            loss = reconstruction_loss(real, self.recovery(self.embedder(real, training=True), training=True))
            scaled = scaled_loss(loss, self.autoencoder_optimizer)
        self.apply(self.autoencoder_optimizer, scaled, tape, variables)
        return self.finish_step([loss])


class SupervisorPhase(TimeGANPhase):
    """Phase 2: the supervisor learns to predict the next latent step of real (embedded) windows."""

    loss_names = ("supervised_loss",)

    def compile(self, supervisor_optimizer):
        self.supervisor_optimizer = loss_scaled(supervisor_optimizer)
        self.attach_optimizers([(self.supervisor_optimizer, self.trained_variables())])

    @property
    def optimizers(self):
        return [self.supervisor_optimizer]

    def trained_variables(self):
        # The reference hands the generator's variables to this optimizer too, but the loss does not
        # depend on them: only the supervisor learns here.
        return self.supervisor.trainable_variables

    def train_step(self, real):
        latent = self.embedder(real, training=False)
        variables = self.trained_variables()
        with tf.GradientTape() as tape:
            loss = supervised_loss(latent, self.supervisor(latent, training=True))
            scaled = scaled_loss(loss, self.supervisor_optimizer)
        self.apply(self.supervisor_optimizer, scaled, tape, variables)
        return self.finish_step([loss])


class JointPhase(TimeGANPhase):
    """Phase 3: adversarial training of all five networks.

    Each element of the dataset holds GENERATOR_UPDATES_PER_STEP + 1 independent batches side by side:
    (batch, 3, seq_len, features). A step makes, for each of the first two, a generator + supervisor
    update and then an embedder + recovery update; the last batch serves the discriminator, which is
    updated only while its loss exceeds DISCRIMINATOR_LOSS_THRESHOLD (so it does not overpower G).
    `discriminator_updates` above 1 gives it more updates a step, on the step's batches in turn from
    the last, each against fresh noise (the paper makes one; on wide data one leaves it behind the
    generator, docs/timegan.md). `gamma` weighs the losses on the generator's raw latents E_hat
    against those on H_hat. `latent_moment_weight` adds that weight times the moment loss between the
    real latents H and H_hat: a post-hoc classifier tells them apart completely on wide data
    (docs/timegan.md), and the paper's moments judge only the recovered windows.
    """

    loss_names = ("d_loss", "g_loss", "e_loss")
    # Unrolled, this step's graph took minutes to build before its first step; looped, seconds.
    unrolled = False
    # One network call on several batches stacked along the batch (the same losses, fewer loop steps);
    # False calls the network once per batch, as before (benchmarks/timegan_unroll.py compares them).
    stack_calls = True

    def __init__(self, networks, gamma=1.0, window_noise_dim=0, dependence_weight=0.0, discriminator_updates=1,
                 latent_moment_weight=0.0, **kwargs):
        super().__init__(networks, **kwargs)
        self.dependence_weight = dependence_weight
        self.latent_moment_weight = latent_moment_weight
        self.discriminator_updates = discriminator_updates
        self.gamma = gamma
        self.z_dim = int(networks.generator.input_shape[-1])
        self.window_noise_dim = window_noise_dim

    def compile(self, generator_optimizer, embedder_optimizer, discriminator_optimizer):
        self.generator_optimizer = loss_scaled(generator_optimizer)
        self.embedder_optimizer = loss_scaled(embedder_optimizer)
        self.discriminator_optimizer = loss_scaled(discriminator_optimizer)
        self.attach_optimizers([(self.generator_optimizer, self.generator_variables()),
                                (self.embedder_optimizer, self.embedder_variables()),
                                (self.discriminator_optimizer, self.discriminator.trainable_variables)])

    @property
    def optimizers(self):
        return [self.generator_optimizer, self.embedder_optimizer, self.discriminator_optimizer]

    def generator_variables(self):
        return self.generator.trainable_variables + self.supervisor.trainable_variables

    def embedder_variables(self):
        return self.embedder.trainable_variables + self.recovery.trainable_variables

    def sample_noise(self, real):
        """(batch, seq_len, z_dim) ~ U(0, 1); the first window_noise_dim features held over the window's steps."""
        shape = ops.shape(real)
        per_step = tf.random.uniform((shape[0], shape[1], self.z_dim - self.window_noise_dim))
        per_window = tf.random.uniform((shape[0], 1, self.window_noise_dim))
        return tf.concat([tf.tile(per_window, [1, shape[1], 1]), per_step], axis=-1)

    def call_each(self, network, inputs, training):
        """[network(x) for x in inputs], stacked into one call unless `stack_calls` is off."""
        if self.stack_calls:
            return call_stacked(network, inputs, training)
        return [network(x, training=training) for x in inputs]

    def generator_step(self, real):
        """Adversarial (on H_hat and E_hat) + 100 sqrt(supervised) + 100 moment loss (+ the weighted
        dependence loss and latent moment loss); trains G and S."""
        noise = self.sample_noise(real)
        latent = self.embedder(real, training=False)
        variables = self.generator_variables()
        with tf.GradientTape() as tape:
            raw_fake_latent = self.generator(noise, training=True)
            fake_latent, supervised_latent = self.call_each(self.supervisor, [raw_fake_latent, latent], training=True)
            fake = self.recovery(fake_latent, training=False)
            fake_logits, raw_fake_logits = self.call_each(self.discriminator, [fake_latent, raw_fake_latent],
                                                          training=False)
            adversarial = adversarial_loss(fake_logits, 1.0) + self.gamma * adversarial_loss(raw_fake_logits, 1.0)
            supervised = supervised_loss(latent, supervised_latent)
            loss = (adversarial + SUPERVISED_WEIGHT * ops.sqrt(supervised)
                    + MOMENT_WEIGHT * moment_loss(real, fake))
            if self.dependence_weight:
                loss += self.dependence_weight * dependence_loss(real, fake)
            if self.latent_moment_weight:
                loss += self.latent_moment_weight * moment_loss(latent, fake_latent)
            scaled = scaled_loss(loss, self.generator_optimizer)
        self.apply(self.generator_optimizer, scaled, tape, variables)
        return loss

    def embedder_step(self, real):
        """Reconstruction + 0.1 supervised loss; trains the embedder and recovery."""
        variables = self.embedder_variables()
        with tf.GradientTape() as tape:
            latent = self.embedder(real, training=True)
            loss = (reconstruction_loss(real, self.recovery(latent, training=True))
                    + JOINT_SUPERVISED_WEIGHT * supervised_loss(latent, self.supervisor(latent, training=False)))
            scaled = scaled_loss(loss, self.embedder_optimizer)
        self.apply(self.embedder_optimizer, scaled, tape, variables)
        return loss

    def discriminator_step(self, real):
        """Real latents vs H_hat and E_hat; updates D only while its loss exceeds the threshold."""
        noise = self.sample_noise(real)
        latent = self.embedder(real, training=False)
        raw_fake_latent = self.generator(noise, training=False)
        fake_latent = self.supervisor(raw_fake_latent, training=False)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits, fake_logits, raw_fake_logits = self.call_each(
                self.discriminator, [latent, fake_latent, raw_fake_latent], training=True)
            loss = (adversarial_loss(real_logits, 1.0) + adversarial_loss(fake_logits, 0.0)
                    + self.gamma * adversarial_loss(raw_fake_logits, 0.0))
            scaled = scaled_loss(loss, self.discriminator_optimizer)
        # Every replica takes the same decision, on the loss of the whole global batch.
        apply_gradients_when(replica_mean(loss) > DISCRIMINATOR_LOSS_THRESHOLD, self.discriminator_optimizer,
                             tape.gradient(scaled, variables), variables)
        return loss

    def train_step(self, batches):
        """`batches` (batch, GENERATOR_UPDATES_PER_STEP + 1, seq_len, features): independent batches side by
        side, so that a distribution strategy splits each of them along the batch."""
        num_batches = GENERATOR_UPDATES_PER_STEP + 1

        def discriminator_batch(update):
            return batches[:, (GENERATOR_UPDATES_PER_STEP + update) % num_batches]

        if tf.distribute.get_strategy().num_replicas_in_sync > 1:
            # An optimizer update synchronises the replicas, which it cannot do inside a graph loop.
            for index in range(GENERATOR_UPDATES_PER_STEP):
                g_loss, e_loss = self.generator_step(batches[:, index]), self.embedder_step(batches[:, index])
            for update in range(self.discriminator_updates):
                d_loss = self.discriminator_step(discriminator_batch(update))
        else:
            # One loop body for the generator updates and one for the discriminator's: each traced
            # once, not once per update.
            def update_generator(index, g_loss, e_loss):
                return index + 1, self.generator_step(batches[:, index]), self.embedder_step(batches[:, index])

            def update_discriminator(update, d_loss):
                return update + 1, self.discriminator_step(discriminator_batch(update))

            _, g_loss, e_loss = tf.while_loop(lambda index, g_loss, e_loss: index < GENERATOR_UPDATES_PER_STEP,
                                              update_generator, (tf.constant(0), tf.constant(0.0), tf.constant(0.0)))
            _, d_loss = tf.while_loop(lambda update, d_loss: update < self.discriminator_updates,
                                      update_discriminator, (tf.constant(0), tf.constant(0.0)))
        return self.finish_step([d_loss, g_loss, e_loss])


def build_phases(networks, learning_rate, gamma, window_noise_dim=0, dependence_weight=0.0, discriminator_updates=1,
                 latent_moment_weight=0.0):
    """The three compiled phase models, each with its own Adam optimizers (the reference's defaults)."""
    autoencoder = AutoencoderPhase(networks, name="timegan_autoencoder")
    autoencoder.compile(keras.optimizers.Adam(learning_rate))
    supervisor = SupervisorPhase(networks, name="timegan_supervisor")
    supervisor.compile(keras.optimizers.Adam(learning_rate))
    joint = JointPhase(networks, gamma, window_noise_dim, dependence_weight, discriminator_updates,
                       latent_moment_weight, name="timegan_joint")
    joint.compile(*(keras.optimizers.Adam(learning_rate) for _ in range(3)))
    return [autoencoder, supervisor, joint]
