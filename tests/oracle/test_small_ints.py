"""uint8, int8 and int16 (issues 10 and 11), engine and torch 2.13 side by side: each case is a
small program run on both, and what is compared is the result's repr, dtype and the warnings
it raised, or the error's builtin class and first line. Promotion (uint8 with int8 is int16;
weak Python scalars; bool), wrap-around arithmetic, integer division, remainder and shifts,
reductions' result dtypes, sorting and counting ops, overflow checks when a Python number is
written, uint8 masks as indices (deprecated, warned), int8/int16 index tensors refused, class
targets, names (type(), iinfo, .byte()/.char()/.short())."""

import warnings

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from engine.ops import pointwise  # noqa: E402

from .backends import builtin_class  # noqa: E402

SMALL = ("uint8", "int8", "int16")
CASES: dict = {}


def _t(T, v, d):
    return T.tensor(v, dtype=getattr(T, d))


def _set(x, key, value):
    x[key] = value
    return x


def _legacy(d):
    return {"uint8": "Byte", "int8": "Char", "int16": "Short"}[d]


def _low(d):  # a value at the bottom of the type (0 for uint8)
    return 0 if d == "uint8" else -128


def _neg(d, v):  # a negative value, or a large one for uint8
    return 200 if d == "uint8" else -v


