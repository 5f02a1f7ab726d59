"""The command line answers before TensorFlow loads, and quietly.

Each script runs in a fresh interpreter (as a user starts it); after it exits, the test reports
whether `tensorflow` or `keras` was ever imported.
"""

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

SCRIPTS = ("dcgan_mnist.py", "cgan_mnist.py", "acgan_1d.py", "infogan_timeseries.py", "dataprocess.py",
           "timegan.py", "aeacgan_emnist.py", "cgan_timeseries.py", "train_judge.py", "progan.py",
           "stylegan.py")
# A flag error that needs no data and no model, per script: (arguments, what the one line says).
BAD_FLAGS = {
    "dcgan_mnist.py": (["--steps", "0"], "--steps: must be a positive integer; got 0"),
    "cgan_mnist.py": (["--generator=models/cgan_mnist.h5", "--digit=12"], "--digit must be between 0 and 9; got 12"),
    "acgan_1d.py": (["--csv", "rows.csv"], "--csv needs --generator PATH; got no --generator"),
    "infogan_timeseries.py": (["--batch-size", "-3"], "--batch-size: must be a positive integer; got -3"),
    "dataprocess.py": (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    "timegan.py": (["--metrics-json", "m.json"], "--metrics-json needs --evaluate"),
    "aeacgan_emnist.py": (["--generator", "missing.h5"], "missing.h5"),
    "cgan_timeseries.py": (["--learning-rate", "0"], "--learning-rate: must be a positive number; got 0.0"),
    "train_judge.py": (["--epochs", "zero"], "--epochs: must be a positive integer; got 'zero'"),
    "progan.py": (["--resolution", "12"], "--resolution must be a power of two from 8 to 256; got 12"),
    "stylegan.py": (["--truncation", "0.5"], "--truncation needs --generator PATH; got no --generator"),
}
RUN_AND_REPORT = textwrap.dedent("""
    import runpy, sys
    script, args = sys.argv[1], sys.argv[2:]
    sys.argv = [script, *args]
    status = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    loaded = sorted(name for name in ("tensorflow", "keras") if name in sys.modules)
    print("LOADED=" + ",".join(loaded), file=sys.__stdout__)
    sys.exit(status)
""")


def run_script(script, *args):
    return subprocess.run([sys.executable, "-c", RUN_AND_REPORT, script, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_answers_without_importing_tensorflow(script):
    result = run_script(script, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout and "--verbose" in result.stdout
    assert "LOADED=\n" in result.stdout, result.stdout[-300:]
    assert result.stderr == ""


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_bad_flag_is_one_line_before_tensorflow(script):
    args, message = BAD_FLAGS[script]
    result = run_script(script, *args)
    assert result.returncode == 2
    assert "LOADED=\n" in result.stdout, result.stdout[-300:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{script}: error: ") and message in lines[0], result.stderr


@pytest.mark.slow
def test_a_training_run_prints_no_tensorflow_start_up_lines(tmp_path):
    from tests.conftest import make_tiny_data_dir

    data_dir = make_tiny_data_dir(tmp_path)
    result = subprocess.run([sys.executable, "cgan_mnist.py", "--steps", "2", "--batch-size", "8",
                             "--checkpoint-every", "2", "--sample-every", "2", "--data-dir", str(data_dir),
                             "--out-dir", str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "training on CPU (" in result.stdout
    for marker in ("absl::InitializeLog", "oneDNN", "cuda", "cpu_feature_guard", "I0000", "E0000", "Warning"):
        assert marker not in result.stderr, result.stderr[-2000:]


def test_gan_verbose_shows_tensorflows_own_logs():
    import os

    code = "from common import cli; cli.import_tensorflow(cli.verbose_requested())"
    environment = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**environment, "GAN_VERBOSE": "0"})
    verbose = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                             env={**environment, "GAN_VERBOSE": "1"})
    assert quiet.returncode == 0 and verbose.returncode == 0, verbose.stderr
    assert quiet.stderr == ""
    assert "I0000" in verbose.stderr or "oneDNN" in verbose.stderr, verbose.stderr


def test_a_broken_tensorflow_import_is_reported_in_full(tmp_path):
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text("import sys\nsys.stderr.write('native library failed to load\\n')\n"
                                      "raise ImportError('libtensorflow_framework.so.2: cannot open shared object')\n")
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r})\nfrom common import cli; cli.import_tensorflow()"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "native library failed to load" in result.stderr
    assert "libtensorflow_framework.so.2: cannot open shared object" in result.stderr
    assert "Traceback" in result.stderr
