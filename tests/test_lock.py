"""requirements.lock pins every dependency of pyproject.toml, extras included, at a version the
declared range allows: after changing a dependency, run `make lock` and commit the lock."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _locked() -> dict[str, list[tuple[str, str]]]:
    """Package -> [(version, marker text)] from the lock's ``name==version ; marker`` lines."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)\s*(?:;\s*(.*))?$", line)
        if match:
            pins.setdefault(canonicalize_name(match[1]), []).append((match[2], match[3] or ""))
    return pins


def test_the_lock_covers_every_dependency_and_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        declared += extra
    locked = _locked()
    stale = []
    for text in declared:
        requirement = Requirement(text)
        pins = locked.get(canonicalize_name(requirement.name), [])
        if not any(requirement.specifier.contains(version, prereleases=True)
                               for version, _ in pins):
            stale.append(text)
    assert stale == [], f"requirements.lock is stale for {stale}: run `make lock` and commit it"


def test_the_lock_says_how_it_was_made():
    head = (ROOT / "requirements.lock").read_text().splitlines()[:3]
    assert any("make lock" in line for line in head)
