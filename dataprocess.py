"""Convert the raw UEA CharacterTrajectories files into character_trajectories.npz.

    python3 dataprocess.py              # ./data/CharacterTrajectories/* -> ./data/character_trajectories.npz
    python3 dataprocess.py --raw-dir ~/Downloads/CT --out ct.npz

The raw folder holds either the per-dimension ARFF files
(CharacterTrajectoriesDimension{1,2,3}_{TRAIN,TEST}.arff) or the multivariate .ts files
(CharacterTrajectories_{TRAIN,TEST}.ts). When it holds neither, the canonical ARFF files are
downloaded into it first (and checked against the archive's known sizes and sums).
"""

import sys
from pathlib import Path

from common import cli, data
from common import trajectories as traj


def parse_args(argv):
    parser = cli.OneLineErrorParser(prog="dataprocess.py", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="default output folder (default: $GAN_DATA_DIR or ./data)")
    parser.add_argument("--raw-dir", help=f"folder with the raw files (default: <data-dir>/{traj.RAW_FOLDER})")
    parser.add_argument("--out", help=f"npz to write (default: <data-dir>/{traj.NPZ_NAME})")
    return parser.parse_args(argv)


def run(args):
    data_dir = data.resolve_data_dir(args.data_dir)
    raw_dir = Path(args.raw_dir) if args.raw_dir else data_dir / traj.RAW_FOLDER
    out = Path(args.out) if args.out else data_dir / traj.NPZ_NAME
    arrays = traj.build_npz(raw_dir, out)
    for split in traj.SPLITS:
        lengths = arrays[f"lengths_{split}"]
        print(f"{split}: {len(lengths)} sequences of {arrays[f'x_{split}'].shape[1]} padded steps, "
              f"lengths {lengths.min()}..{lengths.max()}")
    print(f"wrote {out}")


def main(argv=None):
    args = parse_args(argv)
    return cli.run("dataprocess.py", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
