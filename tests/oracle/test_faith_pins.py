"""Pinned cases of the faithfulness list (issue 10, session 7: error texts and check orders,
in-place writes into integer tensors, ties and zero signs, grad_fn names), engine and torch
2.13 side by side. Each case is a small program run on both; what is compared: the result's
dtype, shape, requires_grad, grad_fn name and values (signs of zeros, NaN placement; others
to 7 significant digits), or the error's builtin class and text. Each case failed on the
engine before its fix."""


import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from engine._cpu import flags as cpu_flags  # noqa: E402

from .backends import observed, pinned_obs  # noqa: E402

_NAN, _INF = float("nan"), float("inf")


def _same(program):
    assert observed(program, engine, pinned_obs) == observed(program, torch, pinned_obs)


def _set(T, x, key, value):
    x[key] = value
    return x


def _f(T, v, dtype="float32", rg=False):
    return T.tensor(v, dtype=getattr(T, dtype), requires_grad=rg)


# torch sends a contiguous float16 gelu to oneDNN only on CPUs with AVX512-FP16 (float32 on
# AVX-512 ones), elsewhere to ATen; the engine models this lander's CPU (oneDNN, docs/oracle.md
# "Session 13 (faith)"): those pins hold where torch takes that path and are skipped elsewhere
_FLAGS = cpu_flags()
ONEDNN_HALF_GELU = pytest.mark.skipif(
    "avx512_fp16" not in _FLAGS, reason="torch's float16 gelu goes to oneDNN only on CPUs "
    "with AVX512-FP16 (the engine models that path); this CPU lacks it")


