"""Python's ``random`` module as CPython 3.11 computes it, for programs (``import random``).

A program that seeds (``random.seed(0)``, ``random.Random(0)``) draws CPython's exact
numbers: the seed becomes the key of MT19937's ``init_by_array`` (an int's absolute value in
32-bit words, least significant first; a str, bytes or bytearray followed by its SHA-512
digest, read as one big-endian int; any other hashable number by its ``hash``), ``random()``
takes 27 and 26 high bits of two words (53 bits), ``getrandbits(k)`` fills ``k`` bits with
words from the least significant end (the last word's high bits), an int below ``n`` is drawn
by rejection with ``getrandbits(n.bit_length())``, and the distributions are CPython's
formulas on those. The twister itself is NumPy's MT19937 bit generator, whose words are the
reference generator's; everything between the words and the program is written here.

A session's module-level generator is made on first use as ``random.seed(s)`` makes it, ``s``
the session generator's seed at that moment (:func:`session_random`), so an unseeded program is
reproducible from the session's seed. ``random.seed()`` and ``random.Random()`` without a seed
take the next of the session's seeds ``s + n * 2**64`` (``n`` counting them), never the
process's entropy. Work is bounded: every word drawn counts a step, lists built count against
``max_value_elements`` and big integers against ``max_int_bits``.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .guards import int_guard, size_guard
from .runtime import RunState, current_rs

_N = 624
_TWO_PI = 2.0 * math.pi
_NV_MAGIC = 4 * math.exp(-0.5) / math.sqrt(2.0)
_LOG4 = math.log(4.0)
_SG_MAGIC = 1.0 + math.log(4.5)
_RECIP_BPF = 2.0 ** -53
_UNSEEDED_STRIDE = 1 << 64
_SEED_TYPES_ERROR = ("The only supported seed types are: None,\n"
                     "int, float, str, bytes, and bytearray.")


def seed_key(a: Any, version: int = 2) -> list[int]:
    """The ``init_by_array`` key ``random.seed(a, version)`` seeds MT19937 with."""
    if version == 1 and isinstance(a, (str, bytes)):
        text = a.decode("latin-1") if isinstance(a, bytes) else a
        x = ord(text[0]) << 7 if text else 0
        for c in map(ord, text):
            x = ((1000003 * x) ^ c) & 0xFFFFFFFFFFFFFFFF
        x ^= len(text)
        a = -2 if x == -1 else x
    elif version == 2 and isinstance(a, (str, bytes, bytearray)):
        raw = a.encode() if isinstance(a, str) else bytes(a)
        a = int.from_bytes(raw + hashlib.sha512(raw).digest(), "big")
    elif not isinstance(a, (int, float, str, bytes, bytearray)):
        raise TypeError(_SEED_TYPES_ERROR)
    elif isinstance(a, (str, bytes, bytearray)):  # CPython hashes it: a per-process number
        raise ValueError(f"random.seed() of a {type(a).__name__} with version={version} is "
                         "not supported (CPython seeds it from the process's randomized "
                         "hash); use version=2")
    if isinstance(a, int):
        n = abs(a)
    else:  # a float (or version 1's str): its hash, as a C size_t
        n = hash(a) % (1 << 64)
    words = max(1, (n.bit_length() + 31) // 32)
    return np.frombuffer(n.to_bytes(4 * words, "little"), dtype="<u4").tolist()


def init_by_array(key: list[int]) -> list[int]:
    """MT19937's state after Matsumoto and Nishimura's ``init_by_array(key)`` (mt19937ar.c):
    ``init_genrand(19650218)``, then the key mixed in over ``max(624, len(key))`` steps, then
    623 more, the first word set to ``0x80000000``."""
    mt = [19650218]
    for i in range(1, _N):
        prev = mt[-1]
        mt.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    i, j = 1, 0
    for _ in range(max(_N, len(key))):
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ ((prev ^ (prev >> 30)) * 1664525)) + key[j] + j) & 0xFFFFFFFF
        i += 1
        j += 1
        if i >= _N:
            mt[0] = mt[_N - 1]
            i = 1
        if j >= len(key):
            j = 0
    for _ in range(_N - 1):
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ ((prev ^ (prev >> 30)) * 1566083941)) - i) & 0xFFFFFFFF
        i += 1
        if i >= _N:
            mt[0] = mt[_N - 1]
            i = 1
    mt[0] = 0x80000000
    return mt


class Random:
    """One generator: MT19937's 624 words and position, and ``gauss``'s cached second draw.

    ``_out`` holds the tempered outputs of the current block from ``_pos`` on; the bit
    generator's key is that block's (it is advanced only when the block is used up)."""

    __slots__ = ("_bits", "_out", "_pos", "gauss_next", "steps")

    def __init__(self, key: list[int] | None = None) -> None:
        self._bits = np.random.MT19937(0)
        self._out: list[int] = []
        self._pos = _N
        self.gauss_next: float | None = None
        self.steps = 0  # words drawn (the runs charge them as steps)
        if key is not None:
            self.seed_with(key)

    def __repr__(self) -> str:
        return "<random.Random object>"

    # ------------------------------------------------------------------ state
    def seed_with(self, key: list[int]) -> None:
        self._set(np.array(init_by_array(key), dtype=np.uint32), _N)
        self.gauss_next = None

    def _set(self, key: np.ndarray, pos: int) -> None:
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": np.asarray(key, dtype=np.uint32), "pos": pos}}
        self._pos = pos
        self._out = [0] * pos + self._bits.random_raw(_N - pos).tolist() if pos < _N else []

    def getstate(self) -> tuple:
        key = self._bits.state["state"]["key"]
        return 3, (*(int(k) for k in key), self._pos), self.gauss_next

    def setstate(self, state: Any) -> None:
        version = state[0]
        if version not in (2, 3):
            raise ValueError(f"state with version {version} passed to Random.setstate() of "
                             "version 3")
        version, internal, self.gauss_next = state
        if version == 2:
            try:
                internal = tuple(x % (2 ** 32) for x in internal)
            except ValueError as exc:
                raise TypeError from exc
        if not isinstance(internal, tuple):
            raise TypeError("state vector must be a tuple")
        if len(internal) != _N + 1:
            raise ValueError("state vector is the wrong size")
        for x in internal[:_N]:
            if not isinstance(x, int):
                raise TypeError("an integer is required")
            if x < 0:
                raise OverflowError("can't convert negative value to unsigned int")
            if x >= 1 << 64:
                raise OverflowError("Python int too large to convert to C unsigned long")
        pos = operator.index(internal[_N])
        if not 0 <= pos <= _N:
            raise ValueError("invalid state")
        self._set(np.array([x & 0xFFFFFFFF for x in internal[:_N]], dtype=np.uint32), pos)

    # ------------------------------------------------------------------ words
    def _word(self) -> int:
        i = self._pos
        if i >= _N:
            self._out = self._bits.random_raw(_N).tolist()  # twists, then the whole block
            i = 0
        self._pos = i + 1
        self.steps += 1
        return self._out[i]

    def _words(self, n: int) -> list[int]:
        out: list[int] = []
        while len(out) < n:
            if self._pos >= _N:
                self._out = self._bits.random_raw(_N).tolist()
                self._pos = 0
            take = min(n - len(out), _N - self._pos)
            out += self._out[self._pos:self._pos + take]
            self._pos += take
        self.steps += n
        return out

    def random(self) -> float:
        a = self._word() >> 5
        b = self._word() >> 6
        return (a * 67108864.0 + b) * _RECIP_BPF

    def getrandbits(self, k: Any) -> int:
        k = operator.index(k)
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        if k <= 32:
            return self._word() >> (32 - k) if k else 0
        words = self._words((k - 1) // 32 + 1)
        if k % 32:
            words[-1] >>= 32 - k % 32
        return int.from_bytes(np.array(words, dtype="<u4").tobytes(), "little")

    def randbelow(self, n: int) -> int:
        """An int in ``[0, n)``, ``n > 0``: ``getrandbits(n.bit_length())`` until below."""
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return r


# --------------------------------------------------------------------------- the module

def _index_arg(value: Any, what: str) -> int:
    """randrange's argument as an int: an index, or an integral number (3.11 still takes
    ``2.0``), with CPython's DeprecationWarning (a run's reply carries it: ``run_warnings``)."""
    try:
        return operator.index(value)
    except TypeError:
        as_int = int(value)
        if as_int != value:
            warnings.warn("randrange() will raise TypeError in the future", DeprecationWarning,
                          2)
            raise ValueError(f"non-integer {what} for randrange()") from None
        warnings.warn("non-integer arguments to randrange() have been deprecated since Python "
                      "3.10 and will be removed in a subsequent version", DeprecationWarning, 2)
        return as_int


def randrange(g: Random, start: Any, stop: Any = None, step: Any = 1) -> int:
    istart = _index_arg(start, "arg 1")
    if stop is None:
        if step != 1 or type(step) is not int:
            raise TypeError("Missing a non-None stop argument")
        if istart > 0:
            return g.randbelow(istart)
        raise ValueError("empty range for randrange()")
    istop = _index_arg(stop, "stop")
    width = istop - istart
    istep = _index_arg(step, "step")
    if istep == 1:
        if width > 0:
            return istart + g.randbelow(width)
        raise ValueError(f"empty range for randrange() ({istart}, {istop}, {width})")
    if istep > 0:
        n = (width + istep - 1) // istep
    elif istep < 0:
        n = (width + istep + 1) // istep
    else:
        raise ValueError("zero step for randrange()")
    if n <= 0:
        raise ValueError("empty range for randrange()")
    return istart + istep * g.randbelow(n)


def randint(g: Random, a: Any, b: Any) -> int:
    return randrange(g, a, b + 1)


def choice(g: Random, seq: Any) -> Any:
    if not len(seq):
        raise IndexError("Cannot choose from an empty sequence")
    return seq[g.randbelow(len(seq))]


def _is_sequence(value: Any) -> bool:
    from engine import Tensor

    return isinstance(value, Sequence) and not isinstance(value, Tensor)


def shuffle(g: Random, x: Any) -> None:
    """Fisher-Yates from the end: position ``i`` swaps with ``randbelow(i + 1)``."""
    if isinstance(x, (tuple, str, range, bytes, frozenset)):
        raise TypeError(f"'{type(x).__name__}' object does not support item assignment")
    n = len(x)
    if isinstance(x, list):
        for i in range(n - 1, 0, -1):
            j = g.randbelow(i + 1)
            x[i], x[j] = x[j], x[i]
        return
    for i in range(n - 1, 0, -1):  # a tensor: item by item, views and all, as CPython's loop
        j = g.randbelow(i + 1)
        x[i], x[j] = x[j], x[i]
        charge(current_rs(), g)


def sample(g: Random, population: Any, k: Any, *, counts: Any = None) -> list:
    rs = current_rs()
    if not _is_sequence(population):
        raise TypeError("Population must be a sequence.  For dicts or sets, use sorted(d).")
    n = len(population)
    if counts is not None:
        cum_counts = list(itertools.accumulate(_bounded_list(rs, counts, "random.sample()")))
        if len(cum_counts) != n:
            raise ValueError("The number of counts does not match the population")
        total = cum_counts.pop()
        if not isinstance(total, int):
            raise TypeError("Counts must be integers")
        if total <= 0:
            raise ValueError("Total of counts must be greater than zero")
        chosen = sample(g, range(total), k)
        return [population[bisect.bisect(cum_counts, s)] for s in chosen]
    if not 0 <= k <= n:
        raise ValueError("Sample larger than population or is negative")
    size_guard(rs, k, "random.sample()")
    result = [None] * k
    setsize = 21  # CPython's rule: a list when it is smaller than a set of k picks
    if k > 5:
        setsize += 4 ** math.ceil(math.log(k * 3) / _LOG4)
    if n <= setsize:
        pool = list(population)
        for i in range(k):
            j = g.randbelow(n - i)
            result[i] = pool[j]
            pool[j] = pool[n - i - 1]
    else:
        selected: set[int] = set()
        for i in range(k):
            j = g.randbelow(n)
            while j in selected:
                j = g.randbelow(n)
            selected.add(j)
            result[i] = population[j]
            if not i % 1024:
                charge(rs, g)
    return result


def choices(g: Random, population: Any, weights: Any = None, *, cum_weights: Any = None,
            k: Any = 1) -> list:
    rs = current_rs()
    n = len(population)
    if cum_weights is None:
        if weights is None:
            size_guard(rs, k, "random.choices()")
            nf = n + 0.0
            return [population[math.floor(g.random() * nf)] for _ in range(k)]
        if isinstance(weights, int):  # not iterable: CPython's hint
            raise TypeError(f"The number of choices must be a keyword argument: k={weights}")
        cum_weights = list(itertools.accumulate(_bounded_list(rs, weights, "random.choices()")))
    elif weights is not None:
        raise TypeError("Cannot specify both weights and cumulative weights")
    else:
        cum_weights = _bounded_list(rs, cum_weights, "random.choices()")
    if len(cum_weights) != n:
        raise ValueError("The number of weights does not match the population")
    total = cum_weights[-1] + 0.0
    if total <= 0.0:
        raise ValueError("Total of weights must be greater than zero")
    if not math.isfinite(total):
        raise ValueError("Total of weights must be finite")
    size_guard(rs, k, "random.choices()")
    hi = n - 1
    return [population[bisect.bisect(cum_weights, g.random() * total, 0, hi)]
            for _ in range(k)]


def _bounded_list(rs: RunState, values: Any, what: str) -> list:
    from .methods import materialize

    return materialize(rs, values, what)


def uniform(g: Random, a: Any, b: Any) -> float:
    return a + (b - a) * g.random()


def triangular(g: Random, low: Any = 0.0, high: Any = 1.0, mode: Any = None) -> float:
    u = g.random()
    try:
        c = 0.5 if mode is None else (mode - low) / (high - low)
    except ZeroDivisionError:
        return low
    if u > c:
        u, c, low, high = 1.0 - u, 1.0 - c, high, low
    return low + (high - low) * math.sqrt(u * c)


def normalvariate(g: Random, mu: Any = 0.0, sigma: Any = 1.0) -> float:
    """Kinderman and Monahan's ratio of uniforms."""
    while True:
        u1 = g.random()
        u2 = 1.0 - g.random()
        z = _NV_MAGIC * (u1 - 0.5) / u2
        if z * z / 4.0 <= -math.log(u2):
            return mu + z * sigma


