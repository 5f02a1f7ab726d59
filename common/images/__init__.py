"""The 28x28 grayscale image family: MNIST, Fashion-MNIST and EMNIST, the DCGAN, fully-connected GAN,
CGAN and AE-ACGAN that learn them, and what the image scripts do with a trained generator.

Files hold uint8 pixels (N, 28, 28) in 0..255, upright as in `keras.datasets`; the networks see
float32 images (N, 28, 28, 1) in [-1, 1]. `names` holds the dataset and class names without
importing TensorFlow, so the scripts' parsers can use them.
"""
