import json

import numpy as np
import pytest
import tensorflow as tf

from common import training
from common.errors import ToolkitError


@pytest.fixture
def dataset(real_batch):
    """A factory: an endless dataset repeating one tiny real batch."""
    return lambda: tf.data.Dataset.from_tensors(real_batch()).repeat()


@pytest.fixture
def run(dataset):
    """A factory: train a GAN for `steps` into `out_dir` through the one training driver."""

    def train(model, steps, out_dir, resume=False, write_samples=None, every=2, **kwargs):
        return training.train(model, dataset(), steps, out_dir, resume=resume, checkpoint_every=every,
                              sample_every=every, write_samples=write_samples or (lambda step: None), **kwargs)

    return train


def test_checkpoint_round_trip_restores_every_variable(tmp_path, make_gan, dataset):
    model = make_gan(conditional=False)
    model.fit(dataset(), steps_per_epoch=2, epochs=1, verbose=0)
    training.save_checkpoint(model, tmp_path / "c.npz")
    fresh = make_gan(conditional=False)
    training.restore_checkpoint(fresh, tmp_path / "c.npz")
    for saved, restored in zip(training.checkpoint_variables(model), training.checkpoint_variables(fresh)):
        np.testing.assert_array_equal(saved.numpy(), restored.numpy())
    assert training.global_step(fresh) == 2


def test_checkpoint_from_other_model_is_refused(tmp_path, make_gan):
    training.save_checkpoint(make_gan(conditional=False), tmp_path / "c.npz")
    with pytest.raises(ToolkitError, match="checkpoint"):
        training.restore_checkpoint(make_gan(conditional=True), tmp_path / "c.npz")


def test_train_writes_samples_checkpoint_history_and_plot(tmp_path, make_gan, run):
    sampled = []
    history = run(make_gan(conditional=False), 5, tmp_path, write_samples=sampled.append)
    assert sampled == [2, 4, 5]
    assert history["step"] == [1, 2, 3, 4, 5]
    assert (tmp_path / training.CHECKPOINT_FILE).is_file()
    assert (tmp_path / training.LOSS_PLOT_FILE).stat().st_size > 0
    assert json.loads((tmp_path / training.HISTORY_FILE).read_text())["step"] == [1, 2, 3, 4, 5]


def test_interrupted_run_resumes_from_last_checkpoint(tmp_path, make_gan, run):
    """Ctrl-C at step 3 leaves the step-2 checkpoint; --resume carries on from step 2 to the end."""
    def interrupt_at_three(step):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(make_gan(conditional=False), 6, tmp_path, write_samples=interrupt_at_three, every=1)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    resumed = make_gan(conditional=False)
    history = run(resumed, 6, tmp_path, resume=True, every=2)
    assert training.global_step(resumed) == 6
    assert history["step"] == [1, 2, 3, 4, 5, 6]


def test_resume_restores_the_trained_weights(tmp_path, make_gan, run, snapshot):
    first = make_gan(conditional=False)
    run(first, 2, tmp_path)
    weights = snapshot(first.generator.variables)
    second = make_gan(conditional=False)
    training.restore_checkpoint(second, tmp_path / training.CHECKPOINT_FILE)
    for old, new in zip(weights, second.generator.variables):
        np.testing.assert_array_equal(old, new.numpy())


def test_resume_without_checkpoint_is_an_error(tmp_path, make_gan, run):
    with pytest.raises(ToolkitError, match="--resume needs a run"):
        run(make_gan(conditional=False), 2, tmp_path, resume=True)


def test_resume_past_the_requested_steps_is_an_error(tmp_path, make_gan, run):
    run(make_gan(conditional=False), 2, tmp_path)
    with pytest.raises(ToolkitError, match="--steps must exceed"):
        run(make_gan(conditional=False), 2, tmp_path, resume=True)


def test_learning_rate_is_constant_then_decays_linearly_to_zero():
    schedule = training.ConstantThenLinearDecay(2e-4, total_steps=1000)
    rates = [float(schedule(step)) for step in (0, 250, 500, 750, 1000, 1200)]
    np.testing.assert_allclose(rates, [2e-4, 2e-4, 2e-4, 1e-4, 0.0, 0.0], atol=1e-9)


def test_adam_pair_gives_two_optimizers_on_the_schedule():
    d_optimizer, g_optimizer = training.adam_pair(1e-3, total_steps=10)
    assert d_optimizer is not g_optimizer
    assert float(d_optimizer.beta_1) == training.ADAM_BETA_1
    np.testing.assert_allclose(float(g_optimizer.learning_rate), 1e-3)
