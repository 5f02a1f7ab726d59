"""TimeGAN (Yoon, Jarrett & van der Schaar, NeurIPS 2019): five recurrent networks trained in three phases.

Shapes. Windows x are (batch, seq_len, features) in [0, 1]; latent sequences h are (batch, seq_len,
hidden_dim) in [0, 1]; noise z is (batch, seq_len, z_dim) ~ U(0, 1).

- embedder:      x -> h              recovery:   h -> x (reconstruction)
- generator:     z -> h (E_hat)      supervisor: h -> h one step ahead (H_hat)
- discriminator: h -> real/fake logit per time step (batch, seq_len, 1)

Every network is a stack of GRU or LSTM layers (the supervisor has one fewer) and a Dense head,
sigmoid except the discriminator's logit. Training runs three phases, each its own keras.Model
sharing the networks and driven by `common.training.train` with its own optimizers and checkpoint:

1. autoencoder: embedder + recovery on the reconstruction loss;
2. supervisor: the supervisor alone on the supervised (next latent step) loss, on real latents;
3. joint: per step, twice (generator + supervisor update, then embedder + recovery update), then a
   discriminator update only while its loss exceeds 0.15, as in the reference implementation.

The generation model saved for users chains generator -> supervisor -> recovery: noise (N, seq_len,
z_dim) -> windows (N, seq_len, features) in [0, 1], built from standard layers only.
"""

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from common import training
from common.errors import ToolkitError

RNN_MODULES = {"gru": layers.GRU, "lstm": layers.LSTM}
# Windows up to this length are unrolled: for the paper's 24-step windows a joint step inside
# training's fit() took 0.21 s instead of 0.28 s on 2 idle CPU cores, an autoencoder step 25 ms
# instead of 37 (benchmarks/timegan_unroll.py), for a few more minutes of graph building per run.
# Longer windows keep the loop, whose graph and memory do not grow with the length.
MAX_UNROLLED_STEPS = 48
PHASE_NAMES = ("autoencoder", "supervisor", "joint")
# Loss weights and thresholds of the reference implementation.
RECONSTRUCTION_WEIGHT = 10.0
SUPERVISED_WEIGHT = 100.0
MOMENT_WEIGHT = 100.0
JOINT_SUPERVISED_WEIGHT = 0.1
DISCRIMINATOR_LOSS_THRESHOLD = 0.15
GENERATOR_UPDATES_PER_STEP = 2
# Keeps the square roots of the moment loss differentiable at a zero variance.
MOMENT_EPSILON = 1e-6
GENERATE_BATCH = 1000


# ---- networks ----------------------------------------------------------------------------------
def build_recurrent_network(name, seq_len, input_dim, hidden_dim, num_layers, module, output_dim,
                            output_activation, unroll):
    """Input (batch, seq_len, input_dim) -> `num_layers` GRU/LSTM(hidden_dim) -> Dense(output_dim) per step.

    `unroll`: build the recurrence unrolled over the seq_len steps instead of as a loop.
    """
    inputs = keras.Input((seq_len, input_dim), name=f"{name}_input")
    hidden = inputs
    for index in range(num_layers):
        hidden = RNN_MODULES[module](hidden_dim, return_sequences=True, unroll=unroll,
                                     name=f"{name}_{module}_{index + 1}")(hidden)
    outputs = layers.Dense(output_dim, activation=output_activation, name=f"{name}_output")(hidden)
    return keras.Model(inputs, outputs, name=name)


@dataclass(frozen=True)
class Networks:
    """The five TimeGAN networks (shapes in the module docstring)."""

    embedder: keras.Model
    recovery: keras.Model
    generator: keras.Model
    supervisor: keras.Model
    discriminator: keras.Model

    def all(self):
        return [self.embedder, self.recovery, self.generator, self.supervisor, self.discriminator]