# ----------------------------------------------------------------- 1. texts and check orders
ERRORS = {
    # ``~`` checks the dtype in torch's Python binding: a TypeError, not the kernel's text
    "~float": lambda T: ~_f(T, [1.0, 2.0]),
    "~half 0-d": lambda T: ~_f(T, 1.5, "float16"),
    "~float requires grad": lambda T: ~_f(T, [1.0], rg=True),
    "~float empty": lambda T: ~T.zeros(0),
    "~int": lambda T: ~_f(T, [1, -2], "int64"),
    "bitwise_not float (the kernel's text)": lambda T: _f(T, [1.0]).bitwise_not(),
    # t[key] = value: the value is read (and refused) before the key
    "setitem str before the key": lambda T: _set(T, T.zeros(3), 5, "a"),
    "setitem list": lambda T: _set(T, T.zeros(3, 4), 0, [1.0, 2.0, 3.0, 4.0]),
    "setitem list into int": lambda T: _set(T, T.zeros(3, dtype=T.int64), 0, [1]),
    "setitem list with mask": lambda T: _set(T, T.zeros(3), T.tensor([True, False, True]),
                                             [1.0, 2.0]),
    "setitem None": lambda T: _set(T, T.zeros(3), 0, None),
    "setitem tuple into bool": lambda T: _set(T, T.zeros(3, dtype=T.bool), 0, (1,)),
    "setitem list into a leaf": lambda T: _set(T, T.zeros(3, requires_grad=True), 0, [1.0]),
    "setitem numpy float32": lambda T: _set(T, T.zeros(2), 0, np.float32(1)),
    "setitem numpy array": lambda T: _set(T, T.zeros(2), 0, np.ones(1)),
    "setitem numpy float64 and int64": lambda T: _set(
        T, _set(T, T.zeros(2), 0, np.float64(2.5)), 1, np.int64(3)),
    "setitem int past 64 bits": lambda T: _set(T, T.zeros(3), 0, 2 ** 70),
    "setitem int past 64 bits, out of range key": lambda T: _set(T, T.zeros(2), 5, 2 ** 70),
    "setitem 2**63 into int64": lambda T: _set(T, T.zeros(3, dtype=T.int64), 0, 2 ** 63),
    "setitem -2**63-1 with a mask": lambda T: _set(
        T, T.zeros(2, dtype=T.bool), T.tensor([True, False]), -2 ** 63 - 1),
    "setitem 1e300 into float32": lambda T: _set(T, T.zeros(3), 0, 1e300),
    "setitem 1e300 before the key": lambda T: _set(T, T.zeros(2), 5, 1e300),
    "setitem 1e300 into a leaf": lambda T: _set(T, T.zeros(2, requires_grad=True), 0, 1e300),
    "setitem 1e300 empty mask": lambda T: _set(T, T.zeros(2), T.tensor([False, False]), 1e300),
    "setitem 1e300 into float16 (read as double)": lambda T: _set(
        T, T.zeros(2, dtype=T.float16), 0, 1e300),
    "setitem 70000 into float16": lambda T: _set(T, T.zeros(2, dtype=T.float16), 0, 70000.0),
    "setitem nan into int32": lambda T: _set(T, T.zeros(3, dtype=T.int32), 0, _NAN),
    "setitem inf into int64 by index": lambda T: _set(
        T, T.zeros(3, dtype=T.int64), T.tensor([0]), _INF),
    "setitem 3e9 into int32": lambda T: _set(T, T.zeros(3, dtype=T.int32), slice(None), 3e9),
    "setitem complex": lambda T: _set(T, T.zeros(3), T.tensor([0]), 1j),
    "setitem complex into half": lambda T: _set(T, T.zeros(3, dtype=T.float16), 0, 2j),
    "setitem real complex": lambda T: _set(T, T.zeros(3, dtype=T.int64), 0, 3 + 0j),
    "setitem complex into bool": lambda T: _set(T, T.zeros(3, dtype=T.bool), 0, 1j),
    # (these agreed before: the checks after the value's)
    "setitem shape mismatch": lambda T: _set(T, T.zeros(3, 4), slice(None), T.ones(2, 4)),
    "setitem mask length": lambda T: _set(T, T.zeros(3, 4), T.tensor([True, False]), 1.0),
    "setitem index out of range": lambda T: _set(T, T.zeros(3, 4), (slice(None), T.tensor([9])),
                                                 1.0),
    "setitem dtype by index": lambda T: _set(T, T.zeros(3, 4), T.tensor([0]),
                                             T.ones(1, 4, dtype=T.float64)),
    # hypot_ on integers: the kernel's text (torch checks the dtype before the cast)
    "hypot_ int": lambda T: _f(T, [3, 4], "int64").hypot_(_f(T, [4, 3], "int64")),
    "hypot_ int, float other": lambda T: _f(T, [3, 4], "int64").hypot_(_f(T, [4.0, 3.0])),
    "hypot_ bool": lambda T: _f(T, [True], "bool").hypot_(_f(T, [True], "bool")),
    # cat: legacy empty tensors (shape (0,)) are skipped, and with nothing else dim is not read
    "cat legacy only, dim past the rank": lambda T: T.cat(
        [T.tensor([]), T.tensor([], dtype=T.int64)], dim=5),
    "cat legacy only, negative dim, requires grad": lambda T: T.cat(
        [T.tensor([], requires_grad=True), T.tensor([])], dim=-5),
    "cat legacy only, dtypes promote": lambda T: T.cat(
        [T.tensor([], dtype=T.int32), T.tensor([], dtype=T.bool)], dim=-7),
    "concat and concatenate legacy": lambda T: [
        T.concat([T.tensor([]), T.tensor([], dtype=T.int64)], dim=3),
        T.concatenate([T.tensor([]), T.tensor([])], axis=3)],
    "cat legacy beside 2-d, dim out of range": lambda T: T.cat(
        [T.tensor([]), _f(T, [[1, 2]], "int64")], dim=2),
    "cat legacy beside 2-d promotes": lambda T: T.cat(
        [T.tensor([], dtype=T.float64), _f(T, [[1.0]], rg=True)]),
    "cat legacy beside (0, 3)": lambda T: T.cat([T.tensor([]), T.zeros(0, 3)], dim=1),
    "cat legacy gradients": lambda T: (lambda a, b: (
        T.cat([a, b, T.tensor([])], dim=1).sum().backward(), a.grad, b.grad)[1:])(
        T.tensor([], dtype=T.float64, requires_grad=True), T.ones(2, 2, requires_grad=True)),
    "cat a number in the list": lambda T: T.cat([T.tensor([]), 1.0]),
    "cat a generator": lambda T: T.cat(x for x in [T.ones(2)]),
    "cat an int": lambda T: T.cat(3),
    "stack a generator": lambda T: T.stack(x for x in [T.ones(2)]),
    "stack: dim before sizes": lambda T: T.stack((T.zeros(0), T.zeros(0, 3)), 3),
    "stack: sizes": lambda T: T.stack((T.zeros(0), T.zeros(0, 3)), 1),
    "cat dim str": lambda T: T.cat([T.tensor([])], dim="a"),
    "cat dim bool": lambda T: T.cat([T.ones(2)], dim=True),
    "cat dim float": lambda T: T.cat([T.ones(2)], dim=1.0),
    "cat dim None": lambda T: T.cat([T.ones(2)], dim=None),
    "cat dim 0-d tensor": lambda T: T.cat([T.ones(2)], dim=T.tensor(0)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_texts_and_check_orders_as_torch(name):
    _same(ERRORS[name])


# ----------------------------------------------------------------- 10. torch.autograd's names
def test_autograd_namespace_has_only_torchs_names():
    """A program sees ``engine.autograd.__all__`` as ``torch.autograd``: a name torch 2.13
    lacks there (``is_grad_enabled`` lives on ``torch``) must raise its AttributeError."""
    assert [n for n in engine.autograd.__all__ if not hasattr(torch.autograd, n)] == []
    with pytest.raises(AttributeError):
        torch.autograd.is_grad_enabled  # noqa: B018 - torch 2.13 has no such name


def test_programs_see_torchs_autograd_namespace():
    from app.lang import Environment, Limits, ProgramError, compile_source, run_program

    def run(src):
        return run_program(compile_source(src), Environment(), Limits(), source=src).result

    src = ("try:\n    torch.autograd.is_grad_enabled()\n    r = 'answered'\n"
           "except AttributeError:\n    r = 'AttributeError'\nr")
    assert run(src) == "AttributeError"
    assert run("torch.is_grad_enabled()") is True
    assert run("torch.is_anomaly_enabled()") is False
    assert run("hasattr(torch.autograd, 'is_anomaly_enabled')") is False
    with pytest.raises(ProgramError):
        run("torch.autograd.FunctionCtx")
    assert run("torch.autograd.function.once_differentiable") is \
        engine.autograd.once_differentiable


# ----------------------------------------------------------------- 2. integer targets, values
# that require grad: torch records in-place writes into integer and bool tensors (rebasing
# their history without a dtype check), refuses an out-of-place integer result that needs a
# gradient ("Autograd not support dtype"), and fails any gradient that reaches such a tensor
# with its engine's internal assert
def _rg(T, v=0.7):
    return T.tensor(v, requires_grad=True)


def _mask(T):
    return T.tensor([[True, False, True], [False, False, True]])


def _written(T, dt, write):
    x = T.tensor([[1, 0, 2], [3, 4, 5]], dtype=getattr(T, dt))
    v = _rg(T)
    write(T, x, v)
    return x, v


def _then(T, dt, write, after):
    x, v = _written(T, dt, write)
    out = [x]
    try:
        out.append(after(T, x, v))
    except RuntimeError as e:
        out.append(("raised", str(e)))
    return out


def _backward(T, y, v):
    y.sum().backward()
    return v.grad


WRITES = {
    "masked_fill_": lambda T, x, v: x.masked_fill_(_mask(T), v),
    "fill_": lambda T, x, v: x.fill_(v),
    "setitem int key": lambda T, x, v: x.__setitem__(0, v),
    "setitem ...": lambda T, x, v: x.__setitem__(Ellipsis, v.clone()),
    "setitem mask": lambda T, x, v: x.__setitem__(_mask(T), v),
    "setitem row (copy: no record)": lambda T, x, v: x.__setitem__(
        slice(0, 1), T.full((3,), 0.7, requires_grad=True)),
}
AFTER = {
    "": lambda T, x, v: None,
    "sum": lambda T, x, v: x.sum(),
    "* 2": lambda T, x, v: x * 2,
    "* 2.5": lambda T, x, v: x * 2.5,
    "clone": lambda T, x, v: x.clone(),
    "view": lambda T, x, v: x.view(6),
    "add_(1)": lambda T, x, v: x.add_(1),
    "float() backward": lambda T, x, v: _backward(T, x.float(), v),
    "* 2.5 backward": lambda T, x, v: _backward(T, x * 2.5, v),
    "+ float backward": lambda T, x, v: _backward(T, x + T.ones(3, requires_grad=True), v),
    "backward(int)": lambda T, x, v: x.backward(T.ones_like(x)),
}
INTEGER_TARGETS = {
    f"{dt} {w} then {a}": (lambda T, dt=dt, w=w, a=a: _then(T, dt, WRITES[w], AFTER[a]))
    for dt in ("int64", "bool") for w in WRITES for a in AFTER
    if not (dt == "bool" and a in ("* 2", "add_(1)"))}
INTEGER_TARGETS.update({
    "masked_fill int": lambda T: T.tensor([1, 0]).masked_fill(T.tensor([True, False]), _rg(T)),
    "masked_fill bool, non-leaf value": lambda T: T.tensor([True, False]).masked_fill(
        T.tensor([True, False]), _rg(T) * 2),
    "masked_fill int32, float64 value": lambda T: T.tensor([1, 0], dtype=T.int32).masked_fill(
        T.tensor([True, False]), T.tensor(0.5, dtype=T.float64, requires_grad=True)),
    "masked_fill int under no_grad": lambda T: (
        lambda g: [T.set_grad_enabled(False), T.tensor([1, 0]).masked_fill(
            T.tensor([True, False]), _rg(T)), T.set_grad_enabled(g)][1])(T.is_grad_enabled()),
    "masked_fill_ int, an inf value tensor": lambda T: T.tensor([1, 0]).masked_fill_(
        T.tensor([True, False]), T.tensor(_INF)),
    "masked_fill half, 1e6 value tensor": lambda T: T.zeros(2, dtype=T.float16).masked_fill(
        T.tensor([True, False]), T.tensor(1e6, dtype=T.float64)),
    "a view of a bool tensor written through another view": lambda T: (
        lambda x1: (lambda v2: [v2.view(()).ge_(_rg(T, 1.5)), v2, x1][1:])(x1.permute((0,))))(
        T.tensor([True])),
})


@pytest.mark.parametrize("name", list(INTEGER_TARGETS))
def test_integer_targets_of_values_that_require_grad_as_torch(name):
    _same(INTEGER_TARGETS[name])


# ----------------------------------------------------------------- 5. median ties at +0/-0
# torch's median()/nanmedian() of all elements is libstdc++'s nth_element (NaN last for
# nanmedian) on a copy: which zero it leaves at the median follows that algorithm's moves
_ZEROS = ([-0.0, -0.0, 0.0, 0.0], [0.0, 0.0, -0.0, -0.0], [_NAN, 0.0, -0.0],
          [-0.0, _NAN, 0.0, -0.0], [1.0, -0.0, 0.0, 2.0], [0.0, -0.0, 0.0, -0.0, 1.0, -1.0],
          [-0.0, 0.0] * 9 + [2.0, _NAN, -1.0], [0.0, -0.0, -0.0, 0.0, _NAN, 0.0, 1.0] * 5)
MEDIANS = {
    f"{fn} {dt} {i}": (lambda T, fn=fn, dt=dt, v=v: [
        getattr(T, fn)(T.tensor(v, dtype=getattr(T, dt))),
        getattr(T, fn)(T.tensor(v, dtype=getattr(T, dt)), 0)])
    for fn in ("median", "nanmedian") for dt in ("float32", "float64")
    for i, v in enumerate(_ZEROS)}


@pytest.mark.parametrize("name", list(MEDIANS))
def test_median_zero_ties_as_torch(name):
    _same(MEDIANS[name])


def test_median_zero_ties_on_random_inputs():
    rng = np.random.default_rng(0)
    for _ in range(300):
        vals = rng.choice([0.0, -0.0, 1.0, -1.0, _NAN], size=int(rng.integers(1, 60)),
                          p=[0.35, 0.35, 0.1, 0.1, 0.1]).tolist()
        for fn in ("median", "nanmedian"):
            _same(lambda T, fn=fn, vals=vals: getattr(T, fn)(T.tensor(vals, dtype=T.float64)))


# ----------------------------------------------------------------- 8. nodes of the losses
def _chain(t, depth=6):
    """The grad_fn names along the first input of each node (what next_functions shows)."""
    out, fn = [], t.grad_fn
    while fn is not None and len(out) < depth:
        out.append(fn.name().replace("torch::autograd::", ""))
        nxt = [f for f, _ in fn.next_functions if f is not None and
               "AccumulateGrad" not in f.name()]
        fn = nxt[0] if nxt else None
    return out


def _logits(T):
    return T.tensor([[0.5, -1.0, 2.0, 0.0]] * 3, requires_grad=True) * 0.5


CHAINS = {
    "cross_entropy label_smoothing (mul by a double: MulBackward1)": lambda T: _chain(
        T.nn.functional.cross_entropy(_logits(T), T.tensor([0, 1, 2]), label_smoothing=0.1)),
    "cross_entropy label_smoothing, sum": lambda T: _chain(T.nn.functional.cross_entropy(
        _logits(T), T.tensor([0, 1, 2]), reduction="sum", label_smoothing=0.3)),
    "cross_entropy label_smoothing, weight, none": lambda T: _chain(
        T.nn.functional.cross_entropy(_logits(T), T.tensor([0, 1, 2]), weight=T.ones(4),
                                      reduction="none", label_smoothing=0.3)),
    "rms_norm": lambda T: _chain(T.nn.functional.rms_norm(_logits(T), (4,))),
    "margin_ranking_loss (add of a double: AddBackward1)": lambda T: _chain(
        T.nn.functional.margin_ranking_loss(_logits(T)[0], T.ones(4), T.ones(4), margin=0.5)),
}


def _graph(t, depth=12):
    """Every node under ``t.grad_fn`` along every edge (next_functions, empty edges as None)."""
    def walk(fn, d):
        if fn is None:
            return "None"
        n = fn.name().replace("torch::autograd::", "")
        if n == "AccumulateGrad" or d == depth:
            return n
        return n + "(" + ", ".join(walk(f, d + 1) for f, _ in fn.next_functions) + ")"
    return walk(t.grad_fn, 0)


def _ce_graphs(T, fn, shape, transposed=False):
    """nll_loss/cross_entropy on an input of ``shape`` (transposed: a non-contiguous one), each
    reduction, and the graph ``create_graph`` records for the gradient."""
    F = T.nn.functional
    n = int(np.prod(shape))
    x = (T.arange(n) % 7 * 0.25 - 0.5).reshape(shape[::-1] if transposed else shape)
    x.requires_grad_()
    xx = x.permute(*range(len(shape) - 1, -1, -1)) if transposed else x
    c = shape[1] if len(shape) > 1 else shape[0]
    tshape = (shape[0],) + tuple(shape[2:]) if len(shape) > 1 else ()
    t = (T.arange(int(np.prod(tshape))) % c).reshape(tshape)
    out = []
    for red in ("mean", "sum", "none"):
        inp = xx if fn == "cross_entropy" else F.log_softmax(xx, 1 if len(shape) > 1 else 0)
        y = getattr(F, fn)(inp, t, reduction=red)
        g, = T.autograd.grad(y.sum(), x, create_graph=True)
        out += [_graph(y), _graph(g), y.shape]
    return out


CE_GRAPHS = {f"{fn} {shape}{' transposed' if tr else ''}": (
    lambda T, fn=fn, shape=shape, tr=tr: _ce_graphs(T, fn, shape, tr))
    for fn in ("cross_entropy", "nll_loss")
    for shape in ((5,), (3, 5), (3, 5, 2), (2, 5, 2, 2), (2, 5, 1, 2, 2), (0, 5, 2), (2, 5, 0))
    for tr in ((False, True) if len(shape) > 2 else (False,))}


def _three(T, shape=(3, 4)):
    g = T.Generator().manual_seed(0)
    return [T.randn(*shape, generator=g, requires_grad=True) for _ in range(3)]


GRAPHS = {
    "triplet_margin_loss": lambda T: _graph(T.nn.functional.triplet_margin_loss(*_three(T))),
    "triplet_margin_loss swap, p=1, none": lambda T: _graph(T.nn.functional.triplet_margin_loss(
        *_three(T), p=1, swap=True, reduction="none")),
    "triplet_margin_loss 1-d, sum": lambda T: _graph(T.nn.functional.triplet_margin_loss(
        *_three(T, (4,)), margin=0.5, reduction="sum")),
    "pairwise_distance": lambda T: _graph(T.nn.functional.pairwise_distance(*_three(T)[:2])),
    "cosine_embedding_loss": lambda T: _graph(T.nn.functional.cosine_embedding_loss(
        *_three(T)[:2], T.tensor([1, -1, 1]))),
    "cosine_embedding_loss margin, none": lambda T: _graph(T.nn.functional.cosine_embedding_loss(
        *_three(T)[:2], T.tensor([1, -1, -1]), margin=0.2, reduction="none")),
    "cosine_embedding_loss 1-d, sum": lambda T: _graph(T.nn.functional.cosine_embedding_loss(
        *_three(T, (4,))[:2], T.tensor(-1), margin=-0.5, reduction="sum")),
    "margin_ranking_loss": lambda T: _graph(T.nn.functional.margin_ranking_loss(
        *_three(T, (4,))[:2], T.tensor([1.0, -1.0, 1.0, 1.0]), margin=0.1)),
    "cross_entropy label_smoothing": lambda T: _graph(T.nn.functional.cross_entropy(
        _three(T)[0], T.tensor([0, 3, 1]), label_smoothing=0.2)),
    "cross_entropy probabilities, empty, each reduction": lambda T: [
        (lambda y: [y, _graph(y)])(T.nn.functional.cross_entropy(
            T.ones(0, 5, 2, requires_grad=True), T.ones(0, 5, 2), reduction=r))
        for r in ("mean", "sum", "none")],
    "softmax/log_softmax of a transposed input are contiguous": lambda T: [
        f(T.ones(2, 3, 4).permute(2, 0, 1), d).stride()
        for f in (T.softmax, T.log_softmax) for d in (0, 1, 2)],
}
GRAPHS.update(CE_GRAPHS)


@pytest.mark.parametrize("name", list(CHAINS))
def test_loss_node_chains_as_torch(name):
    _same(CHAINS[name])


@pytest.mark.parametrize("name", list(GRAPHS))
def test_loss_graphs_as_torch(name):
    """Every node and edge, as next_functions shows them (session 8: plain cross_entropy is
    NllLossBackward0 -> LogSoftmaxBackward0, nll_loss of 3-d or 5-d inputs views them for
    nll_loss2d; the losses' C++ Scalar overloads have one edge)."""
    _same(GRAPHS[name])


# ----------------------------------------------------------------- 7. fold/unfold on bool
def _bools(shape, seed):
    return (np.random.default_rng(seed).random(shape) > 0.6).tolist()


FOLDS = {
    "unfold bool": lambda T: T.nn.functional.unfold(T.tensor(_bools((1, 2, 5, 4), 0)), 2,
                                                     dilation=2, padding=1, stride=1),
    "unfold bool unbatched": lambda T: T.nn.functional.unfold(T.tensor(_bools((2, 3, 3), 1)),
                                                               2, padding=1),
    "fold bool (overlaps or)": lambda T: T.nn.functional.fold(T.tensor(_bools((1, 8, 9), 2)),
                                                               (4, 4), 2),
    "fold bool padded, unbatched": lambda T: T.nn.functional.fold(
        T.tensor(_bools((8, 4), 3)), (3, 3), 2, padding=1),
    "unfold int64 (refused)": lambda T: T.nn.functional.unfold(T.ones(1, 1, 3, 3,
                                                                      dtype=T.int64), 2),
    "fold int32 (refused)": lambda T: T.nn.functional.fold(T.ones(1, 4, 4, dtype=T.int32),
                                                            (3, 3), 2),
}


@pytest.mark.parametrize("name", list(FOLDS))
def test_fold_and_unfold_of_bool_as_torch(name):
    _same(FOLDS[name])


# ----------------------------------------------------------------- 1. tensordot's chain,
# LAPACK's layouts (session 8)
def _ones(T, shape, kind=""):
    """Ones of ``shape`` requiring grad: plain (through a mul), transposed or strided."""
    if kind == "T":
        return T.ones(shape[::-1], requires_grad=True).permute(*range(len(shape) - 1, -1, -1))
    if kind == "step":
        return T.ones([2 * s for s in shape], requires_grad=True)[
            tuple(slice(None, None, 2) for _ in shape)]
    return T.ones(shape, requires_grad=True) * 1


def _td(T, sa, sb, dims, ka="", kb="", dtype=None):
    a, b = _ones(T, sa, ka), _ones(T, sb, kb)
    if dtype is not None:
        a, b = a.detach().to(getattr(T, dtype)), b.detach().to(getattr(T, dtype))
    y = T.tensordot(a, b, dims=dims)
    return [y, _graph(y), y.stride()]


TENSORDOT = {
    "1-d . 1-d (DotBackward0)": lambda T: _td(T, (4,), (4,), 1),
    "1-d . 1-d, dims lists": lambda T: _td(T, (4,), (4,), ([0], [0])),
    "empty 1-d": lambda T: _td(T, (0,), (0,), 1),
    "all dims of 2-d (flattened: a view each)": lambda T: _td(T, (3, 4), (3, 4), 2),
    "size-1 free dims": lambda T: _td(T, (1, 4), (4, 1), 1),
    "transposed contraction (squeezed product summed)": lambda T: _td(
        T, (3, 4), (4, 3), ([0, 1], [1, 0])),
    "a strided 1-d operand": lambda T: _td(T, (4,), (4,), 1, "", "step"),
    "a transposed operand": lambda T: _td(T, (3, 4), (3, 4), 2, "T"),
    "int32 product summed in int32": lambda T: _td(T, (3, 4), (4, 3), ([0, 1], [1, 0]),
                                                   dtype="int32"),
    "size-1 contracted dims on both sides: a's summed": lambda T: _td(T, (3, 1), (1,), 1),
    "matrix (mm)": lambda T: _td(T, (3, 4), (4, 2), 1),
}


@pytest.mark.parametrize("name", list(TENSORDOT))
def test_tensordot_as_torch(name):
    _same(TENSORDOT[name])


def _spd(T, *shape):
    return T.eye(shape[-1], dtype=T.float64) * 3 + T.ones(*shape, dtype=T.float64) * 0.1


def _rand(T, *shape):
    return T.randn(*shape, dtype=T.float64, generator=T.Generator().manual_seed(0))


def _layout(r):
    return [tuple(r.shape), r.stride(), r.is_contiguous()]


LAYOUTS = {
    "inv batched @ matrix (ReshapeAliasBackward0 under bmm)": lambda T: _graph(
        T.linalg.inv(_spd(T, 2, 3, 3).requires_grad_()) @ T.ones(3, 2, dtype=T.float64)),
    "inverse batched @ vector": lambda T: _graph(
        T.inverse(_spd(T, 2, 3, 3).requires_grad_()) @ T.ones(3, dtype=T.float64)),
    "matrix_power -2 batched": lambda T: _graph(
        T.linalg.matrix_power(_spd(T, 2, 3, 3).requires_grad_(), -2)),
    "inv then view(-1) (refused as torch)": lambda T: T.linalg.inv(_spd(T, 3, 3)).view(-1),
    "inv then reshape(-1)": lambda T: _graph(
        T.linalg.inv(_spd(T, 2, 3, 3).requires_grad_()).reshape(-1)),
    "inv, inverse, cholesky, eigh strides": lambda T: [_layout(f(_spd(T, *s))) for f in (
        T.linalg.inv, T.inverse, T.linalg.cholesky, lambda a: T.linalg.cholesky(a, upper=True),
        lambda a: T.linalg.eigh(a).eigenvectors, lambda a: T.linalg.matrix_power(a, -1),
        lambda a: T.cholesky_inverse(T.linalg.cholesky(a)))
        for s in ((3, 3), (2, 3, 3), (4, 2, 3, 3))],
    "solve strides (vectors: the batch's last dim as columns)": lambda T: [
        _layout(T.linalg.solve(_spd(T, *sa), _rand(T, *sb), left=left)) for sa, sb, left in (
            ((3, 3), (3,), True), ((2, 3, 3), (3,), True), ((2, 3, 3), (2, 3), True),
            ((4, 2, 3, 3), (4, 2, 3), True), ((2, 3, 3), (3, 2), True),
            ((3, 3), (2, 3, 2), True), ((2, 3, 3), (2, 4, 3), False), ((3, 3), (4, 3), False))],
    "solve: a vector B with left=False fails as torch (XA = B, 3x1)": lambda T: T.linalg.solve(
        _spd(T, 2, 3, 3), _rand(T, 2, 3), left=False),
    "solve_triangular, cholesky_solve strides": lambda T: [
        _layout(f(_spd(T, *sa), _rand(T, *sb))) for sa, sb in (
            ((2, 3, 3), (3, 2)), ((3, 3), (2, 3, 2)), ((2, 3, 3), (2, 3, 4)))
        for f in (lambda a, b: T.linalg.solve_triangular(a, b, upper=True),
                  lambda a, b: T.linalg.solve_triangular(a, b.mT, upper=False, left=False),
                  lambda a, b: T.cholesky_solve(b, a))],
    "qr, svd strides": lambda T: [
        _layout(x) for s in ((4, 3), (3, 4), (2, 4, 3), (2, 3, 4))
        for x in (*T.linalg.qr(_rand(T, *s)), *T.linalg.qr(_rand(T, *s), mode="complete"),
                  T.linalg.qr(_rand(T, *s), mode="r").R, *T.linalg.svd(_rand(T, *s)),
                  *T.linalg.svd(_rand(T, *s), full_matrices=False))],
    "lstsq solution strides (rows of a max(m, n) buffer)": lambda T: [
        _layout(T.linalg.lstsq(_rand(T, *s), _rand(T, *(s[:-1] + (2,)))).solution)
        for s in ((4, 3), (3, 4), (2, 4, 3), (2, 3, 4), (3, 3))],
    "lstsq: B of more dims than A": lambda T: T.linalg.lstsq(_spd(T, 3, 3), _rand(T, 2, 3, 2)),
    "lstsq: int B of more dims (the dims first)": lambda T: T.linalg.lstsq(
        T.ones(3, 3, dtype=T.int64), T.ones(2, 3, 2, dtype=T.int64)),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_linalg_layouts_as_torch(name):
    """torch's LAPACK results are column-major matrices: what a following view, reshape or
    matmul records (and whether ``view`` works) follows from it."""
    _same(LAYOUTS[name])


# ----------------------------------------------------------------- 2. unique(dim) with NaN rows
# torch's CPU unique_dim std::sorts the row indices with "the first column where a value is
# below (above) the other's decides", where a NaN compares neither way, then merges equal
# neighbours (NaN never equal); above 16 rows the sort is not stable, so which of two rows
# equal but for zero signs is kept is libstdc++'s
_UROWS = ([[_NAN, 1.0], [0.0, 2.0], [_NAN, 0.0], [0.0, 1.0]],
          [[1.0, _NAN], [1.0, 0.0], [0.0, _NAN], [1.0, -1.0], [0.0, 0.0]],
          [[_NAN], [1.0], [_NAN], [0.0], [-1.0]],
          [[0.0, 1.0], [-0.0, 1.0]] * 9 + [[-0.0, -1.0], [2.0, 0.0]],
          [[-0.0], [0.0]] * 12 + [[_NAN], [1.0]])
UNIQUE_DIM = {
    f"rows {i} dim {d} {dt}": (lambda T, v=v, d=d, dt=dt: T.unique(
        (lambda x: x if d == 0 else x.T.contiguous())(T.tensor(v, dtype=getattr(T, dt))),
        dim=d, return_inverse=True, return_counts=True))
    for i, v in enumerate(_UROWS) for d in (0, 1) for dt in ("float32", "float64")}


@pytest.mark.parametrize("name", list(UNIQUE_DIM))
def test_unique_dim_order_as_torch(name):
    _same(UNIQUE_DIM[name])


def test_unique_dim_on_random_rows_with_nan_and_zeros():
    rng = np.random.default_rng(4)
    for _ in range(150):
        v = rng.choice([0.0, -0.0, 1.0, -1.0, _NAN], size=(int(rng.choice([3, 9, 17, 30])),
                                                          int(rng.integers(1, 4))),
                       p=[0.3, 0.3, 0.15, 0.15, 0.1]).tolist()
        _same(lambda T, v=v: T.unique(T.tensor(v), dim=0, return_inverse=True,
                                      return_counts=True))


# ----------------------------------------------------------------- 3. det's zero signs
# torch's CPU det: MKL's getrf of the transposed data, det(P) * prod(diag(U)) left to right
_SINGULAR = ([[1.0, 2.0], [2.0, 4.0]], [[0.0, 1.0], [0.0, 2.0]], [[-0.0, 1.0], [0.0, -2.0]],
             [[2.0, 1.0, -2.0, -2.0], [2.0, 0.0, 0.0, 0.0], [-1.0, 0.0, 0.0, -1.0],
              [0.0, 0.0, -0.0, -0.0]],
             [[2.0, 2.0, 0.0, 1.0], [1.0, 1.0, 0.0, 2.0], [2.0, -2.0, 0.0, 2.0],
              [-2.0, -1.0, 0.0, -1.0]],
             [[1.0, 0.0, -1.0], [-2.0, -2.0, 2.0], [-2.0, -2.0, 2.0]],
             [[1.0, 2.0, 3.0, 4.0, 5.0]] * 2 + [[0.0, 1.0, -1.0, 2.0, -2.0],
                                                [3.0, 1.0, 4.0, 1.0, 5.0],
                                                [-1.0, 0.0, 2.0, 0.0, 1.0]])
DETS = {f"det {i} {dt}": (lambda T, v=v, dt=dt: [
    T.linalg.det(T.tensor(v, dtype=getattr(T, dt))), T.det(T.tensor(v, dtype=getattr(T, dt))),
    T.linalg.det(T.tensor([v, v], dtype=getattr(T, dt)).mT),
    T.linalg.det(T.tensor([[c * 1.0 for c in r] * 2 for r in v], dtype=getattr(T, dt))[
        :, ::2])])
    for i, v in enumerate(_SINGULAR) for dt in ("float32", "float64")}


@pytest.mark.parametrize("name", list(DETS))
def test_det_zero_signs_as_torch(name):
    _same(DETS[name])


# ----------------------------------------------------------------- 5. Python ints as Scalars
# torch reads a Python int argument as an int64 Scalar, or a uint64 above int64's range;
# beyond both: Python's OverflowError texts, before any other check
_BIG = (2 ** 64, 2 ** 64 + 5, -2 ** 63 - 1, -2 ** 70, 10 ** 30, 2 ** 63, 2 ** 64 - 1, -2 ** 63)
SCALAR_INTS = {
    f"{name} {v}": (lambda T, f=f, v=v: f(T, v)) for v in _BIG for name, f in {
        "fill_": lambda T, v: T.zeros(2).fill_(v),
        "fill_ int64": lambda T, v: T.zeros(2, dtype=T.int64).fill_(v),
        "masked_fill": lambda T, v: T.zeros(2).masked_fill(T.tensor([True, False]), v),
        "masked_fill_ int32": lambda T, v: T.zeros(2, dtype=T.int32).masked_fill_(
            T.tensor([True, False]), v),
        "full": lambda T, v: T.full((2,), v),
        "full float32": lambda T, v: T.full((2,), v, dtype=T.float32),
        "new_full": lambda T, v: T.zeros(2).new_full((2,), v),
        "x + v": lambda T, v: T.zeros(2) + v,
        "x * v": lambda T, v: T.ones(2) * v,
        "v - x": lambda T, v: v - T.ones(2),
        "x ** v": lambda T, v: T.ones(2) ** v,
        "add alpha": lambda T, v: T.zeros(2).add(T.ones(2), alpha=v),
        "index_fill": lambda T, v: T.zeros(3).index_fill(0, T.tensor([1]), v),
    }.items()}


@pytest.mark.parametrize("name", list(SCALAR_INTS))
def test_python_ints_as_scalars_as_torch(name):
    _same(SCALAR_INTS[name])


# ----------------------------------------------------------------- 5. repeat, reshape of empty
def _repeat_grad(T, shape, reps):
    x = T.zeros(*shape, requires_grad=True)
    x.repeat(*reps).sum().backward()
    return x.grad


REPEATS = {
    "a negative count of a size-0 dim": lambda T: T.zeros(2, 0).repeat(1, -1),
    "a negative count of a size-0 dim, doubled": lambda T: T.zeros(2, 0).repeat(2, -3),
    "a negative count of a new dim": lambda T: T.zeros(2, 0).repeat(-1, 1, 1),
    "a negative count of a size-2 dim": lambda T: T.zeros(2, 0).repeat(-1, 1),
    "two negative targets: the first named": lambda T: T.zeros(2, 3).repeat(-2, -1),
    "empty 1-d, count -1": lambda T: T.zeros(0).repeat(-1),
    "its backward: torch's reshape of the counts fails": lambda T: _repeat_grad(T, (2, 0),
                                                                               (2, -1)),
    "reshape of 0 elements with -1 (ambiguous)": lambda T: T.zeros(0).reshape(2, 0, -1),
    "view of 0 elements with -1 (ambiguous)": lambda T: T.zeros(3, 0).view(-1, 0),
    "reshape of 0 elements with -1 (inferred 0)": lambda T: T.zeros(0).reshape(2, -1),
}


@pytest.mark.parametrize("name", list(REPEATS))
def test_repeat_and_empty_reshapes_as_torch(name):
    _same(REPEATS[name])


# ----------------------------------------------------------------- 5. scatter_add's src gradient
def _scatter_src_grad(T, fn, ishape):
    x, src = T.zeros(3, 4, requires_grad=True), T.ones(3, 4, requires_grad=True)
    getattr(T, fn)(x, 0, T.zeros(ishape, dtype=T.int64), src).sum().backward()
    return src.grad


SCATTER_GRADS = {f"{fn} index {s}": (lambda T, fn=fn, s=s: _scatter_src_grad(T, fn, s))
                 for fn in ("scatter_add", "scatter") for s in ((1, 4), (3, 4), (2, 3), (3, 1))}


@pytest.mark.parametrize("name", list(SCATTER_GRADS))
def test_scatter_src_gradient_shapes_as_torch(name):
    """torch's engine checks a gradient's shape: the input's shape must expand to it (then it
    is summed down), so an index-shaped [1, 4] gradient for a [3, 4] src is refused."""
    _same(SCATTER_GRADS[name])


# ----------------------------------------------------------------- 9. recurrent graphs
def _dag(t):
    """The whole graph under ``t.grad_fn``, each node once (numbered in first-visit order),
    with its edges: a shared node shows as its number, AccumulateGrad as 'A', no edge as '-'."""
    ids, rows = {}, []

    def visit(fn):
        if fn is None:
            return "-"
        if id(fn) in ids:
            return ids[id(fn)]
        name = fn.name().replace("torch::autograd::", "")
        if name == "AccumulateGrad":
            return "A"
        ids[id(fn)] = len(rows)
        row = [name]
        rows.append(row)
        row.append([visit(f) for f, _ in fn.next_functions])
        return ids[id(fn)]

    visit(t.grad_fn)
    return rows


def _rnn_graphs(T, cls, dtype="float32", seq=3, unbatched=False, h0=False, **kw):
    """Every output's whole graph (and shape, strides) of a recurrent layer over a small
    input (shapes as batch_first says; unbatched: 2-d); ``h0``: initial states that require
    grad."""
    g = T.Generator().manual_seed(0)
    dt = getattr(T, dtype)
    mod = getattr(T.nn, cls)(3, 4, dtype=dt, **kw)
    shape = (seq, 3) if unbatched else (2, seq, 3) if kw.get("batch_first") else (seq, 2, 3)
    x = T.randn(*shape, generator=g, dtype=dt, requires_grad=True)
    hx = None
    if h0:
        d = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        hshape = (d, 4) if unbatched else (d, 2, 4)
        hx = T.randn(*hshape, generator=g, dtype=dt, requires_grad=True)
        if cls == "LSTM":
            hx = (hx, T.randn(*hshape, generator=g, dtype=dt, requires_grad=True) * 2)
    out, h = mod(x, hx)
    outs = (out, *h) if cls == "LSTM" else (out, h)
    return [(_dag(t), tuple(t.shape), t.stride()) for t in outs]


def _cell_graphs(T, cls, dtype="float32", unbatched=False, hx=False, **kw):
    g = T.Generator().manual_seed(0)
    dt = getattr(T, dtype)
    mod = getattr(T.nn, cls)(3, 4, dtype=dt, **kw)
    x = T.randn(*((3,) if unbatched else (2, 3)), generator=g, dtype=dt, requires_grad=True)
    h = None
    if hx:
        h = T.randn(*((4,) if unbatched else (2, 4)), generator=g, dtype=dt, requires_grad=True)
        if cls == "LSTMCell":
            h = (h, T.randn(*h.shape, generator=g, dtype=dt) + 1)
    r = mod(x, h)
    return [(_dag(t), tuple(t.shape)) for t in (r if isinstance(r, tuple) else (r,))]


RNN_GRAPHS = {}
for _cls, _extra in (("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"}),
                     ("LSTM", {"dtype": "float64"}), ("LSTM", {"proj_size": 2})):
    for _label, _kw in (("", {}), ("2 layers, bidirectional", {"num_layers": 2,
                                                                "bidirectional": True}),
                        ("batch_first", {"batch_first": True}),
                        ("no bias, h0", {"bias": False, "h0": True}),
                        ("unbatched batch_first h0", {"unbatched": True, "batch_first": True,
                                                      "h0": True}),
                        ("2 layers, dropout", {"num_layers": 2, "dropout": 0.5}),
                        ("bidirectional batch_first h0", {"bidirectional": True,
                                                          "batch_first": True, "h0": True})):
        RNN_GRAPHS[f"{_cls} {_extra} {_label}"] = (
            lambda T, c=_cls, kw={**_extra, **_kw}: _rnn_graphs(T, c, **kw))
for _label, _kw in (("batch_first", {"batch_first": True}),
                    ("bidirectional batch_first", {"bidirectional": True, "batch_first": True}),
                    ("2 layers batch_first h0", {"num_layers": 2, "batch_first": True,
                                                 "h0": True}),
                    ("unbatched batch_first", {"unbatched": True, "batch_first": True})):
    RNN_GRAPHS[f"LSTM float32 (oneDNN) {_label}"] = (
        lambda T, kw=_kw: _rnn_graphs(T, "LSTM", **kw))
for _cls, _extra in (("GRUCell", {}), ("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                     ("LSTMCell", {})):
    for _label, _kw in (("", {}), ("hx, float64", {"hx": True, "dtype": "float64"}),
                        ("unbatched, no bias", {"unbatched": True, "bias": False}),
                        ("unbatched hx", {"unbatched": True, "hx": True})):
        RNN_GRAPHS[f"{_cls} {_extra} {_label}"] = (
            lambda T, c=_cls, kw={**_extra, **_kw}: _cell_graphs(T, c, **kw))
RNN_GRAPHS["linear without bias of a 2-d input (MmBackward0: two edges)"] = lambda T: [
    _dag(T.nn.functional.linear(x, T.ones(5, 4, requires_grad=True)))
    for x in (T.ones(2, 4), T.ones(2, 4, requires_grad=True))]


@pytest.mark.parametrize("name", list(RNN_GRAPHS))
def test_recurrent_graphs_as_torch(name):
    """nn.RNN/GRU/LSTM and the cells record ATen's CPU composition (session 9): one input
    projection per layer unbound per step, the hidden projection first in each sum, gates
    split by unsafe_chunk (UnsafeSplitBackward0), GRU's (h - n) * z + n, initial states
    unbound, GRU/RNN's batch_first output turned in place (TransposeBackward1), the oneDNN
    LSTM's batch_first input copied once per layer (CloneBackward0)."""
    _same(RNN_GRAPHS[name])


# ----------------------------------------------------------------- 10. one rounding (FMA)
def _fma_operands(T, dtype, n=400, seed=3):
    rng = np.random.default_rng(seed)
    a, b, c = (rng.standard_normal(n).astype(dtype) for _ in range(3))
    w = (rng.random(n) * 1.4 - 0.2).astype(dtype)
    b[:10], a[10:20], b[20:24], c[24:26] = 0, -0.0, np.inf, np.nan
    return [T.tensor(x) for x in (a, b, c, w)]


FMA_CASES = {
    "add alpha": lambda T, a, b, c, w: T.add(a, b, alpha=0.3),
    "sub alpha": lambda T, a, b, c, w: T.sub(a, b, alpha=-1.7),
    "rsub alpha": lambda T, a, b, c, w: T.rsub(a, b, alpha=0.3),
    "add_ alpha (SGD by hand)": lambda T, a, b, c, w: a.clone().add_(b, alpha=-0.01),
    "add alpha, broadcast": lambda T, a, b, c, w: T.add(a.reshape(20, 20), b[:20], alpha=0.3),
    "addcmul": lambda T, a, b, c, w: T.addcmul(a, b, c),
    "addcmul value": lambda T, a, b, c, w: T.addcmul(a, b, c, value=0.3),
    "addcmul_ value": lambda T, a, b, c, w: a.clone().addcmul_(b, c, value=-2.5),
    "lerp 0.3": lambda T, a, b, c, w: T.lerp(a, b, 0.3),
    "lerp 0.7": lambda T, a, b, c, w: T.lerp(a, b, 0.7),
    "lerp tensor weight": lambda T, a, b, c, w: T.lerp(a, b, w),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(FMA_CASES))
def test_fused_multiply_adds_bitwise_as_torch(name, dtype):
    """add/sub/rsub with alpha, addcmul and lerp round once as torch's CPU kernels (a fused
    multiply-add; session 9): every bit, NaN placement and zero sign of 400 values each
    (~10-30 % of them differed with two roundings)."""
    got = [FMA_CASES[name](T, *_fma_operands(T, dtype)).numpy() for T in (engine, torch)]
    assert got[0].dtype == got[1].dtype
    np.testing.assert_array_equal(got[0].view(np.uint8), got[1].view(np.uint8))


# ----------------------------------------------------------------- 11. det near singular
def _near_singular(seed, k, dtype):
    rng = np.random.default_rng(seed)
    if seed % 2:
        m = rng.standard_normal((k, k - 1)) @ rng.standard_normal((k - 1, k))
    else:
        m = rng.integers(-2, 3, (k, k)).astype(float)
        i, j = rng.choice(k, 2, replace=False)
        m[i] = m[j] * 2
    return m.astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_det_gradient_of_numerically_singular_matrices_as_torch(dtype):
    """det's plain backward solves with the forward's LU (torch saves it): where that LU has a
    tiny last pivot the gradient is the adjugate, finite (the engine refactored without the
    fused update, met an exact zero pivot and gave inf/NaN, or noise: 280 of 600 probe cases
    not even close; session 9)."""
    cases = [np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]).T.astype(dtype)]
    cases += [_near_singular(s, k, dtype) for s in range(12) for k in (3, 4)]
    if dtype == "float32":  # (open: float32 integer-valued ones still differ, see oracle.md)
        cases = [_near_singular(s, k, dtype) for s in range(1, 24, 2) for k in (3, 4)]
    for m in cases:
        got = []
        for T in (engine, torch):
            A = T.tensor(m, requires_grad=True)
            g, = T.autograd.grad(T.linalg.det(A), A)
            got.append(g.numpy())
        tol = {"float32": (1e-3, 1e-4), "float64": (1e-9, 1e-12)}[dtype]
        np.testing.assert_allclose(got[0], got[1], rtol=tol[0], atol=tol[1], err_msg=str(m))


# ----------------------------------------------------------------- 12. float16 in float
def _every_half():
    """Every float16 value (NaN once): 63,491 of them."""
    v = np.arange(65536, dtype=np.uint16).view(np.float16)
    return np.concatenate([v[~np.isnan(v)], np.array([np.nan], np.float16)])


_F = lambda T: T.nn.functional  # noqa: E731
# op -> (values that may still differ, gradients that may still differ): what is left is a
# float32 exp/log1p/sigmoid ulp of torch's SLEEF kernels under the rounding to half (measured
# session 10; before: 7,000-20,000 of 63,491 differed in each, computed in float16 steps)
HALF_IN_FLOAT = {
    "logsigmoid": (lambda T, x: _F(T).logsigmoid(x), 0, 0),
    "softplus": (lambda T, x: _F(T).softplus(x), 0, 1),
    "softplus beta threshold": (lambda T, x: _F(T).softplus(x, beta=2.0, threshold=5), 0, 1),
    "silu": (lambda T, x: _F(T).silu(x), 3, 1),
    "mish": (lambda T, x: _F(T).mish(x), 3, 5),
    "elu": (lambda T, x: _F(T).elu(x), 0, 1),
    "selu": (lambda T, x: _F(T).selu(x), 1, 1),
    "celu": (lambda T, x: _F(T).celu(x, 0.7), 3, 1),
    "hardswish": (lambda T, x: _F(T).hardswish(x), 0, 0),
    "hardsigmoid": (lambda T, x: _F(T).hardsigmoid(x), 0, 0),
}


@pytest.mark.parametrize("name", list(HALF_IN_FLOAT))
def test_float16_activations_round_once_as_torch(name):
    """torch's CPU kernels of these activations (and their dedicated backward kernels) take a
    float16 input to float32, evaluate the whole formula there and round to half once;
    logsigmoid's backward reads the forward's buffer exp(-|x|), kept in half. Every float16
    value, forward and gradient (upstream 0.7), bit for bit, NaN placement and zero signs."""
    f, values_left, grads_left = HALF_IN_FLOAT[name]
    v = _every_half()
    got = []
    for T in (engine, torch):
        x = T.tensor(v.astype(np.float32), dtype=T.float16).requires_grad_()
        y = f(T, x)
        y.backward(T.full(tuple(x.shape), 0.7, dtype=T.float16))
        got.append([y.detach().numpy(), x.grad.numpy()])
    for (a, b), left in zip(zip(got[0], got[1]), (values_left, grads_left)):
        differ = ~((a.view(np.uint16) == b.view(np.uint16)) | (np.isnan(a) & np.isnan(b)))
        assert differ.sum() <= left, (name, int(differ.sum()), v[differ][:5])


# ----------------------------------------------------------------- 13. the fused attention kernel
def _sdpa(T, causal=False, mask=False, at=(1, 1), val=_NAN, which="v", L=3, S=5, dt="float64",
          scale=None):
    g = np.random.default_rng(0)
    q, k, v = (g.standard_normal((1, 1, n, 4)) for n in (L, S, S))
    q[(0, 0) + at] = val
    q, k, v = (T.tensor(a, dtype=getattr(T, dt), requires_grad=True) for a in (q, k, v))
    m = T.tensor([[True, True, False, False, True], [True, False, False, True, True],
                  [True, True, False, True, True]][:L]) if mask else None
    kw = {} if scale is None else {"scale": scale}
    out = T.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal,
                                                       **kw)
    out.sum().backward()
    return {"out": out, "q": q.grad, "k": k.grad, "v": v.grad}[which]


def _zeros_nans(t):  # (float16 values: the kernel's fast exp is not the engine's)
    return [t == 0, t.isnan()]


SDPA_CASES = {
    f"causal={c} mask={m} {val} {w}": (lambda T, c=c, m=m, val=val, w=w: _sdpa(T, c, m, val=val,
                                                                               which=w))
    for c in (False, True) for m in (False, True) for val in (_INF, -_INF, _NAN)
    for w in ("out", "q", "k", "v")}
SDPA_CASES.update({
    # a row whose scores are all NaN in the kernel's scalar tail is left out (zeros); in its
    # vector lanes (8 float64 scores) a NaN wins; float16's fast exp takes NaN to -0
    "NaN query row, 7 keys": lambda T: _sdpa(T, which="out", S=7),
    "NaN query row, 8 keys": lambda T: _sdpa(T, which="out", S=8),
    "NaN query row, 16 keys float16 (where zeros, where NaN)": lambda T: _zeros_nans(
        _sdpa(T, which="out", S=16, dt="float16")),
    "inf query, 16 keys float16 (where zeros, where NaN)": lambda T: _zeros_nans(
        _sdpa(T, which="out", S=16, dt="float16", at=(0, 0), val=_INF)),
    "causal, long query (two query blocks)": lambda T: _sdpa(T, True, which="k", L=40, S=9,
                                                             at=(35, 1)),
    "scale 0: the gradient products read nothing": lambda T: _sdpa(T, which="q", scale=0.0,
                                                                   val=_INF),
    "causal scale 0": lambda T: _sdpa(T, True, which="v", scale=0.0, val=1.0),
    # which kernel, and the checks on the way
    "1-d mask on 4-d inputs": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 1, 2, 3), T.ones(1, 1, 4, 3), T.ones(1, 1, 4, 3), attn_mask=T.ones(4)),
    "0-d mask on 4-d inputs": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 1, 2, 3), T.ones(1, 1, 4, 3), T.ones(1, 1, 4, 3), attn_mask=T.tensor(0.5)),
    "1-d mask on 5-d inputs (math)": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(2, 1, 1, 2, 3, requires_grad=True), T.ones(2, 1, 1, 4, 3), T.ones(2, 1, 1, 4, 3),
        attn_mask=T.ones(4)),
    "float64 mask of float32 inputs": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 1, 2, 3), T.ones(1, 1, 4, 3), T.ones(1, 1, 4, 3),
        attn_mask=T.ones(2, 4, dtype=T.float64)),
    "float16 mask of float64 inputs": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 1, 2, 3, dtype=T.float64), T.ones(1, 1, 4, 3, dtype=T.float64),
        T.ones(1, 1, 4, 3, dtype=T.float64), attn_mask=T.ones(2, 4, dtype=T.float16)),
    "mask rows neither L nor 1 (math)": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 1, 1, 3, requires_grad=True), T.ones(1, 1, 4, 3), T.ones(1, 1, 4, 3),
        attn_mask=T.ones(3, 4, dtype=T.bool)),
    "mask of more dims (math, in place)": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 1, 2, 3, requires_grad=True), T.ones(1, 1, 4, 3), T.ones(1, 1, 4, 3),
        attn_mask=T.ones(2, 1, 2, 4)),
    "mask and causal on the fused path": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 1, 2, 3, requires_grad=True), T.ones(1, 1, 4, 3), T.ones(1, 1, 4, 3),
        attn_mask=T.ones(1, 4, dtype=T.bool), is_causal=True),
    "head size 1 with a stride (math)": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 1, 2, 1, requires_grad=True), T.ones(1, 1, 1, 4).transpose(-1, -2),
        T.ones(1, 1, 4, 1)),
})


