"""Pinned cases of session 21's hunt (issue 10; most found by ``tests/oracle/chain_sweep.py``),
run on the engine and on torch 2.13 side by side. Each case failed on the engine before its
fix."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from engine.ops import OPS  # noqa: E402

from .backends import _as_program_sees, observed, pinned_obs  # noqa: E402


def _same(program):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return observed(program, engine, pinned_obs) == observed(program, torch, pinned_obs)


# ------------------------------------------------ numbers where a tensor goes (chain seed 2104)
_COPY_SOURCES = [2, -1, 0.1, 65519.0, 2.7, True, np.float32(1.5), np.int64(-3), 2 ** 63,
                 2 ** 64 - 1, 1 + 2j, -2 ** 70, float("nan"), float("-inf"), "a", None]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "uint8",
                                   "bool"])
def test_copy_takes_a_number_as_torchs_parser_does(dtype):
    """``copy_`` is one of the functions whose Tensor parameter torch's argument parser lets a
    Python number bind to (as a 0-d bool/int64/float64 tensor; an int past int64 is a uint64
    Scalar): ``v.copy_(2)`` computes, with ``CopyBackwards`` on a tensor that requires grad.
    The engine raised "argument 'src' ... must be Tensor, not int"."""
    def program(T, v):
        x = T.zeros(2, dtype=getattr(T, dtype))
        y = x.copy_(v)
        return [y, y is x, x._version]

    for v in _COPY_SOURCES:
        assert _same(lambda T, v=v: program(T, v)), v


def test_copy_of_a_number_into_a_view_records_copy_backwards():
    def program(T):
        x = T.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 2
        y[1:].copy_(1.5)
        (y * T.tensor([1.0, 2.0, 3.0])).sum().backward()
        return [y, x.grad]

    assert _same(program)


@pytest.mark.parametrize("fn", ["mul", "multiply"])
@pytest.mark.parametrize("a, b", [(2, 3), (2, 3.5), (2.5, 3), (True, True), (True, 2),
                                  (-1, False)])
def test_mul_of_two_numbers_is_a_tensor(fn, a, b):
    """``torch.mul(2, 3)`` binds both numbers as tensors (``tensor(6)``); the engine's float16
    check of mul's kernel read ``a.dtype`` of a Python number (AttributeError)."""
    def program(T):
        if T is engine:
            return _as_program_sees(getattr(T, fn), fn, "function", (a, b), {})
        return getattr(T, fn)(a, b)

    assert _same(program)


# ------------------------------- a base whose own shape changes in place (chain seed 2106)
_RELAYOUTS = {
    "t_": lambda b: b.t_(),
    "transpose_": lambda b: b.transpose_(0, 1),
    "swapdims_": lambda b: b.swapdims_(1, 0),
    "unsqueeze_": lambda b: b.unsqueeze_(1),
    "squeeze_": lambda b: b.unsqueeze_(0).squeeze_(),
    "t_twice": lambda b: b.t_().t_(),
}
_VIEWS = {
    "row": lambda b: b[0],
    "column": lambda b: b[:, 1],
    "T": lambda b: b.T,
    "diagonal": lambda b: b.diagonal(),
    "flat": lambda b: b.view(-1),
    "view_of_view": lambda b: b.T[1:],
}


@pytest.mark.parametrize("relayout", sorted(_RELAYOUTS))
@pytest.mark.parametrize("view", sorted(_VIEWS))
@pytest.mark.parametrize("then", ["read", "write", "write_base", "plain_base"])
def test_views_keep_their_elements_when_the_base_changes_shape_in_place(relayout, view, then):
    """torch's views are geometry over the storage: after ``b.t_()`` the view ``b[0]`` is
    still the old first row (its node an ``AsStridedBackward0`` over ``b``'s new history).
    The engine replayed the view's op on the new shape: ``b[0]`` of the transposed base, a
    wrong gradient without an error (or NumPy's IndexError on an empty base, seed 2106)."""
    def program(T):
        x = T.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0], [0.5, 7.0, 8.0]], requires_grad=True)
        w = T.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0], [2.0, -3.0, 1.5]], requires_grad=True)
        b = T.zeros(3, 3) if then == "plain_base" else x * 1
        v = _VIEWS[view](b)
        _RELAYOUTS[relayout](b)
        if then == "read":
            loss = (v * 3).sum() + (b * b).sum()
        elif then == "write_base":
            b.mul_(2)
            loss = (v * v).sum() + b.sum()
        else:
            v.mul_(w.reshape(-1)[:v.numel()].reshape(v.shape))
            loss = (v * v).sum() + (b * b.detach()).sum()
        gx, gw = T.autograd.grad(loss, [x, w], allow_unused=True)
        return [v, b, gx, gw, v._version]

    assert _same(program)


def test_views_of_an_empty_base_after_t_():
    def program(T):
        x2 = T.zeros([2, 0], dtype=T.float64, requires_grad=True)
        v3 = x2 * 2
        v4 = v3.select(0, -2)
        v3.t_()
        v9 = T.maximum(v4, T.tensor(0.88, dtype=T.float64))
        v4.copy_(v9)
        return [v4, v3]

    assert _same(program)


