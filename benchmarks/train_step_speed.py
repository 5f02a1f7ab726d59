"""Benchmark: our fit()-driven GAN train step vs the classic predict + train_on_batch loop.

    python3 benchmarks/train_step_speed.py [--model dcgan|mlp] [--steps 40] [--batch-size 64]

Both loops train the same generator and discriminator architectures on the same batches. The classic
loop is the Keras-book recipe made correct for Keras 3: `D.trainable` is switched on for D's own
`train_on_batch` and off for the combined model's, and the script checks that D really changes on its
step and does not on G's. Prints seconds per step for each loop and the speed-up.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import common  # noqa: E402,F401  (pins the Keras backend before TensorFlow loads)
from common import gan  # noqa: E402
from common.images import networks  # noqa: E402

LATENT_DIM = 100
LEARNING_RATE = 2e-4
WARMUP_STEPS = 5


def build_networks(model):
    if model == "mlp":
        return networks.build_mlp_generator(LATENT_DIM), networks.build_mlp_discriminator()
    return networks.build_dcgan_generator(LATENT_DIM), networks.build_dcgan_discriminator()


def adam():
    return keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5)


def time_our_loop(model, real_batches, steps):
    generator, discriminator = build_networks(model)
    combined = gan.GAN(generator, discriminator, LATENT_DIM)
    combined.compile(adam(), adam())
    dataset = tf.data.Dataset.from_tensor_slices(real_batches).repeat()
    combined.fit(dataset, steps_per_epoch=WARMUP_STEPS, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    combined.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / steps


def time_classic_loop(model, real_batches, steps):
    generator, discriminator = build_networks(model)
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    discriminator.compile(optimizer=adam(), loss=loss)
    discriminator.trainable = False
    noise_input = keras.Input((LATENT_DIM,))
    combined = keras.Model(noise_input, discriminator(generator(noise_input)))
    combined.compile(optimizer=adam(), loss=loss)
    batch_size = real_batches.shape[1]
    rng = np.random.default_rng(0)
    targets = np.concatenate([np.full((batch_size, 1), 0.9), np.zeros((batch_size, 1))]).astype("float32")
    ones = np.ones((batch_size, 1), "float32")

    def step(index):
        real = real_batches[index % len(real_batches)]
        fake = generator.predict(rng.normal(size=(batch_size, LATENT_DIM)).astype("float32"), verbose=0)
        # Keras 3 reads `trainable` when each train function is first traced: switch it on for D's
        # own step and off for the combined model's, or D silently never trains.
        discriminator.trainable = True
        discriminator.train_on_batch(np.concatenate([real, fake]), targets)
        discriminator.trainable = False
        combined.train_on_batch(rng.normal(size=(batch_size, LATENT_DIM)).astype("float32"), ones)

    for index in range(WARMUP_STEPS):
        step(index)
    check_classic_loop_trains_correctly(generator, discriminator, combined, real_batches, targets, ones, rng)
    start = time.perf_counter()
    for index in range(steps):
        step(index)
    return (time.perf_counter() - start) / steps


def check_classic_loop_trains_correctly(generator, discriminator, combined, real_batches, targets, ones, rng):
    """D must change on its own step and stay unchanged on the combined (G) step."""
    batch_size = real_batches.shape[1]
    before = [w.numpy().copy() for w in discriminator.weights]
    fake = generator.predict(rng.normal(size=(batch_size, LATENT_DIM)).astype("float32"), verbose=0)
    discriminator.trainable = True
    discriminator.train_on_batch(np.concatenate([real_batches[0], fake]), targets)
    if all(np.array_equal(b, w.numpy()) for b, w in zip(before, discriminator.weights)):
        raise SystemExit("classic loop is broken: D did not change on its own step")
    discriminator.trainable = False
    before = [w.numpy().copy() for w in discriminator.weights]
    combined.train_on_batch(rng.normal(size=(batch_size, LATENT_DIM)).astype("float32"), ones)
    if not all(np.array_equal(b, w.numpy()) for b, w in zip(before, discriminator.weights)):
        raise SystemExit("classic loop is broken: D changed on the generator's step")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["dcgan", "mlp"], default="dcgan")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    real_batches = rng.uniform(-1, 1, (8, args.batch_size, 28, 28, 1)).astype("float32")
    classic = time_classic_loop(args.model, real_batches, args.steps)
    ours = time_our_loop(args.model, real_batches, args.steps)
    print(f"{args.model} nets, batch {args.batch_size}, {args.steps} timed steps after {WARMUP_STEPS} warm-up")
    print(f"  classic predict + train_on_batch : {classic:.4f} s/step")
    print(f"  GAN.train_step driven by fit()   : {ours:.4f} s/step")
    print(f"  speed-up                          : {classic / ours:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
