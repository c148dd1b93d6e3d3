"""Data types and PyTorch's type promotion (with "weak" Python scalars)."""

from __future__ import annotations

from contextvars import ContextVar

import numpy as np


class DType:
    """A tensor element type; prints as ``torch.float32`` like PyTorch's."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_kind", "_rank",
                 "scalar_name", "c_name")

    def __init__(self, name: str, np_dtype, kind: int, rank: int, scalar_name: str,
                 c_name: str):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = kind == FLOAT
        self.is_signed = name not in ("bool", "uint8")
        # torch's ScalarType name ("not implemented for 'Byte'") and C type name
        # ("... but found unsigned char")
        self.scalar_name = scalar_name
        self.c_name = c_name
        self.itemsize = self.np.itemsize
        self._kind = kind  # category: bool < integer < floating
        self._rank = rank  # order inside the category

    def __getattr__(self, name):  # (torch's C type is named "torch.dtype" in these errors)
        raise AttributeError(f"'torch.dtype' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name not in DType.__slots__:
            self.__getattr__(name)
        try:
            object.__getattribute__(self, name)
        except AttributeError:  # (being made)
            object.__setattr__(self, name, value)
            return
        raise AttributeError(f"attribute '{name}' of 'torch.dtype' objects is not writable")

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    __str__ = __repr__

    def __reduce__(self):
        return (dtype_from_name, (self.name,))


BOOL, INT, FLOAT = 0, 1, 2

bool_ = DType("bool", np.bool_, BOOL, 0, "Bool", "bool")
# integer ranks: uint8 sits beside int8 (their promotion is int16, see ``promote``)
uint8 = DType("uint8", np.uint8, INT, 0, "Byte", "unsigned char")
int8 = DType("int8", np.int8, INT, 0, "Char", "signed char")
int16 = DType("int16", np.int16, INT, 1, "Short", "short int")
int32 = DType("int32", np.int32, INT, 2, "Int", "int")
int64 = DType("int64", np.int64, INT, 3, "Long", "long int")
float16 = DType("float16", np.float16, FLOAT, 1, "Half", "c10::Half")
float32 = DType("float32", np.float32, FLOAT, 2, "Float", "float")
float64 = DType("float64", np.float64, FLOAT, 3, "Double", "double")

# the SPEC's six (section 3) and the three small integer types beyond it
SPEC_DTYPES = (bool_, int32, int64, float16, float32, float64)
SMALL_INTS = (uint8, int8, int16)
ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64,
                 "int": int32, "short": int16, "bool_": bool_})
_BY_NP = {d.np: d for d in ALL}

DEFAULT_INT = int64
_default_float: ContextVar[DType] = ContextVar("default_float", default=float32)
#: ``torch.get_default_dtype()``: the context's default floating dtype (a session's, never
#: the process's), which Python floats, float creation ops and new parameters take.
default_float = _default_float.get


def use_default_float(dt: DType):
    """Make ``dt`` the context's default floating dtype (``torch.set_default_dtype``)."""
    _default_float.set(dt)


#: Whether a dtype's name (a ``str``) is refused where a dtype is wanted, as torch's argument
#: parser refuses it (``zeros(): argument 'dtype' must be torch.dtype, not str``). A program's
#: run sets it (app/lang: programs behave as torch); the engine's own Python callers and tests
#: may still name a dtype.
_names_refused: ContextVar[bool] = ContextVar("dtype_names_refused", default=False)


def refuse_dtype_names(refused: bool = True) -> None:
    """Refuse (or accept) dtype names given for dtypes in the current context."""
    _names_refused.set(refused)
TYPE_NAMES = {bool_: "BoolTensor", uint8: "ByteTensor", int8: "CharTensor",
              int16: "ShortTensor", int32: "IntTensor", int64: "LongTensor",
              float16: "HalfTensor", float32: "FloatTensor", float64: "DoubleTensor"}


