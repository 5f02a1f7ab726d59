"""Convert the raw UEA CharacterTrajectories files into character_trajectories.npz.

The raw folder holds either the per-dimension ARFF files
(CharacterTrajectoriesDimension{1,2,3}_{TRAIN,TEST}.arff) or the multivariate .ts files
(CharacterTrajectories_{TRAIN,TEST}.ts). When it holds neither, the canonical ARFF files are
downloaded into it first (and checked against the archive's known sizes and sums).

    python3 dataprocess.py              # ./data/CharacterTrajectories/* -> ./data/character_trajectories.npz
    python3 dataprocess.py --raw-dir ~/Downloads/CT --out ct.npz
"""

import sys
from pathlib import Path

from common import cli
from common.trajectories.names import NPZ_NAME, RAW_FOLDER, SPLITS

PROG = "dataprocess.py"


def build_parser():
    parser = cli.make_parser(PROG, __doc__)
    parser.add_argument("--data-dir", help="default output folder (default: $GAN_DATA_DIR or ./data)")
    parser.add_argument("--raw-dir", help=f"folder with the raw files (default: <data-dir>/{RAW_FOLDER})")
    parser.add_argument("--out", help=f"npz to write (default: <data-dir>/{NPZ_NAME})")
    return parser


def run(args):
    from common.datafiles import resolve_data_dir
    from common.trajectories.data import build_npz

    data_dir = resolve_data_dir(args.data_dir)
    raw_dir = Path(args.raw_dir) if args.raw_dir else data_dir / RAW_FOLDER
    out = Path(args.out) if args.out else data_dir / NPZ_NAME
    arrays = build_npz(raw_dir, out)
    for split in SPLITS:
        lengths = arrays[f"lengths_{split}"]
        print(f"{split}: {len(lengths)} sequences of {arrays[f'x_{split}'].shape[1]} padded steps, "
              f"lengths {lengths.min()}..{lengths.max()}")
    print(f"wrote {out}")


def main(argv=None):
    return cli.main(build_parser(), argv, run)


if __name__ == "__main__":
    sys.exit(main())
