"""``out=`` on the table's function forms (engine/ops/out_rules.py), without torch: the table
agrees with torch's record (tests/oracle/out_golden.json, written by
tests/oracle/out_recorder.py from torch 2.13), and the mechanics torch showed there: identity,
writes through views, version counters, resizing, tuple outs, the checks' order and texts.
tests/oracle/test_out_pins.py compares every op with torch itself."""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pytest

import engine as torch
from engine.ops import OPS

GOLDEN = json.loads((pathlib.Path(__file__).parents[1] / "oracle" / "out_golden.json")
                    .read_text())


def test_the_table_takes_out_where_torch_does():
    takes = sorted(n.split("@")[0] for n, r in GOLDEN.items() if r.get("same", {}).get("ok"))
    refuses = sorted(n for n, r in GOLDEN.items() if "error" in r.get("same", {}))
    assert len(set(takes)) >= 290
    assert [n for n in takes if OPS[n].out is None] == []
    # median/nanmedian/sum/prod take out= with a dim (the recorder's calls have none)
    assert [n for n in refuses if OPS[n].out is not None] == ["median", "nanmedian", "prod",
                                                              "sum"]


def test_methods_refuse_out():
    x = torch.ones(2)
    with pytest.raises(TypeError, match=r"^add\(\) got an unexpected keyword argument 'out'$"):
        x.add(x, out=torch.empty(2))
    with pytest.raises(TypeError, match=r"^relu\(\) got an unexpected keyword argument 'out'$"):
        torch.relu(x, out=torch.empty(2))


def test_identity_values_version():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    c = torch.empty(2, 2)
    v = c._version
    r = torch.matmul(a, a, out=c)
    assert r is c and c._version == v + 1
    np.testing.assert_array_equal(torch.to_numpy(c), [[7.0, 10.0], [15.0, 22.0]])


def test_out_through_a_view_writes_the_base():
    base = torch.zeros(4, 4)
    r = torch.add(torch.ones(2, 2), 1, out=base[1:3, 1:3])
    assert float(base.sum()) == 8.0 and base._version == 1 and r._version == 1


