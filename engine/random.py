"""Random generators: each session can own one, so its runs are reproducible from a seed.

A CPU generator is torch's: an mt19937 seeded from the low 32 bits of the seed, whose 32-bit
words (and 64-bit pairs of them) are turned into numbers by torch's own rules, so a seeded
program draws torch's numbers bit for bit (``rand``/``uniform_``, ``randn``/``normal_``,
``randint``/``random_``, ``randperm``, ``bernoulli``; see docs/oracle.md for the draws that
follow torch's stream but not its exact numbers). Its state is torch's 5,056-byte
``CPUGeneratorImplState``. Other devices' generators are their array library's own.
"""

from __future__ import annotations

import math
import secrets
import struct
from contextvars import ContextVar

import numpy as np

from .device import CPU
from .device import device as as_device
from .modes import ContextSetting

_N = 624  # mt19937's words of state
DEFAULT_SEED = 67280421310721
"""torch's seed of a fresh ``torch.Generator()``."""


def _seeded_key(seed: int) -> np.ndarray:
    """mt19937's words after seeding with the low 32 bits of ``seed`` (Matsumoto and
    Nishimura's init_genrand; NumPy's RandomState seeds an integer so)."""
    return np.random.RandomState(seed & 0xFFFFFFFF).get_state()[1]


class Generator:
    """A seedable source of random numbers for one device (``torch.Generator``)."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self.manual_seed(DEFAULT_SEED if self.device.type == "cpu" else secrets.randbits(63))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed) & (2 ** 64 - 1)
        self._state = None  # the bit generator is made on first draw (most runs draw nothing)
        self._fresh = None  # the seeded words while no word was drawn (torch's next is 0)
        self._next_double = None  # the second of a pair of scalar normal draws (torch's cache)
        self._next_float = None
        return self

    @property
    def _bits(self) -> np.random.MT19937:
        """The CPU generator's mt19937 (made from the seed on first use)."""
        if self._state is None:
            key = _seeded_key(self._seed)
            bits = np.random.MT19937()
            bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N}}
            self._fresh = key
            self._state = (bits, np.random.Generator(bits))
        return self._state[0]

    @property
    def _rng(self):
        """A NumPy (or CuPy) generator drawing from this one's stream: the draws that are not
        torch's own still come from the seeded mt19937, so they are reproducible."""
        if self._state is None:
            if self.device.type == "cpu":
                self._bits  # noqa: B018  (makes the state)
            else:
                from .device import bind

                xp = bind(self.device).xp
                with self.device.scope():
                    self._state = (None, xp.random.default_rng(self._seed & (2**63 - 1)))
        return self._state[1]

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        s = secrets.randbits(63)
        self.manual_seed(s)
        return s

    # ------------------------------------------------------------------ torch's words
    def random32(self, n: int) -> np.ndarray:
        """``n`` 32-bit words of mt19937 (torch's ``random()``), as uint64."""
        return self._bits.random_raw(n)

    def random64(self, n: int) -> np.ndarray:
        """``n`` 64-bit numbers, each two words high then low (torch's ``random64()``)."""
        r = self._bits.random_raw(2 * n).reshape(n, 2)
        return (r[:, 0] << np.uint64(32)) | r[:, 1]

    def get_state(self):
        """The generator's state as torch's 5,056-byte ``CPUGeneratorImplState`` (a uint8
        tensor): the seed, mt19937's ``left``/``seeded``/``next`` and 624 words, the cached
        double normal sample and the cached float one."""
        from .errors import NotSupported
        from .tensor import Tensor

        if self.device.type != "cpu":
            raise NotSupported(f"get_state of a {self.device.type} generator is not supported")
        st = self._bits.state["state"]
        key, pos = st["key"], int(st["pos"])
        if pos == _N and self._fresh is not None and np.array_equal(key, self._fresh):
            left, nxt = 1, 0
        else:
            left, nxt = _N + 1 - pos, pos
        nd, nf = self._next_double, self._next_float
        raw = (struct.pack("<QiiQ", self._seed, left, 1, nxt) + key.astype("<u8").tobytes()
               + struct.pack("<dddi4xf?3x", 0.0, 0.0 if nd is None else nd, 0.0, nd is not None,
                             0.0 if nf is None else nf, nf is not None))
        from .dtypes import uint8

        return Tensor(np.frombuffer(raw, dtype=np.uint8).copy(), uint8)

    def set_state(self, new_state) -> Generator:
        """Restore a state :meth:`get_state` (or torch's ``get_rng_state``) gave."""
        from .errors import EngineRuntimeError, EngineTypeError, NotSupported
        from .tensor import Tensor

        if not isinstance(new_state, Tensor):
            raise EngineTypeError(f"expected a torch.ByteTensor, but got "
                                  f"{type(new_state).__name__}")
        if new_state.dtype.name != "uint8":
            raise EngineTypeError("RNG state must be a torch.ByteTensor")
        if new_state.numel() != STATE_BYTES:
            raise EngineRuntimeError(
                f"Expected a CPUGeneratorImplState of size {STATE_BYTES} but found the input "
                f"RNG state size to be {new_state.numel()}")
        if self.device.type != "cpu":
            raise NotSupported(f"set_state of a {self.device.type} generator is not supported")
        self._restore(bytes(np.ascontiguousarray(new_state._data).reshape(-1)))
        return self

    def _restore(self, raw: bytes) -> None:
        from .errors import EngineRuntimeError

        seed, left, seeded, nxt = struct.unpack_from("<QiiQ", raw, 0)
        if not 1 <= left <= _N or nxt > _N or not seeded:
            raise EngineRuntimeError("Invalid mt19937 state")
        key = np.frombuffer(raw, dtype="<u8", count=_N, offset=24).astype(np.uint32)
        _, normal_y, _, normal_valid, next_float, float_valid = struct.unpack_from(
            "<dddi4xf?3x", raw, 24 + 8 * _N)
        self.manual_seed(seed)
        bits = self._bits
        bits.state = {"bit_generator": "MT19937",
                      "state": {"key": key, "pos": _N + 1 - left}}
        self._fresh = key.copy() if left == 1 and nxt == 0 else None
        self._next_double = normal_y if normal_valid else None
        self._next_float = next_float if float_valid else None

    def _continue_legacy(self, state: int, inc: int) -> None:
        """Go on from a state of the PCG64 generator this one replaced (a stored session's):
        its stream cannot go on, so mt19937 is seeded from the 256 bits of that state (the
        same stored state always gives the same draws; the seed is kept)."""
        words = [(v >> s) & 0xFFFFFFFF for v in (state, inc) for s in range(0, 128, 32)]
        key = np.random.RandomState(np.array(words, dtype=np.uint32)).get_state()[1]
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N}}
        self._fresh = None
        self._next_double = self._next_float = None

    def __repr__(self) -> str:
        return f"<torch._C.Generator object at {hex(id(self))}>"  # torch's: the default repr


