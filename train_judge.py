"""Train the judge classifier that scores generated images (`--evaluate` in the image scripts).

    python3 train_judge.py --dataset mnist                   # writes models/judge_mnist.keras
    python3 train_judge.py --dataset fashion_mnist           # writes models/judge_fashion_mnist.keras
    python3 train_judge.py --dataset emnist --split letters  # writes models/judge_emnist_letters.keras

Prints the judge's accuracy on the real test set; the MNIST judge must reach 99%.
"""

import sys
from pathlib import Path

import common  # noqa: F401  (pins the Keras backend before TensorFlow loads)
from common import cli, data, io, networks

DEFAULT_EPOCHS = 4
DEFAULT_BATCH_SIZE = 128
LEARNING_RATE = 1e-3


def parse_args(argv):
    parser = cli.OneLineErrorParser(prog="train_judge.py", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted([*data.CLASS_NAMES, data.EMNIST]), default="mnist")
    parser.add_argument("--split", choices=sorted(data.EMNIST_SPLIT_CHARACTERS), default="byclass",
                        help="EMNIST split (default byclass)")
    parser.add_argument("--epochs", type=cli.positive_int, default=DEFAULT_EPOCHS)
    parser.add_argument("--batch-size", type=cli.positive_int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", help="folder with the dataset (default: $GAN_DATA_DIR or ./data)")
    parser.add_argument("--out", help="judge file to write (default: models/judge_<dataset>[_<split>].keras)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return cli.run("train_judge.py", lambda: train_judge(args))


def train_judge(args):
    import keras

    keras.utils.set_random_seed(args.seed)
    split = args.split if args.dataset == data.EMNIST else None
    (x_train, y_train), (x_test, y_test) = data.load_labelled_images(args.dataset, args.data_dir, split)
    classifier = networks.build_image_classifier(len(data.class_names(args.dataset, split)))
    classifier.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    classifier.fit(
        data.images_to_unit_range(x_train), y_train,
        epochs=args.epochs, batch_size=args.batch_size, verbose=2,
    )
    _, accuracy = classifier.evaluate(data.images_to_unit_range(x_test), y_test, verbose=0)
    out = Path(args.out or f"models/judge_{args.dataset}{f'_{split}' if split else ''}.keras")
    io.save_model(classifier, out)
    print(f"{args.dataset} judge: test accuracy {accuracy:.4f}; saved {out}")


if __name__ == "__main__":
    sys.exit(main())