@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_fused_attention_as_torch(name):
    """torch's CPU flash kernel, modelled block by block (session 10): the causal blocks
    above the diagonal never computed (value's gradient 0 there, not 0 * NaN), a row with no
    usable score gives zeros, NaN in the max as the kernel's vector and scalar loops take it,
    the log-sum-exp its backward reads; and the checks that pick the kernel (before: 9 of the
    48 first cases differed silently, 223 + 230 NaN/inf placements in 600 random programs)."""
    _same(SDPA_CASES[name])


# ----------------------------------------------------------------- 14. embedding_bag max
def _bag_max(T, rows, dtype="float64"):
    w = T.tensor([[1.0, _NAN], [_NAN, 2.0], [3.0, -1.0], [_NAN, _NAN]], dtype=getattr(T, dtype),
                 requires_grad=True)
    out = T.nn.functional.embedding_bag(T.tensor([rows]), w, mode="max")
    out.backward(T.ones_like(out))
    return [out, w.grad]


BAG_CASES = {
    **{f"max of rows {r}": (lambda T, r=r: _bag_max(T, r))
       for r in ([0, 1, 2], [1, 0, 2], [2, 1], [3, 2], [2, 3], [0, 3, 1])},
    "max float32 NaN after the first": lambda T: _bag_max(T, [2, 0, 1], "float32"),
    **{f"{dt} weight": (lambda T, dt=dt: T.nn.functional.embedding_bag(
        T.tensor([[0, 1]]), T.ones(3, 2, dtype=getattr(T, dt)), mode="max"))
       for dt in ("int32", "int64", "bool")},
}