for d in SMALL:
    # --- names, reprs, conversions
    CASES[f"repr {d}"] = lambda T, d=d: _t(T, [1, 2, 3], d)
    CASES[f"repr 0-d {d}"] = lambda T, d=d: _t(T, 5, d)
    CASES[f"repr empty {d}"] = lambda T, d=d: _t(T, [[], []], d)
    CASES[f"str 2-d {d}"] = lambda T, d=d: str(_t(T, [[1, 2], [3, 4]], d))
    CASES[f"type() {d}"] = lambda T, d=d: _t(T, [1], d).type()
    CASES[f"type(name) {d}"] = lambda T, d=d: T.tensor([1.5, 300.0]).type(
        f"torch.{_legacy(d)}Tensor")
    CASES[f"iinfo {d}"] = lambda T, d=d: T.iinfo(getattr(T, d))
    CASES[f"dtype attributes {d}"] = lambda T, d=d: (
        getattr(T, d).is_signed, getattr(T, d).itemsize, getattr(T, d).is_floating_point,
        _t(T, [1], d).element_size())
    CASES[f"method cast {d}"] = lambda T, d=d: getattr(
        T.tensor([1.5, -2.0]), {"uint8": "byte", "int8": "char", "int16": "short"}[d])()
    CASES[f"float to {d}"] = lambda T, d=d: T.tensor([1.7, -1.7, 300.5, -300.5]).to(
        getattr(T, d))
    CASES[f"bool to {d}"] = lambda T, d=d: T.tensor([True, False]).to(getattr(T, d))
    CASES[f"to half {d}"] = lambda T, d=d: _t(T, [100, 90], d).half()
    CASES[f"item {d}"] = lambda T, d=d: _t(T, [7], d).item()
    CASES[f"tolist {d}"] = lambda T, d=d: _t(T, [7, 8], d).tolist()
    CASES[f"numpy dtype {d}"] = lambda T, d=d: str(_t(T, [7], d).numpy().dtype)
    CASES[f"requires_grad {d}"] = lambda T, d=d: T.tensor([1], dtype=getattr(T, d),
                                                          requires_grad=True)
    CASES[f"zeros {d}"] = lambda T, d=d: T.zeros(2, dtype=getattr(T, d))
    CASES[f"arange {d}"] = lambda T, d=d: T.arange(5, dtype=getattr(T, d))
    # --- writing Python numbers: torch's overflow checks
    for v in (-1, -255, -256, 127, 128, 255, 256, -129, 40000, 1.5, -0.5, 255.5):
        CASES[f"tensor {v} {d}"] = lambda T, d=d, v=v: _t(T, [v], d)
        CASES[f"full {v} {d}"] = lambda T, d=d, v=v: T.full((2,), v, dtype=getattr(T, d))
        CASES[f"fill_ {v} {d}"] = lambda T, d=d, v=v: T.zeros(2, dtype=getattr(T, d)).fill_(v)
        CASES[f"setitem {v} {d}"] = lambda T, d=d, v=v: _set(T.zeros(2, dtype=getattr(T, d)),
                                                             0, v)
        CASES[f"masked_fill {v} {d}"] = lambda T, d=d, v=v: T.zeros(
            2, dtype=getattr(T, d)).masked_fill(T.tensor([True, False]), v)
        CASES[f"add {v} {d}"] = lambda T, d=d, v=v: _t(T, [1, 2], d) + v
    # --- arithmetic
    CASES[f"wrap + {d}"] = lambda T, d=d: _t(T, [127, 255 if d != "int8" else 1], d) + 1
    CASES[f"wrap - {d}"] = lambda T, d=d: _t(T, [0, 1], d) - 1
    CASES[f"abs of least {d}"] = lambda T, d=d: _t(T, [_low(d), 3], d).abs()
    CASES[f"neg of least {d}"] = lambda T, d=d: -_t(T, [_low(d), 3], d)
    CASES[f"true div {d}"] = lambda T, d=d: _t(T, [7, 9], d) / 2
    CASES[f"floordiv {d}"] = lambda T, d=d: _t(T, [7, 9], d) // _t(T, [2, 4], d)
    CASES[f"floordiv by 0 {d}"] = lambda T, d=d: _t(T, [7, 9], d) // _t(T, [0, 4], d)
    CASES[f"floordiv by scalar 0 {d}"] = lambda T, d=d: _t(T, [7], d) // 0
    CASES[f"remainder {d}"] = lambda T, d=d: _t(T, [7, _neg(d, 9)], d) % _t(T, [2, 4], d)
    CASES[f"remainder by 0 {d}"] = lambda T, d=d: _t(T, [7], d) % _t(T, [0], d)
    CASES[f"remainder by -4 {d}"] = lambda T, d=d: _t(T, [7, 9], d) % -4
    CASES[f"fmod {d}"] = lambda T, d=d: T.fmod(_t(T, [7, 100], d), 3)
    CASES[f"div floor {d}"] = lambda T, d=d: T.div(_t(T, [7, _neg(d, 7)], d), _t(T, [2, 3], d),
                                                   rounding_mode="floor")
    CASES[f"div trunc {d}"] = lambda T, d=d: T.div(_t(T, [7, _neg(d, 7)], d), 3,
                                                   rounding_mode="trunc")
    CASES[f"shl {d}"] = lambda T, d=d: _t(T, [7, 9], d) << 3
    CASES[f"shl past the width {d}"] = lambda T, d=d: _t(T, [7, 9], d) << _t(T, [8, 17], d)
    CASES[f"shr {d}"] = lambda T, d=d: _t(T, [100, 9], d) >> 2
    CASES[f"shr past the width {d}"] = lambda T, d=d: _t(T, [100, 90], d) >> _t(T, [8, 20], d)
    CASES[f"shr negative {d}"] = lambda T, d=d: _t(T, [_neg(d, 100), 90], d) >> 3
    CASES[f"mul float {d}"] = lambda T, d=d: _t(T, [7, 9], d) * 1.5
    CASES[f"mul int wraps {d}"] = lambda T, d=d: _t(T, [7, 9], d) * 1000
    CASES[f"pow {d}"] = lambda T, d=d: _t(T, [5, 6], d) ** 2
    CASES[f"pow -1 {d}"] = lambda T, d=d: _t(T, [5, 6], d) ** -1
    CASES[f"bitwise and uint8 {d}"] = lambda T, d=d: _t(T, [5, 6], d) & _t(T, [3, 3], "uint8")
    CASES[f"bitwise not {d}"] = lambda T, d=d: ~_t(T, [5, 6], d)
    CASES[f"xor bool {d}"] = lambda T, d=d: _t(T, [100, 90], d) ^ T.tensor([True, False])
    CASES[f"bool - {d}"] = lambda T, d=d: T.tensor([True]) - _t(T, [5], d)
    CASES[f"- bool {d}"] = lambda T, d=d: _t(T, [100, 90], d) - T.tensor([True, False])
    CASES[f"+ bool {d}"] = lambda T, d=d: _t(T, [7, 9], d) + T.tensor([True, False])
    CASES[f"+= int64 {d}"] = lambda T, d=d: _t(T, [100, 90], d).__iadd__(T.tensor([1, 2]))
    CASES[f"+= float {d}"] = lambda T, d=d: _t(T, [1, 2], d).__iadd__(1.5)
    CASES[f"add_ float tensor {d}"] = lambda T, d=d: _t(T, [1, 2], d).add_(T.tensor([1.5, 2]))
    CASES[f"mul_ float 0-d {d}"] = lambda T, d=d: _t(T, [100, 90], d).mul_(T.tensor(2.5))
    CASES[f"div_ {d}"] = lambda T, d=d: _t(T, [100, 90], d).div_(2)
    CASES[f"copy_ floats {d}"] = lambda T, d=d: _t(T, [100, 90], d).copy_(T.tensor([300.7, -1.2]))
    CASES[f"maximum uint8 {d}"] = lambda T, d=d: T.maximum(_t(T, [3, 0], d),
                                                           T.tensor([1, 2], dtype=T.uint8))
    CASES[f"clamp float {d}"] = lambda T, d=d: _t(T, [5, 6], d).clamp(0, 5.5)
    CASES[f"sign {d}"] = lambda T, d=d: _t(T, [3, 0], d).sign()
    CASES[f"exp {d}"] = lambda T, d=d: _t(T, [5, 6], d).exp()
    CASES[f"sqrt {d}"] = lambda T, d=d: _t(T, [5, 6], d).sqrt()
    CASES[f"sigmoid {d}"] = lambda T, d=d: T.sigmoid(_t(T, [1, 2], d))
    CASES[f"relu {d}"] = lambda T, d=d: T.relu(_t(T, [1, 2], d))
    CASES[f"round {d}"] = lambda T, d=d: T.round(_t(T, [1, 2], d))
    CASES[f"isnan {d}"] = lambda T, d=d: T.isnan(_t(T, [1, 2], d))
    CASES[f"lerp {d}"] = lambda T, d=d: T.lerp(_t(T, [1], d), _t(T, [2], d), 0.5)
    CASES[f"promote_types {d}"] = lambda T, d=d: [
        T.promote_types(getattr(T, d), getattr(T, e))
        for e in ("uint8", "int8", "int16", "int32", "int64", "bool", "float16")]
    CASES[f"result_type {d}"] = lambda T, d=d: [
        T.result_type(_t(T, [1], d), 5), T.result_type(_t(T, [1], d), 5.0),
        T.result_type(_t(T, [1], d), T.tensor(5, dtype=T.int64))]
    # --- reductions, sorting, counting
    CASES[f"sum {d}"] = lambda T, d=d: _t(T, [100, 100], d).sum()
    CASES[f"sum dtype {d}"] = lambda T, d=d: _t(T, [100, 100], d).sum(dtype=getattr(T, d))
    CASES[f"sum into {d}"] = lambda T, d=d: T.tensor([100, 200]).sum(dtype=getattr(T, d))
    CASES[f"prod {d}"] = lambda T, d=d: _t(T, [100, 100], d).prod()
    CASES[f"cumsum {d}"] = lambda T, d=d: _t(T, [100, 100], d).cumsum(0)
    CASES[f"cumprod {d}"] = lambda T, d=d: _t(T, [3, 6], d).cumprod(0)
    CASES[f"mean {d}"] = lambda T, d=d: _t(T, [100, 100], d).mean()
    CASES[f"std {d}"] = lambda T, d=d: _t(T, [3, 6], d).std()
    CASES[f"norm {d}"] = lambda T, d=d: _t(T, [3, 6], d).norm()
    CASES[f"softmax {d}"] = lambda T, d=d: _t(T, [3, 6], d).softmax(0)
    CASES[f"max {d}"] = lambda T, d=d: _t(T, [5, 6], d).max()
    CASES[f"any {d}"] = lambda T, d=d: _t(T, [3, 6], d).any()
    CASES[f"all {d}"] = lambda T, d=d: _t(T, [3, 0], d).all()
    CASES[f"any dim {d}"] = lambda T, d=d: _t(T, [[1, 0]], d).any(1)
    CASES[f"all keepdim {d}"] = lambda T, d=d: _t(T, [[1, 0]], d).all(dim=1, keepdim=True)
    CASES[f"argmax {d}"] = lambda T, d=d: _t(T, [1, 100, 3], d).argmax()
    CASES[f"sort {d}"] = lambda T, d=d: _t(T, [1, 100, 3], d).sort()
    CASES[f"argsort {d}"] = lambda T, d=d: T.argsort(_t(T, [3, 6, 1, 3], d))
    CASES[f"topk {d}"] = lambda T, d=d: _t(T, [1, 100, 3], d).topk(2)
    CASES[f"unique {d}"] = lambda T, d=d: T.unique(_t(T, [1, 100, 3, 1], d))
    CASES[f"bincount {d}"] = lambda T, d=d: T.bincount(_t(T, [1, 4, 1], d))
    CASES[f"bincount weights {d}"] = lambda T, d=d: T.bincount(_t(T, [1, 4, 1], d),
                                                               weights=T.ones(3))
    CASES[f"histc {d}"] = lambda T, d=d: T.histc(_t(T, [1, 4, 3, 1], d), bins=4)
    CASES[f"kthvalue {d}"] = lambda T, d=d: T.kthvalue(_t(T, [3, 6, 1], d), 2)
    CASES[f"median {d}"] = lambda T, d=d: T.median(_t(T, [3, 6, 1], d))
    CASES[f"mode {d}"] = lambda T, d=d: T.mode(_t(T, [3, 6, 1, 3], d))
    CASES[f"quantile {d}"] = lambda T, d=d: T.quantile(_t(T, [3, 6, 1, 3], d), 0.5)
    CASES[f"searchsorted {d}"] = lambda T, d=d: T.searchsorted(_t(T, [1, 5, 9], d),
                                                               _t(T, [3, 6], d))
    CASES[f"bucketize {d}"] = lambda T, d=d: T.bucketize(_t(T, [3, 6], d), _t(T, [1, 5, 9], d))
    CASES[f"repeat_interleave {d}"] = lambda T, d=d: T.repeat_interleave(_t(T, [1, 2], d))
    CASES[f"nonzero {d}"] = lambda T, d=d: T.nonzero(_t(T, [1, 0], d))
    CASES[f"matmul {d}"] = lambda T, d=d: _t(T, [[3, 6], [1, 3]], d) @ _t(T, [[3, 6], [1, 3]], d)
    CASES[f"dot {d}"] = lambda T, d=d: T.dot(_t(T, [3, 6], d), _t(T, [1, 3], d))
    CASES[f"einsum {d}"] = lambda T, d=d: T.einsum("i,i->", _t(T, [3, 6], d), _t(T, [1, 3], d))
    CASES[f"conv1d {d}"] = lambda T, d=d: T.nn.functional.conv1d(_t(T, [[[1, 2, 3]]], d),
                                                                 _t(T, [[[1, 1]]], d))
    # --- comparisons, where, joining
    CASES[f"== int64 {d}"] = lambda T, d=d: _t(T, [1, 4], d) == _t(T, [1, 3], "int64")
    CASES[f"where int8 {d}"] = lambda T, d=d: T.where(T.tensor([True, False]), _t(T, [1, 4], d),
                                                      _t(T, [1, 3], "int8"))
    CASES[f"cat uint8 {d}"] = lambda T, d=d: T.cat([_t(T, [1, 4], d), _t(T, [1, 3], "uint8")])
    CASES[f"stack int16 {d}"] = lambda T, d=d: T.stack([_t(T, [1, 4], d), _t(T, [1, 3], "int16")])
    # --- as indices
    for name, key in (("0-d", lambda T, d: _t(T, 1, d)), ("1-d", lambda T, d: _t(T, [1, 0], d)),
                      ("2-d", lambda T, d: _t(T, [[1, 0, 1], [0, 0, 1]], d)),
                      ("columns", lambda T, d: (slice(None), _t(T, [1, 0, 1], d)))):
        CASES[f"x[{name}] {d}"] = lambda T, d=d, key=key: T.arange(6).reshape(2, 3)[key(T, d)]
        CASES[f"x[{name}] = 9 {d}"] = lambda T, d=d, key=key: _set(
            T.arange(6).reshape(2, 3), key(T, d), 9)
    CASES[f"x[1-d] = row {d}"] = lambda T, d=d: _set(T.arange(6).reshape(2, 3),
                                                     _t(T, [1, 0], d), T.tensor([1, 2, 3]))
    CASES[f"index_put mask shape {d}"] = lambda T, d=d: T.arange(6).reshape(2, 3).index_put(
        (_t(T, [1], d),), T.tensor(5))
    CASES[f"index_put {d}"] = lambda T, d=d: T.arange(6).reshape(2, 3).index_put(
        (_t(T, [1, 0], d),), T.tensor(5))
    CASES[f"index_select {d}"] = lambda T, d=d: T.arange(6).index_select(0, _t(T, [1], d))
    CASES[f"gather {d}"] = lambda T, d=d: T.arange(6).reshape(2, 3).gather(0, _t(T, [[1]], d))
    CASES[f"take {d}"] = lambda T, d=d: T.arange(6).take(_t(T, [1], d))
    CASES[f"masked_select {d}"] = lambda T, d=d: T.arange(3).masked_select(_t(T, [1, 0, 1], d))
    CASES[f"masked_fill mask {d}"] = lambda T, d=d: T.arange(3).masked_fill(_t(T, [1, 0, 1], d),
                                                                            3)
    CASES[f"scatter {d}"] = lambda T, d=d: T.arange(6).reshape(2, 3).scatter(0, _t(T, [[1]], d),
                                                                             3)
    CASES[f"index_add {d}"] = lambda T, d=d: T.zeros(3).index_add(0, _t(T, [1], d), T.ones(1))
    CASES[f"embedding {d}"] = lambda T, d=d: T.nn.functional.embedding(_t(T, [1], d),
                                                                       T.ones(3, 2))
    CASES[f"one_hot {d}"] = lambda T, d=d: T.nn.functional.one_hot(_t(T, [1, 0], d))
    CASES[f"where(cond) {d}"] = lambda T, d=d: T.where(_t(T, [1, 0], d))
    CASES[f"cross_entropy {d}"] = lambda T, d=d: T.nn.functional.cross_entropy(
        T.ones(2, 3), _t(T, [1, 0], d))
    CASES[f"nll_loss {d}"] = lambda T, d=d: T.nn.functional.nll_loss(T.ones(2, 3),
                                                                      _t(T, [1, 0], d))