def gauss(g: Random, mu: Any = 0.0, sigma: Any = 1.0) -> float:
    """Box-Muller: two normals per pair of uniforms, the second kept for the next call."""
    z = g.gauss_next
    g.gauss_next = None
    if z is None:
        x2pi = g.random() * _TWO_PI
        g2rad = math.sqrt(-2.0 * math.log(1.0 - g.random()))
        z = math.cos(x2pi) * g2rad
        g.gauss_next = math.sin(x2pi) * g2rad
    return mu + z * sigma


def lognormvariate(g: Random, mu: Any, sigma: Any) -> float:
    return math.exp(normalvariate(g, mu, sigma))


def expovariate(g: Random, lambd: Any = 1.0) -> float:
    return -math.log(1.0 - g.random()) / lambd


def vonmisesvariate(g: Random, mu: Any, kappa: Any) -> float:
    """Best and Fisher's algorithm."""
    if kappa <= 1e-6:
        return _TWO_PI * g.random()
    s = 0.5 / kappa
    r = s + math.sqrt(1.0 + s * s)
    while True:
        z = math.cos(math.pi * g.random())
        d = z / (r + z)
        u = g.random()
        if u < 1.0 - d * d or u <= (1.0 - d) * math.exp(d):
            break
    q = 1.0 / r
    f = (q + z) / (1.0 + q * z)
    if g.random() > 0.5:
        return (mu + math.acos(f)) % _TWO_PI
    return (mu - math.acos(f)) % _TWO_PI


