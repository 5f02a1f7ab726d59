"""Autoencoder + auxiliary-classifier GAN on EMNIST, MNIST or Fashion-MNIST; writes text in "handwriting".

    python3 aeacgan_emnist.py --dataset mnist                                     # train
    python3 aeacgan_emnist.py --generator models/aeacgan_mnist.h5 --text "2026 11 22"
    python3 aeacgan_emnist.py --generator models/aeacgan_mnist.h5 --text "42" --style-from glyph.png
    python3 aeacgan_emnist.py --generator models/aeacgan_mnist.h5 --char 7        # 4x4 grid of sevens
    python3 aeacgan_emnist.py --generator models/aeacgan_mnist.h5 --samples 2000 --csv glyphs.csv
    python3 aeacgan_emnist.py --generator models/aeacgan_fashion_mnist.h5 --evaluate
"""

import sys

from common import cli
from common.errors import ToolkitError
from common.images import options
from common.images.names import DEFAULT_EMNIST_SPLIT, EMNIST, EMNIST_SPLIT_CHARACTERS, FASHION_MNIST, MNIST

PROG = "aeacgan_emnist.py"
DATASETS = (EMNIST, MNIST, FASHION_MNIST)
# Chosen to reach the quality targets within 30 minutes on 2 CPU cores (docs/aeacgan_emnist.md).
DEFAULTS = cli.TrainingDefaults(steps=4000, batch_size=64, learning_rate=2e-4)


def build_parser():
    parser = cli.make_parser(PROG, __doc__)
    parser.add_argument("--dataset", choices=DATASETS, default=EMNIST, help="training data (default %(default)s)")
    parser.add_argument("--split", choices=sorted(EMNIST_SPLIT_CHARACTERS), default=DEFAULT_EMNIST_SPLIT,
                        help="EMNIST split (default byclass: 62 classes, digits, upper and lower case)")
    train = cli.add_training_arguments(parser, DEFAULTS, name="aeacgan_<dataset>",
                                       data_help="folder with the dataset")
    train.add_argument("--balance-classes", action="store_true",
                       help="draw training classes uniformly (for imbalanced EMNIST splits)")
    options.add_generation_arguments(
        parser, judge_default=None,
        judge_help="judge classifier for --evaluate (default: models/judge_<dataset>.keras)",
        evaluate_help="score the generator with the judge, the encoder and the diversity check")
    write = parser.add_argument_group("writing with a trained generator")
    write.add_argument("--text", help="render this string as one PNG of generated glyphs in --out-dir")
    write.add_argument("--style-from", help="with --text: take the handwriting style from this 28x28 glyph PNG")
    write.add_argument("--label", type=int, help="generate only this class index")
    write.add_argument("--char", help="generate only the class that writes this character")
    return parser


def check_flags(args):
    writing = [flag for flag, value in (("--text", args.text), ("--label", args.label is not None),
                                        ("--char", args.char)) if value]
    if args.generator is None and writing:
        raise ToolkitError(f"{writing[0]} needs --generator PATH; got no --generator")
    if args.style_from and not args.text:
        raise ToolkitError("--style-from needs --text")
    if len(writing) > 1:
        raise ToolkitError(f"choose one of --text, --label and --char; got {' and '.join(writing)}")
    if args.char is not None and (len(args.char) != 1 or args.char == " "):
        raise ToolkitError(f"--char must be one character; got {args.char!r}")
    options.check_generation_flags(args)
    cli.check_input_file("--style-from", args.style_from)


def run(args):
    if args.generator:
        use_generator(args)
        return
    import keras

    from common import training
    from common.images import model, train
    from common.images.data import load_labelled_images
    from common.images.generation import sample_uniform_noise
    from common.images.names import class_names

    split = args.split if args.dataset == EMNIST else None
    num_classes = len(class_names(args.dataset, split))
    keras.utils.set_random_seed(args.seed)
    train_data, _ = load_labelled_images(args.dataset, args.data_dir, split)
    gan = model.build_aeacgan(args.latent_dim, num_classes)
    gan.compile(*training.adam_pair(args.learning_rate, args.steps),
                training.scheduled_adam(args.learning_rate, args.steps))
    h5_path = train.train_image_gan(gan, train_data, args, model_name(args.dataset, split), num_classes,
                                    balance_classes=args.balance_classes, noise=sample_uniform_noise)
    model.save_aeacgan_extras(gan, h5_path, args.dataset, split)


def use_generator(args):
    from common.images import generation, model, writing
    from common.images.evaluation import autoencoder_and_diversity, evaluate

    settings = model.read_settings(args.generator)
    class_names = settings["class_names"]
    num_classes = len(class_names)
    name = model_name(settings["dataset"], settings["split"])
    generator, latent_dim = generation.load_generator(args.generator, conditional=True, num_classes=num_classes)
    if args.text is not None:
        writing.write_text(generator, latent_dim, class_names, args, name)
    elif args.evaluate:
        args.judge = args.judge or f"models/judge_{name.removeprefix('aeacgan_')}.keras"
        encoder = model.load_encoder(args.generator, latent_dim)
        evaluate(generator, latent_dim, args, name, num_classes, conditional=True,
                 dataset_name=settings["dataset"], split=settings["split"], noise=generation.sample_uniform_noise,
                 extra_metrics=autoencoder_and_diversity(encoder, generator, num_classes, args.seed))
    else:
        label = writing.requested_label(args.label, args.char, class_names)
        generation.write_outputs(generator, latent_dim, args, name,
                                 labels_for=generation.labels_for(label, num_classes),
                                 noise=generation.sample_uniform_noise, label_word="class")


def model_name(dataset, split):
    """`aeacgan_<dataset>`, or `aeacgan_emnist_<split>` for EMNIST: the run folder and output file names."""
    return f"aeacgan_{EMNIST}_{split}" if dataset == EMNIST else f"aeacgan_{dataset}"


def main(argv=None):
    return cli.main(build_parser(), argv, run, check_flags)


if __name__ == "__main__":
    sys.exit(main())
