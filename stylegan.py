"""StyleGAN2 (Karras et al. 2020) on Fashion-MNIST, MNIST or a folder of your pictures.

    python3 stylegan.py                                      # train on Fashion-MNIST at 32x32
    python3 stylegan.py --data photos/ --resolution 64       # train on a folder of pictures
    python3 stylegan.py --generator=models/stylegan_fashion_mnist.h5                 # 4x4 grid
    python3 stylegan.py --generator=models/stylegan_fashion_mnist.h5 --truncation 0.5 --mix --interpolate
    python3 stylegan.py --generator=models/stylegan_fashion_mnist.h5 --samples 2000 --csv clothes.csv
    python3 stylegan.py --generator=models/stylegan_fashion_mnist.h5 --evaluate
"""

import sys
from dataclasses import dataclass

from common import cli
from common.images import hires_options

PROG = "stylegan.py"
NAME = "stylegan"


@dataclass(frozen=True)
class StyleGANDefaults(cli.TrainingDefaults):
    """The recipe, plus the depth of the mapping network (StyleGAN2-ADA's small-data value)."""

    mapping_layers: int = 2


# About 54 minutes at 32x32 on 2 idle CPU cores (0.178 s/step measured over 300 steps; docs/stylegan.md).
DEFAULTS = StyleGANDefaults(steps=18000, batch_size=32, learning_rate=2.5e-3, latent_dim=128)


def build_parser():
    parser, train = hires_options.build_parser(PROG, __doc__, DEFAULTS, NAME)
    train.add_argument("--mapping-layers", type=cli.positive_int, default=DEFAULTS.mapping_layers,
                       help="dense layers of the mapping network z -> w (default %(default)s; the paper: 8)")
    return parser


def run(args):
    from common.images import synthesis

    if args.generator:
        synthesis.use_generator(args)
        return
    from common import training
    from common.images import style

    job = synthesis.start_training(args, synthesis.STYLEGAN)
    gan = style.build_stylegan(args.resolution, job.channels, args.latent_dim, args.max_filters, args.mapping_layers,
                               args.learning_rate)
    training.train(gan, job.dataset, args.steps, job.out_dir, resume=args.resume, overwrite=args.overwrite,
                   checkpoint_every=args.checkpoint_every, sample_every=args.sample_every,
                   write_samples=lambda step: job.write_samples(gan.final_generator, step, job.out_dir))
    record = {"steps": args.steps, "batch_size": args.batch_size, "mapping_layers": args.mapping_layers}
    synthesis.save_trained(gan.final_generator, job.out_dir, job.name, synthesis.STYLEGAN, args.latent_dim, job.source,
                           record)


def main(argv=None):
    return cli.main(build_parser(), argv, run, hires_options.check_flags)


if __name__ == "__main__":
    sys.exit(main())
