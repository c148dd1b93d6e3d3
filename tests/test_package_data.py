"""Every data file the service reads at run time ships in the installed package (the Docker
image installs the project, not an editable checkout): each non-Python file git tracks under
engine/ and app/ matches a package-data glob of pyproject.toml."""

from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Documentation next to the code, not read by it.
NOT_READ = {"app/lang/README.md"}


def test_data_files_are_package_data():
    try:
        tracked = subprocess.run(["git", "ls-files", "engine", "app"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]
    missing = []
    for path in tracked:
        if path.endswith(".py") or path in NOT_READ:
            continue
        package, _, rest = path.partition("/")
        if not any(fnmatch.fnmatch(rest, g) for g in globs.get(package, ())):
            missing.append(path)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