@pytest.mark.parametrize("name", list(BAG_CASES))
def test_embedding_bag_max_as_torch(name):
    """embedding_bag(mode='max'): a running maximum that takes the bag's first row as it is
    and afterwards only a strictly larger value, so a NaN counts only as the first (the engine
    spread every NaN: 523 of 3,000 random bags differed, values and gradients; session 10);
    an integer weight is named by its legacy tensor class in the text."""
    _same(BAG_CASES[name])


# ----------------------------------------------------------------- 15. var_mean's Welford
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_var_mean_statistics_bitwise_as_torch(dtype):
    """var_mean/std_mean run torch's Welford loop (in double, element by element, in memory
    order): the mean of [-1, 0.3, 0.7] is torch's 3.7e-17, not 0, and every bit of 300 random
    small reductions (whole, along dims, of permuted inputs, integer-valued) agrees (878 of
    1,500 random calls differed in the mean before; session 10)."""
    rng = np.random.default_rng(7)
    cases = [(np.array([-1.0, 0.3, 0.7]), None, None)]
    for _ in range(300):
        shape = tuple(int(rng.integers(1, 6)) for _ in range(int(rng.integers(1, 4))))
        a = rng.standard_normal(shape) * rng.choice([1.0, 1e3]) + rng.choice([0.0, 5.0])
        if rng.random() < 0.3:
            a = np.round(a)
        perm = rng.permutation(len(shape)).tolist() if rng.random() < 0.3 else None
        dims = None if rng.random() < 0.4 else tuple(sorted(rng.choice(
            len(shape), int(rng.integers(1, len(shape) + 1)), replace=False).tolist()))
        cases.append((a, perm, dims))
    for a, perm, dims in cases:
        got = []
        for T in (engine, torch):
            t = T.tensor(a, dtype=getattr(T, dtype))
            if perm is not None:
                t = t.permute(*perm)
            got.append([r.numpy().reshape(-1) for r in T.var_mean(t, dim=dims) +
                        T.std_mean(t, dim=dims)])
        for x, y in zip(*got):
            np.testing.assert_array_equal(x.view(np.uint8), y.view(np.uint8),
                                          err_msg=str((a.shape, perm, dims)))