def gammavariate(g: Random, alpha: Any, beta: Any) -> float:
    """Cheng's rejection (alpha > 1), the exponential (alpha == 1), Ahrens and Dieter's GS
    (alpha < 1)."""
    if alpha <= 0.0 or beta <= 0.0:
        raise ValueError("gammavariate: alpha and beta must be > 0.0")
    if alpha > 1.0:
        ainv = math.sqrt(2.0 * alpha - 1.0)
        bbb = alpha - _LOG4
        ccc = alpha + ainv
        while True:
            u1 = g.random()
            if not 1e-7 < u1 < 0.9999999:
                continue
            u2 = 1.0 - g.random()
            v = math.log(u1 / (1.0 - u1)) / ainv
            x = alpha * math.exp(v)
            z = u1 * u1 * u2
            r = bbb + ccc * v - x
            if r + _SG_MAGIC - 4.5 * z >= 0.0 or r >= math.log(z):
                return x * beta
    if alpha == 1.0:
        return -math.log(1.0 - g.random()) * beta
    while True:
        u = g.random()
        b = (math.e + alpha) / math.e
        p = b * u
        if p <= 1.0:
            x = p ** (1.0 / alpha)
        else:
            x = -math.log((b - p) / alpha)
        u1 = g.random()
        if p > 1.0:
            if u1 <= x ** (alpha - 1.0):
                break
        elif u1 <= math.exp(-x):
            break
    return x * beta


