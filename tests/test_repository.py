"""Repository hygiene the layout depends on: every module documented, one file per shipped generator,
no machine paths or issue references in the tree."""

import re
import subprocess

from tests.conftest import MODELS, ROOT

TEXT_SUFFIXES = {".py", ".md", ".cfg", ".toml", ".sh", ".txt", ""}


def tracked_files():
    listing = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in listing.splitlines() if (ROOT / line).is_file()]


def test_architecture_doc_names_every_module_of_common():
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    modules = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "common").rglob("*.py"))
    missing = [module for module in modules if f"`{module}`" not in architecture]
    assert not missing, f"docs/architecture.md does not name {missing}"


def test_models_hold_one_weights_file_per_generator():
    stems = {}
    for path in MODELS.glob("*.h5"):
        stems.setdefault(path.stem, []).append(path.suffix)
    duplicates = [path.name for path in MODELS.glob("*.keras") if path.stem in stems]
    assert stems and not duplicates, f"shipped twice: {duplicates}"


def test_no_machine_paths_or_issue_references_in_tracked_text():
    pattern = re.compile(r"/work/|/home/\w|/root/|\bissue (#?\d+|\d)|\bthe issue\b|seed notes", re.IGNORECASE)
    offenders = []
    for path in tracked_files():
        if path.suffix not in TEXT_SUFFIXES or path.name == "test_repository.py":
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not offenders, "\n".join(offenders)


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250