# ------------------------------ what remainder/fmod/zeta save (chain seed 2106, "spurious")
@pytest.mark.parametrize("op", ["remainder", "fmod", "special.zeta"])
@pytest.mark.parametrize("modified", ["input", "other"])
@pytest.mark.parametrize("grad", ["input", "both", "other"])
def test_operands_saved_only_for_others_gradient(op, modified, grad):
    """``remainder``/``fmod`` of two tensors: ``self`` and ``other`` appear only in
    ``other``'s formula, so torch's generated code saves them only when ``other`` requires
    grad; the engine saved both always and refused, after either was written in place, a
    backward torch runs (``v3.remainder_(v6)`` with ``v6`` coming to require grad later)."""
    def program(T):
        a = T.tensor([2.5, -3.0, 4.0], dtype=T.float64, requires_grad=grad in ("input", "both"))
        b = T.tensor([1.5, 2.0, -1.25], dtype=T.float64, requires_grad=grad in ("other", "both"))
        x, y = a * 1, b * 1
        fn = getattr(T, op) if op != "special.zeta" else T.special.zeta if T is torch else \
            OPS["special.zeta"].fn
        if op == "special.zeta":
            x, y = x.abs() + 1, y.abs()
        r = fn(x, y)
        (x if modified == "input" else y).mul_(2)
        r.sum().backward()
        return [r, a.grad, b.grad]

    assert _same(program)


# ------------------------------------------- masked_scatter's order of checks (chain 2104/5)
@pytest.mark.parametrize("form", ["inplace", "method", "function"])
@pytest.mark.parametrize("mask_dtype", ["float32", "uint8", "bool", "int8", "int64"])
@pytest.mark.parametrize("source_dtype", ["float64", "float32"])
def test_masked_scatter_checks_the_source_then_the_mask(form, mask_dtype, source_dtype):
    """torch checks ``source``'s dtype against ``self`` first, then (in place) expands the
    mask to ``self``'s shape (``expand(torch.ByteTensor{[1, 3]}, ...)``, any mask dtype),
    then refuses a non-bool mask naming its scalar type (``Float``, not ``float32``)."""
    for shape in ((3,), (1, 3), (2, 3), (2,)):
        def program(T, shape=shape):
            x = T.zeros(3, dtype=T.float64)
            m = T.tensor([1, 0, 1, 1, 0, 1][:int(np.prod(shape))],
                         dtype=getattr(T, mask_dtype)).reshape(shape)
            s = T.arange(6, dtype=getattr(T, source_dtype)) + 1
            if form == "inplace":
                return x.masked_scatter_(m, s)
            return x.masked_scatter(m, s) if form == "method" else T.masked_scatter(x, m, s)

        assert _same(program), shape


# ------------------------------------------------ index_copy's meta checks (chain seed 2105)
@pytest.mark.parametrize("self_shape", [(3, 2), (3,), (), (2, 3, 4)])
@pytest.mark.parametrize("source_shape", [(), (1,), (1, 2), (3, 2), (2,), (1, 1), (2, 3, 5),
                                          (1, 2, 4)])
def test_index_copy_checks_as_torchs_meta_function(self_shape, source_shape):
    """torch's checks, in order: the index's dims, a 0-d source needs one index ("When
    source is scalar ..."), non-scalar dimensionalities match, the index and source dtypes,
    then the sizes off ``dim`` agree ("Source/destination tensor must have same slice
    shapes"), then the count of indices. The engine lacked the scalar, dimensionality and
    slice-shape checks: ``zeros(3, 2).index_copy_(0, tensor([1]), tensor(1.))`` computed
    where torch raises."""
    for idx in ([0, 1, 2], [], [1], [[1]], 1):
        for dim in (0, -1, 1, 2):
            for form in ("_", "m", "f"):
                for idt, sdt in (("int64", "float32"), ("int32", "float32"),
                                 ("int64", "float64")):
                    def program(T, idx=idx, dim=dim, form=form, idt=idt, sdt=sdt):
                        x = T.zeros(self_shape)
                        s = T.ones(source_shape, dtype=getattr(T, sdt))
                        i = T.tensor(idx, dtype=getattr(T, idt))
                        if form == "_":
                            return x.index_copy_(dim, i, s)
                        return x.index_copy(dim, i, s) if form == "m" else \
                            T.index_copy(x, dim, i, s)

                    assert _same(program), (idx, dim, form, idt, sdt)


# ------------------------------------ the node named in a version error (chain seed 2105)
@pytest.mark.parametrize("shape", [[0], [2], [2, 2]])
def test_version_error_names_copy_backwards_whole(shape):
    """torch's text names the producer of a modified saved tensor without the
    ``Backward<n>`` suffix of a generated node (``Mul``), but ``torch::autograd::
    CopyBackwards`` (no number) whole; the engine cut it to ``torch::autograd::Copys``."""
    def program(T):
        x = T.zeros(shape, requires_grad=True)
        y = x.exp()
        z = T.minimum(y, T.zeros(shape))
        y.copy_(z)
        y.sum().backward()

    assert _same(program)
