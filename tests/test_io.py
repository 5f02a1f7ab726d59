import json
import re

import h5py
import keras
import numpy as np
import pytest

from common import io
from common.errors import ToolkitError, first_line


def tiny_model():
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2, name="out")(inputs), name="tiny")


def test_atomic_path_publishes_only_on_success(tmp_path):
    target = tmp_path / "out.csv"
    with io.atomic_path(target) as tmp:
        tmp.write_text("a,b\n")
        assert not target.exists()
    assert target.read_text() == "a,b\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_atomic_path_leaves_nothing_on_failure(tmp_path, error):
    target = tmp_path / "model.h5"
    with pytest.raises(error), io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise error()
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_keeps_existing_file_on_failure(tmp_path):
    target = tmp_path / "data.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("new but broken")
        raise RuntimeError
    assert target.read_text() == "old"


def test_save_generator_writes_both_formats_that_load_back_identically(tmp_path):
    model = tiny_model()
    h5_path, keras_path = io.save_generator(model, tmp_path / "gen.h5")
    assert h5_path.suffix == ".h5" and keras_path.suffix == ".keras"
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    for path in (h5_path, keras_path):
        loaded = io.load_model(path, what="generator")
        np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen.h5", "gen.keras"]


def test_load_model_missing_file(tmp_path):
    with pytest.raises(ToolkitError, match="generator file not found"):
        io.load_model(tmp_path / "nope.h5", what="generator")


@pytest.mark.parametrize("name", ["junk.h5", "junk.keras"])
def test_load_model_corrupt_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"this is not a model")
    with pytest.raises(ToolkitError, match="not a readable Keras model"):
        io.load_model(path)


def test_load_model_refuses_lambda_layers(tmp_path):
    """A file whose architecture holds Python code is refused before Keras sees it."""
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2)(inputs))
    path = tmp_path / "evil.h5"
    model.save(path)
    with h5py.File(path, "r") as handle:
        assert "Lambda" in str(handle.attrs["model_config"])
    with pytest.raises(ToolkitError, match="Lambda layer"):
        io.load_model(path)


def test_arrays_round_trip_without_pickle(tmp_path):
    arrays = {"a": np.arange(5), "names": np.array(["x", "y"])}
    io.save_arrays(tmp_path / "s.npz", arrays)
    loaded = io.load_arrays(tmp_path / "s.npz")
    np.testing.assert_array_equal(loaded["a"], arrays["a"])
    np.testing.assert_array_equal(loaded["names"], arrays["names"])


def test_sidecar_round_trip_is_tagged(tmp_path):
    model = tmp_path / "gen.h5"
    path = io.write_sidecar(model, "demo", 2, {"columns": ["a", "b"], "window": 24})
    assert path == tmp_path / "gen.json"
    stored = json.loads(path.read_text())
    assert (stored["format"], stored["version"]) == ("demo", 2)
    assert io.read_sidecar(model, "demo", 2) == {"columns": ["a", "b"], "window": 24}


@pytest.mark.parametrize("content, message", [
    ({"format": "other", "version": 1}, "must be of format 'demo'; got 'other'"),
    ({"format": "demo", "version": 3}, "version 1 to 2 (a newer toolkit wrote it?); got version 3"),
    ({"version": 1}, "must be of format 'demo'; got None"),
    ([1, 2], "must hold a JSON object; got list"),
])
def test_sidecar_of_another_format_or_a_newer_version_is_a_one_line_error(tmp_path, content, message):
    (tmp_path / "gen.json").write_text(json.dumps(content))
    with pytest.raises(ToolkitError, match=re.escape(message)):
        io.read_sidecar(tmp_path / "gen.h5", "demo", 2)


def test_missing_or_corrupt_sidecar(tmp_path):
    with pytest.raises(ToolkitError, match="needs its settings file"):
        io.read_sidecar(tmp_path / "gen.h5", "demo", 1)
    (tmp_path / "gen.json").write_text("{not json")
    with pytest.raises(ToolkitError, match="cannot read the settings file"):
        io.read_sidecar(tmp_path / "gen.h5", "demo", 1)


def test_first_line_of_an_error():
    assert first_line(ValueError("bad value\nmore detail")) == "bad value"
    assert first_line(KeyError()) == "KeyError"
