"""Conditional GAN (Mirza & Osindero 2014) on MNIST: ask for a digit, get that digit.

    python3 cgan_mnist.py                                             # train
    python3 cgan_mnist.py --generator=models/cgan_mnist.h5 --digit=8  # 4x4 grid of eights
    python3 cgan_mnist.py --generator=models/cgan_mnist.h5 --samples 2000 --csv digits.csv
    python3 cgan_mnist.py --generator=models/cgan_mnist.h5 --evaluate
"""

import sys

from common import cli
from common.errors import ToolkitError
from common.images import options
from common.images.names import CLASS_NAMES, MNIST

PROG = "cgan_mnist.py"
NAME = "cgan_mnist"
NUM_CLASSES = len(CLASS_NAMES[MNIST])
# Chosen to reach the quality targets within 30 minutes on 2 CPU cores (docs/dcgan_mnist.md).
DEFAULTS = cli.TrainingDefaults(steps=8000, batch_size=64, learning_rate=2e-4)


def build_parser():
    parser = cli.make_parser(PROG, __doc__)
    parser.add_argument("--digit", type=int, help="generate only this digit (0-9); default: cycle 0..9")
    cli.add_training_arguments(parser, DEFAULTS, name=NAME, data_help="folder with mnist.npz")
    options.add_generation_arguments(parser)
    return parser


def check_flags(args):
    if args.digit is not None and not 0 <= args.digit < NUM_CLASSES:
        raise ToolkitError(f"--digit must be between 0 and {NUM_CLASSES - 1}; got {args.digit}")
    options.check_generation_flags(args, generator_only=(("--digit", args.digit is not None),))


def run(args):
    from common.images import generation, model, train
    from common.images.data import load_image_dataset
    from common.images.evaluation import evaluate

    if args.generator:
        generator, latent_dim = generation.load_generator(args.generator, conditional=True, num_classes=NUM_CLASSES)
        if args.evaluate:
            evaluate(generator, latent_dim, args, NAME, NUM_CLASSES, conditional=True)
        else:
            generation.write_outputs(generator, latent_dim, args, NAME,
                                     labels_for=generation.labels_for(args.digit, NUM_CLASSES))
        return
    import keras

    from common import training

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), _ = load_image_dataset(MNIST, args.data_dir)
    gan = model.build_cgan(args.latent_dim, NUM_CLASSES)
    gan.compile(*training.adam_pair(args.learning_rate, args.steps))
    train.train_image_gan(gan, (x_train, y_train), args, NAME, num_classes=NUM_CLASSES)


def main(argv=None):
    return cli.main(build_parser(), argv, run, check_flags)


if __name__ == "__main__":
    sys.exit(main())
