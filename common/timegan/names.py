"""The names and sizes the command line needs before anything heavy loads (no TensorFlow, no pandas)."""

# The paper's datasets; any numeric CSV may be given instead.
DATASETS = ("sines", "stocks", "energy")
RNN_MODULE_NAMES = ("gru", "lstm")
PHASE_NAMES = ("autoencoder", "supervisor", "joint")
# The phases' step flags, in training order (each also an attribute of the parsed arguments).
PHASE_STEP_FLAGS = ("autoencoder_steps", "supervisor_steps", "joint_steps")
# Training iterations of the paper's post-hoc models.
DISCRIMINATIVE_STEPS = 2000
PREDICTIVE_STEPS = 5000
# Prediction needs one step to predict from and one to predict.
MIN_SEQ_LEN = 2