# --- conversions (C casts: out-of-range floats and NaN as torch's x86 kernels give them),
# factories with integer ends, random integers' bounds, interpolation
_CAST_VALUES = [float("nan"), float("inf"), -float("inf"), -1e10, 1e10, -1.0, 255.9, 256.0,
                1000.5, -129.5, 40000.0, -40000.0, 3e9]
for d in SMALL:
    for src in ("float32", "float64", "float16"):
        CASES[f"cast {src} -> {d}"] = lambda T, d=d, src=src: T.tensor(
            _CAST_VALUES, dtype=getattr(T, src)).to(getattr(T, d))
    CASES[f"cast int64 -> {d}"] = lambda T, d=d: T.tensor(
        [-1, 256, 70000, -70000, 2 ** 40 + 5]).to(getattr(T, d))
    CASES[f"print 2000 {d}"] = lambda T, d=d: str(T.arange(2000).to(getattr(T, d)))
    CASES[f"print negatives {d}"] = lambda T, d=d: str(
        T.tensor([[-5, 100], [7, -128]]).to(getattr(T, d)))
    for a, b, n in ((-1, 0, 3), (0, 300, 7), (-3e9, 0, 3), (-100, 100, 5), (1.7, 9.2, 4),
                    (-1.5, 3, 4), (250, -250, 5), (0, 255, 256)):
        CASES[f"linspace {a} {b} {n} {d}"] = lambda T, d=d, a=a, b=b, n=n: T.linspace(
            a, b, n, dtype=getattr(T, d))
    for bounds in ((0, 70000), (-70000, 3), (-5, 3), (0, 256), (-128, 128), (-129, 0)):
        CASES[f"randint {bounds} {d}"] = lambda T, d=d, bounds=bounds: T.randint(
            *bounds, (3,), dtype=getattr(T, d)).dtype
        CASES[f"random_ {bounds} {d}"] = lambda T, d=d, bounds=bounds: T.zeros(
            3, dtype=getattr(T, d)).random_(*bounds).dtype
    CASES[f"gcd {d}"] = lambda T, d=d: T.gcd(_t(T, [20, 100, 1], d), _t(T, [4, 30, 1], d))
    CASES[f"count_nonzero {d}"] = lambda T, d=d: T.count_nonzero(_t(T, [20, 0, 1], d))
    CASES[f"isclose {d}"] = lambda T, d=d: T.isclose(_t(T, [20, 0, 1], d), _t(T, [20, 0, 2], d))
    CASES[f"linear {d}"] = lambda T, d=d: T.nn.functional.linear(_t(T, [[20, 0]], d),
                                                                 _t(T, [[1, 2]], d))
    CASES[f"max_pool1d {d}"] = lambda T, d=d: T.nn.functional.max_pool1d(
        _t(T, [[[20, 0, 3, 4]]], d), 2)
    CASES[f"unique dim {d}"] = lambda T, d=d: T.unique(_t(T, [[20, 0], [20, 0]], d), dim=0,
                                                       return_counts=True)
    CASES[f"cummax {d}"] = lambda T, d=d: T.cummax(_t(T, [2, 0, 5, 1], d), 0)
    CASES[f"shift by negative {d}"] = lambda T, d=d: _t(T, [64, 3], d) >> _t(T, [-1, 9], d)
    for nd in (1, 2, 3):
        for mode in ("nearest", "nearest-exact"):
            CASES[f"interpolate {mode} {nd}-d {d}"] = lambda T, d=d, nd=nd, mode=mode: \
                T.nn.functional.interpolate(
                    T.arange(2 * 5 ** nd).reshape((1, 2) + (5,) * nd).remainder(100).to(
                        getattr(T, d)), scale_factor=1.7, mode=mode)
    CASES[f"interpolate linear {d}"] = lambda T, d=d: T.nn.functional.interpolate(
        T.ones(1, 1, 4, dtype=getattr(T, d)), scale_factor=2, mode="linear")
    CASES[f"interpolate area {d}"] = lambda T, d=d: T.nn.functional.interpolate(
        T.ones(1, 1, 4, 4, dtype=getattr(T, d)), scale_factor=2, mode="area")

