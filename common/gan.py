"""The one GAN training model shared by every script, and its variants.

Keras 3 no longer honours the classic "compile D, freeze it, compile G+D" recipe: the frozen
combined model silently stops D from training. Instead a single `keras.Model` owns the generator
and the discriminator, each with its own optimizer, and `train_step` updates D and then G. Drive
it with `fit()`. Variants (conditional, auxiliary-classifier, InfoGAN, ...) override the small
hooks below and never copy the loop.

Under `tf.distribute` each replica's loss is scaled by 1/replicas (`scaled_loss`): the optimizer
sums the replicas' gradients, which then equal the gradient of the global batch's mean loss. Under
the `mixed_float16` policy `compile` wraps each optimizer in a `LossScaleOptimizer` and the steps
scale each loss by its optimizer's factor (the optimizer unscales the gradients); network outputs
are cast to float32 before any loss.
"""

import keras
import tensorflow as tf
from keras import ops

from common import losses

# Radford et al. 2015 initialise every weight of a DCGAN from N(0, 0.02); the convolutional
# networks of every family start the same way.
DCGAN_INIT_STDDEV = 0.02

# Keys of a batch that carries the fakes' random inputs instead of sampling them: a dict
# {"batch": <the usual batch>, "d_noise": ..., "g_noise": ...} plus, for conditional GANs,
# "d_conditions" and "g_conditions" (one-hot). Distributed, every tensor is split along the batch
# like the real samples, so a known step can be replayed on any number of replicas.
FED_BATCH = "batch"


class PrebuiltModel(keras.Model):
    """A training model whose networks are built before `fit()`: under a distribution strategy Keras
    would otherwise build it by averaging its first batch over the replicas, which consumes a batch
    and fails under MultiWorkerMirroredStrategy."""

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        if not self.built:
            super()._maybe_symbolic_build(iterator, data_batch)


