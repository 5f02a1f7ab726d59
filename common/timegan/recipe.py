"""Training recipes that follow the data's shape: hidden size, batch, steps per phase and, for wide
data, window noise, the dependence loss and more discriminator updates a joint step (no TensorFlow).

The paper's supplementary material sizes every recurrent network by the input: hidden dimensions 4
times the number of features. The measured recipe (Stocks: 6 features, Sines: 5; hidden 24, batch
128, 5,000 / 5,000 / 8,000 steps) is the floor: smaller data keep it. Wider data get wider networks,
up to MAX_HIDDEN; data with few windows get a smaller batch, so that an epoch still holds several
batches. A wider network costs more a step (at 19 features a joint step took 1.42-1.46 CPU seconds at
hidden 64 against 0.68-0.70 at 24; the number of features barely counts): wider networks keep the
autoencoder and supervisor steps and get the joint steps that the measured recipe's compute leaves,
from a cost model fitted on 2 cores (STEP_CPU_SECONDS), so that the default run takes about as long
as the measured one (52 minutes on Stocks; 50 on the 21-column generalisation table at hidden 64 and
3,500 joint steps; docs/timegan.md, "Choices and why").

Data wider than the measured recipe's (more than MEASURED_FEATURES modelled features) also get half
their noise features held over each window and the within-window dependence loss: on the 19-feature
generalisation table (25% of the steps) they lowered the discriminative score from 0.495 to 0.448 and
the predictive score from 0.0130 to 0.0067 (real data 0.0034); on the 11-feature fault table, data
they were not tuned on, they changed neither beyond the repeats' spread (0.397 -> 0.394, 0.1967 ->
0.1985). Stocks and Sines keep the paper's losses and noise: on Sines (5,000 joint steps, 5 of 10
noise features held, weight 10) the options worsened both scores, 0.073 -> 0.094 and 0.0947 -> 0.1029,
and the dependence loss alone more (0.124, 0.1101).

Wider data's discriminator also gets WIDE_DISCRIMINATOR_UPDATES updates a joint step: with the
paper's one, a post-hoc classifier told the real latents from the generated ones completely while
the discriminator lagged behind (docs/timegan.md). The extra updates cost joint steps, so that the
default run keeps its time (DISCRIMINATOR_UPDATE_SHARE).

Wider data's generator (and discriminator) weigh the losses on the generator's raw latents by
WIDE_GAMMA rather than the paper's 1 (PAPER_GAMMA). Full default runs: on the 11-feature fault table
gamma 0.1 scored discriminative 0.337, 0.333 and 0.345 (three training seeds) against the paper's 0.397
and 0.432 (two), predictive +10.6%, +4.5% and +4.5% over real-on-real against +8.3% and +13.0%; on the 18-feature
pen_wide table, where it was screened, 0.443 and 0.404 against 0.411 and 0.433 (the same on average),
predictive 0.0145 and 0.0139 against 0.0174 and 0.0152 (real data 0.0049); on the 18-feature wide table,
one seed, 0.397 / 0.0064 against 0.433 / 0.0078 (real data 0.0034). Stocks and Sines keep the paper's
weight, on which they were measured.

Wider data's generator also matches the moments of its supervised latents to the real ones
(WIDE_LATENT_MOMENT_WEIGHT; the paper's moment loss judges only the recovered windows, and a post-hoc
classifier tells the generated latents from the real ones completely). Full default runs, one
training seed each: on pen_wide, where it was screened, discriminative 0.338 against 0.443 and 0.404
without it, predictive 0.0163 against 0.0145 and 0.0139; on fault, data it was not screened on,
0.342 against 0.337, 0.333 and 0.345, predictive +10.4% over real-on-real against +10.6%, +4.5%
and +4.5%: no change beyond the spread between training runs. It costs nothing measurable a step.
"""

from dataclasses import dataclass

