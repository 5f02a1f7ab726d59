import numpy as np

from common import losses


def _bce(target, logit):
    probability = 1 / (1 + np.exp(-logit))
    return -(target * np.log(probability) + (1 - target) * np.log(1 - probability))


def test_discriminator_loss_matches_formula_with_smoothing():
    real, fake = np.array([[2.0], [-1.0]], "float32"), np.array([[0.5], [-3.0]], "float32")
    expected = _bce(losses.REAL_LABEL_SMOOTHING, real).mean() + _bce(0.0, fake).mean()
    np.testing.assert_allclose(float(losses.discriminator_loss(real, fake)), expected, rtol=1e-5)


def test_generator_loss_is_non_saturating():
    fake = np.array([[-4.0], [1.0]], "float32")
    np.testing.assert_allclose(float(losses.generator_loss(fake)), _bce(1.0, fake).mean(), rtol=1e-5)
    # Confidently rejected fakes still give a large loss (and gradient), unlike log(1 - D(G(z))).
    assert float(losses.generator_loss(np.array([[-10.0]], "float32"))) > 9


def test_losses_are_stable_for_extreme_logits():
    extreme = np.array([[1e4], [-1e4]], "float32")
    assert np.isfinite(float(losses.discriminator_loss(extreme, extreme)))
    assert np.isfinite(float(losses.generator_loss(extreme)))