def test_var_mean_of_long_float32_rows_with_an_infinity_as_torch():
    """Past the modelled loop (float32 in two float64 passes) a row with an infinity still
    takes torch's running mean: NaN unless the infinity comes last."""
    a = np.random.default_rng(3).standard_normal((4, 100))
    a[0, 50], a[1, -1], a[2, 3], a[2, 9] = np.inf, np.inf, -np.inf, np.inf
    got = [[r.numpy() for r in T.var_mean(T.tensor(a, dtype=T.float32), dim=1)]
           for T in (engine, torch)]
    for x, y in zip(*got):
        np.testing.assert_array_equal(x, y)


# ----------------------------------------------------------------- 16. float16: torch's steps
_PI = 3.141592653589793


def _cg(T, f, x, gshape=None):
    """``f(x)``'s gradient under create_graph (its nodes are the double-backward graph's)."""
    y = f(x)
    g = T.ones(tuple(y.shape) if gshape is None else gshape, dtype=y.dtype, requires_grad=True)
    return T.autograd.grad(y, x, g, create_graph=True)[0]


# op -> (values that may still differ, gradients that may still differ), of every float16
# value (session 11; before, in the same order: rsqrt 8,402 values; logit 1,958 and with eps
# 1,298; leaky_relu 7,745; xlogy 7,489; a float16 tensor times / divided by a Python float
# 26,506 / 26,620, a number over it 28,446, add/sub with alpha 12,220 / 41,308; gradients of
# exp2 23,705, log2 23,416, log10 4,968, erf 13,906, erfc 8,140, sinc 24,298, rad2deg all)
HALF_STEPS = {
    # the formula in float32, rounded to half once
    "rsqrt": (lambda T, x: x.rsqrt(), 0, 0),
    "leaky_relu": (lambda T, x: _F(T).leaky_relu(x), 0, 0),
    "x * pi": (lambda T, x: x * _PI, 0, 0),
    "x / pi": (lambda T, x: x / _PI, 0, 0),
    "pi / x": (lambda T, x: _PI / x, 0, 0),
    "x * 0-d float64 tensor": (lambda T, x: x * T.tensor(_PI, dtype=T.float64), 0, 0),
    "x / 0-d float32 tensor": (lambda T, x: x / T.tensor(1.1), 0, 0),
    "x * 70001": (lambda T, x: x * 70001, 0, 0),
    "mul_ by pi": (lambda T, x: (x * 1).mul_(_PI), 0, 0),
    "add alpha": (lambda T, x: T.add(x, x.flip(0), alpha=_PI), 0, 0),
    "sub alpha": (lambda T, x: T.sub(x, x.flip(0), alpha=_PI), 0, 0),
    "rsub number alpha": (lambda T, x: T.rsub(x, 2.7, alpha=_PI), 0, 0),
    "add number alpha": (lambda T, x: T.add(x, 2.7, alpha=1.3), 0, 0),
    # torch's half arithmetic: each step rounds to half
    "logit": (lambda T, x: x.logit(), 1, 0),
    "logit eps": (lambda T, x: x.logit(0.1), 0, 0),
    "xlogy": (lambda T, x: T.xlogy(x, x), 0, 0),
    # derivatives.yaml's formulas as half ops, in torch's order (x * constant in float32)
    "exp2": (lambda T, x: x.exp2(), 0, 0),
    "log2": (lambda T, x: x.log2(), 0, 0),
    "log10": (lambda T, x: x.log10(), 3, 0),
    # erf: float32 Abramowitz-Stegun 7.1.26 with fma, in every layout (6,586 -> 0)
    "erf": (lambda T, x: x.erf(), 0, 0),
    "erf of a strided view": (lambda T, x: x[::2].erf(), 0, 0),
    "erf of a transposed view": (lambda T, x: x[:63000].reshape(300, 210).t().erf(), 0, 0),
    # gelu tanh: torch's order, its float32 tanh as float64 rounded (259 -> 25; gradient open)
    "gelu tanh": (lambda T, x: _F(T).gelu(x, approximate="tanh"), 25, 271),
    # gelu (session 12): a contiguous input goes to oneDNN's gelu_erf (its minimax erf is not
    # reproduced: 577 -> 378 values, torch's order x (1 + erf) 0.5); a dense view in any dim
    # order to ATen's float32 erf (Abramowitz-Stegun: 457 -> 0), a strided one to the C
    # library's (164 -> 0). Its gradient is oneDNN's too: Abramowitz-Stegun erf and oneDNN's
    # polynomial exp in float32 (1,356 -> 1)
    "gelu": (lambda T, x: _F(T).gelu(x), 378, 1),
    "gelu of a strided view": (lambda T, x: _F(T).gelu(x[::2]), 0, 24),
    "gelu of a transposed view": (lambda T, x: _F(T).gelu(x[:63000].reshape(300, 210).t()),
                                  0, 48),
    "erfc": (lambda T, x: x.erfc(), 6, 0),
    "sinc": (lambda T, x: x.sinc(), 4, 2),
    "rad2deg": (lambda T, x: x.rad2deg(), 0, 0),
    "deg2rad": (lambda T, x: x.deg2rad(), 0, 0),
}