CASES["tensor floats and ints into uint8"] = lambda T: T.tensor([[0.5, -255], [3, 2.5]],
                                                                  dtype=T.uint8)
CASES["tensor -256 among floats into uint8"] = lambda T: T.tensor([0.5, -256], dtype=T.uint8)
CASES["tensor -0.5 among ints into uint8"] = lambda T: T.tensor([-0.5, -3], dtype=T.uint8)
CASES["tensor bool, int, float into uint8"] = lambda T: T.tensor([True, -3, 2.5], dtype=T.uint8)
CASES["new_tensor into uint8"] = lambda T: T.ones(2).new_tensor([0.001, -2], dtype=T.uint8)
CASES["multilabel_margin_loss uint8 out of range"] = lambda T: \
    T.nn.functional.multilabel_margin_loss(T.ones(1, 4), _t(T, [[3, 0, 9, 1]], "uint8"))
CASES["multilabel_margin_loss uint8"] = lambda T: T.nn.functional.multilabel_margin_loss(
    T.ones(1, 4), _t(T, [[3, 0, 1, 1]], "uint8"))
CASES["multilabel_margin_loss int32 out of range"] = lambda T: \
    T.nn.functional.multilabel_margin_loss(T.ones(1, 4), _t(T, [[3, 0, 9, 1]], "int32"))