class GAN(PrebuiltModel):
    """Unconditional GAN.

    Batches from the dataset are `(samples, labels)` pairs (labels unused here) or bare samples.
    The generator maps noise (batch, latent_dim) ~ N(0, 1) to samples; the discriminator maps
    samples to a logit (batch, 1), or to a nested structure of outputs in variants.
    With `generator_ema` (a model built like the generator) the GAN also keeps an exponential moving
    average of G's weights, with a half-life of `ema_half_life_images`, updated after every step and
    checkpointed; it is the `final_generator` to sample and save.
    """

    # Losses of the updates `auxiliary_steps` makes after D's and G's, by name (none here).
    auxiliary_loss_names = ()

    def __init__(self, generator, discriminator, latent_dim, generator_ema=None, ema_half_life_images=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.generator_ema = generator_ema
        self.ema_half_life_images = ema_half_life_images
        self.loss_trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_names}
        # Both networks are built functional models, so the GAN is usable as it stands (and
        # fit() must not try to build it by calling it on a data batch).
        self.built = True

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Attach one optimizer per network (one optimizer instance cannot serve two models)."""
        super().compile(**kwargs)
        if d_optimizer is g_optimizer:
            raise ValueError("the discriminator and generator need separate optimizer instances")
        self.d_optimizer = loss_scaled(d_optimizer)
        self.g_optimizer = loss_scaled(g_optimizer)
        d_optimizer, g_optimizer = self.d_optimizer, self.g_optimizer
        # Create the optimizer slots now, under the caller's distribution scope: slots created
        # lazily inside a distributed train step fail, and a checkpoint needs them to restore into.
        d_optimizer.build(self.discriminator_variables())
        g_optimizer.build(self.generator_variables())

    @property
    def loss_names(self):
        """The losses each training step reports: "d_loss", "g_loss", then the auxiliary ones."""
        return ("d_loss", "g_loss", *self.auxiliary_loss_names)

    @property
    def metrics(self):
        """Running means of the losses over the current epoch (Keras resets them each epoch)."""
        return list(self.loss_trackers.values())

    @property
    def networks(self):
        """The networks whose variables make up the GAN's state (checkpointed with the optimizers)."""
        return [self.generator, self.discriminator] + ([] if self.generator_ema is None else [self.generator_ema])

    @property
    def final_generator(self):
        """The generator to sample and save: the moving average of G's weights where the GAN keeps one."""
        return self.generator if self.generator_ema is None else self.generator_ema

    def start_average(self):
        """Start the moving average of G's weights (if kept) from G's weights now."""
        if self.generator_ema is not None:
            self.generator_ema.set_weights(self.generator.get_weights())

    def follow_average(self, batch_size):
        """After a step of `batch_size` images, the moving average of G's weights (if kept) follows G."""
        if self.generator_ema is not None:
            follow_weights(self.generator_ema, self.generator, batch_size, self.ema_half_life_images)

    @property
    def optimizers(self):
        """The optimizers in checkpoint order: discriminator, then generator."""
        return [self.d_optimizer, self.g_optimizer]

    # ---- hooks for variants -------------------------------------------------------------
    def split_batch(self, data):
        """A dataset batch -> (real samples, real conditions or None)."""
        real = data[0] if isinstance(data, tuple) else data
        return real, None

    def sample_conditions(self, batch_size):
        """Conditions for a batch of fakes; None for an unconditional GAN."""
        return None

    def generate(self, noise, conditions, training=False):
        """Generator output for `noise` (and `conditions`)."""
        return self.generator(noise, training=training)

    def discriminate(self, samples, conditions, training=False):
        """Discriminator output for `samples` (and `conditions`)."""
        return self.discriminator(samples, training=training)

    def discriminator_loss(self, real_output, fake_output, real_conditions, fake_conditions):
        return losses.discriminator_loss(real_output, fake_output)

    def generator_loss(self, fake_output, fake_conditions):
        return losses.generator_loss(fake_output)

    def auxiliary_steps(self, real, real_conditions):
        """Further updates after D's and G's on the same real batch; returns {name: loss} for every
        name in `auxiliary_loss_names` (none here)."""
        return {}

    def discriminator_variables(self):
        """Variables the discriminator step trains."""
        return self.discriminator.trainable_variables

    def generator_variables(self):
        """Variables the generator step trains."""
        return self.generator.trainable_variables

    # ---- the loop -----------------------------------------------------------------------
    def sample_noise(self, batch_size):
        return tf.random.normal((batch_size, self.latent_dim))

    def fake_inputs(self, batch_size, fed=None):
        """(noise, conditions) for a batch of fakes: `fed` (a pair from the batch) or freshly sampled."""
        if fed is not None:
            return fed
        return self.sample_noise(batch_size), self.sample_conditions(batch_size)

    def discriminator_step(self, real, real_conditions, fed=None):
        """One update of the discriminator on a real batch and as many fakes. Returns the loss."""
        noise, fake_conditions = self.fake_inputs(ops.shape(real)[0], fed)
        # Fakes are made outside the tape: D's step needs no gradient through G.
        fake = self.generate(noise, fake_conditions, training=True)
        variables = self.discriminator_variables()
        with tf.GradientTape() as tape:
            # Real and fake batches go through D separately (Radford et al. 2015): batch statistics
            # in D then describe one kind of sample each, as they do in the generator's all-fake step.
            real_output = float32(self.discriminate(real, real_conditions, training=True))
            fake_output = float32(self.discriminate(fake, fake_conditions, training=True))
            loss = self.discriminator_loss(real_output, fake_output, real_conditions, fake_conditions)
            scaled = scaled_loss(loss, self.d_optimizer)
        apply_gradients(self.d_optimizer, tape.gradient(scaled, variables), variables)
        return loss

    def generator_step(self, batch_size, fed=None):
        """One update of the generator through the (unchanged) discriminator. Returns the loss."""
        noise, fake_conditions = self.fake_inputs(batch_size, fed)
        variables = self.generator_variables()
        with tf.GradientTape() as tape:
            fake = self.generate(noise, fake_conditions, training=True)
            fake_output = float32(self.discriminate(fake, fake_conditions, training=True))
            loss = self.generator_loss(fake_output, fake_conditions)
            scaled = scaled_loss(loss, self.g_optimizer)
        apply_gradients(self.g_optimizer, tape.gradient(scaled, variables), variables)
        return loss

    def train_step(self, data):
        fed = data if isinstance(data, dict) else None
        real, real_conditions = self.split_batch(data[FED_BATCH] if fed else data)
        if fed:
            # Only the base steps take fed inputs; a variant that overrides a step samples its own.
            d_loss = self.discriminator_step(real, real_conditions, _fed_pair(fed, "d"))
            g_loss = self.generator_step(ops.shape(real)[0], _fed_pair(fed, "g"))
        else:
            d_loss = self.discriminator_step(real, real_conditions)
            g_loss = self.generator_step(ops.shape(real)[0])
        step_losses = {"d_loss": d_loss, "g_loss": g_loss, **self.auxiliary_steps(real, real_conditions)}
        self.follow_average(ops.shape(real)[0])
        logs = {}
        for name, loss in step_losses.items():
            self.loss_trackers[name].update_state(loss)
            # The running mean for the progress bar, and this step's loss for the loss history.
            logs[name] = self.loss_trackers[name].result()
            logs[f"{name}_step"] = loss
        return step_logs(logs)


