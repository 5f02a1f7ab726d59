"""Shared code for the GAN scripts: a small core every script uses, and one sub-package per script family.

`docs/architecture.md` names every module. Importing this package pins Keras to the TensorFlow
backend; it must happen before TensorFlow is first imported.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
