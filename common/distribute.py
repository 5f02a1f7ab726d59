"""Where training runs: the `tf.distribute` strategy, the chief worker, and mixed precision.

`--distribute` picks the strategy: `auto` mirrors over all visible GPUs when there are two or
more and uses the default device otherwise; `none` always uses the default device; `mirrored`
mirrors over every GPU (or, with none, every logical CPU device, for testing); `multi-worker`
runs `MultiWorkerMirroredStrategy` configured by the `TF_CONFIG` environment variable, as
TensorFlow documents it. `--batch-size` stays the global batch: each replica takes an equal share.

Only the chief (task "chief", or "worker" 0 in a cluster without one) writes the run's files; the
other workers write into a temporary folder that is removed when they end. With `--resume` that
folder starts as a copy of the run folder, which every worker must therefore be able to read.

`--mixed-precision` computes in float16 on GPUs (`mixed_float16`, with loss scaling in the GAN's
train steps) and bfloat16 on CPUs (`mixed_bfloat16`); variables, final outputs, losses and saved
generators stay float32.

The checks that need no TensorFlow (`check_flags`, `read_tf_config`) import none, so a bad
`TF_CONFIG` is reported before TensorFlow loads.
"""

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from common.errors import ToolkitError

CHOICES = ("auto", "none", "mirrored", "multi-worker")
DEFAULT = "auto"
TF_CONFIG = "TF_CONFIG"
# Jobs MultiWorkerMirroredStrategy runs; "chief" is optional (then worker 0 is the chief).
WORKER_JOBS = ("chief", "worker")
MIXED_GPU_POLICY = "mixed_float16"
MIXED_CPU_POLICY = "mixed_bfloat16"
FLOAT_POLICY = "float32"
WORKER_DIR_PREFIX = "gan-worker-"
# TensorFlow reads these when its runtime starts: threads within one op, and ops run side by side.
INTRA_OP_THREADS_ENV = "TF_NUM_INTRAOP_THREADS"
INTER_OP_THREADS_ENV = "TF_NUM_INTEROP_THREADS"
# Worker seeds are drawn below this, leaving room to add the worker's rank within 32-bit seeds.
WORKER_SEED_LIMIT = 2**31


# ---- TensorFlow-free checks -------------------------------------------------------------------
def read_tf_config(environ=None) -> dict | None:
    """The parsed `TF_CONFIG` (None when unset or empty), checked to describe a worker of a cluster.

    Raises a one-line ToolkitError naming TF_CONFIG when it is not JSON, has no `cluster` of
    "host:port" lists, or no `task` whose `type` and `index` name one of them.
    """
    text = (os.environ if environ is None else environ).get(TF_CONFIG, "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ToolkitError(f"{TF_CONFIG} must be JSON ({error.msg} at character {error.pos}); "
                           f"got {_shorten(text)}") from None
    if not isinstance(config, dict):
        raise ToolkitError(f"{TF_CONFIG} must be a JSON object with 'cluster' and 'task'; got {_shorten(text)}")
    cluster = config.get("cluster")
    if not isinstance(cluster, dict) or not cluster:
        raise ToolkitError(f"{TF_CONFIG} needs a 'cluster' object of job -> [\"host:port\", ...]; got {cluster!r}")
    for job, addresses in cluster.items():
        if job not in WORKER_JOBS:
            raise ToolkitError(f"{TF_CONFIG}: cluster jobs must be {' or '.join(WORKER_JOBS)} "
                               f"(multi-worker training has no other roles); got {job!r}")
        if (not isinstance(addresses, list) or not addresses
                or not all(isinstance(address, str) and ":" in address for address in addresses)):
            raise ToolkitError(f"{TF_CONFIG}: cluster job {job!r} must list \"host:port\" addresses; got {addresses!r}")
    task = config.get("task")
    if not isinstance(task, dict):
        raise ToolkitError(f"{TF_CONFIG} needs a 'task' object {{\"type\": ..., \"index\": ...}}; got {task!r}")
    job, index = task.get("type"), task.get("index")
    if job not in cluster:
        raise ToolkitError(f"{TF_CONFIG}: task type must be one of the cluster's jobs {sorted(cluster)}; got {job!r}")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(cluster[job]):
        raise ToolkitError(f"{TF_CONFIG}: task index must be 0 to {len(cluster[job]) - 1} for job {job!r}; "
                           f"got {index!r}")
    return config


