"""Bounds on the Python values a program builds: long strings and lists, huge integers."""

from __future__ import annotations

from collections import deque
from typing import Any

from .runtime import RunState


def size_guard(rs: RunState, n: int, what: str) -> None:
    limit = rs.limits.max_value_elements
    if n > limit:
        raise rs.limit_error(f"{what} would have {n} elements, over the limit of {limit} "
                             "(max_value_elements)", "max_value_elements", limit)


def int_guard(rs: RunState, bits: int) -> None:
    limit = rs.limits.max_int_bits
    if bits > limit:
        raise rs.limit_error(f"an integer would have about {bits} bits, over the limit of "
                             f"{limit} (max_int_bits)", "max_int_bits", limit)


def length(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, range, dict, set, frozenset,
                                            deque)) else 0


def width_guard(spec: str) -> None:
    """A format spec or a padding width a program asks for: at most 32 characters and no
    width or precision over 1000."""
    import re

    from .errors import ProgramError

    widths = [int(w) for w in re.findall(r"\d+", spec)]
    if len(spec) > 32 or (widths and max(widths) > 1000):
        raise ProgramError(f"format spec {spec[:40]!r} is too wide or too long",
                           exception="ValueError")