STATE_BYTES = 5056
"""The size of :meth:`Generator.get_state`'s tensor (torch's ``CPUGeneratorImplState``)."""

_default_generators: dict = {}
_current: ContextVar[Generator | None] = ContextVar("generator", default=None)


def default_generator(device=CPU) -> Generator:
    dev = as_device(device)
    gen = _default_generators.get(dev)
    if gen is None:  # torch's default generator: seeded afresh in each process
        gen = _default_generators[dev] = Generator(dev)
        gen.seed()
    return gen


def current_generator(device=CPU, generator: Generator | None = None) -> Generator:
    """The generator an op without ``generator=`` uses: the context's, for its device."""
    if generator is not None:
        return generator
    gen = _current.get()
    dev = as_device(device)
    if gen is not None and gen.device == dev:
        return gen
    if gen is not None:  # a session generator for another device: derive a per-device one
        derived = getattr(gen, "_per_device", None)
        if derived is None:
            derived = gen._per_device = {}
        g = derived.get(dev)
        if g is None:
            g = derived[dev] = Generator(dev).manual_seed(gen._seed)
        return g
    return default_generator(dev)


def use_generator(gen: Generator) -> ContextSetting:
    """Random ops draw from ``gen`` (in a ``with``)."""
    return ContextSetting(_current, gen)


def manual_seed(seed: int) -> Generator:
    """Seed the current generator (the session's, inside a run) and return it."""
    gen = _current.get() or default_generator()
    gen.manual_seed(seed)
    for g in getattr(gen, "_per_device", {}).values():
        g.manual_seed(seed)
    return gen


def get_rng_state():
    """``torch.get_rng_state()``: the current generator's state (the session's, in a run)."""
    return (_current.get() or default_generator()).get_state()


def set_rng_state(new_state) -> None:
    """``torch.set_rng_state(state)``: restore the current generator's state."""
    (_current.get() or default_generator()).set_state(new_state)


