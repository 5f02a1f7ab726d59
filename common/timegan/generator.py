"""Generation with a saved TimeGAN generator, and its settings: the versioned sidecar, written and read here.

The generation model maps noise (N, seq_len, z_dim) ~ U(0, 1) to windows (N, seq_len, features) in
[0, 1]. Its sidecar `<stem>.json` holds what generation and evaluation need without the training
data: `data` (dataset name or CSV path), `columns` (every output column), `scaler` (a
`common.scaling.MinMaxScaler` of the modelled columns onto [0, 1]), `seq_len`, `z_dim`, and the
recipe (`module`, `hidden_dim`, `num_layers`, `steps` per phase, `batch_size`, `seed`) and
`window_noise_dim` (noise features held over a window's steps; 0 where the key is missing).

Version 2 adds `column_plan` (`columns.ColumnPlan.to_json`: how each output column comes from the
modelled ones, and the dropped time columns). Version 3 adds derived columns to the plan (exact linear
relations between modelled columns). Version 1 sidecars have no plan: every column is modelled as float64.
"""

import numpy as np

from common import batching, io
from common.errors import ToolkitError
from common.scaling import MinMaxScaler
from common.timegan import columns as column_plans

SIDECAR_FORMAT = "timegan"
# Version 2: the column plan (constant, duplicate, discrete and transformed columns); 3: derived columns.
SIDECAR_VERSION = 3


def sample_noise(count, seq_len, z_dim, seed, window_noise_dim=0):
    """Generator input (count, seq_len, z_dim) float32 ~ U(0, 1), reproducible from `seed`; the first
    `window_noise_dim` features are drawn once per window and held over its steps."""
    noise = np.random.default_rng(seed).uniform(size=(count, seq_len, z_dim)).astype("float32")
    noise[:, :, :window_noise_dim] = noise[:, :1, :window_noise_dim]
    return noise


def generate(generation_model, count, seed, window_noise_dim=0):
    """`count` windows (count, seq_len, features) float64 in [0, 1] from the noise of `seed`."""
    _, seq_len, z_dim = generation_model.input_shape
    noise = sample_noise(count, seq_len, z_dim, seed, window_noise_dim)
    return batching.predict_in_batches(generation_model, noise).astype(np.float64)


# ---- the generator and its sidecar, side by side -----------------------------------------------
def save_generator(generation_model, h5_path, settings):
    """Save the generation model (`.h5` and `.keras`) and its sidecar; returns the three paths."""
    h5_path, keras_path = io.save_generator(generation_model, h5_path)
    sidecar = io.write_sidecar(h5_path, SIDECAR_FORMAT, SIDECAR_VERSION, settings)
    return h5_path, keras_path, sidecar


def read_settings(model_path):
    """The sidecar settings of the generator at `model_path`, checked.

    `scaler` comes back as a MinMaxScaler and `plan` as a `columns.ColumnPlan` (version 1: every
    column modelled).
    """
    sidecar = io.sidecar_path(model_path)
    settings = io.read_sidecar(model_path, SIDECAR_FORMAT, SIDECAR_VERSION)
    try:
        columns = [str(name) for name in settings["columns"]]
        settings["seq_len"] = int(settings["seq_len"])
        scaler = MinMaxScaler.from_json(settings["scaler"])
        stored_plan = settings.get("column_plan")
        plan = column_plans.ColumnPlan.from_json(stored_plan) if stored_plan else (
            column_plans.ColumnPlan.all_modelled(columns))
        if plan.names != columns:
            raise ValueError(f"the column plan has columns {plan.names} for {columns}")
        if len(scaler.minimum) != len(plan.modelled):
            raise ValueError(f"the scaler has {len(scaler.minimum)} features for {len(plan.modelled)} modelled columns")
        window_noise_dim = int(settings.get("window_noise_dim", 0))
        if window_noise_dim < 0:
            raise ValueError(f"window_noise_dim must be 0 or more; got {window_noise_dim}")
    except (KeyError, TypeError, ValueError, ToolkitError) as error:
        raise ToolkitError(f"{sidecar} is not a timegan settings file ({error})") from error
    return {**settings, "columns": columns, "scaler": scaler, "plan": plan, "window_noise_dim": window_noise_dim}


def to_columns(settings, windows):
    """Generated windows (N, seq_len, modelled) in [0, 1] -> {column: (N, seq_len)} of every output column
    in original units and dtypes."""
    return settings["plan"].decode(settings["scaler"].inverse_transform(windows))


def load_generator(path, seq_len=None):
    """(generation model, settings) of a saved generator, checking that they and `seq_len` (if given) agree."""
    settings = read_settings(path)
    model = io.load_model(path, what="generator")
    window, columns = settings["seq_len"], settings["plan"].modelled
    input_shape, output_shape = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
    if len(input_shape) != 2 or output_shape != (window, len(columns)) or input_shape[0] != window:
        raise ToolkitError(f"{path} must map noise (steps, z) to windows ({window}, {len(columns)}) as "
                           f"{io.sidecar_path(path)} says; it maps {input_shape} to {output_shape}")
    if settings["window_noise_dim"] > input_shape[1]:
        raise ToolkitError(f"{io.sidecar_path(path)}: window_noise_dim must be at most the generator's "
                           f"{input_shape[1]} noise features; got {settings['window_noise_dim']}")
    if seq_len is not None and seq_len != window:
        raise ToolkitError(f"--seq-len must match the generator's windows of {window} steps; got {seq_len}")
    return model, settings
