"""``hash(x)`` as CPython 3.11 computes it, with ``PYTHONHASHSEED=0`` (the session hosts' seed).

Numbers (``int``, ``float``, ``bool``) hash as Python does everywhere. A ``str`` hashes by
SipHash-1-3 with a zero key over its code points stored as CPython stores them (1, 2 or 4 bytes
each): the process's own ``hash`` when it runs with seed 0 (the hosts), computed here otherwise
(a process that randomizes, such as the tests'). Tuples and frozensets combine their items'
hashes as CPython's ``tuplehash``/``frozenset_hash``. Where CPython hashes an object's address
(``None`` in 3.11, functions, classes, objects without ``__hash__``), the language hashes what
``id(x)`` gives instead, so no address leaks and ``hash(x) == hash(x)`` holds; ``None`` takes
the constant Python 3.12 gave it. A tensor hashes as ``id(x)``, as torch's ``Tensor.__hash__``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

_MASK = (1 << 64) - 1
_XXPRIME_1 = 11400714785074694791
_XXPRIME_2 = 14029467366897019727
_XXPRIME_5 = 2870177450012600261
#: ``hash(None)`` (CPython 3.12's constant; 3.11 hashes None's address)
NONE_HASH = 0xFCA86420
_NATIVE_STR = sys.flags.hash_randomization == 0  # seed 0: the process's str hash is CPython's


def _signed(h: int) -> int:
    h &= _MASK
    h = h - (1 << 64) if h >= 1 << 63 else h
    return -2 if h == -1 else h


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def siphash13(data: bytes) -> int:
    """SipHash-1-3 of ``data`` with a zero key (CPython's ``pyhash.c``), unsigned."""
    v0, v1, v2, v3 = 0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, \
        0x7465646279746573

    def rounds(n: int) -> None:
        nonlocal v0, v1, v2, v3
        for _ in range(n):
            v0 = (v0 + v1) & _MASK
            v2 = (v2 + v3) & _MASK
            v1 = _rotl(v1, 13) ^ v0
            v3 = _rotl(v3, 16) ^ v2
            v0 = _rotl(v0, 32)
            v2 = (v2 + v1) & _MASK
            v0 = (v0 + v3) & _MASK
            v1 = _rotl(v1, 17) ^ v2
            v3 = _rotl(v3, 21) ^ v0
            v2 = _rotl(v2, 32)

    n = len(data)
    whole = n - n % 8
    for i in range(0, whole, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v3 ^= m
        rounds(1)
        v0 ^= m
    b = ((n & 0xFF) << 56) | int.from_bytes(data[whole:], "little")
    v3 ^= b
    rounds(1)
    v0 ^= b
    v2 ^= 0xFF
    rounds(3)
    return v0 ^ v1 ^ v2 ^ v3


def str_hash(s: str) -> int:
    """``hash(s)`` with ``PYTHONHASHSEED=0``."""
    if _NATIVE_STR or not s:
        return hash(str(s))
    widest = max(map(ord, s))
    encoding = "latin-1" if widest < 256 else "utf-16-le" if widest < 65536 else "utf-32-le"
    return _signed(siphash13(s.encode(encoding, "surrogatepass")))


def tuple_hash(hashes: list[int]) -> int:
    """CPython's ``tuplehash`` (xxHash's mixing) of the items' hashes."""
    acc = _XXPRIME_5
    for h in hashes:
        acc = (acc + (h & _MASK) * _XXPRIME_2) & _MASK
        acc = (_rotl(acc, 31) * _XXPRIME_1) & _MASK
    acc = (acc + (len(hashes) ^ (_XXPRIME_5 ^ 3527539))) & _MASK
    return 1546275796 if acc == _MASK else _signed(acc)


def _shuffle(h: int) -> int:
    return ((h ^ 89869747) ^ ((h << 16) & _MASK)) * 3644798167 & _MASK


def frozenset_hash(hashes: list[int]) -> int:
    """CPython's ``frozenset_hash`` of a frozenset built at once (no deleted entries)."""
    acc = 0
    for h in hashes:
        acc ^= _shuffle(h & _MASK)
    acc ^= ((len(hashes) + 1) * 1927868237) & _MASK
    acc ^= (acc >> 11) ^ (acc >> 25)
    acc = (acc * 69069 + 907133923) & _MASK
    return 590923713 if acc == _MASK else _signed(acc)


def pointer_hash(identity: int) -> int:
    """CPython's hash of an object by its address, over ``identity`` (what ``id`` gives)."""
    y = identity & _MASK
    return _signed((y >> 4) | (y << 60))


def value_hash(value: Any, identity: Callable[[Any], int],
               special: Callable[[Any], int | None]) -> int:
    """``hash(value)``. ``identity`` is the language's ``id``; ``special`` gives a program's
    object's own ``__hash__`` (None where its class has none), or raises Python's
    ``unhashable type`` error where its class made it unhashable."""
    t = type(value)
    if t is int or t is float or t is bool:
        return hash(value)
    if isinstance(value, str):
        return str_hash(value)
    if value is None:
        return NONE_HASH
    if isinstance(value, tuple) and (t is tuple or getattr(t, "__hash__", None) is
                                     tuple.__hash__):  # torch.Size, named tuples
        return tuple_hash([value_hash(v, identity, special) for v in value])
    if t is frozenset:
        return frozenset_hash([value_hash(v, identity, special) for v in value])
    if t is range:
        n = len(value)
        parts = [n, None, None] if n == 0 else [n, value.start, None] if n == 1 else \
            [n, value.start, value.step]
        return tuple_hash([value_hash(v, identity, special) for v in parts])
    own = special(value)
    if own is not None:
        return own
    if isinstance(value, (int, float)):  # NumPy's scalars, IntEnum-like ints
        return hash(value)
    return pointer_hash(identity(value))