# --------------------------------------------------------------------------- torch's draws
# Each turns the generator's words into numbers by the rule torch's CPU kernels follow, so a
# seeded program draws torch's numbers; a generator of another device draws from its array
# library's generator (torch's CUDA generator is a Philox one: not reproduced).
_DIGITS = {"float16": 24, "float32": 24, "float64": 53}  # float16 is drawn as float32


def _unit(gen: Generator, n: int, name: str) -> np.ndarray:
    """``n`` uniform [0, 1) numbers in the float type ``name`` (float32 for float16): the low
    ``digits`` bits of a word (of a 64-bit pair for float64), times 2**-digits."""
    if name == "float64":
        return (gen.random64(n) & np.uint64(2 ** 53 - 1)).astype(np.float64) * 2.0 ** -53
    digits = _DIGITS[name]
    return (gen.random32(n) & np.uint64(2 ** digits - 1)).astype(np.float32) \
        * np.float32(2.0 ** -digits)


def _cast(x: np.ndarray, dt) -> np.ndarray:
    """Doubles to ``dt`` as C++ casts them (to float16 through float32)."""
    with np.errstate(over="ignore"):
        if dt.name == "float16":
            return x.astype(np.float32).astype(np.float16)
        return x.astype(dt.np, copy=False)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fma(x: np.ndarray, scale, shift) -> np.ndarray:
    """``x * scale + shift`` rounded once, in ``x``'s float type, as torch's compiled kernels
    fuse it (``engine.ops._fma.fma``: exact, chunked)."""
    from .ops._fma import fma

    t = x.dtype.type
    return fma(x, t(scale), t(shift))


def uniform(gen: Generator, shape, dt, low: float = 0.0, high: float = 1.0):
    """torch's ``uniform_(low, high)`` on a new tensor of ``shape`` and float type ``dt``."""
    n = math.prod(shape)
    if gen.device.type != "cpu":
        np_dt = np.float64 if dt.name == "float64" else np.float32
        u = gen._rng.random(shape, dtype=np_dt)
        return (u * (high - low) + low).astype(dt.np) if (low, high) != (0.0, 1.0) \
            else u.astype(dt.np)
    x = _unit(gen, n, dt.name)
    if (low, high) != (0.0, 1.0):  # fma(x, to - from, from), in the kernel's type
        acc = x.dtype.type
        lo, hi = acc(low), acc(high)  # (opmath: float for float16, from the doubles)
        x = _fma(x, hi - lo, lo)
    out = x.astype(dt.np, copy=False)
    top = dt.np.type(high)
    if (out == top).any():  # rounded up to ``to`` (in dt): torch writes ``from`` instead
        out = np.where(out == top, dt.np.type(low), out)
    return out.reshape(shape)


def _scalar_normals(gen: Generator, n: int) -> np.ndarray:
    """torch's scalar normal path (fewer than 16 elements, and ``log_normal_``): Box-Muller on
    two 53-bit uniforms, in double, each pair's second value kept for the next draw. The pairs'
    uniforms are drawn at once (a cached value first, then ``ceil(rest / 2)`` pairs)."""
    out = np.empty(n, dtype=np.float64)
    start = 0
    if n and gen._next_double is not None:
        out[0], gen._next_double = gen._next_double, None
        start = 1
    pairs = (n - start + 1) // 2
    if pairs:
        u = _unit(gen, 2 * pairs, "float64").reshape(pairs, 2)
        with np.errstate(all="ignore"):
            r = np.sqrt(-2.0 * _glibc("log1p", -u[:, 1]))
            theta = 2.0 * math.pi * u[:, 0]
            both = np.empty((pairs, 2))
            np.multiply(r, _glibc("cos", theta), out=both[:, 0])
            np.multiply(r, _glibc("sin", theta), out=both[:, 1])
        flat = both.reshape(-1)
        out[start:] = flat[:n - start]
        if (n - start) % 2:
            gen._next_double = float(flat[-1])
    return out