CASES["put_ uint8 index into an expanded tensor"] = lambda T: T.zeros(3, 5).expand(
    2, 3, 5)[0].put_(_t(T, [0, 5], "uint8"), T.ones(2))
CASES["put_ float64 source into an expanded tensor"] = lambda T: T.zeros(3, 5).expand(
    2, 3, 5)[0].put_(T.tensor([0, 5]), T.ones(2, dtype=T.float64))
CASES["gather empty uint8 index"] = lambda T: T.zeros(3, 2).gather(1, T.zeros(
    3, 0, dtype=T.uint8))
CASES["gather empty float index"] = lambda T: T.zeros(3, 2).gather(1, T.zeros(3, 0))
CASES["scatter empty int8 index"] = lambda T: T.zeros(3, 2).scatter(1, T.zeros(
    3, 0, dtype=T.int8), 1.0)
CASES["scatter_add int8 index"] = lambda T: T.zeros(3, 2).scatter_add(1, T.zeros(
    3, 1, dtype=T.int8), T.ones(3, 2))
CASES["histogram uint8 negative range"] = lambda T: T.histogram(_t(T, [1, 2], "uint8"), bins=3,
                                                                range=(-1.0, 4.0))
CASES["histogram int8 range"] = lambda T: T.histogram(_t(T, [1, 2], "int8"), bins=3,
                                                      range=(-1.0, 4.0))