def build_networks(seq_len, num_features, z_dim, hidden_dim, num_layers, module, unroll=None):
    """The five networks for windows (seq_len, num_features); the supervisor gets num_layers - 1 layers (>= 1).

    `unroll`: unrolled recurrences; by default for windows of at most MAX_UNROLLED_STEPS steps.
    """
    if module not in RNN_MODULES:
        raise ToolkitError(f"--module must be one of {', '.join(RNN_MODULES)}; got {module!r}")
    if unroll is None:
        unroll = seq_len <= MAX_UNROLLED_STEPS

    def network(name, input_dim, layers_count, output_dim, activation):
        return build_recurrent_network(name, seq_len, input_dim, hidden_dim, layers_count, module, output_dim,
                                       activation, unroll)

    return Networks(
        embedder=network("embedder", num_features, num_layers, hidden_dim, "sigmoid"),
        recovery=network("recovery", hidden_dim, num_layers, num_features, "sigmoid"),
        generator=network("generator", z_dim, num_layers, hidden_dim, "sigmoid"),
        supervisor=network("supervisor", hidden_dim, max(num_layers - 1, 1), hidden_dim, "sigmoid"),
        discriminator=network("discriminator", hidden_dim, num_layers, 1, None),
    )


def build_generation_model(networks, name):
    """Generator -> supervisor -> recovery: noise (N, seq_len, z_dim) ~ U(0, 1) -> windows (N, seq_len, F) in [0, 1]."""
    noise = keras.Input(tuple(networks.generator.input_shape[1:]), name="noise")
    windows = networks.recovery(networks.supervisor(networks.generator(noise)))
    return keras.Model(noise, windows, name=name)


# ---- losses ------------------------------------------------------------------------------------
def reconstruction_loss(real, recovered):
    """10 * sqrt(mean squared error) between windows and their reconstruction (the paper's E_loss0)."""
    return RECONSTRUCTION_WEIGHT * ops.sqrt(ops.mean(ops.square(real - recovered)))


def supervised_loss(latent, supervised):
    """Mean squared error between latent step t+1 and the supervisor's prediction made at step t."""
    return ops.mean(ops.square(latent[:, 1:, :] - supervised[:, :-1, :]))


def moment_loss(real, fake):
    """Mean |std difference| + mean |mean difference| per (step, feature), moments over the batch."""
    real_std = ops.sqrt(ops.var(real, axis=0) + MOMENT_EPSILON)
    fake_std = ops.sqrt(ops.var(fake, axis=0) + MOMENT_EPSILON)
    return ops.mean(ops.abs(fake_std - real_std)) + ops.mean(ops.abs(ops.mean(fake, axis=0) - ops.mean(real, axis=0)))


def adversarial_loss(logits, target):
    """Mean sigmoid cross-entropy of per-step logits against a constant 0/1 target."""
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True))


# ---- the three phases --------------------------------------------------------------------------
class TimeGANPhase(keras.Model):
    """One training phase: owns the shared networks, its own optimizers and a step counter.

    Every phase checkpoints all five networks, so the latest phase checkpoint alone restores the
    whole model. Batches are windows (batch, seq_len, features) in [0, 1] unless a phase says otherwise.
    """

    loss_names = ()

    def __init__(self, networks, **kwargs):
        super().__init__(**kwargs)
        self.embedder = networks.embedder
        self.recovery = networks.recovery
        self.generator = networks.generator
        self.supervisor = networks.supervisor
        self.discriminator = networks.discriminator
        # The joint phase updates its networks twice per step, so steps are counted here rather than
        # read off an optimizer (see common.training.global_step).
        self.step_counter = keras.Variable(0, dtype="int64", trainable=False, name="step_counter")
        self.loss_trackers = [keras.metrics.Mean(name=name) for name in self.loss_names]
        self.built = True

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
        return logs

    @staticmethod
    def apply(optimizer, loss, tape, variables):
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))


class AutoencoderPhase(TimeGANPhase):
    """Phase 1: embedder and recovery learn to reconstruct the windows."""

    loss_names = ("reconstruction_loss",)

    def compile(self, autoencoder_optimizer):
        self.autoencoder_optimizer = autoencoder_optimizer
        self.attach_optimizers([(autoencoder_optimizer, self.trained_variables())])

    @property
    def optimizers(self):
        return [self.autoencoder_optimizer]

    def trained_variables(self):
        return self.embedder.trainable_variables + self.recovery.trainable_variables

    def train_step(self, real):
        variables = self.trained_variables()
        with tf.GradientTape() as tape:
            loss = reconstruction_loss(real, self.recovery(self.embedder(real, training=True), training=True))
        self.apply(self.autoencoder_optimizer, loss, tape, variables)
        return self.finish_step([loss])