@pytest.mark.parametrize("name", list(HALF_STEPS))
def test_float16_steps_as_torch(name):
    """Every float16 value, forward and gradient (upstream 0.7), bit for bit, NaN placement
    and zero signs: a CPU scalar operand of a half op is used in float32 (not rounded to
    half), alpha is rounded to half and ``alpha * y + x`` rounded once, and the composite
    formulas round each half step where torch's do."""
    f, values_left, grads_left = HALF_STEPS[name]
    if name == "gelu" and "avx512_fp16" not in _FLAGS:
        pytest.skip("torch's float16 gelu goes to oneDNN only on CPUs with AVX512-FP16")
    v = _every_half()
    got = []
    for T in (engine, torch):
        x = T.tensor(v.astype(np.float32), dtype=T.float16).requires_grad_()
        y = f(T, x)
        y.backward(T.full(tuple(y.shape), 0.7, dtype=T.float16))
        got.append([y.detach().numpy(), x.grad.numpy()])
    for (a, b), left in zip(zip(got[0], got[1]), (values_left, grads_left)):
        differ = ~((a.view(np.uint16) == b.view(np.uint16)) | (np.isnan(a) & np.isnan(b)))
        assert left is None or differ.sum() <= left, (name, int(differ.sum()), v[differ][:5])


# gelu float32 (20,000 normal values times 3): layout -> (values, gradients) that may still
# differ (session 12, before: 11,749 / 5,200 / 14,852 values, 13,804 contiguous gradients;
# oneDNN's erf, float32 last bits of its backward and
# the scalar tails of ATen's loops are not modelled)
GELU_32 = {"contiguous": (lambda x: x, 6764, 3834),
           "strided": (lambda x: x[::2], 160, 4513),
           "transposed": (lambda x: x.reshape(200, 100).t(), 248, 8910)}


@pytest.mark.parametrize("layout", list(GELU_32))
def test_gelu_float32_by_layout_as_torch(layout):
    view, values_left, grads_left = GELU_32[layout]
    if layout == "contiguous" and "avx512f" not in _FLAGS:
        pytest.skip("the engine models torch's float32 gelu as oneDNN's AVX-512 kernel")
    v = (np.random.default_rng(1).standard_normal(20000) * 3).astype(np.float32)
    got = []
    for T in (engine, torch):
        x = T.tensor(v).requires_grad_()
        y = _F(T).gelu(view(x))
        y.backward(T.full(tuple(y.shape), 0.7))
        got.append([y.detach().numpy().ravel(), x.grad.numpy()])
    for (a, b), left in zip(zip(got[0], got[1]), (values_left, grads_left)):
        assert (a.view(np.uint32) != b.view(np.uint32)).sum() <= left, layout


# first-order values under create_graph (the rules are torch's composites of half ops there):
# op -> values that may still differ (session 11: mish 6,057 -> 2, its softplus as
# log1p(exp(x)) in half steps, tanh of it twice, as torch composes it)
HALF_CREATE_GRAPH = {
    "mish": (lambda T, x: _F(T).mish(x), 2),
    "silu": (lambda T, x: _F(T).silu(x), 2),
    "softplus": (lambda T, x: _F(T).softplus(x), 1),
    "logsigmoid": (lambda T, x: _F(T).logsigmoid(x), 0),
    "gelu": (lambda T, x: _F(T).gelu(x), 1),
}


@ONEDNN_HALF_GELU
def test_gelu_float16_forward_mode_as_torch():
    """gelu's tangent is torch's gelu_backward of it (oneDNN's for a contiguous input):
    15,376 of every float16 value differed, 1 now."""
    v = _every_half()
    got = []
    for T in (engine, torch):
        fa = T.autograd.forward_ad
        with fa.dual_level():
            x = fa.make_dual(T.tensor(v.astype(np.float32), dtype=T.float16),
                             T.full((v.size,), 0.7, dtype=T.float16))
            got.append(fa.unpack_dual(_F(T).gelu(x)).tangent.numpy())
    a, b = got
    differ = ~((a.view(np.uint16) == b.view(np.uint16)) | (np.isnan(a) & np.isnan(b)))
    assert differ.sum() <= 1, (int(differ.sum()), v[differ][:5])


