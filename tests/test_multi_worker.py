"""Training on a cluster of workers (tf.distribute MultiWorkerMirrored with TF_CONFIG): each worker is a
process of its own on localhost; and TF_CONFIG checked before TensorFlow loads."""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import cgan_mnist
import timegan
from tests.conftest import CGAN_FAST, ROOT, SUBPROCESS_TIMEOUT, make_tiny_data_dir

TIMEGAN_ROWS = 60
# A worker run: the script's main(argv), with every saved .h5 model's weights also dumped as
# `<dump>/<worker index>.npz`, so the test can compare what each worker ended with.
WORKER = textwrap.dedent("""
    import os, sys
    import numpy as np
    from common import io
    module = __import__(sys.argv[1])
    dump = os.environ["WEIGHTS_DUMP"]
    save_model = io.save_model

    def spy(model, path):
        if str(path).endswith(".h5"):
            np.savez(dump, *model.get_weights())
        return save_model(model, path)

    io.save_model = spy
    sys.exit(module.main(sys.argv[2:]))
""")


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("localhost", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def tf_config(ports, index):
    return json.dumps({"cluster": {"worker": [f"localhost:{port}" for port in ports]},
                       "task": {"type": "worker", "index": index}})


def start_workers(script, argv, dump_dir, count=2):
    """`count` processes of `script` (a module name) forming one multi-worker cluster on localhost."""
    ports = free_ports(count)
    workers = []
    for index in range(count):
        env = {**os.environ, "TF_CONFIG": tf_config(ports, index), "WEIGHTS_DUMP": str(dump_dir / f"{index}.npz"),
               "CUDA_VISIBLE_DEVICES": ""}
        workers.append(subprocess.Popen([sys.executable, "-c", WORKER, script, *argv, "--distribute", "multi-worker"],
                                        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True))
    return workers


def finish(workers):
    outputs = []
    for worker in workers:
        output, _ = worker.communicate(timeout=SUBPROCESS_TIMEOUT)
        outputs.append(output)
    for worker, output in zip(workers, outputs):
        assert worker.returncode == 0, output[-3000:]
    return outputs


def dumped_weights(path):
    with np.load(path) as stored:
        return [stored[key] for key in sorted(stored.files, key=lambda name: int(name.split("_")[1]))]


# ---- TF_CONFIG checks: one line, before TensorFlow loads ---------------------------------------------
@pytest.mark.parametrize("value, expected", [
    (None, "needs the TF_CONFIG environment variable"),
    ("{not json", "TF_CONFIG must be JSON"),
    ('{"cluster": {"worker": ["localhost:1"]}}', "TF_CONFIG needs a 'task'"),
    ('{"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 3}}', "TF_CONFIG: task index"),
])
def test_bad_tf_config_is_one_line_naming_it(monkeypatch, tmp_path, one_line_error, value, expected):
    if value is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", value)
    assert cgan_mnist.main(["--distribute", "multi-worker", "--out-dir", str(tmp_path)]) == 2
    one_line_error(expected)


@pytest.mark.parametrize("cluster, task, chief, rank", [
    ({"worker": ["a:1", "b:1"]}, {"type": "worker", "index": 0}, True, 0),
    ({"worker": ["a:1", "b:1"]}, {"type": "worker", "index": 1}, False, 1),
    ({"chief": ["a:1"], "worker": ["b:1", "c:1"]}, {"type": "worker", "index": 0}, False, 1),
    ({"chief": ["a:1"], "worker": ["b:1", "c:1"]}, {"type": "worker", "index": 1}, False, 2),
    ({"chief": ["a:1"], "worker": ["b:1", "c:1"]}, {"type": "chief", "index": 0}, True, 0),
])
def test_only_one_task_is_the_chief_and_ranks_count_from_it(cluster, task, chief, rank):
    from common import distribute

    config = distribute.read_tf_config({"TF_CONFIG": json.dumps({"cluster": cluster, "task": task})})
    assert distribute.is_chief(config) is chief
    assert distribute.worker_rank(config) == rank


# A worker of a cluster that saves the noise its one replica draws inside a traced step.
NOISE_WORKER = textwrap.dedent("""
    import sys
    import keras
    import numpy as np
    from common import distribute
    strategy = distribute.make_strategy("multi-worker")
    keras.utils.set_random_seed(0)
    import tensorflow as tf
    with strategy.scope():
        distribute.vary_random_draws_per_worker()

    @tf.function
    def draw():
        def step():
            # The collective makes it a step of the whole cluster, as a train step is.
            return tf.random.normal((8,)) + 0.0 * tf.distribute.get_replica_context().all_reduce("sum", 1.0)
        return strategy.run(step)

    np.save(sys.argv[1], strategy.experimental_local_results(draw())[0].numpy())
""")


@pytest.mark.slow
def test_workers_draw_their_own_noise_reproducibly(tmp_path):
    def cluster_draws(run):
        ports = free_ports(2)
        workers = [subprocess.Popen([sys.executable, "-c", NOISE_WORKER, str(tmp_path / f"{run}_{index}.npy")],
                                    cwd=ROOT, env={**os.environ, "TF_CONFIG": tf_config(ports, index),
                                                   "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)},
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                   for index in range(2)]
        finish(workers)
        return [np.load(tmp_path / f"{run}_{index}.npy") for index in range(2)]

    first, again = cluster_draws("first"), cluster_draws("again")
    assert not np.allclose(first[0], first[1])
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


# ---- two real workers --------------------------------------------------------------------------------
@pytest.mark.slow
def test_cgan_trains_on_two_workers(tmp_path):
    data_dir = make_tiny_data_dir(tmp_path)
    out_dir = tmp_path / "run"
    workers = start_workers("cgan_mnist", CGAN_FAST + ["--data-dir", str(data_dir), "--out-dir", str(out_dir)],
                            tmp_path)
    chief_output, worker_output = finish(workers)
    assert "2 replicas on 2 workers" in chief_output and "per-replica batch 4" in chief_output
    chief, other = dumped_weights(tmp_path / "0.npz"), dumped_weights(tmp_path / "1.npz")
    assert len(chief) == len(other) and all(np.array_equal(a, b) for a, b in zip(chief, other))
    # Only the chief wrote into the run folder; the other worker's temporary folder is gone.
    assert sorted(path.name for path in out_dir.glob("*.h5")) == ["cgan_mnist.h5"]
    assert json.loads((out_dir / "history.json").read_text())["step"] == [1, 2, 3]
    generated = tmp_path / "generated"
    assert cgan_mnist.main(["--generator", str(out_dir / "cgan_mnist.h5"), "--digit", "3", "--samples", "4",
                            "--csv", str(generated / "rows.csv"), "--out-dir", str(generated)]) == 0
    assert (generated / "rows.csv").is_file()


@pytest.mark.slow
def test_timegan_joint_phase_trains_on_two_workers(tmp_path):
    rng = np.random.default_rng(0)
    walk = 100 + np.cumsum(rng.normal(size=TIMEGAN_ROWS))
    csv = tmp_path / "prices.csv"
    pd.DataFrame({"open": walk, "close": walk + rng.normal(size=TIMEGAN_ROWS)}).to_csv(csv, index=False)
    out_dir = tmp_path / "run"
    argv = ["--data", str(csv), "--seq-len", "6", "--hidden-dim", "4", "--num-layers", "1", "--batch-size", "8",
            "--autoencoder-steps", "1", "--supervisor-steps", "1", "--joint-steps", "2",
            "--discriminator-updates", "2", "--checkpoint-every", "1", "--sample-every", "2", "--out-dir", str(out_dir)]
    chief_output, _ = finish(start_workers("timegan", argv, tmp_path))
    assert "2 replicas on 2 workers" in chief_output
    chief, other = dumped_weights(tmp_path / "0.npz"), dumped_weights(tmp_path / "1.npz")
    assert len(chief) == len(other) and all(np.array_equal(a, b) for a, b in zip(chief, other))
    joint_history = json.loads(next(out_dir.glob("3_*/history.json")).read_text())
    assert joint_history["step"] == [1, 2] and np.all(np.isfinite(joint_history["g_loss"]))
    generated = tmp_path / "generated.csv"
    assert timegan.main(["--generator", str(next(out_dir.glob("*.h5"))), "--samples", "3", "--csv", str(generated),
                         "--out-dir", str(tmp_path)]) == 0
    assert len(pd.read_csv(generated)) == 3 * 6


@pytest.mark.slow
def test_killed_multi_worker_run_resumes_on_one_worker(tmp_path):
    data_dir = make_tiny_data_dir(tmp_path)
    out_dir = tmp_path / "run"
    argv = ["--steps", "100000", "--batch-size", "8", "--checkpoint-every", "2", "--sample-every", "100000",
            "--data-dir", str(data_dir), "--out-dir", str(out_dir)]
    workers = start_workers("cgan_mnist", argv, tmp_path)
    history = out_dir / "history.json"
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while not history.is_file() and time.monotonic() < deadline and all(w.poll() is None for w in workers):
        time.sleep(0.2)
    for worker in workers:
        worker.kill()
        worker.communicate()
    assert history.is_file(), "no checkpoint was written"
    done = json.loads(history.read_text())["step"][-1]
    assert done >= 2 and done % 2 == 0
    argv[1] = str(done + 2)
    assert cgan_mnist.main(argv + ["--resume", "--distribute", "none"]) == 0
    steps = json.loads(history.read_text())["step"]
    assert steps[-3:] == [done, done + 1, done + 2] and steps == sorted(set(steps))
