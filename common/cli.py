"""Command-line plumbing shared by the scripts: parsers, validated flag types, defaults and the exit policy.

Nothing here imports TensorFlow: a script parses and checks its flags with this module alone, so
`--help` and a bad flag answer at once; `run` then imports TensorFlow (quietly) and calls the body,
which imports the heavy modules it needs.

Bad input ends with one line on stderr (`<script>: error: <rule>; got <value>`) and a non-zero
exit status, never a traceback; Ctrl-C ends with status 130 and a hint to `--resume`.
"""

import argparse
import contextlib
import os
import sys
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from common import distribute
from common.errors import ToolkitError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
# Generated files go here unless --out-dir says otherwise; git ignores it.
DEFAULT_GENERATE_DIR = "generated_data"
# Setting this (to anything but 0) shows TensorFlow's own start-up logs, as --verbose does.
VERBOSE_ENV = "GAN_VERBOSE"


@dataclass(frozen=True)
class TrainingDefaults:
    """A script's default recipe; every field is also a command-line flag.

    Scripts whose models need more settings declare a frozen dataclass that extends this one.
    """

    steps: int
    batch_size: int
    learning_rate: float
    latent_dim: int = 100
    checkpoint_every: int = 500
    sample_every: int = 500


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (argparse prints the whole usage first)."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def make_parser(prog: str, doc: str) -> OneLineErrorParser:
    """A script's parser: one-line errors, the first line of `doc` as description, and --verbose."""
    first, _, rest = doc.strip().partition("\n")
    parser = OneLineErrorParser(prog=prog, description=first,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=textwrap.dedent(rest).strip("\n") or None)
    parser.add_argument("--verbose", action="store_true",
                        help=f"show TensorFlow's own start-up logs (also: {VERBOSE_ENV}=1)")
    return parser


def add_training_arguments(parser: argparse.ArgumentParser, defaults: TrainingDefaults, *, name: str,
                           data_help: str, steps_help: str = "generator updates (default %(default)s)",
                           latent_help: str = "noise size (default %(default)s)",
                           batch_help: str = "global batch, shared by the replicas (default %(default)s)"
                           ) -> argparse._ArgumentGroup:
    """The flags every training run takes; returns the group so a script can add its own."""
    train = parser.add_argument_group("training")
    train.add_argument("--steps", type=positive_int, default=defaults.steps, help=steps_help)
    train.add_argument("--batch-size", type=positive_int, default=defaults.batch_size, help=batch_help)
    train.add_argument("--learning-rate", type=positive_float, default=defaults.learning_rate,
                       help="default %(default)s")
    train.add_argument("--latent-dim", type=positive_int, default=defaults.latent_dim, help=latent_help)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--data-dir", help=f"{data_help} (default: $GAN_DATA_DIR or ./data)")
    train.add_argument("--out-dir", help=f"where outputs go (training: runs/{name}; generation: "
                                         f"{DEFAULT_GENERATE_DIR})")
    train.add_argument("--resume", action="store_true", help="continue the run in --out-dir from its checkpoint")
    train.add_argument("--overwrite", action="store_true",
                       help="start over in an --out-dir that holds a run (replaced at the first checkpoint)")
    train.add_argument("--checkpoint-every", type=positive_int, default=defaults.checkpoint_every)
    train.add_argument("--sample-every", type=positive_int, default=defaults.sample_every)
    train.add_argument("--distribute", choices=distribute.CHOICES, default=distribute.DEFAULT,
                       help="auto: all GPUs when there are two or more, else the default device; none; mirrored: "
                            "all local GPUs (or CPU devices); multi-worker: the cluster in $TF_CONFIG "
                            "(default %(default)s)")
    train.add_argument("--mixed-precision", action="store_true",
                       help="compute in float16 on GPUs (with loss scaling), bfloat16 on CPUs; weights stay float32")
    return train


def add_generation_arguments(parser: argparse.ArgumentParser, *, generator_help: str, samples_help: str,
                             evaluate_help: str, csv_help: str = "write --samples generated rows to this CSV"
                             ) -> argparse._ArgumentGroup:
    """The flags for using a trained generator; returns the group so a script can add its own."""
    use = parser.add_argument_group("using a trained generator")
    use.add_argument("--generator", help=generator_help)
    use.add_argument("--samples", type=positive_int, help=samples_help)
    use.add_argument("--csv", help=f"{csv_help} (replaced if it exists)")
    use.add_argument("--evaluate", action="store_true", help=evaluate_help)
    use.add_argument("--metrics-json", help="with --evaluate: also write the metrics here")
    return use


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return _checked_sign(text, int, "integer")


