"""Conditional GAN (Mirza & Osindero 2014) on MNIST: ask for a digit, get that digit.

    python3 cgan_mnist.py                                             # train
    python3 cgan_mnist.py --generator=models/cgan_mnist.h5 --digit=8  # 4x4 grid of eights
    python3 cgan_mnist.py --generator=models/cgan_mnist.h5 --samples 2000 --csv digits.csv
    python3 cgan_mnist.py --generator=models/cgan_mnist.h5 --evaluate
"""

import sys

import numpy as np

import common  # noqa: F401  (pins the Keras backend before TensorFlow loads)
from common import cli, gan, image_gan, networks, training
from common.errors import ToolkitError

NAME = "cgan_mnist"
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
# Chosen to reach the quality targets within 30 minutes on 2 CPU cores (see README).
DEFAULTS = image_gan.TrainingDefaults(steps=8000, batch_size=64, learning_rate=2e-4)


def parse_args(argv):
    parser = cli.OneLineErrorParser(prog="cgan_mnist.py", description=__doc__.splitlines()[0])
    parser.add_argument("--digit", type=int, help="generate only this digit (0-9); default: cycle 0..9")
    image_gan.add_common_arguments(parser, DEFAULTS)
    args = parser.parse_args(argv)
    image_gan.resolve_training_args(args, DEFAULTS)
    return args


def build_gan(latent_dim):
    generator = networks.build_dcgan_generator(latent_dim, IMAGE_SHAPE, num_classes=NUM_CLASSES)
    discriminator = networks.build_dcgan_discriminator(IMAGE_SHAPE, num_classes=NUM_CLASSES)
    return gan.ConditionalGAN(generator, discriminator, latent_dim, NUM_CLASSES)


def labels_for(digit):
    """A function count -> int labels: all `digit`, or 0..9 cycling when digit is None."""
    if digit is None:
        return lambda count: image_gan.cycling_labels(count, NUM_CLASSES)
    return lambda count: np.full(count, digit)


def run(args):
    cli.check_generator_flags(args)
    if args.digit is not None:
        if not 0 <= args.digit < NUM_CLASSES:
            raise ToolkitError(f"--digit must be between 0 and {NUM_CLASSES - 1}; got {args.digit}")
        if args.generator is None:
            raise ToolkitError("--digit needs --generator PATH; got no --generator")
    if args.generator:
        generator, latent_dim = image_gan.load_generator(args.generator, conditional=True, num_classes=NUM_CLASSES)
        if args.evaluate:
            image_gan.evaluate(generator, latent_dim, args, NAME, NUM_CLASSES, conditional=True)
        else:
            image_gan.write_outputs(generator, latent_dim, args, NAME, labels_for=labels_for(args.digit))
        return
    model = build_gan(args.latent_dim)
    model.compile(*training.adam_pair(args.learning_rate, args.steps))
    image_gan.train_image_gan(model, args, NAME, num_classes=NUM_CLASSES)


def main(argv=None):
    args = parse_args(argv)
    return cli.run("cgan_mnist.py", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