class ConditionalGAN(GAN):
    """CGAN (Mirza & Osindero 2014): both networks also take the one-hot class label.

    Batches are `(samples, labels)` with int labels (batch,) in 0..num_classes-1. Fakes get labels
    drawn uniformly, so every class is trained equally.
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.num_classes = num_classes

    def split_batch(self, data):
        real, labels = data
        return real, ops.one_hot(ops.cast(labels, "int32"), self.num_classes)

    def sample_conditions(self, batch_size):
        labels = tf.random.uniform((batch_size,), 0, self.num_classes, dtype=tf.int32)
        return ops.one_hot(labels, self.num_classes)

    def generate(self, noise, conditions, training=False):
        return self.generator([noise, conditions], training=training)

    def discriminate(self, samples, conditions, training=False):
        return self.discriminator([samples, conditions], training=training)


class ACGAN(ConditionalGAN):
    """ACGAN: the conditional GAN whose discriminator classifies instead of taking the label.

    Discriminator outputs are `[validity logit (batch, 1), class logits (batch, num_classes)]`;
    the base GAN splits both into their real and fake halves. Feed it class-balanced real batches
    (`batching.endless_batches` with `balance_labels`): its fake labels are uniform, and the two
    class mixes must match.
    """

    def discriminate(self, samples, conditions, training=False):
        return self.discriminator(samples, training=training)

    def discriminator_loss(self, real_output, fake_output, real_conditions, fake_conditions):
        real_validity, real_classes = real_output
        fake_validity, fake_classes = fake_output
        adversarial = losses.discriminator_loss(real_validity, fake_validity)
        real_classification = losses.classification_loss(real_conditions, real_classes)
        fake_classification = losses.classification_loss(fake_conditions, fake_classes)
        return adversarial + real_classification + fake_classification

    def generator_loss(self, fake_output, fake_conditions):
        fake_validity, fake_classes = fake_output
        return losses.generator_loss(fake_validity) + losses.classification_loss(fake_conditions, fake_classes)


def per_replica_loss(loss):
    """Scale a per-replica mean loss so that summing gradients over replicas gives the mean.

    Under `tf.distribute` the optimizer sums the replicas' gradients; without it this is a no-op.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss / replicas if replicas > 1 else loss


def loss_scaled(optimizer):
    """`optimizer` wrapped in a `LossScaleOptimizer` under the `mixed_float16` policy (float16 gradients
    underflow without it), else unchanged. Its `iterations` and learning rate are the inner optimizer's."""
    if keras.mixed_precision.dtype_policy().name != "mixed_float16":
        return optimizer
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


