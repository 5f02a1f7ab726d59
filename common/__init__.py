"""Shared code for the GAN scripts: data, networks, the GAN training loop, metrics, plots and IO.

Importing this package pins Keras to the TensorFlow backend and quiets TensorFlow's start-up
chatter; both must happen before TensorFlow is first imported.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
