"""TimeGAN's five recurrent networks and the generation model saved for users.

Shapes. Windows x are (batch, seq_len, features) in [0, 1]; latent sequences h are (batch, seq_len,
hidden_dim) in [0, 1]; noise z is (batch, seq_len, z_dim) ~ U(0, 1).

- embedder:      x -> h              recovery:   h -> x (reconstruction)
- generator:     z -> h (E_hat)      supervisor: h -> h one step ahead (H_hat)
- discriminator: h -> real/fake logit per time step (batch, seq_len, 1)

Every network is a stack of GRU or LSTM layers (the supervisor has one fewer) and a Dense head,
sigmoid except the discriminator's logit.
"""

from dataclasses import dataclass

import keras
from keras import layers

from common.errors import ToolkitError
from common.timegan.names import RNN_MODULE_NAMES

RNN_MODULES = dict(zip(RNN_MODULE_NAMES, (layers.GRU, layers.LSTM)))
# Windows up to this length may be unrolled: for the paper's 24-step windows an autoencoder step
# inside training's fit() took 25 ms instead of 37 on 2 idle CPU cores (benchmarks/timegan_unroll.py),
# for seconds of graph building. Longer windows keep the loop, whose graph and memory do not grow
# with the length. Each phase says whether it unrolls (`model.TimeGANPhase.unrolled`).
MAX_UNROLLED_STEPS = 48


def build_recurrent_network(name, seq_len, input_dim, hidden_dim, num_layers, module, output_dim,
                            output_activation, unroll):
    """Input (batch, seq_len, input_dim) -> `num_layers` GRU/LSTM(hidden_dim) -> Dense(output_dim) per step.

    `unroll`: build the recurrence unrolled over the seq_len steps instead of as a loop.
    """
    inputs = keras.Input((seq_len, input_dim), name=f"{name}_input")
    hidden = inputs
    for index in range(num_layers):
        hidden = RNN_MODULES[module](hidden_dim, return_sequences=True, unroll=unroll,
                                     name=f"{name}_{module}_{index + 1}")(hidden)
    outputs = layers.Dense(output_dim, activation=output_activation, name=f"{name}_output")(hidden)
    return keras.Model(inputs, outputs, name=name)


@dataclass(frozen=True)
class Networks:
    """The five TimeGAN networks (shapes in the module docstring)."""

    embedder: keras.Model
    recovery: keras.Model
    generator: keras.Model
    supervisor: keras.Model
    discriminator: keras.Model

    def all(self):
        return [self.embedder, self.recovery, self.generator, self.supervisor, self.discriminator]


def build_networks(seq_len, num_features, z_dim, hidden_dim, num_layers, module, unroll=None):
    """The five networks for windows (seq_len, num_features); the supervisor gets num_layers - 1 layers (>= 1).

    `unroll`: unrolled recurrences; by default for windows of at most MAX_UNROLLED_STEPS steps.
    """
    if module not in RNN_MODULES:
        raise ToolkitError(f"--module must be one of {', '.join(RNN_MODULES)}; got {module!r}")
    if unroll is None:
        unroll = seq_len <= MAX_UNROLLED_STEPS

    def network(name, input_dim, layers_count, output_dim, activation):
        return build_recurrent_network(name, seq_len, input_dim, hidden_dim, layers_count, module, output_dim,
                                       activation, unroll)

    return Networks(
        embedder=network("embedder", num_features, num_layers, hidden_dim, "sigmoid"),
        recovery=network("recovery", hidden_dim, num_layers, num_features, "sigmoid"),
        generator=network("generator", z_dim, num_layers, hidden_dim, "sigmoid"),
        supervisor=network("supervisor", hidden_dim, max(num_layers - 1, 1), hidden_dim, "sigmoid"),
        discriminator=network("discriminator", hidden_dim, num_layers, 1, None),
    )


def set_unrolled(models, unrolled):
    """Switch every recurrent layer of `models` between unrolled and looped; read when a step is traced."""
    for net in models:
        for layer in net.layers:
            if isinstance(layer, layers.RNN):
                layer.unroll = unrolled


def build_generation_model(networks, name):
    """Generator -> supervisor -> recovery: noise (N, seq_len, z_dim) ~ U(0, 1) -> windows (N, seq_len, F) in [0, 1].

    Built from standard layers only, so the saved file loads in safe mode.
    """
    noise = keras.Input(tuple(networks.generator.input_shape[1:]), name="noise")
    windows = networks.recovery(networks.supervisor(networks.generator(noise)))
    return keras.Model(noise, windows, name=name)
