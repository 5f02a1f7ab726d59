"""The shared batch builder and batched prediction."""

import keras
import numpy as np
import pytest

from common import batching
from common.errors import ToolkitError


def take(dataset, count):
    return [tuple(np.asarray(part) for part in element) if isinstance(element, tuple) else np.asarray(element)
            for element in dataset.take(count)]


def test_endless_batches_are_full_shuffled_and_never_end():
    values = np.arange(10, dtype="float32")
    batches = take(batching.endless_batches(values, 4, seed=0), 10)
    assert all(batch.shape == (4,) for batch in batches)
    # 10 batches of 4 from 10 values: the pipeline wraps around (reshuffled), so every value recurs.
    seen = np.concatenate(batches)
    assert set(seen.tolist()) == set(values.tolist())
    assert not all(np.array_equal(batch, values[index * 4 % 10:index * 4 % 10 + 4])
                   for index, batch in enumerate(batches[:2]))


def test_tuples_stay_aligned_and_transform_applies():
    features = np.arange(20, dtype="float32").reshape(10, 2)
    labels = np.arange(10, dtype="int32")
    dataset = batching.endless_batches((features, labels), 5, seed=1, transform=lambda x, y: (x * 2, y))
    for x, y in take(dataset, 4):
        np.testing.assert_array_equal(x[:, 0], 4 * y)


def test_balanced_batches_draw_every_class_equally_however_rare():
    labels = np.array([0] * 90 + [1] * 9 + [2] * 1, dtype="int32")
    dataset = batching.endless_batches((labels.astype("float32"), labels), 30, seed=0, balance_labels=labels)
    drawn = np.concatenate([y for _, y in take(dataset, 100)])
    shares = np.bincount(drawn, minlength=3) / len(drawn)
    np.testing.assert_allclose(shares, [1 / 3] * 3, atol=0.03)


def test_batches_per_step_stacks_independent_batches():
    batches = take(batching.endless_batches(np.zeros((12, 3), "float32"), 4, seed=0, batches_per_step=2), 2)
    assert all(batch.shape == (4, 2, 3) for batch in batches)


def test_a_batch_larger_than_the_data_is_a_one_line_error():
    with pytest.raises(ToolkitError, match="--batch-size must be at most the 3 training windows; got 8"):
        batching.endless_batches(np.zeros((3, 2)), 8, seed=0, what="training windows")


def two_input_model():
    first, second = keras.Input((3,)), keras.Input((2,))
    joined = keras.layers.Concatenate()([first, second])
    return keras.Model([first, second], [keras.layers.Dense(4)(joined), keras.layers.Dense(1)(joined)])


def test_predict_in_batches_matches_one_call_for_any_chunk_size():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    inputs = np.random.default_rng(0).normal(size=(25, 3)).astype("float32")
    whole = np.asarray(model(inputs))
    np.testing.assert_allclose(batching.predict_in_batches(model, inputs, batch_size=7), whole, rtol=1e-5, atol=1e-6)


def test_predict_in_batches_takes_several_inputs_and_returns_every_output():
    model = two_input_model()
    rng = np.random.default_rng(1)
    inputs = [rng.normal(size=(11, 3)), rng.normal(size=(11, 2))]
    outputs = batching.predict_in_batches(model, inputs, batch_size=4)
    expected = model([part.astype("float32") for part in inputs])
    assert [output.shape for output in outputs] == [(11, 4), (11, 1)]
    for got, want in zip(outputs, expected):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)


def test_predict_in_batches_of_nothing_keeps_the_output_shape():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert batching.predict_in_batches(model, np.zeros((0, 3))).shape == (0, 2)
