"""Generators with a sidecar as files (ProGAN, StyleGAN, and the DCGAN trained on a folder): the sidecar,
loading, sampling, and every picture and CSV they write.

A generator maps latent codes (N, latent_dim) ~ N(0, 1) to images (N, R, R, C) in about [-1, 1]
(linear outputs, clipped when turned into pixels). Its sidecar (`<stem>.json`, format
`SIDECAR_FORMAT`) records the model kind, resolution R, channels C, latent size, the number of
styles (StyleGAN) and where the training images came from. Pixels are uint8 0..255, (N, R, R) for
grayscale and (N, R, R, 3) for RGB.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import io, plotting
from common.batching import predict_in_batches
from common.cli import DEFAULT_GENERATE_DIR
from common.errors import ToolkitError
from common.images import style
from common.images.data import PIXEL_MIDPOINT
from common.images.generation import images_frame
from common.images.options import DEFAULT_SAMPLES

SIDECAR_FORMAT = "image_generator"
SIDECAR_VERSION = 1
PROGAN, STYLEGAN, DCGAN = "progan", "stylegan", "dcgan"
MODEL_TITLES = {PROGAN: "ProGAN", STYLEGAN: "StyleGAN", DCGAN: "DCGAN"}
GRID_SIDE = 4
# Training sample grids: GRID_COLUMNS x GRID_COLUMNS fixed codes.
GRID_COLUMNS = 8
# Style-mixing grid: rows take coarse styles, columns the rest; a latent walk has this many frames.
MIX_ROWS, MIX_COLUMNS = 5, 6
WALK_FRAMES = 10
MAX_PIXEL = 255


# ---- the sidecar ------------------------------------------------------------------------------------------
def write_settings(generator_path, model, generator, latent_dim, source, training):
    """Write the sidecar beside `generator_path`: kind, image size, latent size, data source, training record.

    `source` is {"dataset", "folder", "padded_from"}; `training` holds what the run was (steps, times).
    """
    resolution, channels = int(generator.outputs[0].shape[1]), int(generator.outputs[0].shape[-1])
    settings = {"model": model, "resolution": resolution, "channels": channels, "latent_dim": latent_dim,
                **source, "training": training}
    if model == STYLEGAN:
        settings["num_ws"] = style.num_styles(resolution)
    return io.write_sidecar(generator_path, SIDECAR_FORMAT, SIDECAR_VERSION, settings)


def read_settings(generator_path):
    """The settings `write_settings` stored beside `generator_path`; one-line errors when unusable."""
    settings = io.read_sidecar(generator_path, SIDECAR_FORMAT, SIDECAR_VERSION)
    missing = [key for key in ("model", "resolution", "channels", "latent_dim") if key not in settings]
    if missing or settings.get("model") not in MODEL_TITLES:
        raise ToolkitError(f"the settings file {io.sidecar_path(generator_path)} must name a model "
                           f"({' or '.join(MODEL_TITLES)}) and its {', '.join(missing) or 'sizes'}")
    return settings


def load_generator(path):
    """(generator, settings) for a saved ProGAN or StyleGAN generator, checked against its sidecar."""
    settings = read_settings(path)
    generator = io.load_model(path, what="generator")
    expected = (settings["resolution"], settings["resolution"], settings["channels"])
    if tuple(generator.outputs[0].shape[1:]) != expected or generator.inputs[0].shape[-1] != settings["latent_dim"]:
        raise ToolkitError(f"{path} must map {settings['latent_dim']}-d codes to {expected} images as its sidecar "
                           f"says; it maps {generator.inputs[0].shape[-1]} to {tuple(generator.outputs[0].shape[1:])}")
    return generator, settings


def check_style_flags(args, settings):
    """--truncation and --mix need a StyleGAN generator (scripts without those flags never ask)."""
    truncation, mix = getattr(args, "truncation", None), getattr(args, "mix", False)
    centres = getattr(args, "truncation_centres", None)
    asked = [flag for flag, value in (("--truncation", truncation is not None),
                                      ("--truncation-centres", centres is not None), ("--mix", mix)) if value]
    if asked and settings["model"] != STYLEGAN:
        verb = "needs" if len(asked) == 1 else "need"
        raise ToolkitError(f"{' and '.join(asked)} {verb} a StyleGAN generator; {args.generator} is a "
                           f"{MODEL_TITLES[settings['model']]} generator")


# ---- sampling ---------------------------------------------------------------------------------------------
def sample_codes(count, latent_dim, seed):
    """Latent codes (count, latent_dim) float32 ~ N(0, 1)."""
    return np.random.default_rng(seed).normal(size=(count, latent_dim)).astype("float32")


def to_pixels(samples):
    """Images (N, R, R, C) in [-1, 1] -> uint8 (N, R, R) for C = 1, (N, R, R, C) otherwise."""
    pixels = np.clip(np.rint((np.asarray(samples) + 1.0) * PIXEL_MIDPOINT), 0, MAX_PIXEL).astype(np.uint8)
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def generate(generator, codes):
    """Images (N, R, R, C) float32 in about [-1, 1] for codes (N, latent_dim)."""
    return predict_in_batches(generator, codes)


def synthesize(generator, ws):
    """StyleGAN images (N, R, R, C) for per-layer styles ws (N, num_ws, latent_dim)."""
    return predict_in_batches(generator.get_layer("synthesis"), ws)


def mixed_styles(generator, coarse_codes, fine_codes, psi=1.0, centres=None):
    """Styles taking layers 4x4-8x8 from `coarse_codes` (N, latent_dim) and the rest from `fine_codes`,
    truncated as `style.styles` does."""
    resolution = int(generator.outputs[0].shape[1])
    coarse = np.asarray(style.styles(generator, coarse_codes, psi, centres))
    mixed = np.asarray(style.styles(generator, fine_codes, psi, centres)).copy()
    cut = style.coarse_styles(resolution)
    mixed[:, :cut] = coarse[:, :cut]
    return mixed


# ---- files ------------------------------------------------------------------------------------------------
def save_picture(pixels, path):
    """One uint8 image, (H, W) grayscale or (H, W, 3) RGB, as a PNG of exactly that size."""
    from PIL import Image

    with io.atomic_path(path) as tmp:
        Image.fromarray(pixels).save(tmp, format="PNG")


def use_generator(args):
    """--generator: score it with --evaluate, else write the pictures and files the flags ask for."""
    generator, settings = load_generator(args.generator)
    name = Path(args.generator).stem
    if args.evaluate:
        from common.images import scoring

        scoring.evaluate(generator, settings, args, name)
    else:
        write_outputs(generator, settings, args, name)


def write_outputs(generator, settings, args, name):
    """Generation: a 4x4 grid PNG, plus --csv, --png-dir, --mix and --interpolate outputs, in --out-dir.

    --truncation (StyleGAN) applies to all of them. Everything is checked before anything is written.
    """
    check_style_flags(args, settings)
    if args.csv and settings["channels"] != 1:
        raise ToolkitError(f"--csv needs a grayscale generator; {args.generator} makes "
                           f"{settings['channels']}-channel images -- use --png-dir")
    truncation = getattr(args, "truncation", None)
    psi = 1.0 if truncation is None else truncation
    centres = None
    if getattr(args, "truncation_centres", None):
        centres = style.w_centres(generator, args.truncation_centres, args.seed)

    def images(codes):
        if settings["model"] != STYLEGAN:
            return generate(generator, codes)
        return synthesize(generator, style.styles(generator, codes, psi, centres))

    latent_dim, out_dir = settings["latent_dim"], Path(args.out_dir or DEFAULT_GENERATE_DIR)
    grid = to_pixels(images(sample_codes(GRID_SIDE * GRID_SIDE, latent_dim, args.seed)))
    grid_path = out_dir / f"{name}.png"
    plotting.image_grid(grid, grid_path, GRID_SIDE, GRID_SIDE, title=name)
    print(f"wrote {grid_path}")
    if args.csv or args.png_dir:
        count = args.samples or DEFAULT_SAMPLES
        # Another seed than the grid's, so the files do not start with the grid's images.
        pixels = to_pixels(images(sample_codes(count, latent_dim, args.seed + 1)))
        if args.csv:
            io.write_csv(images_frame(pixels), args.csv)
            print(f"wrote {count} images to {args.csv}")
        if args.png_dir:
            for index, image in enumerate(pixels):
                save_picture(image, Path(args.png_dir) / f"{name}_{index:05d}.png")
            print(f"wrote {count} PNG images to {args.png_dir}")
    if getattr(args, "mix", False):
        path = out_dir / f"{name}_mix.png"
        mixing_grid(generator, latent_dim, args.seed, psi, path, centres)
        print(f"wrote {path}")
    if getattr(args, "interpolate", False):
        path = out_dir / f"{name}_interpolation.png"
        walk = latent_walk(generator, settings, args.seed, psi, centres)
        plotting.image_grid(walk, path, 1, len(walk), title=f"{name}: latent walk")
        print(f"wrote {path}")


def mixing_grid(generator, latent_dim, seed, psi, path, centres=None):
    """The paper's style-mixing figure: the top row's images give the fine styles of their column, the left
    column's give the coarse styles (4x4-8x8) of their row; the other cells mix the two."""
    coarse_codes = sample_codes(MIX_ROWS, latent_dim, seed)
    fine_codes = sample_codes(MIX_COLUMNS, latent_dim, seed + 1)
    coarse_images, fine_images = (to_pixels(synthesize(generator, style.styles(generator, codes, psi, centres)))
                                  for codes in (coarse_codes, fine_codes))
    rows = np.repeat(coarse_codes, MIX_COLUMNS, axis=0)
    columns = np.tile(fine_codes, (MIX_ROWS, 1))
    mixed = to_pixels(synthesize(generator, mixed_styles(generator, rows, columns, psi, centres)))
    blank = np.zeros_like(fine_images[:1])
    cells = [blank, fine_images]
    for row in range(MIX_ROWS):
        cells += [coarse_images[row:row + 1], mixed[row * MIX_COLUMNS:(row + 1) * MIX_COLUMNS]]
    plotting.image_grid(np.concatenate(cells), path, MIX_ROWS + 1, MIX_COLUMNS + 1,
                        title="coarse styles from the left column, fine styles from the top row")