class ScalarDraws:
    """torch's scalar double draws one after another, as its per-element CPU kernels make them
    (gamma, Dirichlet, Poisson): ``uniform()`` is a 53-bit uniform of one 64-bit pair of words,
    ``normal()`` the scalar Box-Muller with its second value cached in the generator. Words are
    drawn ahead in blocks; :meth:`close` leaves the generator just after the ones used."""

    def __init__(self, gen: Generator, block: int = 512) -> None:
        self.gen = gen
        self.saved = gen._bits.state
        self.block = block
        self.buffer: list[float] = []
        self.at = 0
        self.used = 0

    def uniform(self) -> float:
        if self.at == len(self.buffer):
            self.buffer = _unit(self.gen, self.block, "float64").tolist()
            self.at = 0
        self.at += 1
        self.used += 1
        return self.buffer[self.at - 1]

    def normal(self) -> float:
        gen = self.gen
        if gen._next_double is not None:
            value, gen._next_double = gen._next_double, None
            return value
        u1 = self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        gen._next_double = r * math.sin(theta)
        return r * math.cos(theta)

    def close(self) -> None:
        bits = self.gen._bits
        bits.state = self.saved
        bits.random_raw(2 * self.used)


# The C library's float64 functions, as torch's kernels (and ``math``) call them.
_GLIBC_OK: dict = {}
_MATH = {"log": math.log, "log1p": math.log1p, "tan": math.tan, "exp": math.exp,
         "cos": math.cos, "sin": math.sin}


def _math_elementwise(name: str, x: np.ndarray) -> np.ndarray:
    """``math.<name>`` of every element (glibc's own), with IEEE results where ``math``
    raises (log(0) = -inf, log of a negative or log1p(< -1) = nan, exp overflow = inf)."""
    fn = _MATH[name]

    def one(v):
        try:
            return fn(v)
        except (ValueError, OverflowError):
            with np.errstate(all="ignore"):
                return float(getattr(np, name)(np.float64(v)))

    # (np.array: on a 0-d array the ufunc returns a bare Python float)
    return np.array(np.frompyfunc(one, 1, 1)(x), dtype=np.float64) if x.size else \
        x.astype(np.float64)


def _probe(name: str) -> bool:
    """Does NumPy on a reversed view give glibc's (``math``'s) bits for ``name``? Checked on
    4,096 values, where NumPy's SIMD loops differ from glibc in about 14 (log) to 300 (log1p)."""
    u = np.random.Generator(np.random.PCG64(20261202)).random(4096)
    x = {"log": 1 - u, "log1p": -u, "tan": math.pi * (u - 0.5), "exp": 20 * u - 10,
         "cos": 2 * math.pi * u, "sin": 2 * math.pi * u}[name]
    fn = _MATH[name]
    return getattr(np, name)(x[::-1])[::-1].tolist() == [fn(v) for v in x.tolist()]


def _glibc(name: str, x: np.ndarray) -> np.ndarray:
    """glibc's float64 ``name`` (log, log1p, tan, exp, cos, sin) of every element of ``x``.
    NumPy's loops for contiguous float64 arrays are SIMD ones that differ from glibc in the
    last bit (measured over 1e7 draws: log 0.35 %, tan 0.5 %, exp 4.6 %, log1p 7.4 % of
    values; cos/sin 0); on a reversed view NumPy calls the C library element by element (0
    of 1e7 differ for each, ~10x cheaper than ``math`` per element). Confirmed once per
    function against ``math`` (``_probe``); ``math`` element by element where it fails."""
    if x.size <= 32:  # few: ``math`` itself is cheaper than the NumPy calls
        fn = _MATH[name]
        try:
            return np.array([fn(v) for v in x.reshape(-1).tolist()],
                            dtype=np.float64).reshape(np.shape(x))
        except (ValueError, OverflowError):
            return _math_elementwise(name, x)
    ok = _GLIBC_OK.get(name)
    if ok is None:
        ok = _GLIBC_OK[name] = _probe(name)
    if not ok:
        return _math_elementwise(name, x)
    with np.errstate(all="ignore"):
        flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
        return np.ascontiguousarray(getattr(np, name)(flat[::-1])[::-1]).reshape(np.shape(x))


_f32 = np.float32