def betavariate(g: Random, alpha: Any, beta: Any) -> float:
    y = gammavariate(g, alpha, 1.0)
    if y:
        return y / (y + gammavariate(g, beta, 1.0))
    return 0.0


def paretovariate(g: Random, alpha: Any) -> float:
    u = 1.0 - g.random()
    return u ** (-1.0 / alpha)


def weibullvariate(g: Random, alpha: Any, beta: Any) -> float:
    u = 1.0 - g.random()
    return alpha * (-math.log(u)) ** (1.0 / beta)


def randbytes(g: Random, n: Any) -> bytes:
    size_guard(current_rs(), n, "random.randbytes()")
    return g.getrandbits(n * 8).to_bytes(n, "little")


def getrandbits(g: Random, k: Any) -> int:
    k = operator.index(k)
    int_guard(current_rs(), k)
    return g.getrandbits(k)


def seed(g: Random, a: Any = None, version: Any = 2) -> None:
    rs = current_rs()
    if a is None:
        a = next_unseeded(rs)
    elif isinstance(a, int) and a.bit_length() > 64:
        int_guard(rs, a.bit_length())
    elif isinstance(a, (str, bytes, bytearray)):
        size_guard(rs, len(a), "a seed")
    g.seed_with(seed_key(a, version))


# --------------------------------------------------------------------------- the session's

