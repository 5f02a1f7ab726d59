"""Train the judge classifier that scores generated images (`--evaluate` in the image scripts).

    python3 train_judge.py --dataset mnist                   # writes models/judge_mnist.keras
    python3 train_judge.py --dataset fashion_mnist           # writes models/judge_fashion_mnist.keras
    python3 train_judge.py --dataset emnist --split letters  # writes models/judge_emnist_letters.keras

Prints the judge's accuracy on the real test set; the MNIST judge must reach 99%.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

from common import cli
from common.images.names import CLASS_NAMES, DEFAULT_EMNIST_SPLIT, EMNIST, EMNIST_SPLIT_CHARACTERS, MNIST

PROG = "train_judge.py"


@dataclass(frozen=True)
class JudgeDefaults:
    """The judge's recipe: a few epochs of Adam reach 99% on MNIST."""

    epochs: int = 4
    batch_size: int = 128
    learning_rate: float = 1e-3


DEFAULTS = JudgeDefaults()


def build_parser():
    parser = cli.make_parser(PROG, __doc__)
    parser.add_argument("--dataset", choices=sorted([*CLASS_NAMES, EMNIST]), default=MNIST)
    parser.add_argument("--split", choices=sorted(EMNIST_SPLIT_CHARACTERS), default=DEFAULT_EMNIST_SPLIT,
                        help="EMNIST split (default %(default)s)")
    parser.add_argument("--epochs", type=cli.positive_int, default=DEFAULTS.epochs)
    parser.add_argument("--batch-size", type=cli.positive_int, default=DEFAULTS.batch_size)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", help="folder with the dataset (default: $GAN_DATA_DIR or ./data)")
    parser.add_argument("--out", help="judge file to write (default: models/judge_<dataset>[_<split>].keras)")
    return parser


def run(args):
    import keras

    from common import io
    from common.images.data import images_to_unit_range, load_labelled_images
    from common.images.names import class_names
    from common.images.networks import build_image_classifier

    keras.utils.set_random_seed(args.seed)
    split = args.split if args.dataset == EMNIST else None
    (x_train, y_train), (x_test, y_test) = load_labelled_images(args.dataset, args.data_dir, split)
    classifier = build_image_classifier(len(class_names(args.dataset, split)))
    classifier.compile(optimizer=keras.optimizers.Adam(DEFAULTS.learning_rate),
                       loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    classifier.fit(images_to_unit_range(x_train), y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=2)
    _, accuracy = classifier.evaluate(images_to_unit_range(x_test), y_test, verbose=0)
    out = Path(args.out or f"models/judge_{args.dataset}{f'_{split}' if split else ''}.keras")
    io.save_model(classifier, out)
    print(f"{args.dataset} judge: test accuracy {accuracy:.4f}; saved {out}")


def main(argv=None):
    return cli.main(build_parser(), argv, run)


if __name__ == "__main__":
    sys.exit(main())