def positive_float(text: str) -> float:
    """argparse type: a float > 0."""
    return _checked_sign(text, float, "number")


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return _checked_sign(text, int, "integer", allow_zero=True)


def non_negative_float(text: str) -> float:
    """argparse type: a float >= 0."""
    return _checked_sign(text, float, "number", allow_zero=True)


def _checked_sign(text: str, convert: Callable, noun: str, allow_zero: bool = False):
    """`convert(text)` if above 0 (or 0 with `allow_zero`), else an argparse error naming the rule."""
    rule = f"a non-negative {noun}" if allow_zero else f"a positive {noun}"
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {rule}; got {text!r}") from None
    if not (value >= 0 if allow_zero else value > 0):
        raise argparse.ArgumentTypeError(f"must be {rule}; got {value}")
    return value


def check_generator_flags(args: argparse.Namespace, generator_only: tuple = ()) -> None:
    """Reject flags that only make sense with --generator (or with --evaluate) when used without.

    `args` has `generator`, `csv`, `evaluate` and `metrics_json`; `generator_only` adds more
    (flag, value) pairs that need --generator.
    """
    using_only = [flag for flag, value in (("--csv", args.csv), ("--evaluate", args.evaluate), *generator_only)
                  if value]
    if args.generator is None and using_only:
        verb = "needs" if len(using_only) == 1 else "need"
        raise ToolkitError(f"{' and '.join(using_only)} {verb} --generator PATH; got no --generator")
    if args.metrics_json and not args.evaluate:
        raise ToolkitError("--metrics-json needs --evaluate")


def check_input_file(flag: str, path: str | None) -> None:
    """A file flag must name an existing file (checked before anything heavy loads)."""
    if path is not None and not os.path.isfile(path):
        raise ToolkitError(f"{flag} must name an existing file; got {path}")


def verbose_requested(args: argparse.Namespace | None = None) -> bool:
    """True with --verbose or a non-empty, non-zero $GAN_VERBOSE."""
    return bool(getattr(args, "verbose", False)) or os.environ.get(VERBOSE_ENV, "0") not in ("", "0")


def import_tensorflow(verbose: bool = False) -> None:
    """Import TensorFlow and Keras and start the CPU/GPU platform, hiding their start-up lines.

    TensorFlow 2.19+ writes its C++ start-up lines to stderr whatever TF_CPP_MIN_LOG_LEVEL says, so
    stderr is pointed at a temporary file meanwhile. Should the import fail, what it wrote is
    replayed before the error propagates: a broken installation is reported in full.
    """
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        _import_and_start_platform()
        return
    # Level 3 also hides the C++ runtime's error-level notes during training (e.g. Grappler's
    # "remapper failed", after which TensorFlow carries on unfused); real failures still raise.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryFile(mode="w+b") as captured:
        sys.stderr.flush()
        saved_fd = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            _import_and_start_platform()
        except BaseException:
            os.dup2(saved_fd, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode("utf-8", "replace"))
            sys.stderr.flush()
            raise
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)


def _import_and_start_platform():
    import keras  # noqa: F401
    import tensorflow as tf

    with contextlib.suppress(RuntimeError):
        tf.get_logger().setLevel("ERROR")
    # Listing devices initialises the CUDA platform, which logs its own lines (cuInit on a CPU machine).
    tf.config.list_physical_devices()


def run(prog: str, body: Callable[[], None], args: argparse.Namespace | None = None) -> int:
    """Import TensorFlow quietly, call `body()`, and turn toolkit errors and Ctrl-C into one line and a status.

    When `args` has the training flags, the body runs inside `distribute.training_context`: under
    the `--distribute` strategy's scope and the `--mixed-precision` policy, with a non-chief
    worker's `--out-dir` pointed at a temporary folder. Returns the exit status (0 on success) so
    that `main(argv)` can be tested without exiting.
    """
    try:
        import_tensorflow(verbose_requested(args))
        with distribute.training_context(args):
            body()
    except ToolkitError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; completed files are intact, continue with --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def main(parser: argparse.ArgumentParser, argv: list[str] | None, body: Callable[[argparse.Namespace], None],
         check: Callable[[argparse.Namespace], None] | None = None) -> int:
    """A script's whole life: parse `argv`, run the TensorFlow-free `check`, then `run` the body.

    `--help` and every flag error answer before TensorFlow is imported (argparse exits with 0 for
    --help and 2 for a malformed flag; a ToolkitError from `check`, or from a bad `TF_CONFIG` with
    `--distribute multi-worker`, is one line and status 2). The body imports the heavy modules it
    needs. Returns the exit status.
    """
    args = parser.parse_args(argv)
    try:
        distribute.check_flags(args)
        if check is not None:
            check(args)
    except ToolkitError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return run(parser.prog, lambda: body(args), args)