def _fma32(a, b, c) -> np.ndarray:
    """``a * b + c`` of float32 values rounded once: the product is exact in double, so the
    double sum rounds to float32 as the fused operation does, except where it fell exactly on
    a midpoint between two floats (a double rounding): those few are settled by the sum's
    rounding error."""
    p = np.multiply(a, b, dtype=np.float64)
    s = p + c
    out = s.astype(_f32)
    # a midpoint between two normal floats has the 29 low bits 1000...0 (the polynomials'
    # values here are never below float32's normal range)
    odd = (s.view(np.uint64) & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
    if odd.any():
        idx = np.flatnonzero(odd)
        pi = p.reshape(-1)[idx]
        ci = np.broadcast_to(np.asarray(c, np.float64), p.shape).reshape(-1)[idx]
        si, err = _two_sum(pi, ci)
        below = np.nextafter(si, -np.inf).astype(_f32)
        above = np.nextafter(si, np.inf).astype(_f32)
        flat = out.reshape(-1)
        flat[idx] = np.where((below != above) & (err != 0),
                             np.where(err > 0, above, below), flat[idx])
    return out


# The float32 log and sine/cosine of torch's vectorised Box-Muller kernel: Cephes' polynomials
# in the SSE/AVX form (a mantissa in [sqrt(1/2), sqrt(2)) and its exponent; an angle reduced by
# pi/4 in three parts, then the sine or cosine polynomial by octant), evaluated as the compiled
# kernel does, with its multiply-adds fused.
_LOG_POLY = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
             1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
             3.3333331174e-1)


def _log32(x: np.ndarray) -> np.ndarray:
    x = np.maximum(x, _f32(1.17549435e-38))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_f32) + _f32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(_f32)  # in [0.5, 1)
    small = m < _f32(0.707106781186547524)
    e = e - small.astype(_f32)
    m = (m - _f32(1)) + np.where(small, m, _f32(0))
    z = m * m
    y = np.full_like(m, _f32(_LOG_POLY[0]))
    for c in _LOG_POLY[1:]:
        y = _fma32(y, m, _f32(c))
    y = _fma32(y * m, z, e * _f32(-2.12194440e-4))
    y = _fma32(z, _f32(-0.5), y)
    return _fma32(e, _f32(0.693359375), m + y)


def _sincos32(x: np.ndarray):
    """Sine and cosine of non-negative float32 angles."""
    y = x * _f32(1.27323954473516)  # 4 / pi
    j = (y.astype(np.int32) + 1) & ~1
    y = j.astype(_f32)
    for part in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = _fma32(y, _f32(part), x)
    z = x * x
    c = np.full_like(x, _f32(2.443315711809948e-5))
    c = _fma32(c, z, _f32(-1.388731625493765e-3))
    c = _fma32(c, z, _f32(4.166664568298827e-2))
    c = _fma32(c * z, z, -(z * _f32(0.5))) + _f32(1)
    s = np.full_like(x, _f32(-1.9515295891e-4))
    s = _fma32(s, z, _f32(8.3321608736e-3))
    s = _fma32(s, z, _f32(-1.6666654611e-1))
    s = _fma32(s * z, x, x)
    use_sin = (j & 2) == 0
    sin = np.where(use_sin, s, c)
    cos = np.where(use_sin, c, s)
    sin = np.where((j & 4) != 0, -sin, sin)
    cos = np.where((~(j - 2) & 4) != 0, -cos, cos)
    return sin, cos


def _c32(v: float) -> np.float64:
    """A constant of the float32 kernel (rounded to float32), as a float64 scalar."""
    return np.float64(np.float32(v))


_LOW29, _MID29 = np.uint64(0x1FFFFFFF), np.uint64(0x10000000)


class _Fused32:
    """The float32 multiply-adds of one polynomial chain, on many lanes at once: each
    ``fma(a, b, c)`` is the exact float64 product (two float32 values' product has 48 bits)
    plus ``c``, rounded to float32. That is the fused result unless the float64 sum lies on a
    midpoint between two float32 numbers (a double rounding); the sums are kept in the rows of
    one buffer and such lanes found once at the end (``suspects``), to be recomputed exactly
    (``_fma32``). Values here never fall below float32's normal range (zeros are exact)."""

    def __init__(self, steps: int, lanes: int):
        self.buf = np.empty((steps, lanes))
        self.rows = list(self.buf)
        self.used = 0

    def __call__(self, a, b, c) -> np.ndarray:
        row = self.rows[self.used]  # (a or b is float64: the product is exact)
        self.used += 1
        np.multiply(a, b, out=row)
        np.add(row, c, out=row)
        return row.astype(_f32)

    def suspects(self) -> np.ndarray:
        bits = self.buf[:self.used].view(np.uint64)
        return np.logical_or.reduce(np.bitwise_and(bits, _LOW29, out=bits) == _MID29)


_LOG_C = [_c32(c) for c in _LOG_POLY]


