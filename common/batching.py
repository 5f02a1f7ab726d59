"""The two loops every model shares: endless shuffled training batches and batched prediction.

`endless_batches` feeds `fit()` (one pass never ends, so training is counted in steps, not epochs);
`predict_in_batches` runs a trained network over any number of inputs without holding one huge batch.
"""

from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from common.errors import ToolkitError

# Inputs per call when running a trained network: large enough to keep the CPU busy, small enough
# that a 28x28 image generator's activations stay well under a gigabyte.
PREDICT_BATCH = 1000


def endless_batches(
    arrays: np.ndarray | Sequence[np.ndarray],
    batch_size: int,
    seed: int,
    *,
    balance_labels: np.ndarray | None = None,
    batches_per_step: int = 1,
    transform: Callable | None = None,
    what: str = "training examples",
) -> tf.data.Dataset:
    """An endless, shuffled `tf.data` pipeline of full batches for training.

    `arrays` is one array (N, ...) or a tuple of arrays sharing N; each element of the dataset is a
    batch of the same structure, (batch_size, ...) each, reshuffled on every pass. The last partial
    batch of a pass is dropped so every step sees `batch_size` examples.

    With `balance_labels` (int (N,)), each example's class is drawn uniformly first and then an
    example of that class: rare classes are seen as often as common ones. With `batches_per_step`
    > 1, each element holds that many independent batches side by side, (batch_size, batches_per_step,
    ...), for a train step that makes several updates (the batch stays the leading axis, which a
    distribution strategy splits between replicas). `transform` maps each batch (the same structure) before
    prefetching, e.g. uint8 pixels to floats. `what` names the examples in the error for a batch
    larger than the data.
    """
    structure = tuple(arrays) if isinstance(arrays, (tuple, list)) else arrays
    count = len(structure[0]) if isinstance(structure, tuple) else len(structure)
    if batch_size > count:
        raise ToolkitError(f"--batch-size must be at most the {count} {what}; got {batch_size}")
    if balance_labels is None:
        dataset = tf.data.Dataset.from_tensor_slices(structure)
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True).repeat()
    else:
        labels = np.asarray(balance_labels)
        classes = np.unique(labels)
        per_class = []
        for index, label in enumerate(classes):
            rows = labels == label
            subset = tuple(array[rows] for array in structure) if isinstance(structure, tuple) else structure[rows]
            per_class.append(tf.data.Dataset.from_tensor_slices(subset)
                             .shuffle(int(rows.sum()), seed=seed + index, reshuffle_each_iteration=True).repeat())
        dataset = tf.data.Dataset.sample_from_datasets(per_class, weights=[1.0 / len(classes)] * len(classes),
                                                       seed=seed)
    dataset = dataset.batch(batch_size, drop_remainder=True)
    if transform is not None:
        dataset = dataset.map(lambda *batch: transform(*batch), num_parallel_calls=tf.data.AUTOTUNE)
    if batches_per_step > 1:
        dataset = dataset.batch(batches_per_step, drop_remainder=True).map(_batch_axis_first)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _batch_axis_first(*stacked):
    """(batches_per_step, batch_size, ...) -> (batch_size, batches_per_step, ...), for each array."""
    swapped = tuple(tf.experimental.numpy.swapaxes(array, 0, 1) for array in stacked)
    return swapped if len(swapped) > 1 else swapped[0]


def predict_in_batches(
    model: Callable,
    inputs: np.ndarray | Sequence[np.ndarray],
    batch_size: int = PREDICT_BATCH,
) -> np.ndarray | list[np.ndarray]:
    """`model(inputs, training=False)` in chunks of `batch_size`, concatenated as float32 numpy.

    `inputs` is one array (N, ...) or a list of arrays sharing N (a model with several inputs).
    Returns one array (N, ...) or, for a model with several outputs, a list of them. The model is
    called directly: `predict()` would retrace its graph for every freshly loaded model.
    """
    several_inputs = isinstance(inputs, (tuple, list))
    parts = [np.asarray(part, dtype="float32") for part in inputs] if several_inputs else None
    count = len(parts[0]) if several_inputs else len(inputs)
    chunks = []
    for start in range(0, count, batch_size):
        batch = ([part[start:start + batch_size] for part in parts] if several_inputs
                 else np.asarray(inputs[start:start + batch_size], dtype="float32"))
        chunks.append(model(batch, training=False))
    if not chunks:
        shapes = [tuple(output.shape[1:]) for output in model.outputs]
        empty = [np.zeros((0, *shape), dtype="float32") for shape in shapes]
        return empty if len(empty) > 1 else empty[0]
    if isinstance(chunks[0], (tuple, list)):
        return [np.concatenate([np.asarray(chunk[index]) for chunk in chunks]) for index in range(len(chunks[0]))]
    return np.concatenate([np.asarray(chunk) for chunk in chunks])
