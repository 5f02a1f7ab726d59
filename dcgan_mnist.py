"""DCGAN (Radford et al. 2015) or the fully-connected GAN on MNIST (or Fashion-MNIST).

    python3 dcgan_mnist.py                                   # train the DCGAN
    python3 dcgan_mnist.py --model mlp                       # train the fully-connected GAN
    python3 dcgan_mnist.py --dataset fashion_mnist           # the DCGAN on Fashion-MNIST
    python3 dcgan_mnist.py --generator=models/dcgan_mnist.h5 # 4x4 grid of generated digits
    python3 dcgan_mnist.py --generator=models/dcgan_mnist.h5 --samples 2000 --csv digits.csv
    python3 dcgan_mnist.py --generator=models/dcgan_mnist.h5 --evaluate
"""

import sys

from common import cli
from common.images import options

PROG = "dcgan_mnist.py"
# Chosen to reach the quality targets within 30 minutes on 2 CPU cores (docs/dcgan_mnist.md).
DEFAULTS = {
    "dcgan": cli.TrainingDefaults(steps=8000, batch_size=64, learning_rate=2e-4),
    "mlp": cli.TrainingDefaults(steps=20000, batch_size=64, learning_rate=2e-4),
}
MODEL_NAMES = {"dcgan": "dcgan", "mlp": "mlp_gan"}
DATASETS = ("mnist", "fashion_mnist")


def build_parser():
    parser = cli.make_parser(PROG, __doc__)
    parser.add_argument("--model", choices=sorted(DEFAULTS), default="dcgan",
                        help="dcgan (convolutional) or mlp (fully-connected)")
    parser.add_argument("--dataset", choices=DATASETS, default=DATASETS[0],
                        help="training images, also naming the model <model>_<dataset> (default %(default)s)")
    cli.add_training_arguments(parser, DEFAULTS["dcgan"], name="dcgan_<dataset> or runs/mlp_gan_<dataset>",
                               data_help="folder with mnist.npz or fashion_mnist.npz",
                               steps_help=f"generator updates (default {DEFAULTS['dcgan'].steps}; "
                                          f"--model mlp: {DEFAULTS['mlp'].steps})")
    # --steps defaults to the chosen --model's recipe.
    parser.set_defaults(steps=None)
    options.add_generation_arguments(parser)
    return parser


def check_flags(args):
    options.check_generation_flags(args)


def run(args):
    from common.images import generation, model, train
    from common.images.data import load_image_dataset
    from common.images.evaluation import evaluate
    from common.images.names import CLASS_NAMES

    name = f"{MODEL_NAMES[args.model]}_{args.dataset}"
    if args.generator:
        generator, latent_dim = generation.load_generator(args.generator, conditional=False)
        if args.evaluate:
            evaluate(generator, latent_dim, args, name, len(CLASS_NAMES[args.dataset]), conditional=False,
                     dataset_name=args.dataset)
        else:
            generation.write_outputs(generator, latent_dim, args, name)
        return
    import keras

    from common import training

    args.steps = args.steps or DEFAULTS[args.model].steps
    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), _ = load_image_dataset(args.dataset, args.data_dir)
    gan = model.build_mlp_gan(args.latent_dim) if args.model == "mlp" else model.build_dcgan(args.latent_dim)
    gan.compile(*training.adam_pair(args.learning_rate, args.steps))
    train.train_image_gan(gan, (x_train, y_train), args, name)


def main(argv=None):
    return cli.main(build_parser(), argv, run, check_flags)


if __name__ == "__main__":
    sys.exit(main())
