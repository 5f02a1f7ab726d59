"""GAN losses on discriminator logits (the sigmoid is applied here, in a numerically safe form).

The adversarial losses take logits of shape (batch, 1); every function returns a scalar mean over the batch.
"""

import tensorflow as tf
from keras import ops

# One-sided label smoothing (Salimans et al. 2016): real targets of 0.9 keep the discriminator
# from growing over-confident, which keeps the generator's gradients alive early in training.
REAL_LABEL_SMOOTHING = 0.9


def binary_cross_entropy_from_logits(targets: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Mean binary cross-entropy between `targets` in [0, 1] and `logits` (any real)."""
    return ops.mean(ops.binary_crossentropy(targets, logits, from_logits=True))


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor,
                       real_target: float = REAL_LABEL_SMOOTHING) -> tf.Tensor:
    """Standard GAN discriminator loss: real -> `real_target`, fake -> 0."""
    real_loss = binary_cross_entropy_from_logits(ops.full_like(real_logits, real_target), real_logits)
    fake_loss = binary_cross_entropy_from_logits(ops.zeros_like(fake_logits), fake_logits)
    return real_loss + fake_loss


def generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """Non-saturating generator loss (Goodfellow et al. 2014): make D call fakes real."""
    return binary_cross_entropy_from_logits(ops.ones_like(fake_logits), fake_logits)


def classification_loss(one_hot_labels: tf.Tensor, class_logits: tf.Tensor) -> tf.Tensor:
    """Mean categorical cross-entropy of class logits (batch, C) against one-hot labels (batch, C)."""
    return ops.mean(ops.categorical_crossentropy(one_hot_labels, class_logits, from_logits=True))
