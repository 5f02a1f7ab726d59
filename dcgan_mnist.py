"""DCGAN (Radford et al. 2015) or the fully-connected GAN on MNIST.

    python3 dcgan_mnist.py                                   # train the DCGAN
    python3 dcgan_mnist.py --model mlp                       # train the fully-connected GAN
    python3 dcgan_mnist.py --generator=models/dcgan_mnist.h5 # 4x4 grid of generated digits
    python3 dcgan_mnist.py --generator=models/dcgan_mnist.h5 --samples 2000 --csv digits.csv
    python3 dcgan_mnist.py --generator=models/dcgan_mnist.h5 --evaluate
"""

import sys

import common  # noqa: F401  (pins the Keras backend before TensorFlow loads)
from common import cli, gan, image_gan, networks, training

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
# Chosen to reach the quality targets within 30 minutes on 2 CPU cores (see README).
DEFAULTS = {
    "dcgan": image_gan.TrainingDefaults(steps=8000, batch_size=64, learning_rate=2e-4),
    "mlp": image_gan.TrainingDefaults(steps=20000, batch_size=64, learning_rate=2e-4),
}
MODEL_NAMES = {"dcgan": "dcgan_mnist", "mlp": "mlp_gan_mnist"}
DISCRIMINATOR_DROPOUT = 0.3


def parse_args(argv):
    parser = cli.OneLineErrorParser(prog="dcgan_mnist.py", description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(DEFAULTS), default="dcgan",
                        help="dcgan (convolutional) or mlp (fully-connected)")
    image_gan.add_common_arguments(parser, DEFAULTS["dcgan"])
    args = parser.parse_args(argv)
    image_gan.resolve_training_args(args, DEFAULTS[args.model])
    return args


def build_gan(model, latent_dim):
    if model == "mlp":
        generator = networks.build_mlp_generator(latent_dim, IMAGE_SHAPE)
        discriminator = networks.build_mlp_discriminator(IMAGE_SHAPE)
    else:
        generator = networks.build_dcgan_generator(latent_dim, IMAGE_SHAPE)
        # Without labels to spread its samples over, the unconditional G favoured easy digits ("1" at
        # 16.9% of samples) against a dropout-free D; dropout keeps D from locking onto them.
        discriminator = networks.build_dcgan_discriminator(IMAGE_SHAPE, dropout_rate=DISCRIMINATOR_DROPOUT)
    return gan.GAN(generator, discriminator, latent_dim)


def run(args):
    cli.check_generator_flags(args)
    name = MODEL_NAMES[args.model]
    if args.generator:
        generator, latent_dim = image_gan.load_generator(args.generator, conditional=False)
        if args.evaluate:
            image_gan.evaluate(generator, latent_dim, args, name, NUM_CLASSES, conditional=False)
        else:
            image_gan.write_outputs(generator, latent_dim, args, name)
        return
    model = build_gan(args.model, args.latent_dim)
    model.compile(*training.adam_pair(args.learning_rate, args.steps))
    image_gan.train_image_gan(model, args, name)


def main(argv=None):
    args = parse_args(argv)
    return cli.run("dcgan_mnist.py", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