def latent_walk(generator, settings, seed, psi=1.0, centres=None):
    """WALK_FRAMES pixels images on the straight line between two codes' w (StyleGAN) or z (ProGAN)."""
    ends = sample_codes(2, settings["latent_dim"], seed)
    steps = np.linspace(0.0, 1.0, WALK_FRAMES, dtype="float32")[:, None]
    if settings["model"] == STYLEGAN:
        ws = np.asarray(style.styles(generator, ends, psi, centres))
        return to_pixels(synthesize(generator, ws[:1] + steps[:, :, None] * (ws[1:] - ws[:1])))
    return to_pixels(generate(generator, ends[:1] + steps * (ends[1:] - ends[:1])))


# ---- training glue ----------------------------------------------------------------------------------------
@dataclass
class TrainingRun:
    """What a training run needs besides its model: the batches, image channels, names and the sample writer."""

    dataset: object
    channels: int
    source: dict
    name: str
    out_dir: Path
    write_samples: object


def start_training(args, model):
    """Seed, open the training images the flags ask for (every data error comes here, before anything is
    written) and name the run `<model>_<dataset or "folder">`."""
    import keras

    from common.images.folders import training_source

    keras.utils.set_random_seed(args.seed)
    dataset, channels, count, source = training_source(args)
    name = f"{model}_{source['dataset'] or 'folder'}"
    out_dir = Path(args.out_dir or f"runs/{name}")
    print(f"training {name} on {count} images at {args.resolution}x{args.resolution}x{channels} "
          f"(batch {args.batch_size}) into {out_dir}")
    return TrainingRun(dataset, channels, source, name, out_dir, sample_writer(name, args.latent_dim, args.seed))


def sample_writer(name, latent_dim, seed):
    """write(generator, step, folder): the fixed-code training grid as `<folder>/samples/step_<n>.png`."""
    codes = sample_codes(GRID_COLUMNS * GRID_COLUMNS, latent_dim, seed)

    def write(generator, step, folder):
        images = to_pixels(np.asarray(generator(codes, training=False)))
        plotting.image_grid(images, Path(folder) / "samples" / f"step_{step:06d}.png", GRID_COLUMNS, GRID_COLUMNS,
                            title=f"{name}, step {step}")

    return write


def save_trained(generator, out_dir, name, model, latent_dim, source, record):
    """Save the trained generator as `<out_dir>/<name>.h5` (+ .keras) with its sidecar; returns the .h5 path.

    `source` is the run's `TrainingRun.source`; `record` what the sidecar keeps of the run (steps, times).
    """
    h5_path, keras_path = io.save_generator(generator, Path(out_dir) / f"{name}.h5")
    write_settings(h5_path, model, generator, latent_dim, source, record)
    print(f"saved generator: {h5_path} and {keras_path}, settings {io.sidecar_path(h5_path)}")
    return h5_path