CASES["conv_transpose1d int8"] = lambda T: T.nn.functional.conv_transpose1d(
    _t(T, [[[1, 2, 3]]], "int8"), T.ones(1, 1, 2))
CASES["conv1d dilated uint8"] = lambda T: T.nn.functional.conv1d(
    _t(T, [[[1, 2, 3, 4, 5]]], "uint8"), _t(T, [[[1, 1]]], "uint8"), dilation=2)
CASES["embedding_bag int16"] = lambda T: T.nn.functional.embedding_bag(
    _t(T, [[1, 0]], "int16"), T.ones(3, 2))
for d in SMALL + ("int32", "int64"):
    for th, v in ((0.5, -2.0), (0.5, -2), (300, 1), (1, 300), (-1, 2), (-0.5, 9), (0.5, 9.7)):
        CASES[f"threshold {th} {v} {d}"] = lambda T, d=d, th=th, v=v: \
            T.nn.functional.threshold(_t(T, [0, 1, 2], d), th, v)
    CASES[f"tril_indices {d}"] = lambda T, d=d: T.tril_indices(3, 3, dtype=getattr(T, d))
    CASES[f"triu_indices {d}"] = lambda T, d=d: T.triu_indices(3, 3, dtype=getattr(T, d))
    CASES[f"unravel_index {d}"] = lambda T, d=d: T.unravel_index(_t(T, [3, 5], d), (2, 3))
CASES["threshold_ of an empty uint8 tensor"] = lambda T: T.nn.functional.threshold_(
    T.zeros(0, 3, dtype=T.uint8), 0.5, -2.0)
CASES["uint8 + int8"] = lambda T: _t(T, [200], "uint8") + _t(T, [-100], "int8")
CASES["uint8 + int8 0-d"] = lambda T: _t(T, [200], "uint8") + _t(T, -100, "int8")
CASES["int8 + uint8 0-d"] = lambda T: _t(T, [100], "int8") + _t(T, 200, "uint8")
CASES["uint8 + int64 0-d"] = lambda T: _t(T, [200], "uint8") + _t(T, 1000, "int64")
CASES["uint8 - 1"] = lambda T: _t(T, [0], "uint8") - 1
CASES["int8 127 + 1"] = lambda T: _t(T, [127], "int8") + 1

_F = "torch.nn.functional"
for red in ("mean", "sum", "none"):
    CASES[f"cross_entropy uint8 {red}"] = lambda T, red=red: T.nn.functional.cross_entropy(
        T.arange(6.0).reshape(2, 3).requires_grad_(), _t(T, [1, 2], "uint8"), reduction=red)
    CASES[f"nll_loss uint8 ignore_index {red}"] = lambda T, red=red: T.nn.functional.nll_loss(
        T.arange(6.0).reshape(2, 3), _t(T, [1, 2], "uint8"), ignore_index=2, reduction=red)
    CASES[f"nll_loss 2-d uint8 {red}"] = lambda T, red=red: T.nn.functional.nll_loss(
        T.arange(12.0).reshape(1, 3, 2, 2), _t(T, [[[1, 2], [0, 0]]], "uint8"), reduction=red)
    CASES[f"cross_entropy weight uint8 {red}"] = lambda T, red=red: \
        T.nn.functional.cross_entropy(T.arange(6.0).reshape(2, 3), _t(T, [1, 2], "uint8"),
                                      weight=T.tensor([1.0, 2.0, 3.0]), reduction=red)


