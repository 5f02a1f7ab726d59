"""The image scripts' flags for using a trained generator, importable without TensorFlow (like `names`)."""

from common import cli

DEFAULT_SAMPLES = 2000
MNIST_JUDGE = "models/judge_mnist.keras"


def add_generation_arguments(parser, *, judge_default=MNIST_JUDGE, judge_help="judge classifier for --evaluate "
                             "(default %(default)s)", evaluate_help="score the generator with the judge"):
    """The core's generation flags with the image wording, plus --judge; returns the group."""
    use = cli.add_generation_arguments(
        parser, generator_help="a saved generator (.h5 or .keras): generate instead of training",
        samples_help=f"images for --csv/--evaluate (default {DEFAULT_SAMPLES})", evaluate_help=evaluate_help)
    use.add_argument("--judge", default=judge_default, help=judge_help)
    return use


def check_generation_flags(args, generator_only=()):
    """Flags that need --generator (`generator_only` adds more), and the input files that must exist."""
    cli.check_generator_flags(args, generator_only)
    cli.check_input_file("--generator", args.generator)
    if args.evaluate:
        cli.check_input_file("--judge", args.judge)
