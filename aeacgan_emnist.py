"""Autoencoder + auxiliary-classifier GAN on EMNIST, MNIST or Fashion-MNIST; writes text in "handwriting".

    python3 aeacgan_emnist.py --dataset mnist                                     # train
    python3 aeacgan_emnist.py --generator models/aeacgan_mnist.h5 --text "2026 11 22"
    python3 aeacgan_emnist.py --generator models/aeacgan_mnist.h5 --text "42" --style-from glyph.png
    python3 aeacgan_emnist.py --generator models/aeacgan_mnist.h5 --char 7        # 4x4 grid of sevens
    python3 aeacgan_emnist.py --generator models/aeacgan_mnist.h5 --samples 2000 --csv glyphs.csv
    python3 aeacgan_emnist.py --generator models/aeacgan_fashion_mnist.h5 --evaluate
"""

import sys
from pathlib import Path

import numpy as np

import common  # noqa: F401  (pins the Keras backend before TensorFlow loads)
from common import aeacgan, cli, data, image_gan, io, metrics, networks, plotting, training
from common.errors import ToolkitError

DATASETS = ("emnist", "mnist", "fashion_mnist")
IMAGE_SHAPE = (28, 28, 1)
# Chosen to reach the quality targets within 30 minutes on 2 CPU cores (see README).
DEFAULTS = image_gan.TrainingDefaults(steps=4000, batch_size=64, learning_rate=2e-4)
# Generated and real images per class for the within-class diversity check.
DIVERSITY_PER_CLASS = 100
DIVERSITY_TARGET = 0.8


def parse_args(argv):
    parser = cli.OneLineErrorParser(prog="aeacgan_emnist.py", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS, default="emnist", help="training data (default emnist)")
    parser.add_argument("--split", choices=sorted(data.EMNIST_SPLIT_CHARACTERS), default="byclass",
                        help="EMNIST split (default byclass: 62 classes, digits, upper and lower case)")
    parser.add_argument("--balance-classes", action="store_true",
                        help="draw training classes uniformly (for imbalanced EMNIST splits)")
    image_gan.add_common_arguments(parser, DEFAULTS)
    parser.set_defaults(judge=None)
    write = parser.add_argument_group("writing with a trained generator")
    write.add_argument("--text", help="render this string as one PNG of generated glyphs in --out-dir")
    write.add_argument("--style-from", help="with --text: take the handwriting style from this 28x28 glyph PNG")
    write.add_argument("--label", type=int, help="generate only this class index")
    write.add_argument("--char", help="generate only the class that writes this character")
    args = parser.parse_args(argv)
    image_gan.resolve_training_args(args, DEFAULTS)
    return args


def model_name(dataset, split):
    return f"aeacgan_emnist_{split}" if dataset == data.EMNIST else f"aeacgan_{dataset}"


def default_judge(dataset, split):
    return f"models/judge_{model_name(dataset, split).removeprefix('aeacgan_')}.keras"


def build_gan(latent_dim, num_classes):
    generator = networks.build_dcgan_generator(latent_dim, IMAGE_SHAPE, num_classes=num_classes)
    discriminator = networks.build_acgan_image_discriminator(num_classes, IMAGE_SHAPE)
    encoder = networks.build_image_encoder(latent_dim, IMAGE_SHAPE)
    return aeacgan.AEACGAN(generator, discriminator, encoder, latent_dim, num_classes)


def check_flags(args):
    cli.check_generator_flags(args)
    writing = [flag for flag, value in (("--text", args.text), ("--label", args.label is not None),
                                        ("--char", args.char)) if value]
    if args.generator is None and writing:
        raise ToolkitError(f"{writing[0]} needs --generator PATH; got no --generator")
    if args.style_from and not args.text:
        raise ToolkitError("--style-from needs --text")
    if len(writing) > 1:
        raise ToolkitError(f"choose one of --text, --label and --char; got {' and '.join(writing)}")


def run(args):
    check_flags(args)
    if args.generator:
        use_generator(args)
        return
    num_classes = len(data.class_names(args.dataset, args.split))
    name = model_name(args.dataset, args.split)
    model = build_gan(args.latent_dim, num_classes)
    model.compile(*training.adam_pair(args.learning_rate, args.steps),
                  training.scheduled_adam(args.learning_rate, args.steps))
    split = args.split if args.dataset == data.EMNIST else None
    h5_path = image_gan.train_image_gan(
        model, args, name, args.dataset, num_classes, split=split, balance_classes=args.balance_classes,
        noise=image_gan.sample_uniform_noise,
    )
    io.save_model(model.encoder, aeacgan.encoder_path(h5_path))
    aeacgan.write_sidecar(h5_path, args.dataset, split, args.latent_dim)
    print(f"saved encoder {aeacgan.encoder_path(h5_path)} and settings {io.sidecar_path(h5_path)}")