def _ce_grad(T):
    x = T.arange(6.0).reshape(2, 3).requires_grad_()
    T.nn.functional.cross_entropy(x, _t(T, [1, 2], "uint8")).backward()
    return x.grad


CASES["cross_entropy uint8 grad"] = _ce_grad
CASES["where uint8 condition"] = lambda T: T.where(_t(T, [1, 0], "uint8"), 1.0, 2.0)
CASES["where uint8 condition tensors"] = lambda T: T.where(_t(T, [1, 0], "uint8"), T.ones(2),
                                                           T.zeros(2))
CASES["logical_and uint8"] = lambda T: T.logical_and(_t(T, [1, 0], "uint8"), _t(T, [1, 1], "uint8"))
CASES["masked_fill uint8 mask"] = lambda T: T.ones(2).masked_fill(_t(T, [1, 0], "uint8"), 0.0)

# session 11: float kernels handed the small types (the small-int sweep's float mode)
for d in SMALL + ("int32", "int64"):
    for lo, hi in ((-1.0, 1.0), (-0.5, 300.0), (-1.0, 300.0), (-0.99, 3.0), (1.0, 255.9),
                   (-128.9, 127.9), (-129.0, 1.0), (1.0, float("nan")), (-1e30, 3.0),
                   (0, -1)):
        CASES[f"hardtanh {lo} {hi} {d}"] = lambda T, d=d, lo=lo, hi=hi: \
            T.nn.functional.hardtanh(_t(T, [1, 2, 100], d), lo, hi)
    CASES[f"hardtanh_ expanded {d}"] = lambda T, d=d: T.nn.functional.hardtanh_(
        _t(T, [1, 2], d).expand(3, 2))
    for b, a in ((-1, 1), (-1, 0.5), (300, 1), (1, 300), (-1.5, 2), (1, -128.9), (-0.5, 1),
                 (255.5, 1), (1, -1.5)):
        CASES[f"addmm beta={b} alpha={a} {d}"] = lambda T, d=d, b=b, a=a: T.addmm(
            _t(T, [[100, 7]], d), _t(T, [[1], [2]], d), _t(T, [[3, 250]], d), beta=b,
            alpha=a)
        CASES[f"addr beta={b} alpha={a} {d}"] = lambda T, d=d, b=b, a=a: T.addr(
            _t(T, [[100, 7]], d), _t(T, [3], d), _t(T, [1, 2], d), beta=b, alpha=a)
    for fn in ("elu_", "celu_", "selu_", "leaky_relu_", "rrelu_", "elu", "gelu"):
        CASES[f"{fn} expanded {d}"] = lambda T, d=d, fn=fn: getattr(T.nn.functional, fn)(
            _t(T, [1, 2], d).expand(3, 2))
    for fn in ("avg_pool1d", "avg_pool2d", "avg_pool3d"):
        CASES[f"{fn} {d}"] = lambda T, d=d, fn=fn: getattr(T.nn.functional, fn)(
            T.ones(1, 1, 2, 2, 2, dtype=getattr(T, d))[0 if fn != "avg_pool3d" else ...][
                0 if fn == "avg_pool1d" else ...], 2)

for d in SMALL + ("int64",):
    for v in (-1, -1.0, 300, 255.5, -0.5, 127.5, 2.7):
        CASES[f"index_fill {v} {d}"] = lambda T, d=d, v=v: T.zeros(2, 2, dtype=getattr(
            T, d)).index_fill(1, T.tensor([0]), v)
        CASES[f"index_fill 0-d tensor {v} {d}"] = lambda T, d=d, v=v: T.zeros(2, 2, dtype=getattr(
            T, d)).index_fill(1, T.tensor([0]), T.tensor(v))
    CASES[f"index_fill value before bounds {d}"] = lambda T, d=d: T.zeros(2, 2, dtype=getattr(
        T, d)).index_fill(1, T.tensor([5]), 300)
    for a, b, n in ((4.0, 3, 1), (2.0, 3, 1), (2.5, 3, 1), (-1, 2, 1), (0, 4, 3)):
        CASES[f"logspace {a} {b} {n} {d}"] = lambda T, d=d, a=a, b=b, n=n: T.logspace(
            a, b, n, dtype=getattr(T, d))
    for fn in ("fmod", "remainder", "floor_divide"):
        CASES[f"{fn} empty by zero {d}"] = lambda T, d=d, fn=fn: getattr(T, fn)(
            T.zeros(0, 3, dtype=getattr(T, d)), T.tensor([0, 1, 1], dtype=getattr(T, d)))
        CASES[f"{fn} by zero {d}"] = lambda T, d=d, fn=fn: getattr(T, fn)(
            T.ones(2, 3, dtype=getattr(T, d)), T.tensor([0, 1, 1], dtype=getattr(T, d)))
    CASES[f"max_unpool2d empty batch {d}"] = lambda T, d=d: T.nn.functional.max_unpool2d(
        T.zeros(0, 2, 2, 2, dtype=getattr(T, d)), T.zeros(0, 2, 2, 2, dtype=T.int64), 2)
    CASES[f"max_unpool2d {d}"] = lambda T, d=d: T.nn.functional.max_unpool2d(
        T.zeros(1, 2, 2, 2, dtype=getattr(T, d)), T.zeros(1, 2, 2, 2, dtype=T.int64), 2)