HIDDEN_PER_FEATURE = 4
# The measured recipe's networks, and the widest chosen by default: 4 x 16 features; wider tables
# share it rather than grow the networks' memory and the post-hoc cost further.
MIN_HIDDEN = 24
MAX_HIDDEN = 64
BATCH_SIZE = 128
MIN_BATCH_SIZE = 16
# An epoch of the training windows should hold at least this many batches.
MIN_BATCHES_PER_EPOCH = 8
# Stocks met its targets at 8,000 joint steps, not at 5,000; 8,000 fit the hour on 2 cores (52 min
# end to end; 10,000 took 64 and scored better, 0.027 vs 0.079): docs/timegan.md, "Measured quality".
BASE_STEPS = (5000, 5000, 8000)
# CPU seconds a step of each phase (autoencoder, supervisor, joint) on the 2-core CI machine, one
# thread per op, batch 128, as (fixed, per squared hidden unit): `benchmarks/timegan_unroll.py
# --variants default` at hidden 24, 40, 48 and 64 (5-30 features, window noise and the dependence loss
# on above 6) gave joint 0.68-0.70, 0.88, 1.03, 1.42-1.46 CPU seconds; the model is within 5% of each.
STEP_CPU_SECONDS = ((0.055, 2.1e-5), (0.035, 8.8e-6), (0.58, 2.1e-4))
# Chosen joint steps are rounded down to a multiple of this.
STEP_ROUNDING = 100
# Stocks has 6 modelled features (5 once Adj_Close is derived), Sines 5: the recipe measured on them.
MEASURED_FEATURES = 6
# Share of the noise features held over a window, and the dependence loss's weight, for wider data.
WINDOW_NOISE_SHARE = 0.5
DEPENDENCE_WEIGHT = 10.0
# Discriminator updates a joint step for wider data (the paper's, and narrower data's, is 1).
WIDE_DISCRIMINATOR_UPDATES = 3
# The cost of each discriminator update beyond the first, as a share of a joint step: on the
# 18-feature pen_wide table (hidden 64, 2 cores) a joint step took 0.566 s with one update, 0.77 s
# with three (0.18 each) and 0.99 s with five (0.19 each; and scored 0.457 against three's 0.437).
DISCRIMINATOR_UPDATE_SHARE = 0.19
# Weight of the adversarial losses on the generator's raw latents (its own and the discriminator's):
# the paper's, and wider data's.
PAPER_GAMMA = 1.0
WIDE_GAMMA = 0.1
# Weight of the moment loss between the real and the generated latents, for wider data (the paper's,
# and narrower data's, is 0: none).
WIDE_LATENT_MOMENT_WEIGHT = 100.0


@dataclass(frozen=True)
class Recipe:
    """The networks' `hidden_dim`, the `batch_size`, the `steps` per phase, the `window_noise_dim`
    (noise features held over a window), the `dependence_weight`, the `discriminator_updates` a joint
    step, the `gamma` weighing the generator's losses on its raw latents, the `latent_moment_weight` of
    the moment loss on its latents, and `chosen`: the names of the settings picked from the data (the
    others were given)."""

    hidden_dim: int
    batch_size: int
    steps: tuple
    window_noise_dim: int
    dependence_weight: float
    discriminator_updates: int
    gamma: float
    latent_moment_weight: float
    chosen: tuple

    def describe(self):
        """One line for the log: what was chosen from the data and what was given."""
        chosen = ", ".join(self.chosen) if self.chosen else "nothing"
        return (f"recipe: hidden {self.hidden_dim}, batch {self.batch_size}, steps per phase "
                f"{', '.join(map(str, self.steps))}, window noise {self.window_noise_dim}, dependence weight "
                f"{self.dependence_weight:g}, discriminator updates {self.discriminator_updates} a joint step, "
                f"gamma {self.gamma:g}, latent moment weight {self.latent_moment_weight:g} ({chosen} chosen "
                "from the data's shape)")


def default_hidden_dim(num_features):
    """4 x features (the paper's rule), at least the measured 24 and at most MAX_HIDDEN."""
    return min(max(HIDDEN_PER_FEATURE * num_features, MIN_HIDDEN), MAX_HIDDEN)


def step_cpu_seconds(hidden_dim, discriminator_updates=1):
    """Modelled CPU seconds of one step of each phase (autoencoder, supervisor, joint) at `hidden_dim`,
    with `discriminator_updates` a joint step."""
    autoencoder, supervisor, joint = (fixed + per_squared_unit * hidden_dim ** 2
                                      for fixed, per_squared_unit in STEP_CPU_SECONDS)
    return autoencoder, supervisor, joint * (1 + DISCRIMINATOR_UPDATE_SHARE * (discriminator_updates - 1))