def _log32_fast(x: np.ndarray, fused: _Fused32) -> np.ndarray:
    """``_log32`` of float32 lanes in [2**-24, 1] (``fused``: 9 steps)."""
    m, e = np.frexp(x)  # x = m * 2**e, m in [0.5, 1)
    small = m < _f32(0.707106781186547524)
    e = (e - small).astype(_f32)
    m = np.where(small, m + m, m) - _f32(1)  # exact
    z = m * m
    m64, z64 = m.astype(np.float64), z.astype(np.float64)
    y = fused(m64, _LOG_C[0], _LOG_C[1])
    for c in _LOG_C[2:]:
        y = fused(y, m64, c)
    y = fused(y * m, z64, e * _f32(-2.12194440e-4))
    # (z * -0.5 and e * 0.693359375 are exact in float32: those fused steps are plain sums)
    y = z * _f32(-0.5) + y
    return e * _f32(0.693359375) + (m + y)


_DP = [_c32(v) for v in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8)]
_COS_C = [_c32(v) for v in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)]
_SIN_C = [_c32(v) for v in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]


def _sincos32_fast(x: np.ndarray, fused: _Fused32):
    """``_sincos32`` of float32 lanes in [0, 2 pi] (``fused``: 7 steps)."""
    j = ((x * _f32(1.27323954473516)).astype(np.int32) + 1) & ~1
    y = j.astype(_f32)
    # (j <= 8 times the first two parts of pi/4, of 8 and 12 bits, is exact in float32)
    x = y * _f32(_DP[0]) + x
    x = y * _f32(_DP[1]) + x
    x = fused(y.astype(np.float64), _DP[2], x)
    z = x * x
    z64 = z.astype(np.float64)
    c = fused(z64, _COS_C[0], _COS_C[1])
    c = fused(c, z64, _COS_C[2])
    c = fused(c * z, z64, -(z * _f32(0.5))) + _f32(1)
    s = fused(z64, _SIN_C[0], _SIN_C[1])
    s = fused(s, z64, _SIN_C[2])
    s = fused(s * z, x.astype(np.float64), x)
    use_sin = (j & 2) == 0
    sin = np.where(use_sin, s, c)
    cos = np.where(use_sin, c, s)
    np.negative(sin, out=sin, where=(j & 4) != 0)
    np.negative(cos, out=cos, where=(~(j - 2) & 4) != 0)
    return sin, cos


_BM_BLOCKS = 2048  # blocks of 16 per step of the float32 transform (its buffers stay in cache)


def _box_muller_16(blocks: np.ndarray, mean: float, std: float) -> np.ndarray:
    """torch's ``normal_fill_16`` on rows of 16 uniforms: the first 8 give the radii, the last
    8 the angles; cosines replace the first half, sines the second; then ``* std + mean``
    (fused). float64 uses the C library's log/cos/sin (NumPy's vectorised ones differ in the
    last bit now and then); float32 the vectorised kernel's own functions, lanes at a time
    (``_Fused32``; the few lanes a double rounding may have touched are recomputed)."""
    if blocks.dtype == np.float64:
        u1, u2 = 1 - blocks[:, :8], blocks[:, 8:]
        r = np.sqrt(-2.0 * _glibc("log", u1))
        theta = 2.0 * math.pi * u2
        out = np.concatenate([r * _glibc("cos", theta), r * _glibc("sin", theta)], axis=1)
        return out if (mean, std) == (0.0, 1.0) else _fma(out, std, mean)
    out = np.empty(blocks.shape, dtype=_f32)
    for lo in range(0, blocks.shape[0], _BM_BLOCKS):
        part = blocks[lo:lo + _BM_BLOCKS]
        u1 = (_f32(1) - part[:, :8]).reshape(-1)
        theta = _f32(2.0 * math.pi) * part[:, 8:].reshape(-1)
        fused = _Fused32(9, u1.size)
        log = _log32_fast(u1, fused)
        bad = np.flatnonzero(fused.suspects())
        if bad.size:
            log[bad] = _log32(u1[bad])
        fused = _Fused32(7, u1.size)
        sin, cos = _sincos32_fast(theta, fused)
        bad = np.flatnonzero(fused.suspects())
        if bad.size:
            sin[bad], cos[bad] = _sincos32(theta[bad])
        r = np.sqrt(_f32(-2.0) * log)
        k = part.shape[0]
        out[lo:lo + k, :8] = (r * cos).reshape(k, 8)
        out[lo:lo + k, 8:] = (r * sin).reshape(k, 8)
    if (mean, std) == (0.0, 1.0):
        return out
    from .ops._fma import fma

    return fma(out, _f32(std), _f32(mean))