class SupervisorPhase(TimeGANPhase):
    """Phase 2: the supervisor learns to predict the next latent step of real (embedded) windows."""

    loss_names = ("supervised_loss",)

    def compile(self, supervisor_optimizer):
        self.supervisor_optimizer = supervisor_optimizer
        self.attach_optimizers([(supervisor_optimizer, self.trained_variables())])

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
        self.apply(self.supervisor_optimizer, loss, tape, variables)
        return self.finish_step([loss])


class JointPhase(TimeGANPhase):
    """Phase 3: adversarial training of all five networks.

    Each element of the dataset holds GENERATOR_UPDATES_PER_STEP + 1 independent batches:
    (3, batch, seq_len, features). A step makes, for each of the first two, a generator + supervisor
    update and then an embedder + recovery update; the last batch serves the discriminator, which is
    updated only while its loss exceeds DISCRIMINATOR_LOSS_THRESHOLD (so it does not overpower G).
    `gamma` weighs the losses on the generator's raw latents E_hat against those on H_hat.
    """

    loss_names = ("d_loss", "g_loss", "e_loss")

    def __init__(self, networks, gamma=1.0, **kwargs):
        super().__init__(networks, **kwargs)
        self.gamma = gamma
        self.z_dim = int(networks.generator.input_shape[-1])

    def compile(self, generator_optimizer, embedder_optimizer, discriminator_optimizer):
        self.generator_optimizer = generator_optimizer
        self.embedder_optimizer = embedder_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.attach_optimizers([(generator_optimizer, self.generator_variables()),
                                (embedder_optimizer, self.embedder_variables()),
                                (discriminator_optimizer, self.discriminator.trainable_variables)])

    @property
    def optimizers(self):
        return [self.generator_optimizer, self.embedder_optimizer, self.discriminator_optimizer]

    def generator_variables(self):
        return self.generator.trainable_variables + self.supervisor.trainable_variables

    def embedder_variables(self):
        return self.embedder.trainable_variables + self.recovery.trainable_variables

    def sample_noise(self, real):
        shape = ops.shape(real)
        return tf.random.uniform((shape[0], shape[1], self.z_dim))

    def generator_step(self, real):
        """Adversarial (on H_hat and E_hat) + 100 sqrt(supervised) + 100 moment loss; trains G and S."""
        noise = self.sample_noise(real)
        latent = self.embedder(real, training=False)
        variables = self.generator_variables()
        with tf.GradientTape() as tape:
            raw_fake_latent = self.generator(noise, training=True)
            fake_latent = self.supervisor(raw_fake_latent, training=True)
            fake = self.recovery(fake_latent, training=False)
            adversarial = (adversarial_loss(self.discriminator(fake_latent, training=False), 1.0)
                           + self.gamma * adversarial_loss(self.discriminator(raw_fake_latent, training=False), 1.0))
            supervised = supervised_loss(latent, self.supervisor(latent, training=True))
            loss = (adversarial + SUPERVISED_WEIGHT * ops.sqrt(supervised)
                    + MOMENT_WEIGHT * moment_loss(real, fake))
        self.apply(self.generator_optimizer, loss, tape, variables)
        return loss

    def embedder_step(self, real):
        """Reconstruction + 0.1 supervised loss; trains the embedder and recovery."""
        variables = self.embedder_variables()
        with tf.GradientTape() as tape:
            latent = self.embedder(real, training=True)
            loss = (reconstruction_loss(real, self.recovery(latent, training=True))
                    + JOINT_SUPERVISED_WEIGHT * supervised_loss(latent, self.supervisor(latent, training=False)))
        self.apply(self.embedder_optimizer, loss, tape, variables)
        return loss

    def discriminator_step(self, real):
        """Real latents vs H_hat and E_hat; updates D only while its loss exceeds the threshold."""
        noise = self.sample_noise(real)
        latent = self.embedder(real, training=False)
        raw_fake_latent = self.generator(noise, training=False)
        fake_latent = self.supervisor(raw_fake_latent, training=False)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            loss = (adversarial_loss(self.discriminator(latent, training=True), 1.0)
                    + adversarial_loss(self.discriminator(fake_latent, training=True), 0.0)
                    + self.gamma * adversarial_loss(self.discriminator(raw_fake_latent, training=True), 0.0))
        gradients = tape.gradient(loss, variables)

        def update():
            self.discriminator_optimizer.apply_gradients(zip(gradients, variables))
            return tf.constant(True)

        tf.cond(loss > DISCRIMINATOR_LOSS_THRESHOLD, update, lambda: tf.constant(False))
        return loss

    def train_step(self, batches):
        for index in range(GENERATOR_UPDATES_PER_STEP):
            g_loss = self.generator_step(batches[index])
            e_loss = self.embedder_step(batches[index])
        d_loss = self.discriminator_step(batches[GENERATOR_UPDATES_PER_STEP])
        return self.finish_step([d_loss, g_loss, e_loss])