def default_steps(hidden_dim, discriminator_updates=1):
    """BASE_STEPS up to the measured networks' width and one discriminator update a joint step; wider
    networks, or more updates, keep the autoencoder and supervisor steps and get the joint steps
    (rounded down to STEP_ROUNDING) that fit the measured recipe's modelled compute, so the default
    run's time stays about the measured one's. A given width beyond MAX_HIDDEN gets MAX_HIDDEN's
    steps: the user chose the longer run."""
    budget = sum(count * seconds for count, seconds in zip(BASE_STEPS, step_cpu_seconds(MIN_HIDDEN)))
    autoencoder, supervisor, joint = step_cpu_seconds(min(hidden_dim, MAX_HIDDEN), discriminator_updates)
    left = budget - BASE_STEPS[0] * autoencoder - BASE_STEPS[1] * supervisor
    joint_steps = int(left / joint) // STEP_ROUNDING * STEP_ROUNDING
    return BASE_STEPS[0], BASE_STEPS[1], min(BASE_STEPS[2], joint_steps)


def default_batch_size(num_windows, replicas=1):
    """BATCH_SIZE, or fewer for data with less than MIN_BATCHES_PER_EPOCH batches of windows; a
    multiple of `replicas`, so that every replica takes an equal share."""
    batch_size = max(MIN_BATCH_SIZE, min(BATCH_SIZE, num_windows // MIN_BATCHES_PER_EPOCH))
    return max(replicas, batch_size - batch_size % replicas)


# The joint-phase options in default_joint_options' order, as the recipe line names them.
JOINT_OPTION_NAMES = ("window noise", "dependence weight", "discriminator updates", "gamma", "latent moment weight")


def default_joint_options(num_features, z_dim):
    """(window_noise_dim, dependence_weight, discriminator_updates, gamma, latent_moment_weight): the
    paper's for data as narrow as the measured recipe's, else half of the `z_dim` noise features held,
    DEPENDENCE_WEIGHT, WIDE_DISCRIMINATOR_UPDATES, WIDE_GAMMA and WIDE_LATENT_MOMENT_WEIGHT."""
    if num_features <= MEASURED_FEATURES:
        return 0, 0.0, 1, PAPER_GAMMA, 0.0
    return (int(WINDOW_NOISE_SHARE * z_dim), DEPENDENCE_WEIGHT, WIDE_DISCRIMINATOR_UPDATES, WIDE_GAMMA,
            WIDE_LATENT_MOMENT_WEIGHT)


def choose_recipe(num_features, num_windows, *, hidden_dim=None, batch_size=None, steps=(None, None, None),
                  z_dim=None, window_noise_dim=None, dependence_weight=None, discriminator_updates=None,
                  gamma=None, latent_moment_weight=None, replicas=1):
    """The recipe for windows of `num_features` modelled features and `z_dim` noise features (default
    one per feature), trained on `replicas` replicas; given values (not None) are kept."""
    given = (window_noise_dim, dependence_weight, discriminator_updates, gamma, latent_moment_weight)
    joint_defaults = default_joint_options(num_features, z_dim or num_features)
    chosen = [name for name, value in zip(JOINT_OPTION_NAMES, given) if value is None]
    window_noise_dim, dependence_weight, discriminator_updates, gamma, latent_moment_weight = (
        default if value is None else value for value, default in zip(given, joint_defaults))
    if hidden_dim is None:
        hidden_dim = default_hidden_dim(num_features)
        chosen.append("hidden")
    if batch_size is None:
        batch_size = default_batch_size(num_windows, replicas)
        chosen.append("batch")
    if any(count is None for count in steps):
        defaults = default_steps(hidden_dim, discriminator_updates)
        steps = tuple(default if count is None else count for count, default in zip(steps, defaults))
        chosen.append("steps")
    return Recipe(hidden_dim, batch_size, tuple(steps), window_noise_dim, dependence_weight, discriminator_updates,
                  gamma, latent_moment_weight, tuple(chosen))
