"""The flags and flag checks progan.py and stylegan.py share, importable without TensorFlow (like `names`).

Both scripts train at a power-of-two `--resolution` on `--dataset` (28x28 images zero-padded to 32x32,
then resized) or on a `--data FOLDER` of pictures, and use a trained generator whose settings come
from its sidecar.
"""

from common import cli
from common.errors import ToolkitError
from common.images.names import FASHION_MNIST, MNIST
from common.images.options import DEFAULT_SAMPLES

MIN_RESOLUTION, MAX_RESOLUTION = 8, 256
DEFAULT_RESOLUTION = 32
DATASETS = (FASHION_MNIST, MNIST)
# Feature maps are capped at this many per layer: sized for 2 CPU cores (512 is the papers' value).
DEFAULT_MAX_FILTERS = 128
# The judge of a generator trained on a dataset is models/judge_<dataset>.keras unless --judge says otherwise.
JUDGE_PATTERN = "models/judge_{}.keras"


def check_resolution(resolution: int) -> None:
    """--resolution must be a power of two from 8 to 256."""
    if not (MIN_RESOLUTION <= resolution <= MAX_RESOLUTION and resolution & (resolution - 1) == 0):
        raise ToolkitError(f"--resolution must be a power of two from {MIN_RESOLUTION} to {MAX_RESOLUTION}; "
                           f"got {resolution}")


def check_source(args) -> None:
    """One source of training images (--dataset or --data FOLDER), at a valid --resolution."""
    check_resolution(args.resolution)
    if args.data is not None and args.dataset is not None:
        raise ToolkitError(f"give --dataset or --data, not both; got --dataset {args.dataset} and --data {args.data}")


def build_parser(prog, doc, defaults, name, steps_help="generator updates (default %(default)s)"):
    """A ProGAN / StyleGAN script's parser: training, source and generation flags; returns (parser, training group)."""
    parser = cli.make_parser(prog, doc)
    train = cli.add_training_arguments(parser, defaults, name=f"{name}_<dataset>",
                                       data_help="folder with fashion_mnist.npz / mnist.npz", steps_help=steps_help)
    add_source_arguments(train)
    add_generation_arguments(parser)
    return parser, train


def add_source_arguments(group) -> None:
    """--dataset, --data, --resolution and --max-filters, on the training group."""
    group.add_argument("--dataset", choices=DATASETS,
                       help=f"training images from --data-dir (default {FASHION_MNIST} unless --data)")
    group.add_argument("--data", metavar="FOLDER",
                       help="train on a folder of PNG/JPEG pictures instead (any size, grayscale or RGB; "
                            "one sub-folder per class is allowed and ignored)")
    group.add_argument("--resolution", type=cli.positive_int, default=DEFAULT_RESOLUTION,
                       help=f"image side, a power of two {MIN_RESOLUTION}-{MAX_RESOLUTION} (default %(default)s; "
                            "28x28 datasets are zero-padded to 32x32 first)")
    group.add_argument("--max-filters", type=cli.positive_int, default=DEFAULT_MAX_FILTERS,
                       help="feature maps per layer at most (default %(default)s; 512 on a GPU)")


def add_generation_arguments(parser):
    """The core's generation flags plus --judge, --png-dir, --truncation(-centres), --mix and --interpolate."""
    use = cli.add_generation_arguments(
        parser, generator_help="a saved generator (.h5 or .keras) with its .json sidecar: generate instead of "
                               "training",
        samples_help=f"images for --csv/--png-dir/--evaluate (default {DEFAULT_SAMPLES})",
        evaluate_help="score the generator with the judge (generators trained on --dataset only)",
        csv_help="write --samples images as rows px0..pxK, 0-255, row-major (grayscale models)")
    use.add_argument("--judge", help="judge classifier for --evaluate (default models/judge_<dataset>.keras)")
    use.add_argument("--png-dir", help="write --samples images as one PNG each into this folder")
    use.add_argument("--truncation", type=float, metavar="PSI",
                     help="StyleGAN only: pull styles towards the mean w (1 = none, the default; 0 = the mean image)")
    use.add_argument("--truncation-centres", type=cli.positive_int, metavar="K",
                     help="StyleGAN only: with --truncation, pull each style towards the nearest of K k-means "
                          "centres of w instead of the mean w (multi-modal truncation: keeps each sample's class "
                          "on data of several classes; try the number of classes)")
    use.add_argument("--mix", action="store_true", help="StyleGAN only: write a style-mixing grid")
    use.add_argument("--interpolate", action="store_true", help="write a latent walk strip")
    return use


def check_flags(args) -> None:
    """Every check that needs no data and no model; fills in the default --dataset."""
    check_source(args)
    cli.check_generator_flags(args, (("--png-dir", args.png_dir), ("--truncation", args.truncation is not None),
                                     ("--truncation-centres", args.truncation_centres is not None),
                                     ("--mix", args.mix), ("--interpolate", args.interpolate)))
    cli.check_input_file("--generator", args.generator)
    cli.check_input_file("--judge", args.judge)
    if args.truncation is not None and not 0 <= args.truncation <= 1:
        raise ToolkitError(f"--truncation must be between 0 and 1; got {args.truncation}")
    if args.truncation_centres is not None and args.truncation is None:
        raise ToolkitError(f"--truncation-centres needs --truncation PSI; got --truncation-centres "
                           f"{args.truncation_centres} alone")
    if args.data is None and args.dataset is None:
        args.dataset = FASHION_MNIST