def normal(gen: Generator, shape, dt, mean: float = 0.0, std: float = 1.0,
           scalar: bool = False):
    """torch's ``normal_(mean, std)`` on a new tensor of ``shape`` and float type ``dt``
    (``scalar``: its one-at-a-time kernel whatever the size, as for a non-contiguous one)."""
    n = math.prod(shape)
    if gen.device.type != "cpu":
        np_dt = np.float64 if dt.name == "float64" else np.float32
        z = gen._rng.standard_normal(shape, dtype=np_dt)
        return (z * std + mean).astype(dt.np) if (mean, std) != (0.0, 1.0) else z.astype(dt.np)
    if n < 16 or scalar:  # one value at a time, in double
        z = _scalar_normals(gen, n)
        return _cast(z if (mean, std) == (0.0, 1.0) else _fma(z, std, mean), dt).reshape(shape)
    # torch's normal_fill: uniforms (float32 ones for float16), each whole block of 16
    # transformed; a ragged end redrawn as the last 16 (overlapping the last whole block) and
    # transformed again. float32/float64 draw all n uniforms first, float16 only the blocks'.
    whole = n - n % 16
    data = _unit(gen, n if dt.name != "float16" else whole, dt.name)
    out = np.empty(n, dtype=data.dtype)
    out[:whole] = _box_muller_16(data[:whole].reshape(-1, 16), mean, std).reshape(-1)
    if n % 16:
        out[n - 16:] = _box_muller_16(_unit(gen, 16, dt.name).reshape(1, 16), mean,
                                      std).reshape(-1)
    return out.astype(dt.np, copy=False).reshape(shape)


def _round_int(v: int, digits: int) -> int:
    """The integer ``v`` rounded to ``digits`` significant bits, to nearest even (the C++
    cast of an int64 to a float type with that many digits)."""
    a = abs(v)
    shift = a.bit_length() - digits
    if shift <= 0:
        return v
    q, r = divmod(a, 1 << shift)
    half = 1 << (shift - 1)
    if r > half or (r == half and q & 1):
        q += 1
    return (q << shift) if v >= 0 else -(q << shift)


_FLOAT_DIGITS = {"float16": 11, "float32": 24, "float64": 53}


def _float_bounds(low: int, high: int, digits: int):
    """torch's ``update_from``/``update_to`` for a float type: a bound whose neighbour
    inward (``from + 1``, ``to - 1``) rounds past it in the type moves inward to an integer
    the type holds, so every drawn integer stays in [from, to) once cast."""
    up = _round_int(low + 1, digits)
    if up < low:
        n = abs(low + 1).bit_length() - 1
        low = up + (1 << (n - digits + 1))
    down = _round_int(high - 1, digits)
    if down >= high:
        n = abs(high - 1).bit_length() - 1
        high = down - (1 << (n - digits + 1))
    return low, high


def integers(gen: Generator, shape, dt, low: int, high: int):
    """torch's ``random_(low, high)`` (``randint``): a word (a 64-bit pair when the range is
    2**28 or more), modulo the range, plus low, cast to ``dt``; a float type first moves
    bounds it cannot hold inward (``_float_bounds``)."""
    low, high = int(low), int(high)
    if dt.name in _FLOAT_DIGITS:
        low, high = _float_bounds(low, high, _FLOAT_DIGITS[dt.name])
        if low >= high:
            from .errors import EngineRuntimeError

            raise EngineRuntimeError(
                f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, "
                f"but got from={low} >= to={high}")
    n, span = math.prod(shape), high - low
    if gen.device.type != "cpu":
        return gen._rng.integers(low, high, size=shape).astype(dt.np)
    words = gen.random64(n) if span >= 2 ** 28 else gen.random32(n)
    values = ((words % np.uint64(span)).astype(np.int64) + np.int64(low))
    return values.astype(dt.np).reshape(shape)


_FULL_RANGE = {"bool": 2, "uint8": 2 ** 8, "int8": 2 ** 7, "int16": 2 ** 15, "int32": 2 ** 31,
               "int64": 2 ** 63, "float16": 2 ** 11 + 1, "float32": 2 ** 24 + 1,
               "float64": 2 ** 53 + 1}