def scaled_loss(loss, optimizer):
    """The loss to differentiate (inside the tape) for `optimizer`: the replica's share
    (`per_replica_loss`), times the loss scale when `optimizer` is a `LossScaleOptimizer`."""
    loss = per_replica_loss(ops.cast(loss, "float32"))
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.scale_loss(loss)
    return loss


def apply_gradients(optimizer, gradients, variables):
    """Apply the gradients of a `scaled_loss` (a LossScaleOptimizer unscales them and skips a
    non-finite step); variables without a gradient are left out."""
    pairs = [(gradient, variable) for gradient, variable in zip(gradients, variables) if gradient is not None]
    optimizer.apply_gradients(pairs)


def run_when(condition, step, *args):
    """Run `step(*args)` only where `condition` (a scalar bool tensor, equal on every replica) holds;
    returns whether it ran. `step` may update variables through an optimizer.

    A replica may not branch around an optimizer update under `tf.distribute` (the update
    synchronises the replicas), so the branch is taken once, across replicas, and `step` then runs
    on every replica with its own `args`, as Keras's LossScaleOptimizer does. Make `condition`
    equal everywhere first, e.g. from `replica_mean` or a mirrored step counter.
    """
    context = tf.distribute.get_replica_context()
    if context is None or tf.distribute.get_strategy().num_replicas_in_sync == 1:
        def run():
            step(*args)
            return tf.constant(True)

        return tf.cond(condition, run, lambda: tf.constant(False))

    def across_replicas(strategy, condition, *args):
        decided = strategy.experimental_local_results(condition)[0]

        def run():
            strategy.extended.call_for_each_replica(step, args=args)
            return tf.constant(True)

        return tf.cond(decided, run, lambda: tf.constant(False))

    return context.merge_call(across_replicas, args=(condition, *args))


def apply_gradients_when(condition, optimizer, gradients, variables):
    """`apply_gradients` only where `condition` holds (see `run_when`)."""
    return run_when(condition, lambda replica_gradients: apply_gradients(optimizer, replica_gradients, variables),
                    gradients)


def replica_mean(value):
    """The mean of `value` over all replicas (itself without tf.distribute): a decision taken on it is
    the same on every replica."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.MEAN, value)


def follow_weights(average, model, batch_size, half_life_images):
    """Move `average` (a model built like `model`) one step of an exponential moving average of `model`'s
    weights: trainable ones to model + beta (average - model), beta = 0.5 ** (batch_size / half_life_images),
    so a weight's past halves its say every `half_life_images` images; the others (buffers) are copied."""
    beta = ops.power(0.5, ops.cast(batch_size, "float32") / half_life_images)
    for averaged, current in zip(average.weights, model.weights):
        if current.trainable:
            averaged.assign(current + beta * (averaged - current))
        else:
            averaged.assign(current)


def step_logs(logs):
    """A train step's logs of scalars, shaped for Keras: across workers it averages each log over its
    axis 0 (Keras 3.15), which a scalar lacks, so there each becomes a vector of one."""
    strategy = tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and strategy.extended._in_multi_worker_mode():
        return {name: ops.reshape(value, (1,)) for name, value in logs.items()}
    return logs


def float32(outputs):
    """Network outputs (a tensor or a nested structure) as float32, for the losses under a mixed policy."""
    return tf.nest.map_structure(lambda output: ops.cast(output, "float32"), outputs)


def _fed_pair(fed, prefix):
    return fed[f"{prefix}_noise"], fed.get(f"{prefix}_conditions")


def dcgan_initializer() -> keras.initializers.Initializer:
    """A fresh N(0, 0.02) kernel initializer (Radford et al. 2015), one per layer."""
    return keras.initializers.RandomNormal(stddev=DCGAN_INIT_STDDEV)


def batch_normalization(**kwargs) -> keras.layers.BatchNormalization:
    """A BatchNormalization layer; built under a strategy of several replicas, its batch statistics
    (and so its moving averages) are those of the global batch, as on one device, not each replica's."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return keras.layers.BatchNormalization(synchronized=replicas > 1, **kwargs)