def check_flags(args) -> None:
    """The checks of `--distribute` that need no TensorFlow: multi-worker needs a valid TF_CONFIG."""
    if getattr(args, "distribute", None) == "multi-worker" and read_tf_config() is None:
        raise ToolkitError(f"--distribute multi-worker needs the {TF_CONFIG} environment variable "
                           "(JSON: cluster addresses and this worker's task); it is not set")


def is_chief(config: dict | None) -> bool:
    """True for the process that writes the run's files: no cluster, the "chief" task, or worker 0
    of a cluster without a chief."""
    if config is None:
        return True
    job, index = config["task"]["type"], config["task"]["index"]
    return job == "chief" or (job == "worker" and index == 0 and "chief" not in config["cluster"])


def worker_rank(config: dict | None) -> int:
    """This process's place among the training workers: 0 for the chief, then the workers in order."""
    if config is None:
        return 0
    job, index = config["task"]["type"], config["task"]["index"]
    if job == "chief":
        return 0
    return index + (1 if "chief" in config["cluster"] else 0)


def _shorten(text, limit=60):
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "...")


# ---- strategies -------------------------------------------------------------------------------
def make_strategy(mode: str):
    """The `tf.distribute.Strategy` for `--distribute mode` (see the module docstring).

    Call it before any other TensorFlow op runs: multi-worker training must start the cluster first.
    """
    import tensorflow as tf

    if mode not in CHOICES:
        raise ToolkitError(f"--distribute must be one of {', '.join(CHOICES)}; got {mode!r}")
    if mode == "multi-worker":
        read_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = [device.name for device in tf.config.list_logical_devices("GPU")]
    if mode == "none" or (mode == "auto" and len(gpus) < 2):
        return tf.distribute.get_strategy()
    devices = gpus or [device.name for device in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices)


def vary_random_draws_per_worker() -> None:
    """Under multi-worker training, give every worker after the chief its own TensorFlow random seed.

    The workers run one program from one `--seed`, so the random ops a train step traces (noise,
    sampled labels and codes) would draw the same numbers on every worker, and a global batch would
    hold each fake several times. Call it after the networks and the dataset are built, just before
    the step is traced: the weights and the data's shuffle keep the common seed. The new seed is
    drawn from the common seed, so a run stays reproducible. Other strategies are left alone (the
    replicas of one machine already draw differently).
    """
    import tensorflow as tf

    if not isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        return
    rank = worker_rank(read_tf_config())
    if rank:
        tf.random.set_seed(int(tf.random.uniform((), maxval=WORKER_SEED_LIMIT, dtype="int64")) + rank)


def prefer_ops_side_by_side(environ=None) -> None:
    """Run each op on one thread and as many independent ops at once as there are CPU cores.

    For models made of many small ops (recurrent layers over short sequences, hidden sizes of tens),
    splitting one op across threads costs more than it gains; TensorFlow's default splits them. Must
    be called before TensorFlow starts its runtime; a user's own INTRA_OP_THREADS_ENV or
    INTER_OP_THREADS_ENV setting is kept (neither is changed when either is set).
    """
    environ = os.environ if environ is None else environ
    if INTRA_OP_THREADS_ENV in environ or INTER_OP_THREADS_ENV in environ:
        return
    environ[INTRA_OP_THREADS_ENV] = "1"
    environ[INTER_OP_THREADS_ENV] = str(os.cpu_count() or 1)