def use_generator(args):
    settings = aeacgan.read_sidecar(args.generator)
    class_names = settings["class_names"]
    name = model_name(settings["dataset"], settings["split"])
    generator, latent_dim = image_gan.load_generator(args.generator, conditional=True, num_classes=len(class_names))
    if args.text is not None:
        write_text(generator, latent_dim, class_names, args, name)
    elif args.evaluate:
        args.judge = args.judge or default_judge(settings["dataset"], settings["split"])
        encoder = aeacgan.load_encoder(args.generator, latent_dim)
        image_gan.evaluate(
            generator, latent_dim, args, name, len(class_names), conditional=True,
            dataset_name=settings["dataset"], split=settings["split"], noise=image_gan.sample_uniform_noise,
            extra_metrics=lambda report, images, labels, real: autoencoder_and_diversity(
                report, images, labels, real, encoder, generator, len(class_names), args.seed),
        )
    else:
        label = requested_label(args, class_names)
        labels_for = ((lambda count: np.full(count, label)) if label is not None
                      else (lambda count: image_gan.cycling_labels(count, len(class_names))))
        image_gan.write_outputs(generator, latent_dim, args, name, labels_for=labels_for,
                                noise=image_gan.sample_uniform_noise, label_word="class")


def requested_label(args, class_names):
    """The class index asked for by --label or --char (None: cycle through all classes)."""
    if args.label is not None:
        if not 0 <= args.label < len(class_names):
            raise ToolkitError(f"--label must be between 0 and {len(class_names) - 1}; got {args.label}")
        return args.label
    if args.char is not None:
        if len(args.char) != 1 or args.char == " ":
            raise ToolkitError(f"--char must be one character; got {args.char!r}")
        return aeacgan.text_to_labels(args.char, class_names, flag="--char")[0]
    return None


def write_text(generator, latent_dim, class_names, args, name):
    labels = aeacgan.text_to_labels(args.text, class_names)
    if args.style_from:
        glyph = data.images_to_unit_range(aeacgan.read_glyph(args.style_from)[None])
        style = np.asarray(aeacgan.load_encoder(args.generator, latent_dim)(glyph, training=False))[0]
    else:
        style = image_gan.sample_uniform_noise(1, latent_dim, args.seed)[0]
    page = aeacgan.render_text(generator, labels, style, len(class_names))
    path = Path(args.out_dir or image_gan.DEFAULT_GENERATE_DIR) / f"{name}_text.png"
    plotting.save_grayscale_image(page, path)
    print(f"wrote {path} ({len(args.text)} characters, {page.shape[1]}x{page.shape[0]} pixels)")


def autoencoder_and_diversity(report, images, labels, real_data, encoder, generator, num_classes, seed):
    """Add the autoencoder's test reconstruction error and the within-class diversity to `report`."""
    _, (x_test, y_test) = real_data
    count = min(len(images), len(x_test))
    test_images = data.images_to_unit_range(x_test[:count])
    codes = encoder.predict(test_images, batch_size=metrics.PREDICT_BATCH, verbose=0)
    rebuilt = image_gan.generate(generator, codes, y_test[:count])
    # Pixels in 0..1, so the error reads as a fraction of the full intensity range.
    report["reconstruction_mae"] = float(np.mean(np.abs(rebuilt.astype(np.float64) - x_test[:count]) / 255.0))
    generated = aeacgan.within_class_diversity(images, labels, num_classes, DIVERSITY_PER_CLASS, seed)
    real = aeacgan.within_class_diversity(x_test, y_test, num_classes, DIVERSITY_PER_CLASS, seed)
    ratio = generated / real
    report["diversity_ratio_per_class"] = [float(value) for value in ratio]
    report["diversity_ratio_mean"] = float(np.nanmean(ratio))
    report["diversity_ratio_min"] = float(np.nanmin(ratio))
    print(f"  autoencoder reconstruction MAE on {count} test images: {report['reconstruction_mae']:.4f} "
          "(pixels 0..1)")
    print(f"  within-class diversity, generated / real: mean {report['diversity_ratio_mean']:.2f}, "
          f"lowest {report['diversity_ratio_min']:.2f} (target >= {DIVERSITY_TARGET})")


def main(argv=None):
    args = parse_args(argv)
    return cli.run("aeacgan_emnist.py", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