def build_phases(networks, learning_rate, gamma):
    """The three compiled phase models, each with its own Adam optimizers (the reference's defaults)."""
    autoencoder = AutoencoderPhase(networks, name="timegan_autoencoder")
    autoencoder.compile(keras.optimizers.Adam(learning_rate))
    supervisor = SupervisorPhase(networks, name="timegan_supervisor")
    supervisor.compile(keras.optimizers.Adam(learning_rate))
    joint = JointPhase(networks, gamma, name="timegan_joint")
    joint.compile(*(keras.optimizers.Adam(learning_rate) for _ in range(3)))
    return [autoencoder, supervisor, joint]


# ---- phased training with checkpoints and resume -----------------------------------------------
def phase_dir(out_dir, index):
    """Each phase keeps its checkpoint, loss history and plot in `<out_dir>/<n>_<phase>/`."""
    return Path(out_dir) / f"{index + 1}_{PHASE_NAMES[index]}"


def resume_point(phases, steps, out_dir):
    """(phase index to train next, whether it continues from its own checkpoint) for --resume.

    The latest phase with a checkpoint holds every network; if it is complete, its weights are
    restored here and training goes on with the next phase from its start.
    """
    saved = [index for index in range(len(phases)) if (phase_dir(out_dir, index) / training.CHECKPOINT_FILE).is_file()]
    if not saved:
        raise ToolkitError(f"--resume needs a checkpoint in {phase_dir(out_dir, 0)} (or a later phase); none found")
    latest = saved[-1]
    training.restore_checkpoint(phases[latest], phase_dir(out_dir, latest) / training.CHECKPOINT_FILE)
    done = training.global_step(phases[latest])
    if done < steps[latest]:
        return latest, True
    if latest == len(phases) - 1:
        raise ToolkitError(f"all three phases are complete in {out_dir} (joint phase at step {done}); "
                           f"--joint-steps must exceed {done} to train on; got {steps[latest]}")
    return latest + 1, False


def train_phases(phases, datasets, steps, out_dir, *, resume, checkpoint_every, sample_every, sample_writers):
    """Run the phases in order, each for steps[i] steps on datasets[i], with checkpoints and resume.

    `sample_writers[i](step, folder)` draws phase i's samples every `sample_every` steps. A fresh run
    removes the checkpoints of an earlier run in `out_dir`, so a later --resume never mixes two runs.
    """
    first, continuing = resume_point(phases, steps, out_dir) if resume else (0, False)
    for index in range(first, len(phases)):
        folder = phase_dir(out_dir, index)
        if not continuing:
            for later in range(index, len(phases)):
                (phase_dir(out_dir, later) / training.CHECKPOINT_FILE).unlink(missing_ok=True)
        print(f"phase {index + 1}/{len(phases)} ({PHASE_NAMES[index]}): {steps[index]} steps into {folder}")
        writer = sample_writers[index]
        training.train(phases[index], datasets[index], steps[index], folder, resume=continuing,
                       checkpoint_every=checkpoint_every, sample_every=sample_every,
                       write_samples=lambda step, writer=writer, folder=folder: writer(step, folder))
        continuing = False


# ---- generation --------------------------------------------------------------------------------
def sample_noise(count, seq_len, z_dim, seed):
    """Generator input (count, seq_len, z_dim) float32 ~ U(0, 1), reproducible from `seed`."""
    return np.random.default_rng(seed).uniform(size=(count, seq_len, z_dim)).astype("float32")


def generate(generation_model, count, seed):
    """`count` windows (count, seq_len, features) float64 in [0, 1] from the noise of `seed`."""
    _, seq_len, z_dim = generation_model.input_shape
    noise = sample_noise(count, seq_len, z_dim, seed)
    outputs = [np.asarray(generation_model(noise[begin:begin + GENERATE_BATCH], training=False), dtype=np.float64)
               for begin in range(0, count, GENERATE_BATCH)]
    return np.concatenate(outputs)
