"""The image datasets and their classes, importable without numpy or TensorFlow (the scripts' parsers use them)."""

from common.errors import ToolkitError

MNIST = "mnist"
FASHION_MNIST = "fashion_mnist"
EMNIST = "emnist"
# Every image in a file, (height, width); the networks add one channel.
IMAGE_SHAPE = (28, 28)
NETWORK_IMAGE_SHAPE = (*IMAGE_SHAPE, 1)
CLASS_NAMES = {
    MNIST: [str(digit) for digit in range(10)],
    FASHION_MNIST: [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ],
}
_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# The character each class of an EMNIST split writes, in label order (the splits' mapping files).
EMNIST_SPLIT_CHARACTERS = {
    "byclass": _DIGITS + _UPPER + _UPPER.lower(),
    "balanced": _DIGITS + _UPPER + "abdefghnqrt",
    "letters": _UPPER,
}
DEFAULT_EMNIST_SPLIT = "byclass"


def class_names(dataset: str, split: str | None = None) -> list[str]:
    """The class names of an image dataset, in label order; for EMNIST the character of each class."""
    if dataset == EMNIST:
        if split not in EMNIST_SPLIT_CHARACTERS:
            raise ToolkitError(f"EMNIST split must be one of {sorted(EMNIST_SPLIT_CHARACTERS)}; got {split!r}")
        return list(EMNIST_SPLIT_CHARACTERS[split])
    if dataset not in CLASS_NAMES:
        raise ToolkitError(f"image dataset must be one of {sorted([*CLASS_NAMES, EMNIST])}; got {dataset!r}")
    return CLASS_NAMES[dataset]