def next_unseeded(rs: RunState) -> int:
    """The seed of the session's next unseeded generator: its seed plus ``n * 2**64``."""
    env = rs.env
    n = env.python_random_unseeded
    env.python_random_unseeded = n + 1
    return int(env.generator.initial_seed()) + n * _UNSEEDED_STRIDE


def session_random(rs: RunState) -> Random:
    """The session's module-level generator (``random.random()`` ...), made on first use as
    ``random.seed(s)`` makes it, ``s`` the session generator's seed."""
    g = rs.env.python_random
    if g is None:
        g = rs.env.python_random = Random(seed_key(next_unseeded(rs)))
    return g


def charge(rs: RunState, g: Random) -> None:
    """Count the words ``g`` drew since the last charge as the run's steps."""
    if g.steps:
        rs.steps += g.steps
        g.steps = 0
        if rs.steps >= rs.next_check:
            rs.check()


# --------------------------------------------------------------------------- the tables

#: CPython's ``Random`` methods, by name: ``fn(generator, *args, **kwargs)``.
METHODS: dict[str, Any] = {fn.__name__: fn for fn in (
    seed, randrange, randint, choice, shuffle, sample, choices, uniform, triangular,
    normalvariate, gauss, lognormvariate, expovariate, vonmisesvariate, gammavariate,
    betavariate, paretovariate, weibullvariate, randbytes, getrandbits)}
METHODS.update({"random": Random.random, "getstate": Random.getstate,
                "setstate": Random.setstate})
for _name, _fn in METHODS.items():  # Python's messages name them so (wrong arguments)
    if _fn.__qualname__ == _name:
        _fn.__qualname__ = f"Random.{_name}"
