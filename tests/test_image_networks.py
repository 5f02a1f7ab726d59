"""The image networks: shapes and ranges, labels that reach their outputs, and batch-independent inference."""

import numpy as np
import pytest

from common.images import networks

LATENT = 8


@pytest.mark.parametrize("builder, name", [
    (networks.build_dcgan_generator, "dcgan_generator"),
    (networks.build_mlp_generator, "mlp_generator"),
])
def test_unconditional_generators_map_noise_to_tanh_images(builder, name):
    generator = builder(LATENT)
    assert generator.name == name
    out = np.asarray(generator(np.random.default_rng(0).normal(size=(5, LATENT)).astype("float32")))
    assert out.shape == (5, 28, 28, 1)
    assert out.min() >= -1 and out.max() <= 1


def test_conditional_generator_takes_noise_and_label():
    generator = networks.build_dcgan_generator(LATENT, num_classes=10)
    assert generator.name == "cgan_generator"
    assert [tuple(t.shape[1:]) for t in generator.inputs] == [(LATENT,), (10,)]
    out = generator([np.zeros((3, LATENT), "float32"), np.eye(10, dtype="float32")[:3]])
    assert out.shape == (3, 28, 28, 1)


@pytest.mark.parametrize("builder, name", [
    (networks.build_dcgan_discriminator, "dcgan_discriminator"),
    (networks.build_mlp_discriminator, "mlp_discriminator"),
])
def test_discriminators_give_one_logit_per_image(builder, name):
    discriminator = builder()
    assert discriminator.name == name
    assert discriminator(np.zeros((4, 28, 28, 1), "float32")).shape == (4, 1)


def test_conditional_discriminator_sees_the_label():
    discriminator = networks.build_dcgan_discriminator(num_classes=10)
    images = np.random.default_rng(1).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    logit_a = discriminator([images, np.eye(10, dtype="float32")[[0, 0]]])
    logit_b = discriminator([images, np.eye(10, dtype="float32")[[7, 7]]])
    assert not np.allclose(logit_a, logit_b)


@pytest.mark.parametrize("builder", [networks.build_dcgan_generator, networks.build_mlp_generator])
def test_generated_images_do_not_depend_on_the_batch_around_them(builder):
    """BatchNorm uses its moving statistics at inference: an image is the same alone or in any batch."""
    generator = builder(LATENT)
    noise = np.random.default_rng(2).normal(size=(6, LATENT)).astype("float32")
    together = np.asarray(generator(noise, training=False))
    alone = np.concatenate([np.asarray(generator(noise[[index]], training=False)) for index in range(len(noise))])
    np.testing.assert_allclose(alone, together, atol=1e-5)
    assert np.abs(together[0] - together[1]).max() > 1e-4


def test_conditional_generator_draws_what_the_label_asks():
    generator = networks.build_dcgan_generator(LATENT, num_classes=10)
    noise = np.repeat(np.random.default_rng(3).normal(size=(1, LATENT)).astype("float32"), 2, axis=0)
    images = np.asarray(generator([noise, np.eye(10, dtype="float32")[[0, 7]]]))
    assert np.abs(images[0] - images[1]).max() > 1e-4


def test_classifier_exposes_features_layer():
    classifier = networks.build_image_classifier(10)
    assert classifier.get_layer("features").output.shape[-1] == networks.CLASSIFIER_FEATURES
    probabilities = np.asarray(classifier(np.zeros((2, 28, 28, 1), "float32")))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_dense_layers_are_optional():
    with_dense = networks.build_dcgan_generator(LATENT)
    without = networks.build_dcgan_generator(LATENT, dense_units=None)
    assert dense_count(with_dense) == dense_count(without) + 1
    discriminators = networks.build_dcgan_discriminator(), networks.build_dcgan_discriminator(dense_units=None)
    assert dense_count(discriminators[0]) == dense_count(discriminators[1]) + 1


def dense_count(model):
    return sum(layer.__class__.__name__ == "Dense" for layer in model.layers)
