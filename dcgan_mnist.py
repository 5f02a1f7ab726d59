"""DCGAN (Radford et al. 2015) or the fully-connected GAN on MNIST (or Fashion-MNIST).

    python3 dcgan_mnist.py                                   # train the DCGAN
    python3 dcgan_mnist.py --model mlp                       # train the fully-connected GAN
    python3 dcgan_mnist.py --dataset fashion_mnist           # the DCGAN on Fashion-MNIST
    python3 dcgan_mnist.py --data photos/ --resolution 32    # the DCGAN on a folder of pictures
    python3 dcgan_mnist.py --generator=runs/dcgan_folder/dcgan_folder.h5 --png-dir pictures/
    python3 dcgan_mnist.py --generator=models/dcgan_mnist.h5 # 4x4 grid of generated digits
    python3 dcgan_mnist.py --generator=models/dcgan_mnist.h5 --samples 2000 --csv digits.csv
    python3 dcgan_mnist.py --generator=models/dcgan_mnist.h5 --evaluate
"""

import sys

from common import cli
from common.errors import ToolkitError
from common.images import hires_options, options

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
    parser.add_argument("--dataset", choices=DATASETS,
                        help=f"training images, also naming the model <model>_<dataset> (default {DATASETS[0]} "
                             "unless --data)")
    train = cli.add_training_arguments(parser, DEFAULTS["dcgan"], name="dcgan_<dataset> or runs/mlp_gan_<dataset>",
                                       data_help="folder with mnist.npz or fashion_mnist.npz",
                                       steps_help=f"generator updates (default {DEFAULTS['dcgan'].steps}; "
                                                  f"--model mlp: {DEFAULTS['mlp'].steps})")
    # The like-for-like baseline of progan.py and stylegan.py: the same folders, streamed the same way.
    train.add_argument("--data", metavar="FOLDER",
                       help="train the DCGAN on a folder of PNG/JPEG pictures instead (any size, grayscale or RGB; "
                            "one sub-folder per class is allowed and ignored); the model is dcgan_folder")
    train.add_argument("--resolution", type=cli.positive_int, default=hires_options.DEFAULT_RESOLUTION,
                       help="with --data: image side, a power of two "
                            f"{hires_options.MIN_RESOLUTION}-{hires_options.MAX_RESOLUTION} (default %(default)s)")
    # --steps defaults to the chosen --model's recipe.
    parser.set_defaults(steps=None)
    use = options.add_generation_arguments(parser)
    use.add_argument("--png-dir", help="write --samples images as one PNG each into this folder (generators "
                                       "trained with --data)")
    return parser


def check_flags(args):
    options.check_generation_flags(args, (("--png-dir", args.png_dir),))
    hires_options.check_source(args)
    if args.data is not None and args.model != "dcgan":
        raise ToolkitError(f"--data trains the DCGAN only; got --model {args.model}")
    args.dataset = args.dataset or DATASETS[0]


def train_on_folder(args):
    """The DCGAN on `--data FOLDER` at `--resolution`, saved with a sidecar like ProGAN's and StyleGAN's."""
    from common import training
    from common.images import model, synthesis

    args.steps = args.steps or DEFAULTS[args.model].steps
    job = synthesis.start_training(args, synthesis.DCGAN)
    gan = model.build_dcgan(args.latent_dim, (args.resolution, args.resolution, job.channels))
    gan.compile(*training.adam_pair(args.learning_rate, args.steps))
    training.train(gan, job.dataset, args.steps, job.out_dir, resume=args.resume, overwrite=args.overwrite,
                   checkpoint_every=args.checkpoint_every, sample_every=args.sample_every,
                   write_samples=lambda step: job.write_samples(gan.generator, step, job.out_dir))
    synthesis.save_trained(gan.generator, job.out_dir, job.name, synthesis.DCGAN, args.latent_dim, job.source,
                           {"steps": args.steps, "batch_size": args.batch_size})


def run(args):
    from common import io
    from common.images import generation, model, synthesis, train
    from common.images.data import load_image_dataset
    from common.images.evaluation import evaluate
    from common.images.names import CLASS_NAMES

    if args.generator and io.sidecar_path(args.generator).is_file():
        # Generators trained on a folder carry their sizes in a sidecar, as ProGAN's and StyleGAN's do.
        synthesis.use_generator(args)
        return
    if args.generator and args.png_dir:
        raise ToolkitError(f"--png-dir needs a generator trained with --data (with its .json sidecar); "
                           f"{args.generator} has none -- use --csv")
    if args.data:
        train_on_folder(args)
        return
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
