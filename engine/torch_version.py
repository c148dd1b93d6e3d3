"""``torch.__version__``: a string that also compares as a version (``TorchVersion``).

Programs test the version as a string or as a tuple (``torch.__version__ >= "2.0"``,
``torch.__version__ < (2, 14)``): both sides are read as PEP 440 versions and compared by its
ordering; a side that is no version (``"parrot"``, an int) falls back to ``str``'s comparison,
as torch's class does. ``!=`` and hashing are ``str``'s (torch overrides neither).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["TorchVersion", "InvalidVersion", "version_key"]

# PEP 440's public version scheme (its appendix's pattern), case-insensitive
_PATTERN = re.compile(r"""
    ^\s*v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?
    (?P<dev>[-_.]?dev[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$""", re.VERBOSE | re.IGNORECASE)
_PRE_LETTERS = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "pre": "rc",
                "preview": "rc", "rc": "rc"}


class InvalidVersion(ValueError):
    """A string that is no PEP 440 version."""


def version_key(text: str) -> tuple:
    """The sort key of version ``text`` in PEP 440's order: epoch, release (trailing zeros
    dropped), pre-release (none sorts after any, but a bare ``.devN`` before them), post-release,
    development release (none sorts after any), local label (none sorts first; numeric parts
    after alphanumeric ones)."""
    m = _PATTERN.match(text)
    if m is None:
        raise InvalidVersion(f"Invalid version: {text!r}")
    release = [int(part) for part in m["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if m["pre"]:
        pre: tuple = (1, _PRE_LETTERS[m["pre_l"].lower()], int(m["pre_n"] or 0))
    else:
        pre = (0,) if m["dev"] and not m["post"] else (2,)
    post = (1, int(m["post_n1"] or m["post_n2"] or 0)) if m["post"] else (0,)
    dev = (0, int(m["dev_n"] or 0)) if m["dev"] else (1,)
    if m["local"]:
        local: tuple = (1, tuple((1, int(part), "") if part.isdigit() else (0, 0, part.lower())
                                 for part in re.split(r"[-_.]", m["local"])))
    else:
        local = (0,)
    return int(m["epoch"] or 0), tuple(release), pre, post, dev, local


def _key_of(other: Any) -> tuple:
    if isinstance(other, str):
        return version_key(other)
    if isinstance(other, Iterable):  # (2, 13) is "2.13"
        return version_key(".".join(str(item) for item in other))
    raise InvalidVersion(other)


class TorchVersion(str):
    """torch's version string: a ``str`` whose ``< <= == >= >`` compare as versions."""

    __slots__ = ()
    __hash__ = str.__hash__

    def _compare(self, other: Any, method: str) -> Any:
        try:
            mine, theirs = version_key(self), _key_of(other)
        except InvalidVersion:
            return getattr(str, method)(self, other)
        return getattr(mine, method)(theirs)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, "__lt__")

    def __le__(self, other: Any) -> Any:
        return self._compare(other, "__le__")

    def __eq__(self, other: Any) -> Any:
        return self._compare(other, "__eq__")

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, "__ge__")

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, "__gt__")