@pytest.mark.parametrize("name", list(HALF_CREATE_GRAPH))
def test_float16_first_order_under_create_graph_as_torch(name):
    f, left = HALF_CREATE_GRAPH[name]
    if name == "gelu" and "avx512_fp16" not in _FLAGS:
        pytest.skip("torch's float16 gelu goes to oneDNN only on CPUs with AVX512-FP16")
    v = _every_half()
    got = []
    for T in (engine, torch):
        x = T.tensor(v.astype(np.float32), dtype=T.float16).requires_grad_()
        g, = T.autograd.grad(f(T, x), x, T.full(tuple(x.shape), 0.7, dtype=T.float16),
                             create_graph=True)
        got.append(g.detach().numpy())
    a, b = got
    differ = ~((a.view(np.uint16) == b.view(np.uint16)) | (np.isnan(a) & np.isnan(b)))
    assert differ.sum() <= left, (name, int(differ.sum()), v[differ][:5])


NODES_16 = {
    # torch's rms_norm ends with .contiguous(): a transposed input gives CloneBackward0
    "rms_norm of x.t()": lambda T: _F(T).rms_norm(
        T.arange(12.0).reshape(3, 4).requires_grad_().t(), (3,)),
    "rms_norm of x.t() with weight": lambda T: _F(T).rms_norm(
        T.arange(12.0).reshape(3, 4).requires_grad_().t(), (3,), T.ones(3)),
    "rms_norm of x.t() float16": lambda T: _F(T).rms_norm(
        T.arange(12.0).reshape(3, 4).half().requires_grad_().t(), (3,)),
    # a 0-d logcumsumexp's gradient is the upstream one itself (no graph under create_graph)
    "logcumsumexp 0-d float16 create_graph": lambda T: _cg(
        T, lambda x: T.logcumsumexp(x, 0), T.tensor(0.5, dtype=T.float16, requires_grad=True)),
    "logcumsumexp 0-d create_graph": lambda T: _cg(
        T, lambda x: T.logcumsumexp(x, 0), T.tensor(0.5, requires_grad=True)),
    # squeeze's gradient is one unsqueeze per removed dim (UnsqueezeBackward0), or g itself
    "squeeze(1) double backward": lambda T: _cg(
        T, lambda x: x.squeeze(1), T.arange(6.0).reshape(2, 1, 3).requires_grad_()),
    "squeeze() double backward": lambda T: _cg(
        T, lambda x: x.squeeze(), T.arange(6.0).reshape(1, 2, 1, 3).requires_grad_()),
    "squeeze((2, 0)) double backward": lambda T: _cg(
        T, lambda x: x.squeeze((2, 0)), T.arange(6.0).reshape(1, 2, 1, 3).requires_grad_()),
    "squeeze of a non-1 dim double backward": lambda T: _cg(
        T, lambda x: x.squeeze(1), T.arange(6.0).reshape(1, 2, 1, 3).requires_grad_()),
    # poisson_nll_loss: ``loss += stirling`` in place keeps float16; log(input + eps) is
    # C++ add(Tensor, Scalar): AddBackward1
    "poisson_nll_loss float16 int target full": lambda T: _F(T).poisson_nll_loss(
        T.tensor([0.5, -1.0, 2.0, 0.25], dtype=T.float16, requires_grad=True),
        T.tensor([0, 1, 3, 5]), full=True, reduction="none"),
    "poisson_nll_loss float16 int target full mean": lambda T: _F(T).poisson_nll_loss(
        T.tensor([0.5, -1.0, 2.0, 0.25], dtype=T.float16, requires_grad=True),
        T.tensor([0, 1, 3, 5]), full=True),
    "poisson_nll_loss not log_input": lambda T: _F(T).poisson_nll_loss(
        T.tensor([0.5, 1.0, 2.0, 0.25], requires_grad=True), T.tensor([0.0, 1, 3, 5]),
        log_input=False, reduction="none"),
    "poisson_nll_loss not log_input float16 full": lambda T: _F(T).poisson_nll_loss(
        T.tensor([0.5, 1.0, 2.0, 0.25], dtype=T.float16, requires_grad=True),
        T.tensor([0, 1, 3, 5]), log_input=False, full=True, reduction="none"),
    # erf's gradient in torch's order: exp(-x.pow(2)) * 2/sqrt(pi) * g
    "erf double backward": lambda T: _cg(T, lambda x: x.erf(), T.tensor([0.3, -1.2],
                                                                        requires_grad=True)),
}


@pytest.mark.parametrize("name", list(NODES_16))
def test_nodes_and_layouts_as_torch(name):
    _same(NODES_16[name])


# ----------------------------------------------------------------- 17. reductions' layouts
# torch allocates a reduction's (and a scan's) result row-major whatever the input's layout;
# NumPy's follow the input's dim order (and keep odd strides on size-1 dims). Session 12:
# 387 of these 1,368 (op, permutation, dim, keepdim) cases had other strides, 0 now
def _reduce_layouts(T, name, x, d, k):
    one = isinstance(d, int)
    return {
        "sum": lambda: x.sum(d, keepdim=k), "mean": lambda: x.mean(d, keepdim=k),
        "amax": lambda: x.amax(d, keepdim=k), "nansum": lambda: x.nansum(d, keepdim=k),
        "prod": lambda: x.prod(d, keepdim=k) if one else x.amin(d, keepdim=k),
        "var": lambda: x.var(d, keepdim=k), "std": lambda: x.std(d, keepdim=k),
        "var_mean": lambda: T.var_mean(x, d, keepdim=k)[1],
        "logsumexp": lambda: x.logsumexp(d, keepdim=k),
        "norm": lambda: x.norm(dim=d, keepdim=k),
        "all": lambda: x.all(d, keepdim=k) if one else x.any(d, keepdim=k),
        "max dim": lambda: x.max(d, keepdim=k)[0] if one else x.amax(d, keepdim=k),
        "argmin": lambda: x.argmin(d, keepdim=k) if one else x.sum(d, keepdim=k),
        "aminmax": lambda: x.aminmax(dim=d, keepdim=k)[1] if one else x.sum(d, keepdim=k),
        "cumsum": lambda: x.cumsum(d if one else 0),
        "cumprod": lambda: x.cumprod(d if one else 1),
        "logcumsumexp": lambda: x.logcumsumexp(d if one else 2),
        "cummax": lambda: x.cummax(d if one else 0)[1],
    }[name]()


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "nansum", "prod", "var", "std",
                                  "var_mean", "logsumexp", "norm", "all", "max dim", "argmin",
                                  "aminmax", "cumsum", "cumprod", "logcumsumexp", "cummax"])
def test_reduction_layouts_of_permuted_inputs_as_torch(name):
    import itertools

    got = {}
    for T in (engine, torch):
        got[T] = []
        for perm in itertools.permutations(range(3)):
            for d in (0, 1, 2, (0, 1), (1, 2), (0, 2)):
                for k in (False, True):
                    x = T.arange(24.0).reshape(2, 3, 4).permute(*perm)
                    y = _reduce_layouts(T, name, x, d, k)
                    got[T].append((perm, d, k, tuple(y.shape), y.stride()))
    assert got[engine] == got[torch]


# ----------------------------------------------------------------- 18. zero signs and nodes
ZEROS_18 = {
    # NumPy's float16 nextafter returns x where x == y; C's (torch's) returns y
    "nextafter float16 of equal zeros": lambda T: T.nextafter(
        T.tensor([-0.0, 0.0, -0.0, 0.0, 1.0, _INF], dtype=T.float16),
        T.tensor([0.0, -0.0, -0.0, 0.0, 2.0, _INF], dtype=T.float16)),
    "nextafter float16 broadcast": lambda T: T.nextafter(
        T.tensor([[-0.0], [0.0]], dtype=T.float16), T.tensor([0.0, -0.0], dtype=T.float16)),
}


@pytest.mark.parametrize("name", list(ZEROS_18))
def test_zero_signs_as_torch(name):
    _same(ZEROS_18[name])


def _sdpa_nodes(T, **kw):
    """The node names of scaled_dot_product_attention's first-order gradients under
    create_graph (the math path: 3-D inputs)."""
    qkv = [(T.arange(6.0).reshape(1, 2, 3) / 7).requires_grad_() for _ in range(3)]
    y = _F(T).scaled_dot_product_attention(*qkv, **kw)
    gs = T.autograd.grad(y, qkv, T.ones(tuple(y.shape), requires_grad=True), create_graph=True)
    return [g.grad_fn.name() for g in gs], [g.detach().numpy() for g in gs]


@pytest.mark.parametrize("kw", [{}, {"scale": 0.3}, {"attn_mask": "bool"}, {"dropout_p": 0.0}])
def test_attention_gradient_nodes_as_torch(kw):
    """The query's gradient is the forward's ``query * sqrt(scale)`` (C++ mul(Tensor, Scalar),
    MulBackward1) differentiated: ``grad * sqrt(scale)``, mul(Tensor, Scalar) again, so
    MulBackward1 under create_graph (was MulBackward0). Values to float32 rounding."""
    got = []
    for T in (engine, torch):
        k = dict(kw)
        if k.get("attn_mask") == "bool":
            k["attn_mask"] = T.tensor([[True, False], [True, True]])
        got.append(_sdpa_nodes(T, **k))
    assert got[0][0] == got[1][0]
    for a, b in zip(got[0][1], got[1][1]):
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-7)


# ----------------------------------------------------------------- 19. the gradient layout
# torch's gradient layout contract (AccumulateGrad): a leaf's new ``.grad`` has the leaf's own
# strides when the leaf is non-overlapping and dense (else row-major); a gradient that does
# not obey is copied; a later accumulation is in place (under create_graph: ``.grad + g``);
# create_graph's first ``.grad`` is a copy (CopyBackwards); ``retain_grad`` keeps a row-major
# clone; ``autograd.grad`` returns the incoming layout. Session 13: 13 of these 23 differed.
def _layout_of(t):
    if t is None:
        return None
    fn = t.grad_fn
    name = None if fn is None else fn.name().replace("torch::autograd::", "")
    values = [float(f"{v:.6g}") for v in t.detach().numpy().astype(np.float64).ravel()]
    return tuple(t.shape), t.stride(), t.requires_grad, name, values


def _perm(T):
    return (T.arange(12.0).reshape(4, 3) / 7).t()


def _cl(T, shape=(1, 2, 3, 4)):
    return (T.arange(float(np.prod(shape))).reshape(shape) / 5).to(
        memory_format=T.channels_last)


def _grad_after(T, leaf, f, times=1, **kw):
    leaf.requires_grad_()
    for _ in range(times):
        f(leaf).sum().backward(**kw)
    return [leaf.grad]


def _hooked(T, keep):
    h = _perm(T).requires_grad_()
    kept = []
    h.register_hook((lambda g: kept.append(g)) if keep else (lambda g: g * 1))
    (h * h).sum().backward()
    return [h.grad] + kept


def _retained(T, x):
    y = x * 1
    y.retain_grad()
    (y * y).sum().backward(create_graph=True)
    return [y.grad, y.grad.grad_fn is not None]


def _retained_cl(T, cg):
    c = (T.arange(24.0).reshape(1, 2, 3, 4) / 5).requires_grad_()
    y = c.to(memory_format=T.channels_last)
    y.retain_grad()
    (y * y).sum().backward(create_graph=cg)
    return [y.grad, c.grad]


