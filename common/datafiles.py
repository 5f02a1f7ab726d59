"""Where dataset files live and how they are fetched: the data directory and checksummed downloads.

A dataset file is looked for in the data directory (`--data-dir`, else `$GAN_DATA_DIR`, else
`./data`). When it is absent, a family's loader downloads it from the dataset's canonical source
with a progress bar and a checksum, like `keras.datasets`; offline, the error names the file and
where to get it.
"""

import hashlib
import os
from pathlib import Path

from common.errors import ToolkitError, first_line
from common.io import atomic_path

DATA_DIR_ENV = "GAN_DATA_DIR"
DEFAULT_DATA_DIR = "data"


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The data directory: `data_dir` if given, else `$GAN_DATA_DIR`, else `./data`."""
    return Path(data_dir or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def download(url: str, destination: str | Path, sha256: str | None = None, md5: str | None = None) -> Path:
    """Download `url` to `destination` with a progress bar, verifying `sha256` / `md5` when given.

    The file appears only when complete and verified. Raises ToolkitError naming the file and URL
    when the download fails (for example offline) or the checksum does not match.
    """
    from keras.utils import get_file

    destination = Path(destination)
    try:
        with atomic_path(destination) as tmp:
            tmp.unlink()
            get_file(fname=tmp.name, origin=url, cache_dir=str(tmp.parent), cache_subdir=".")
            if sha256 is not None and file_digest(tmp, hashlib.sha256) != sha256:
                raise ToolkitError(f"checksum mismatch for {url}: expected sha256 {sha256}")
            if md5 is not None and file_digest(tmp, hashlib.md5) != md5:
                raise ToolkitError(f"checksum mismatch for {url}: expected md5 {md5}")
    except ToolkitError:
        raise
    except Exception as error:  # urllib, HTTP and OS errors all mean "not available here".
        raise ToolkitError(
            f"{destination.name} is not in {destination.parent} and could not be downloaded from "
            f"{url} ({first_line(error)}); download it into that folder or pass --data-dir"
        ) from error
    return destination


def file_digest(path: str | Path, algorithm) -> str:
    """The hex digest of a file's bytes under `algorithm` (e.g. hashlib.sha256), read in 1 MiB blocks."""
    digest = algorithm()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