def describe(strategy, mode: str) -> str:
    """One line for the start of a run: the strategy, the replicas and where they run."""
    import tensorflow as tf

    replicas = strategy.num_replicas_in_sync
    if mode == "multi-worker":
        config = read_tf_config()
        workers = sum(len(addresses) for addresses in config["cluster"].values())
        task = config["task"]
        role = "chief" if is_chief(config) else "worker"
        return (f"distribute: multi-worker, {replicas} replicas on {workers} workers "
                f"(this is {task['type']} {task['index']}, the {role})")
    if isinstance(strategy, tf.distribute.MirroredStrategy):
        return f"distribute: mirrored, {replicas} replicas on {', '.join(strategy.extended.worker_devices)}"
    return f"distribute: {mode}, 1 replica (the default device)"


def batch_line(strategy, batch_size: int) -> str:
    """The replica count and per-replica batch; refuses a global batch the replicas cannot share equally
    (each replica's mean loss is scaled by 1/replicas, which is the global mean only for equal shares)."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise ToolkitError(f"--batch-size must be a multiple of the {replicas} replicas; got {batch_size}")
    return f"replicas: {replicas}, per-replica batch {batch_size // replicas} (global batch {batch_size})"


def mixed_policy_name() -> str:
    """`mixed_float16` where a GPU is visible, else `mixed_bfloat16` (CPUs have no fast float16)."""
    import tensorflow as tf

    return MIXED_GPU_POLICY if tf.config.list_logical_devices("GPU") else MIXED_CPU_POLICY


@contextlib.contextmanager
def precision(enabled: bool):
    """Set the Keras dtype policy for the block (mixed when `enabled`), restoring the previous one."""
    import keras

    previous = keras.mixed_precision.dtype_policy()
    name = mixed_policy_name() if enabled else previous.name
    keras.mixed_precision.set_dtype_policy(name)
    try:
        yield name
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def uses_loss_scaling() -> bool:
    """True under the `mixed_float16` policy, whose small gradients need loss scaling."""
    import keras

    return keras.mixed_precision.dtype_policy().name == MIXED_GPU_POLICY


@contextlib.contextmanager
def worker_out_dir(args, chief: bool):
    """Point `args.out_dir` of a non-chief worker at a temporary folder for the block, then remove it.

    With `--resume` the folder starts as a copy of the run folder (which this worker must be able to
    read: a shared filesystem, or the same files copied to each machine), so every worker restores the
    same checkpoint. The chief keeps `args.out_dir`.
    """
    if chief:
        yield args
        return
    original = getattr(args, "out_dir", None)
    temporary = Path(tempfile.mkdtemp(prefix=WORKER_DIR_PREFIX))
    try:
        if getattr(args, "resume", False):
            if original is None or not Path(original).is_dir():
                raise ToolkitError(f"--resume on a worker needs the chief's run folder readable here; "
                                   f"got --out-dir {original}")
            shutil.rmtree(temporary)
            shutil.copytree(original, temporary, ignore=shutil.ignore_patterns("training.lock"))
        args.out_dir = str(temporary)
        yield args
    finally:
        args.out_dir = original
        shutil.rmtree(temporary, ignore_errors=True)


@contextlib.contextmanager
def training_context(args):
    """Everything `--distribute` and `--mixed-precision` set up around a script's body.

    Creates the strategy, prints its line and the per-replica batch, redirects a non-chief worker's
    outputs, sets the dtype policy and enters the strategy's scope: every model, optimizer and
    `fit()` of the body is then distributed. Arguments without `distribute` (generation-only
    scripts) and runs that use a trained `--generator` get the default device and policy.
    """
    mode = getattr(args, "distribute", None)
    if mode is None or getattr(args, "generator", None) is not None:
        yield None
        return
    strategy = make_strategy(mode)
    print(describe(strategy, mode))
    batch_size = getattr(args, "batch_size", None)
    if batch_size is not None:
        print(batch_line(strategy, batch_size))
    chief = mode != "multi-worker" or is_chief(read_tf_config())
    with worker_out_dir(args, chief), precision(getattr(args, "mixed_precision", False)) as policy:
        if policy != FLOAT_POLICY:
            print(f"mixed precision: {policy} (variables and losses in float32)")
        # The default strategy needs no scope: one device trains exactly as without --distribute.
        distributed = strategy.num_replicas_in_sync > 1 or mode == "multi-worker"
        with strategy.scope() if distributed else contextlib.nullcontext():
            yield strategy
