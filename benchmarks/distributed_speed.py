"""Training speed under tf.distribute: steps/s and samples/s of a GAN on 1 and N replicas.

    python3 benchmarks/distributed_speed.py                     # CGAN (MNIST-sized), 1 vs 2 CPU devices
    python3 benchmarks/distributed_speed.py --model dcgan --replicas 4 --batch-size 128
    python3 benchmarks/distributed_speed.py --multi-worker      # also: two worker processes on localhost

Each configuration runs in a fresh process (logical devices and clusters are fixed at TensorFlow's
start) on random images, so no data is needed. "mirrored" splits the global batch over N devices
of this machine (GPUs when there are N, else logical CPU devices, which share the same cores).
"multi-worker" starts two processes with TF_CONFIG on free localhost ports and compares their step
time with a one-worker cluster at the same per-replica batch: the difference is the per-step cost
of synchronising the two processes (gradient all-reduce over gRPC, and here also the two
processes sharing the CPU cores).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = ("cgan", "dcgan")
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
WARMUP_STEPS = 3
RESULT_PREFIX = "RESULT "


def measure(model_name, replicas, batch_size, steps, multi_worker):
    """Time `steps` training steps in this process; print one RESULT line (JSON)."""
    from common import cli

    cli.import_tensorflow()
    import tensorflow as tf

    if not multi_worker and replicas > 1 and len(tf.config.list_physical_devices("GPU")) < replicas:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
    import keras
    import numpy as np

    from common import distribute, training
    from common.images import model

    mode = "multi-worker" if multi_worker else ("mirrored" if replicas > 1 else "none")
    strategy = distribute.make_strategy(mode)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (batch_size, *IMAGE_SHAPE)).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, batch_size).astype("int32")
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    with strategy.scope():
        gan = model.build_cgan(100, NUM_CLASSES) if model_name == "cgan" else model.build_dcgan(100)
        gan.compile(*training.adam_pair(1e-4, steps))
        gan.fit(dataset, steps_per_epoch=WARMUP_STEPS, epochs=1, verbose=0)
        start = time.perf_counter()
        gan.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
        seconds = time.perf_counter() - start
    print(RESULT_PREFIX + json.dumps({"mode": mode, "replicas": strategy.num_replicas_in_sync,
                                      "batch": batch_size, "steps_per_s": steps / seconds,
                                      "samples_per_s": steps * batch_size / seconds}), flush=True)


def child(args, replicas, batch_size, tf_config=None):
    command = [sys.executable, __file__, "--measure", "--model", args.model, "--replicas", str(replicas),
               "--batch-size", str(batch_size), "--steps", str(args.steps)]
    env = dict(os.environ)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
        command.append("--multi-worker")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(process):
    output, errors = process.communicate()
    lines = [line for line in output.splitlines() if line.startswith(RESULT_PREFIX)]
    if process.returncode != 0 or not lines:
        sys.exit(f"a measurement failed:\n{errors[-3000:]}")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def cluster(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("localhost", 0))
    addresses = [f"localhost:{sock.getsockname()[1]}" for sock in sockets]
    for sock in sockets:
        sock.close()
    return [{"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}} for index in range(count)]


def report(label, measured):
    print(f"{label:<44} {measured['steps_per_s']:8.2f} steps/s {measured['samples_per_s']:9.1f} samples/s "
          f"(global batch {measured['batch']}, {measured['replicas']} replica(s))")
    return measured


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=MODELS, default="cgan")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch (default %(default)s)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps after 3 warm-up steps")
    parser.add_argument("--multi-worker", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.model, args.replicas, args.batch_size, args.steps, args.multi_worker)
        return
    print(f"{args.model}, {args.steps} timed steps, {os.cpu_count()} CPU cores")
    one = report("1 replica (default device)", result(child(args, 1, args.batch_size)))
    many = report(f"mirrored, {args.replicas} replicas", result(child(args, args.replicas, args.batch_size)))
    speed_up = many["steps_per_s"] / one["steps_per_s"]
    print(f"speed-up of {args.replicas} replicas at the same global batch: {speed_up:.2f}x")
    if not args.multi_worker:
        return
    per_worker = args.batch_size // 2
    alone = report(f"multi-worker, 1 worker, batch {per_worker}", result(child(args, 1, per_worker, cluster(1)[0])))
    pair = [child(args, 1, args.batch_size, config) for config in cluster(2)]
    both = [result(process) for process in pair]
    report(f"multi-worker, 2 workers, batch {args.batch_size}", both[0])
    overhead = 1000 * (1 / both[0]["steps_per_s"] - 1 / alone["steps_per_s"])
    print(f"per-step overhead of the second worker (same per-replica batch {per_worker}): {overhead:.0f} ms")


if __name__ == "__main__":
    main()
