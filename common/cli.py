"""Command-line plumbing shared by the scripts: parsers, validated flag types and the exit policy.

Bad input ends with one line on stderr (`<script>: error: <rule>; got <value>`) and a non-zero
exit status, never a traceback; Ctrl-C ends with status 130 and a hint to `--resume`.
"""

import argparse
import sys

from common.errors import ToolkitError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (argparse prints the whole usage first)."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {value}")
    return value


def positive_float(text):
    """argparse type: a float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number; got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number; got {value}")
    return value


def check_generator_flags(args, generator_only=()):
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


def run(prog, body):
    """Call `body()` and turn toolkit errors and Ctrl-C into a one-line message and exit status.

    Returns the exit status (0 on success) so that `main(argv)` can be tested without exiting.
    """
    try:
        body()
    except ToolkitError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; completed files are intact, continue with --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0