def dtype_from_name(name: str) -> DType:
    from .errors import EngineTypeError

    key = name[6:] if name.startswith("torch.") else name
    try:
        return _BY_NAME[key]
    except KeyError:
        raise EngineTypeError(f"unknown dtype {name!r}; expected one of "
                              f"{', '.join(d.name for d in ALL)}") from None


def from_numpy_dtype(np_dtype) -> DType:
    from .errors import EngineTypeError

    d = _BY_NP.get(np.dtype(np_dtype))
    if d is None:
        kind = np.dtype(np_dtype)
        if kind.kind == "u" or kind.kind == "c":  # torch 2.13 keeps these as its own dtypes
            from .errors import NotSupported

            raise NotSupported(
                f"a NumPy array of dtype {kind.name}: torch 2.13 keeps it as torch.{kind.name}, "
                "a dtype this engine does not have (it has "
                f"{', '.join(d.name for d in ALL)}); convert the array first, e.g. "
                f"arr.astype('{'int64' if kind.kind == 'u' else 'float64'}')")
        raise EngineTypeError(f"can't convert np.ndarray of type numpy.{kind.type.__name__}. "
                              "The only supported types are: float64, float32, float16, "
                              "complex64, complex128, int64, int32, int16, int8, uint64, "
                              "uint32, uint16, uint8, and bool.")
    return d


def as_dtype(x, op: str | None = None) -> DType:
    """Accept a DType, its name (unless the context refuses names: torch's TypeError, worded
    for ``op``, the callable torch would name), or a NumPy dtype."""
    if isinstance(x, DType):
        return x
    if isinstance(x, str):
        if _names_refused.get():
            from .errors import EngineTypeError

            raise EngineTypeError(f"{op or 'dtype'}(): argument 'dtype' must be torch.dtype, "
                                  "not str")
        return dtype_from_name(x)
    if x is float:  # torch's parser: Python's float is double precision
        return float64
    if x is int:
        return int64
    if x is bool:
        return bool_
    return from_numpy_dtype(x)


def promote(a: DType, b: DType) -> DType:
    """Promotion of two tensor dtypes (PyTorch's table restricted to our dtypes)."""
    if a is b:
        return a
    if a._kind != b._kind:
        return a if a._kind > b._kind else b
    if a._rank == b._rank:  # uint8 with int8: neither holds the other's range
        return int16
    return a if a._rank > b._rank else b


def scalar_dtype(value) -> DType:
    """The dtype a Python scalar takes when it stands alone."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, (int, np.integer)):  # NumPy's integers are ints to torch too
        return int64
    return _default_float.get()


def combine_tiers(higher: DType | None, lower: DType | None) -> DType | None:
    """Fold a lower promotion tier into a higher one: the lower tier only counts when it is of
    a higher category (e.g. a float scalar with an int tensor) or the higher one is bool."""
    if higher is None:
        return lower
    if lower is None or higher._kind == FLOAT:
        return higher
    if higher is bool_ or lower._kind == FLOAT:
        return promote(higher, lower)
    return higher


def result_type(dim_dtype: DType | None, zero_dim_dtype: DType | None,
                scalar_dtype_: DType | None) -> DType:
    """PyTorch's three tiers: dimensioned tensors, then 0-d tensors, then Python scalars."""
    return combine_tiers(dim_dtype, combine_tiers(zero_dim_dtype, scalar_dtype_))


def half_number(v):
    """A Python number as C++ writes it into float16 (a Scalar's double made a ``c10::Half``):
    through float32, two roundings (``half_source`` for arrays); anything else as it is."""
    if type(v) is float:
        with np.errstate(over="ignore"):
            return float(np.float32(v))
    return v


def half_source(a):
    """``a`` ready for a cast to float16 as C++ converts: ``c10::Half`` is made from a
    ``float``, so a double (or an integer) reaches half through float32, two roundings
    (NumPy's direct double-to-half cast differs for about 1 value in 10,000)."""
    if a.dtype == np.float16 or a.dtype == np.float32 or a.dtype == np.bool_:
        return a
    with np.errstate(over="ignore"):
        return a.astype(np.float32)
