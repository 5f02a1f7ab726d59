"""Progressive GAN (Karras et al. 2018): grown from 4x4 to --resolution, on Fashion-MNIST, MNIST or your pictures.

    python3 progan.py                                        # train on Fashion-MNIST at 32x32
    python3 progan.py --data photos/ --resolution 64         # train on a folder of pictures
    python3 progan.py --generator=models/progan_fashion_mnist.h5             # 4x4 grid
    python3 progan.py --generator=models/progan_fashion_mnist.h5 --samples 2000 --csv clothes.csv
    python3 progan.py --generator=models/progan_fashion_mnist.h5 --evaluate
"""

import sys
from dataclasses import dataclass

from common import cli
from common.images import hires_options

PROG = "progan.py"
NAME = "progan"


@dataclass(frozen=True)
class ProGANDefaults(cli.TrainingDefaults):
    """The recipe: steps of each stabilisation and each fade-in phase, and of the last phase at full
    resolution (the paper's Adam learning rate)."""

    fade_steps: int = 0
    final_steps: int = 0


# About 46 minutes at 32x32 on 2 idle CPU cores: the last phase timed idle, the others scaled (docs/progan.md).
DEFAULTS = ProGANDefaults(steps=1000, fade_steps=1000, final_steps=8000, batch_size=32, learning_rate=1e-3,
                          latent_dim=128)


def build_parser():
    parser, train = hires_options.build_parser(PROG, __doc__, DEFAULTS, NAME, steps_help="generator updates in each "
                                               "stabilisation phase (default %(default)s)")
    train.add_argument("--fade-steps", type=cli.positive_int, default=DEFAULTS.fade_steps,
                       help="generator updates in each fade-in phase (default %(default)s)")
    train.add_argument("--final-steps", type=cli.positive_int, default=DEFAULTS.final_steps,
                       help="generator updates in the last phase, at full resolution (default %(default)s)")
    return parser


def run(args):
    from common.images import synthesis

    if args.generator:
        synthesis.use_generator(args)
        return
    from common.images import progressive

    job = synthesis.start_training(args, synthesis.PROGAN)
    networks = progressive.ProgressiveNetworks(args.resolution, job.channels, args.latent_dim, args.max_filters)
    gans = progressive.build_phases(networks, args.learning_rate, args.steps, args.fade_steps)
    lengths = progressive.phase_lengths(args.resolution, args.steps, args.fade_steps, args.final_steps)
    seconds = progressive.train_progressively(
        gans, job.dataset, lengths, job.out_dir, resume=args.resume, overwrite=args.overwrite,
        checkpoint_every=args.checkpoint_every, sample_every=args.sample_every, write_samples=job.write_samples)
    for phase, taken in seconds.items():
        print(f"  phase {phase}: {taken / 60:.1f} min")
    record = {"steps": args.steps, "fade_steps": args.fade_steps, "final_steps": args.final_steps,
              "batch_size": args.batch_size,
              "phase_minutes": {phase: round(taken / 60, 2) for phase, taken in seconds.items()}}
    synthesis.save_trained(gans[-1].final_generator, job.out_dir, job.name, synthesis.PROGAN, args.latent_dim,
                           job.source, record)


def main(argv=None):
    return cli.main(build_parser(), argv, run, hires_options.check_flags)


if __name__ == "__main__":
    sys.exit(main())
