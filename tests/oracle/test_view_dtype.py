"""Tensor.view(dtype) side by side with torch 2.13: every pair of the nine dtypes, over layouts
(contiguous, a row, slices at odd and even offsets, steps, transposed, 0-d, empty, expanded,
unsqueezed): the result's repr, shape, strides and storage offset, or torch's error (its checks
on the last dimension, the storage offset and the strides, in torch's order); writes through
the result, the shared version counter, and autograd (the result is never differentiable)."""

import warnings

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import builtin_class  # noqa: E402

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
LAYOUTS = {
    "plain": lambda t: t, "row": lambda t: t[1], "slice13": lambda t: t[:, :, 1:3],
    "slice1": lambda t: t[:, :, 1:], "step2": lambda t: t[:, :, ::2],
    "transposed": lambda t: t.transpose(0, 2), "0-d": lambda t: t[0, 0, 0],
    "empty": lambda t: t[:, :, :0], "empty0": lambda t: t[:0],
    "expanded": lambda t: t[:, :1].expand(2, 5, 4), "unsqueezed": lambda t: t.unsqueeze(-1),
    "narrow": lambda t: t[:, 1:, :2],
}


def _base(T, d):
    return (T.arange(24) % 7 + 1).reshape(2, 3, 4).to(getattr(T, d))


def _write(T):
    x = T.tensor([1, 2], dtype=T.int16)
    x.view(T.uint8)[0] = 255
    return x


def _version(T):
    x = T.tensor([1, 2], dtype=T.int16)
    x.view(T.uint8).add_(1)
    return x._version


def _grad(v):
    return v.requires_grad, v.grad_fn, v.is_leaf


CASES = {f"{a}->{b} {name}": (lambda T, a=a, b=b, f=f: f(_base(T, a)).view(getattr(T, b)))
         for a in DTYPES for b in DTYPES for name, f in LAYOUTS.items()}
CASES.update({
    "write through": _write,
    "version counter shared": _version,
    "leaf requiring grad": lambda T: _grad(T.tensor([1., 2.], requires_grad=True).view(T.int32)),
    "leaf as float16": lambda T: _grad(T.tensor([1., 2.], requires_grad=True).view(T.float16)),
    "non-leaf": lambda T: _grad((T.tensor([1., 2.], requires_grad=True) * 2).view(T.int32)),
    "float bits": lambda T: T.tensor([1.0, -2.5, float("inf")]).view(T.int32),
    "round trip": lambda T: T.tensor([1.0, -2.5]).view(T.uint8).view(T.float32),
    "float64 as float32": lambda T: T.tensor([1.0, 2.0], dtype=T.float64).view(T.float32),
    "dtype keyword": lambda T: T.tensor([1, 2], dtype=T.int16).view(dtype=T.uint8),
    "size keyword": lambda T: T.tensor([1, 2], dtype=T.int16).view(size=(2, 1)),
    "size and dtype": lambda T: T.tensor([1, 2], dtype=T.int16).view(2, dtype=T.uint8),
    "no argument": lambda T: T.tensor([1, 2], dtype=T.int16).view(),
})


def _observe(T, case):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = case(T)
        if hasattr(r, "stride"):
            return repr(r), tuple(r.shape), r.stride(), r.storage_offset()
        return repr(r)
    except Exception as e:  # noqa: BLE001 - the class and first line are compared
        return "raised", builtin_class(e).__name__, str(e).split("\n")[0]


@pytest.mark.parametrize("dtype", DTYPES)
def test_view_dtype_as_torch(dtype):
    names = [n for n in CASES if n.startswith(f"{dtype}->")]
    differ = [n for n in names if _observe(engine, CASES[n]) != _observe(torch, CASES[n])]
    assert not differ, differ


@pytest.mark.parametrize("name", [n for n in CASES if "->" not in n])
def test_view_dtype_semantics_as_torch(name):
    assert _observe(engine, CASES[name]) == _observe(torch, CASES[name])
