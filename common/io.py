"""Atomic writes, safe model loading, CSV and JSON files, and training checkpoints.

Every writer here goes through `atomic_path`: the file appears complete under its final name or
not at all, so a crash or Ctrl-C never leaves a half-written model, CSV or checkpoint behind.
"""

import contextlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import h5py
import numpy as np

from common.errors import ToolkitError, first_line

MODEL_SUFFIXES = (".h5", ".keras")
SIDECAR_SUFFIX = ".json"
# Layers that carry Python code inside the file; we never build models with them and refuse any
# file that has one, on top of Keras's own safe mode.
CODE_CARRYING_LAYERS = ("Lambda", "TFOpLambda")


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; on success rename it to `path`, on any error remove it.

    The temporary name keeps the suffixes of `path` because Keras picks the format from them.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes[-2:]) if path.name.endswith(".weights.h5") else path.suffix
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _default_file_mode())  # mkstemp makes 0600 files; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _default_file_mode():
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(path: str | Path, text: str) -> None:
    """Write `text` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, obj) -> None:
    """Write `obj` as indented JSON to `path` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def sidecar_path(model_path: str | Path) -> Path:
    """The settings file saved beside a model: `models/x.h5` (or `.keras`) -> `models/x.json`."""
    path = Path(model_path)
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def write_sidecar(model_path: str | Path, format_name: str, version: int, settings: dict) -> Path:
    """Write `settings` beside `model_path` atomically, tagged with `format_name` and `version`.

    Every family names its own format (e.g. "timegan"); `read_sidecar` checks both tags.
    Returns the sidecar's path.
    """
    reserved = {"format", "version"} & set(settings)
    if reserved:
        raise ValueError(f"sidecar settings must not use the keys format/version; got {sorted(reserved)}")
    path = sidecar_path(model_path)
    write_json(path, {"format": format_name, "version": version, **settings})
    return path


def read_sidecar(model_path: str | Path, format_name: str, version: int) -> dict:
    """The settings `write_sidecar` stored beside `model_path` (without the two tags).

    One-line errors when the file is missing or unreadable, names another format, or was written
    by a newer version than `version`, the newest this code reads.
    """
    path = sidecar_path(model_path)
    if not path.is_file():
        raise ToolkitError(f"the generator {model_path} needs its settings file {path} beside it; not found")
    try:
        settings = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ToolkitError(f"cannot read the settings file {path} ({first_line(error)})") from error
    if not isinstance(settings, dict):
        raise ToolkitError(f"the settings file {path} must hold a JSON object; got {type(settings).__name__}")
    found_format, found_version = settings.pop("format", None), settings.pop("version", None)
    if found_format != format_name:
        raise ToolkitError(f"the settings file {path} must be of format {format_name!r}; got {found_format!r}")
    if not isinstance(found_version, int) or not 1 <= found_version <= version:
        raise ToolkitError(f"the settings file {path} must be of {format_name!r} version 1 to {version} "
                           f"(a newer toolkit wrote it?); got version {found_version!r}")
    return settings


def write_csv(frame, path: str | Path) -> None:
    """Write a pandas DataFrame to `path` (no index column) atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_model(model, path: str | Path) -> None:
    """Save a Keras model to `path` (`.keras` or `.h5`) atomically.

    A model built under a mixed-precision policy is saved as its float32 copy (`float32_model`),
    so the file loads and computes the same anywhere, with or without a GPU.
    """
    path = Path(path)
    if path.suffix not in MODEL_SUFFIXES:
        raise ToolkitError(f"model files must end in .h5 or .keras; got {path}")
    model = float32_model(model)
    with atomic_path(path) as tmp, _quiet_keras_logging():
        model.save(tmp)


def float32_model(model):
    """`model` itself when all its layers compute in float32, else a copy whose layers do, with the same
    weights (variables are float32 under every mixed policy, so nothing is rounded)."""
    import keras

    if not any(_is_mixed(layer.dtype_policy) for layer in model._flatten_layers()):
        return model
    config = _float32_config(keras.saving.serialize_keras_object(model))
    copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(model.get_weights())
    return copy


def _is_mixed(policy):
    return policy.compute_dtype != policy.variable_dtype


def _float32_config(config):
    """A serialized Keras object with every mixed dtype policy in it replaced by float32."""
    if isinstance(config, list):
        return [_float32_config(item) for item in config]
    if not isinstance(config, dict):
        return config
    if config.get("class_name") == "DTypePolicy" and str(config.get("config", {}).get("name", "")).startswith("mixed_"):
        return {**config, "config": {**config["config"], "name": "float32"}}
    return {key: _float32_config(value) for key, value in config.items()}


def save_generator(generator, h5_path: str | Path) -> tuple[Path, Path]:
    """Save `generator` as `<stem>.keras` and `<stem>.h5` beside each other, both atomically.

    The native `.keras` file is written first, as Keras recommends; the legacy `.h5` is what users
    pass to `--generator`. Returns the two paths.
    """
    h5_path = Path(h5_path).with_suffix(".h5")
    keras_path = h5_path.with_suffix(".keras")
    save_model(generator, keras_path)
    save_model(generator, h5_path)
    return h5_path, keras_path


def load_model(path: str | Path, what: str = "model"):
    """Load a Keras model for inference (`compile=False`, safe mode), refusing code-carrying files.

    Raises ToolkitError with one line naming the file for a missing, corrupt or unsafe file.
    """
    import keras

    path = Path(path)
    if not path.is_file():
        raise ToolkitError(f"{what} file not found: {path}")
    if path.suffix not in MODEL_SUFFIXES:
        raise ToolkitError(f"{what} file must end in .h5 or .keras; got {path}")
    config_text = _stored_config_text(path, what)
    for layer in CODE_CARRYING_LAYERS:
        if f'"class_name": "{layer}"' in config_text:
            raise ToolkitError(f"{what} file {path} contains a {layer} layer (code); refusing to load")
    try:
        with _quiet_keras_logging():
            return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for bad files; all mean "unusable".
        raise ToolkitError(f"cannot load {what} from {path}: {first_line(error)}") from error


def _stored_config_text(path, what):
    """The model architecture JSON stored in a `.keras` zip or a legacy `.h5` file."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return archive.read("config.json").decode("utf-8")
        with h5py.File(path, "r") as handle:
            config = handle.attrs.get("model_config")
    except (OSError, KeyError, ValueError) as error:
        raise ToolkitError(f"{what} file {path} is not a readable Keras model ({error})") from error
    if config is None:
        raise ToolkitError(f"{what} file {path} holds no model architecture (weights only?)")
    return config.decode("utf-8") if isinstance(config, bytes) else str(config)


@contextlib.contextmanager
def _quiet_keras_logging():
    """Silence Keras's "HDF5 is legacy" notice: saving .h5 beside .keras is deliberate here."""
    from absl import logging as absl_logging

    previous = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)
    try:
        yield
    finally:
        absl_logging.set_verbosity(previous)


def save_arrays(path: str | Path, arrays: dict) -> None:
    """Save a dict of numpy arrays as an uncompressed `.npz` atomically (no pickled objects)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def load_arrays(path: str | Path) -> dict:
    """Load a `.npz` written by `save_arrays` as a dict; pickled objects are refused."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ToolkitError(f"cannot read {path}: {error}") from error