def test_grad_mode_check_first():
    a = torch.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^matmul\(\): functions with out=\.\.\. arguments "
                                           r"don't support automatic differentiation"):
        torch.matmul(a, a, out=torch.empty(2, 2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"^linalg_inv_ex\(\): functions with out="):
        torch.linalg.inv(a, out=torch.empty(2, 2))
    out = torch.zeros(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^add\(\): functions with out="):
        torch.add(torch.ones(2, 2), 1, out=out)
    with torch.no_grad():
        assert torch.mul(a, 2, out=torch.empty(2, 2)).requires_grad is False


def test_compositions_record_a_copy():
    x = torch.tensor([3.0, 4.0], requires_grad=True)
    o = torch.empty(())
    assert torch.linalg.norm(x, out=o) is o
    assert o.requires_grad and o.grad_fn.name() == "torch::autograd::CopyBackwards"
    o.backward()
    np.testing.assert_allclose(torch.to_numpy(x.grad), [0.6, 0.8])


def test_dtype_rules():
    x = torch.tensor([0.1, 0.2, 0.3])
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired "
                                           "output type Long$"):
        torch.exp(x, out=torch.empty(3, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype float, but got "
                                           "double instead$"):
        torch.mm(x[None], x[:, None], out=torch.empty(1, 1, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="^result dtype Double does not match input dtype "
                                           "Float$"):
        torch.dot(x, x, out=torch.empty((), dtype=torch.float64))
    with pytest.raises(RuntimeError, match="^addmv input tensors must have the same dtype, but "
                                           "got Double, Float, and Float$"):
        torch.mv(x[None], x, out=torch.empty(1, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype long int, but "
                                           "got int instead$"):
        torch.argmax(x, out=torch.empty((), dtype=torch.int32))
    with pytest.raises(TypeError, match=r"^torch\.cat\(\): input types can't be cast to the "
                                        "desired output type Long$"):
        torch.stack([x, x], out=torch.empty(2, 3, dtype=torch.int64))
    with pytest.raises(NotImplementedError, match="^\"check_uniform_bounds\" not implemented "
                                                  "for 'Long'$"):
        torch.rand(2, 2, out=torch.empty(2, 2, dtype=torch.int64))


def test_reductions_compute_in_outs_dtype_pointwise_casts():
    x = torch.tensor(np.random.default_rng(0).uniform(0, 1, 1000).astype(np.float32))
    o = torch.empty((), dtype=torch.float64)
    torch.sum(x, 0, out=o)
    assert float(o) == float(x.double().sum())
    c = torch.empty(1000, dtype=torch.float64)
    torch.cumsum(x, 0, out=c)
    np.testing.assert_array_equal(torch.to_numpy(c), torch.to_numpy(x.double().cumsum(0)))
    e = torch.empty(1000, dtype=torch.float64)
    torch.exp(x, out=e)
    np.testing.assert_array_equal(torch.to_numpy(e), torch.to_numpy(x.exp().double()))


def test_creation_takes_outs_dtype():
    o = torch.empty(3, dtype=torch.int64)
    with pytest.warns(UserWarning, match="^The number of elements in the out tensor of shape"):
        assert torch.arange(5, out=o) is o and o.dtype == torch.int64 and o.shape == (5,)
    d = torch.empty(2, 2, dtype=torch.float64)
    assert torch.rand(2, 2, out=d).dtype == torch.float64


def test_resizing_warns_unless_empty():
    x = torch.ones(3, 4)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        o = torch.add(x, 1, out=torch.zeros(7))
        e = torch.add(x, 1, out=torch.empty(0))
    assert o.shape == (3, 4) and e.shape == (3, 4)
    assert len(w) == 1 and str(w[0].message).startswith(
        "An output with one or more elements was resized since it had shape [7], which does not "
        "match the required output shape [3, 4]. This behavior is deprecated")


def test_overlap():
    x, y = torch.rand(3, 3), torch.rand(3, 3)
    assert torch.add(x, y, out=x) is x  # exactly the input: allowed
    with pytest.raises(RuntimeError, match="^unsupported operation: some elements of the input "
                                           "tensor and the written-to tensor refer to a single "
                                           "memory location"):
        torch.add(x, y, out=x.T)
    assert torch.mm(x, y, out=x) is x  # (torch's mm computes first)


def test_tuple_outs():
    x = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    v, i = torch.empty(0), torch.empty(0, dtype=torch.int64)
    r = torch.max(x, 1, out=(v, i))
    assert r[0] is v and r[1] is i and type(r).__name__ == "max_out"
    assert repr(r).startswith("torch.return_types.max_out(")
    assert r.values is v
    with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype long int, but got "
                                           "int instead$"):
        torch.max(x, 1, out=(v, torch.empty(0, dtype=torch.int32)))
    s = torch.sort(x, out=[torch.empty(0), torch.empty(0, dtype=torch.int64)])
    assert type(s).__name__ == "sort_out"
    with pytest.raises(TypeError, match="^expected tuple of 2 elements but got 1$"):
        torch.sort(x, out=(v,))
    assert torch.max(x, out=torch.empty(())).shape == ()  # the full reduction: one tensor


def test_argument_parser_refusals():
    x = torch.ones(2, 3)
    with pytest.raises(TypeError, match=r"^sum\(\) received an invalid combination of arguments "
                                        r"- got \(Tensor, out=Tensor\), but expected one of:"):
        torch.sum(x, out=torch.empty(()))
    assert torch.sum(x, 0, out=torch.empty(3)).shape == (3,)
    with pytest.raises(TypeError, match=r"^exp\(\): argument 'out' must be Tensor, not int$"):
        torch.exp(x, out=3)


def test_a_program_with_out():
    from app.lang import Environment, Limits, compile_source, run_program

    src = """
import torch
a = torch.ones(2, 2)
c = torch.empty(2, 2)
d = torch.matmul(a, a, out=c)
print(d is c, c)
torch.rand(2, 2, out=c)
v, i = torch.max(a, 1, out=(torch.empty(0), torch.empty(0, dtype=torch.long)))
print(v, i)
"""
    r = run_program(compile_source(src), Environment(), Limits(), source=src)
    assert r.printed[0].startswith("True tensor([[2., 2.],")
    assert r.printed[1] == "tensor([1., 1.]) tensor([0, 0])"


def _values_cases():
    return sorted(n for n, r in GOLDEN.items()
                  if r.get("float64", {}).get("values") in ("cast", "compute"))


@pytest.mark.parametrize("name", _values_cases())
def test_cast_or_compute_as_torch(name):
    """A float32 op into a float64 out: torch's values are the float32 result cast ("cast") or
    the op computed on float64 inputs ("compute"), bit for bit (the recorder told which)."""
    from tests.oracle.out_recorder import RANDOM, calls, to_backend

    if name.split("@")[0] in RANDOM:
        pytest.skip("random values")
    args, kwargs = calls(OPS)[name]
    fn = OPS[name.split("@")[0]].fn
    dt = torch.dtype_from_name
    a32, k32 = to_backend(args, torch.tensor, dt), to_backend(kwargs, torch.tensor, dt)
    a64 = to_backend(args, torch.tensor, dt, double=True)
    k64 = to_backend(kwargs, torch.tensor, dt, double=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r32 = fn(*a32, **k32)
        out = torch.zeros(r32.shape, dtype=torch.float64)
        fn(*a32, **k32, out=out)
        want = r32.double() if GOLDEN[name]["float64"]["values"] == "cast" else fn(*a64, **k64)
    np.testing.assert_array_equal(torch.to_numpy(out), torch.to_numpy(want))


def test_dtype_argument_beside_out():
    with pytest.raises(RuntimeError, match=r"^dtype Double does not match dtype of out parameter "
                                           r"\(Float\)$"):
        torch.arange(2, dtype=torch.float64, out=torch.zeros(2))
    with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype double, but got "
                                           "float instead$"):
        torch.sum(torch.ones(2, 2), 0, dtype=torch.float64, out=torch.zeros(2))
    with pytest.raises(RuntimeError, match=r"^nansum: provided dtype must match dtype of result\. "
                                           r"Got Float and Double\.$"):
        torch.nansum(torch.ones(2, 2), 0, dtype=torch.float64, out=torch.zeros(2))
    assert torch.zeros(2, dtype=torch.float32, out=torch.ones(2)).dtype == torch.float32


def test_an_out_that_requires_grad_is_resized_under_no_grad():
    z = torch.zeros(3, requires_grad=True)
    with torch.no_grad():
        r = torch.add(torch.ones(2, 2), 1, out=z)
    assert r is z and z.shape == (2, 2) and z.requires_grad and z._version == 1