def _second_backward_in_place(T):
    a = (T.arange(6.0) / 7).requires_grad_()
    (a ** 3).sum().backward(create_graph=True)
    first = a.grad
    a.grad.sum().backward()
    return [a.grad, first is a.grad, a.grad._version]


def _conv_weight(T):
    w = _cl(T, (2, 2, 3, 2)).requires_grad_()
    x = T.arange(50.0).reshape(1, 2, 5, 5) / 10
    _F(T).conv2d(x, w).sum().backward()
    return [w.grad]


def _autograd_grad(T, f):
    h = _perm(T).requires_grad_()
    return list(T.autograd.grad(f(h).sum(), h))


GRAD_LAYOUT_19 = {
    "permuted leaf, incoming row-major": lambda T: _grad_after(T, _perm(T), lambda h: h * 2),
    "permuted leaf, incoming permuted": lambda T: _grad_after(T, _perm(T), lambda h: h * h),
    "permuted leaf, accumulated": lambda T: _grad_after(T, _perm(T), lambda h: h * 2, 2),
    "permuted leaf, matmul": lambda T: _grad_after(
        T, _perm(T), lambda h: h @ (T.arange(8.0).reshape(2, 4) / 3).t()),
    "channels-last leaf": lambda T: _grad_after(T, _cl(T), lambda c: c * 3),
    "channels-last leaf exp": lambda T: _grad_after(T, _cl(T, (2, 2, 3, 2)), lambda c: c.exp()),
    "channels-last conv weight": _conv_weight,
    "strided leaf": lambda T: _grad_after(T, T.arange(12.0)[::2], lambda s: s * 2),
    "expanded leaf": lambda T: _grad_after(T, T.arange(3.0).expand(2, 3), lambda e: e * 2),
    "size-1 leaf": lambda T: _grad_after(T, T.arange(3.0).reshape(1, 3).t(), lambda o: o * 2),
    "hook keeps the gradient": lambda T: _hooked(T, True),
    "hook returns a gradient": lambda T: _hooked(T, False),
    "create_graph, permuted": lambda T: _grad_after(T, _perm(T), lambda h: h * h,
                                                    create_graph=True),
    "create_graph twice": lambda T: _grad_after(T, _perm(T), lambda h: h * h, 2,
                                                create_graph=True),
    "create_graph, incoming without grad": lambda T: _grad_after(
        T, _perm(T), lambda h: h * 2, create_graph=True),
    "create_graph, contiguous": lambda T: _grad_after(
        T, T.arange(12.0).reshape(4, 3) / 7, lambda a: a.t() * a.t(), create_graph=True),
    "second backward adds in place": _second_backward_in_place,
    "retain_grad, create_graph": lambda T: _retained(
        T, (T.arange(12.0).reshape(4, 3) / 7).requires_grad_().t()),
    "retain_grad, channels-last": lambda T: _retained_cl(T, False),
    "retain_grad, channels-last, create_graph": lambda T: _retained_cl(T, True),
    "autograd.grad permuted": lambda T: _autograd_grad(T, lambda h: h * h),
    "autograd.grad row-major": lambda T: _autograd_grad(T, lambda h: h * 2),
}


@pytest.mark.parametrize("name", list(GRAD_LAYOUT_19))
def test_gradient_layout_contract_as_torch(name):
    import warnings

    got = []
    for T in (engine, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got.append([_layout_of(t) if not isinstance(t, (bool, int)) else t
                        for t in GRAD_LAYOUT_19[name](T)])
    assert got[0] == got[1]


# ----------------------------------------------------------------- 20. preserve_format
# clone / the *_like factories keep a dense input's strides exactly (a permuted one too; the
# engine kept only channels-last ones) and lay out any other in its own dimension order;
# ``memory_format=`` on the *_like factories (absent before); the random ones draw in memory
# order (``rand_like(x.t())`` is ``rand(4, 3).t()``); optimizers' state follows (Adam's
# exp_avg, SGD's momentum buffer of a transposed parameter). Session 13: of 3,000 random
# layouts, clone's strides differed on 1,511, zeros_like's and empty_like's too.
_MAKE_20 = {
    "clone": lambda T, x: x.clone(), "zeros_like": lambda T, x: T.zeros_like(x),
    "empty_like": lambda T, x: T.empty_like(x, dtype=T.float32),
    "ones_like contiguous": lambda T, x: T.ones_like(x, memory_format=T.contiguous_format),
    "full_like": lambda T, x: T.full_like(x, 2.0),
    "detach clone": lambda T, x: x.detach().clone(),
    "unsqueeze": lambda T, x: x.unsqueeze(-1),
}


def _layouts_20(T, name):
    from tests.engine.test_memory_format import _random_layouts

    out = []
    for pair in _random_layouts(300, 20):
        x = pair[0] if T is torch else pair[1]
        y = _MAKE_20[name](T, x)
        out.append((tuple(y.shape), y.stride()))
    return out


@pytest.mark.parametrize("name", list(_MAKE_20))
def test_preserve_format_layouts_as_torch(name):
    assert _layouts_20(engine, name) == _layouts_20(torch, name)


def _optimizer_state(T, name):
    h = (T.arange(12.0).reshape(4, 3) / 7).t().requires_grad_()
    opt = getattr(T.optim, name)([h], lr=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    for _ in range(2):
        opt.zero_grad()
        (h * h).sum().backward()
        opt.step()
    return [h] + [v for k, v in sorted(opt.state[h].items())
                  if isinstance(v, T.Tensor) and v.dim() > 0]


def _drawn_in_memory_order(T, like, plain, *args, **kw):
    """A random ``*_like`` of a transposed input: its layout, and whether it drew what the
    plain factory draws for the memory-order shape, transposed (the engine's streams are
    rng's; this compares the order only)."""
    T.manual_seed(0)
    a = like(T.zeros(4, 3).t(), *args, **kw)
    T.manual_seed(0)
    b = plain(4, 3, **kw).t()
    return [(tuple(a.shape), a.stride(), a.dtype is b.dtype, bool(T.equal(a, b)))]


LIKE_20 = {
    "rand_like of a transpose": lambda T: _drawn_in_memory_order(T, T.rand_like, T.rand),
    "randn_like of a transpose, float64": lambda T: _drawn_in_memory_order(
        T, T.randn_like, T.randn, dtype=T.float64),
    "rand_like channels_last": lambda T: [T.rand_like(
        T.zeros(1, 2, 3, 2), memory_format=T.channels_last).stride()],
    "zeros_like requires_grad": lambda T: [T.zeros_like(T.zeros(4, 3).t(), requires_grad=True)],
    # (zeroed in place: ``* 0`` kept whatever memory held where it was NaN or inf, so torch's
    # values changed from run to run; the layout is what is compared)
    "empty_like channels_last": lambda T: [T.empty_like(T.zeros(1, 2, 3, 4),
                                                        memory_format=T.channels_last).zero_()],
    **{f"{name} state": (lambda T, n=name: _optimizer_state(T, n))
       for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "NAdam")},
}


@pytest.mark.parametrize("name", list(LIKE_20))
def test_like_factories_and_optimizer_state_layouts_as_torch(name):
    got = [[_layout_of(t) if isinstance(t, T.Tensor) else t for t in LIKE_20[name](T)]
           for T in (engine, torch)]
    assert got[0] == got[1]


@pytest.mark.parametrize("fmt", ["channels_last", 1])
def test_like_factories_memory_format_errors_as_torch(fmt):
    texts = []
    for T in (engine, torch):
        f = getattr(T, fmt) if isinstance(fmt, str) else fmt
        with pytest.raises(Exception) as e:
            T.zeros_like(T.zeros(2, 3), memory_format=f)
        texts.append((isinstance(e.value, TypeError), str(e.value)))
    assert texts[0] == texts[1]


# ----------------------------------------------------------------- 21. empty tensors, size-1 dims
# Session 14. A fresh empty tensor is row-major in torch (``zeros(0, 3)`` is ``(3, 1)``: a 0
# counts as 1); NumPy gave every fresh empty array zero strides, so views of it (``.t()``,
# slices) and the layouts derived from it (clone, pointwise results, gradients) differed.
# torch's TensorIterator reads the strides of size-1 dimensions (which ``is_contiguous``
# ignores) when the operands' shapes differ: ``(3, 1)`` strides ``(1, 6)`` times 2 is
# ``(1, 3)``; the engine skipped its iterator model for C-contiguous inputs. Of 3,000 random
# layouts (session 13's sweep): unary ops and ``t + t`` 158 -> 0, ``t * 2`` 271 -> 0,
# ``where`` 220 -> 0.
_EMPTY_21 = {
    "zeros(0, 3)": lambda T: T.zeros(0, 3),
    "zeros(3, 0)": lambda T: T.zeros(3, 0),
    "tensor([[]])": lambda T: T.tensor([[]]),
    "transpose": lambda T: T.zeros(0, 3).t(),
    "slice": lambda T: T.zeros(0, 3)[:, :2],
    "stepped slice of an empty dim": lambda T: T.zeros(0, 6)[::2, ::2],
    "empty stepped slice": lambda T: T.zeros(4, 6)[:, 4:2:2],
    "unsqueeze": lambda T: T.zeros(0, 3).t().unsqueeze(1),
    "expand": lambda T: T.zeros(0, 1).expand(0, 3),
    "clone of a transpose": lambda T: T.zeros(0, 3).t().clone(),
    "clone of an expand": lambda T: T.zeros(0, 1).expand(0, 3).clone(),
    "times 2 of a transpose": lambda T: T.zeros(0, 3).t() * 2,
    "times 2 of an empty slice of a transpose": lambda T: T.zeros(4, 3).t()[0:0] * 2,
    "exp of a transpose": lambda T: T.zeros(2, 0, 3).transpose(0, 2).exp(),
    "where": lambda T: T.where(T.zeros(3, 0) > 0, T.ones(0, 3).t(), 1.0),
    "comparison": lambda T: T.zeros(0, 3).t() > 0,
    "broadcast product": lambda T: T.zeros(3, 0, 4).transpose(1, 2) * T.zeros(4, 1),
    "cat": lambda T: T.cat([T.zeros(0, 3), T.zeros(0, 3)]),
    "grad of a transposed leaf": lambda T: _grad_21(T, T.zeros(0, 3).t().requires_grad_()),
    "grad of a leaf": lambda T: _grad_21(T, T.zeros(3, 0, requires_grad=True)),
    "size-1 dim times 2": lambda T: T.zeros(6, 3)[:1].t() * 2,
    "size-1 dim plus a row": lambda T: T.zeros(6, 3)[:1].t() + T.zeros(1, 1),
    "size-1 dim where": lambda T: T.where(T.zeros(3, 1).t() > 0, T.zeros(3, 1).t(), 0.0),
    "size-1 dim comparison": lambda T: T.zeros(3, 1).t() > 0,
    "1 - size-1 dim": lambda T: 1 - T.zeros(6, 3)[:1].t(),
}


def _grad_21(T, leaf):
    (leaf * 2).sum().backward()
    return leaf.grad


@pytest.mark.parametrize("name", list(_EMPTY_21))
def test_empty_and_size_one_layouts_as_torch(name):
    got = [(tuple(t.shape), t.stride(), t.is_contiguous()) for t in
           (_EMPTY_21[name](T) for T in (engine, torch))]
    assert got[0] == got[1]