def full_range(gen: Generator, shape, dt):
    """torch's ``random_()``: a word (a 64-bit pair for long and double) modulo the type's
    count of exactly representable non-negative integers."""
    n = math.prod(shape)
    if gen.device.type != "cpu":
        return gen._rng.integers(0, _FULL_RANGE[dt.name], size=shape).astype(dt.np)
    words = gen.random64(n) if dt.name in ("int64", "float64") else gen.random32(n)
    return (words % np.uint64(_FULL_RANGE[dt.name])).astype(dt.np).reshape(shape)


def permutation(gen: Generator, n: int) -> np.ndarray:
    """torch's ``randperm(n)`` (n below 2**32 / 20): from 0..n-1, swap each position i with
    i + (a word modulo n - i), in order."""
    if gen.device.type != "cpu":
        return gen._rng.permutation(n)
    if n >= (2 ** 32 - 1) // 20:
        from .errors import NotSupported

        raise NotSupported(f"randperm of {n} elements (torch's 64-bit shuffle) is not supported")
    if n < 2:
        return np.arange(n, dtype=np.int64)
    offsets = gen.random32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)
    if n < 512:  # the swaps one by one (cheaper than the vectorised form for few elements)
        out = list(range(n))
        for i, z in enumerate(offsets.tolist()):
            j = i + z
            out[i], out[j] = out[j], out[i]
        return np.array(out, dtype=np.int64)
    return _swapped(offsets.astype(np.int64))


def _swapped(offsets: np.ndarray) -> np.ndarray:
    """0..n-1 after the swaps (i, j_i = i + offsets[i]) for i = 0..n-2 in order, without a
    loop. Position i is final after step i (later steps touch only positions above i), and
    takes the value at j_i just before it: the value the latest earlier step that wrote into
    j_i brought (else j_i's own). A step k brings the value at k just before step k, ``v[k]``:
    that of the latest step before k that wrote into k, and so on down a chain of writers to a
    position never written before its own step (``v`` is the chain's root: pointer jumping)."""
    steps = offsets.size
    n = steps + 1
    k = np.arange(steps, dtype=np.int64)
    j = offsets + k
    moved = j != k
    writer = np.full(n, -1, dtype=np.int64)  # the latest step k < p that wrote into p
    np.maximum.at(writer, j[moved], k[moved])
    v = np.arange(n, dtype=np.int64)
    todo = np.flatnonzero(writer >= 0)
    v[todo] = writer[todo]
    while todo.size:
        root = v[v[todo]]
        changed = root != v[todo]
        v[todo] = root
        todo = todo[changed]
    order = np.argsort(j * n + k)  # steps by the position they write into, then in order
    js = j[order]
    first = np.empty(steps, dtype=bool)
    first[0] = True
    np.not_equal(js[1:], js[:-1], out=first[1:])
    prev = np.empty(steps, dtype=np.int64)  # the previous step writing into the same j
    prev[order[1:]] = order[:-1]
    prev[order[first]] = -1
    out = np.empty(n, dtype=np.int64)
    took = np.where(prev >= 0, v[np.maximum(prev, 0)], j)
    out[:steps] = np.where(moved, took, v[:steps])
    out[steps] = v[steps]
    return out


def exponential(gen: Generator, shape, dt, lambd: float):
    """torch's ``exponential_(lambd)``: ``-1 / lambd * log1p(-u)`` of 53-bit uniforms, in
    double."""
    u = _unit(gen, math.prod(shape), "float64")
    return _cast((-1.0 / lambd) * _glibc("log1p", -u), dt).reshape(shape)


def cauchy(gen: Generator, shape, dt, median: float, sigma: float):
    """torch's ``cauchy_``: ``median + sigma * tan(pi * (u - 0.5))``, in double."""
    u = _unit(gen, math.prod(shape), "float64")
    return _cast(median + sigma * _glibc("tan", math.pi * (u - 0.5)), dt).reshape(shape)


def log_normal(gen: Generator, shape, dt, mean: float, std: float):
    """torch's ``log_normal_``: ``exp`` of the scalar normal draws (pairs, cached), in double."""
    z = _scalar_normals(gen, math.prod(shape))
    with np.errstate(over="ignore"):
        return _cast(_glibc("exp", _fma(z, std, mean)), dt).reshape(shape)


def geometric(gen: Generator, shape, dt, p: float):
    """torch's ``geometric_(p)``: ``ceil(log(u) / log1p(-p))``, in double."""
    u = _unit(gen, math.prod(shape), "float64")
    with np.errstate(divide="ignore"):
        return _cast(np.ceil(_glibc("log", u) / math.log1p(-p)), dt).reshape(shape)