_ONCE = "where received a uint8 condition tensor"  # torch warns once per process


def _observe(T, program):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = program(T)
        said = [str(w.message).split(" (Triggered internally")[0] for w in caught
                if not str(w.message).startswith(_ONCE)]
        if hasattr(r, "dtype") and hasattr(r, "shape"):
            return repr(r), str(r.dtype), said
        return repr(r), said
    except Exception as e:  # noqa: BLE001 - the class and text are what is compared
        return "raised", builtin_class(e).__name__, str(e).split("\n")[0]


@pytest.mark.parametrize("name", list(CASES))
def test_small_integer_dtypes_as_torch(name):
    assert _observe(engine, CASES[name]) == _observe(torch, CASES[name])


def test_uint8_bicubic_interpolation_says_it_is_not_supported():
    """torch resizes uint8 images with a fixed-point kernel of its own; bilinear's is
    reproduced (below), bicubic's not yet: refused by name."""
    x = engine.ones(1, 1, 4, 4, dtype=engine.uint8)
    with pytest.raises(engine.errors.NotSupported, match="uint8 tensor with mode='bicubic'"):
        engine.nn.functional.interpolate(x, scale_factor=2, mode="bicubic")


def test_uint8_bilinear_interpolation_is_torchs_fixed_point_kernel():
    import numpy as np

    rng = np.random.default_rng(11)
    for trial in range(80):
        h, w = (int(v) for v in rng.integers(1, 20, size=2))
        x = rng.integers(0, 256, size=(int(rng.integers(1, 3)), 2, h, w)).astype(np.uint8)
        kw = {"size": tuple(int(v) for v in rng.integers(1, 30, size=2))} if trial % 2 else \
            {"scale_factor": float(rng.choice([0.5, 1.5, 2.0, 3.0, 0.3, 1.7, 1.0]))}
        align = bool(trial % 4 < 2)

        def case(T, x=x, kw=kw, align=align):
            return T.nn.functional.interpolate(T.from_numpy(x.copy()), mode="bilinear",
                                               align_corners=align, **kw)
        assert _observe(engine, case) == _observe(torch, case), (h, w, kw, align)


def test_uint8_condition_of_where_warns_once_per_process(monkeypatch):
    monkeypatch.setattr(pointwise, "_WHERE_UINT8_WARNED", [])
    cond = engine.tensor([1, 0], dtype=engine.uint8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine.where(cond, 1.0, 2.0)
        engine.where(cond, 1.0, 2.0)
    assert [str(w.message) for w in caught] == [
        "where received a uint8 condition tensor. This behavior is deprecated and will be "
        "removed in a future version of PyTorch. Use a boolean condition instead."]


@pytest.mark.parametrize("kind", ["uint16", "uint32", "uint64", "complex64"])
def test_numpy_arrays_of_dtypes_torch_keeps_and_the_engine_lacks_are_refused_by_name(kind):
    import numpy as np

    arr = np.array([1, 2], dtype=kind)
    assert str(torch.from_numpy(arr).dtype) == f"torch.{kind}"  # torch 2.13 keeps the type
    for make in (engine.from_numpy, engine.tensor, engine.as_tensor):
        with pytest.raises(engine.errors.NotSupported, match=f"keeps it as torch.{kind}, a dtype "
                           "this engine does not have"):
            make(arr)
    assert engine.tensor(arr, dtype=engine.int64).tolist() == [1, 2]  # an explicit dtype: fine


@pytest.mark.parametrize("kind", ["longdouble", "object", "datetime64[s]"])
def test_numpy_arrays_torch_cannot_convert_raise_its_error(kind):
    import numpy as np

    arr = np.array([1, 2], dtype=kind)
    for make in ("from_numpy", "tensor", "as_tensor"):
        assert _observe(engine, lambda T, m=make: getattr(T, m)(arr)) == \
            _observe(torch, lambda T, m=make: getattr(T, m)(arr))


def test_legacy_classes_carry_their_dtype():
    for name in ("ByteTensor", "CharTensor", "ShortTensor", "IntTensor", "LongTensor",
                 "HalfTensor", "FloatTensor", "DoubleTensor", "BoolTensor"):
        cls = engine.legacy.BY_NAME[name]  # (a program's torch.ByteTensor)
        assert repr(cls.dtype) == repr(getattr(torch, name).dtype)
        assert cls.is_cuda is getattr(torch, name).is_cuda
