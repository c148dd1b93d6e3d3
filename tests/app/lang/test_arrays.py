"""``Tensor.numpy()``: the language's NumPy arrays print and compute as torch's NumPy arrays do
(torch 2.13 and NumPy are the oracle), in both forms; what they refuse, and their sizes and
memory are bounded. (NumPy's functions: ``test_numpy.py``.)"""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program

PROGRAMS = {
    "reading an array": """
import torch
import numpy as np
x = torch.arange(6.0).reshape(2, 3)
a = x.numpy()
print(a)
print(repr(a), a.shape, a.dtype, repr(a.dtype), a.ndim, a.size, type(a), type(a).__name__)
print(a[0], a[0, 1], repr(a[0, 1]), a[:, 1], a[-1, ::2], a[None, 0].shape, a.T, len(a))
print([row for row in a], [float(v) for v in a[1]], a.tolist(), a[1, 2].item())
print(a.dtype == 'float32', a.dtype == np.float32, a.dtype.name, a.astype(np.int64))
print(f"{a[0, 2]:.3f}", f"{a}", str(a.reshape(-1)), a.flatten(), a.reshape((3, 2)))
""",
    "computing with arrays": """
import torch
a = torch.tensor([[1.0, -2.0, 3.5], [0.25, 4.0, -1.0]]).numpy()
print(a + 1, a * a, 2 ** a, a / 2, 1 - a, -a, abs(a), a // 1, a % 2)
print(a > 0, (a > 0).sum(), (a > 0).all(), (a > 0).any(), a == a, a != 1)
print(a.sum(), repr(a.sum()), a.mean(axis=0), a.max(axis=1), a.min(), a.argmax(), a.argmin())
print(a.std(), a.var(axis=0), a.prod(), a.cumsum(), a.sum(axis=1, keepdims=True))
print(a.round(1), a.transpose(), a.squeeze(), a.copy(), a.sum().item(), float(a.mean()))
b = torch.tensor([10.0, 20.0, 30.0]).numpy()
print(a + b, a * b.reshape(1, 3), b.mean() - a.mean(), round(float(b[0]) / 3, 4))
""",
    "from_numpy and as_tensor share the array's memory (torch)": """
import torch
t = torch.ones(3)
n = t.numpy()
x = torch.from_numpy(n)
x.add_(1)
print(t, n, x)
y = torch.as_tensor(n)
y.mul_(2)
print(t, n, y)
w = torch.as_tensor(n, dtype=torch.float64)
w.add_(100)
v = torch.tensor(n)
v.add_(100)
print(t, n, w, v)
u = torch.zeros(2, 3)
m = u[:, 1].numpy()
k = torch.from_numpy(m)
k.fill_(7)
print(u, m, k, k.is_contiguous(), k.stride())
b = torch.zeros(1).expand(3)
try:
    torch.from_numpy(b.numpy()).add_(1)
except RuntimeError as e:
    print(e)
""",
    "detach, cpu and back to tensors": """
import torch
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
loss = (w * w).sum()
loss.backward()
print(w.detach().numpy(), w.grad.numpy(), w.detach().cpu().numpy(), w.numpy(force=True))
try:
    w.numpy()
except RuntimeError as e:
    print(e)
a = w.detach().numpy()
print(torch.tensor(a), torch.from_numpy(a * 2), torch.as_tensor(a), w.detach() + a)
print(torch.tensor(a).dtype, torch.tensor(a.astype('float64')).dtype)
ints = torch.arange(4).numpy()
print(ints, ints.dtype, ints * 2, ints / 2, ints.sum(), ints.mean(), ints.tolist())
""",
    "lists of arrays and NumPy scalars keep their dtypes in torch.tensor": """
import torch
import warnings
warnings.simplefilter("ignore")
a = torch.ones(2, dtype=torch.float64).numpy()
b = torch.arange(3).numpy()
print(torch.tensor([a, a]), torch.tensor([[1.5, 2.5], a]), torch.tensor([b[0], b[2]]))
print(torch.tensor([torch.tensor(1.0, dtype=torch.float64), 2.5]))
print(torch.tensor([torch.tensor(3, dtype=torch.int16)]), torch.tensor([a[0], 1]))
try:
    torch.tensor([a, b])
except ValueError as e:
    print(e)
""",
}


def _oracle(source: str) -> list[str]:
    pytest.importorskip("torch")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), warnings.catch_warnings():
        # torch's own Tensor.__array_wrap__ has NumPy 1's signature: NumPy 2 warns when torch
        # runs ``tensor + ndarray``. The warning is the oracle's, not the language's.
        warnings.filterwarnings("ignore", message="__array_wrap__ must accept context",
                                category=DeprecationWarning)
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    text = buffer.getvalue()
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def _run(source: str, form: str = "source", env: Environment | None = None,
         limits: Limits | None = None) -> list[str]:
    program = compile_source(source)
    env = env if env is not None else Environment()
    if form == "json":
        result = run_program(json.loads(json.dumps(program)), env, limits or Limits())
    else:
        result = run_program(program, env, limits or Limits(), source=source)
    return [line for entry in result.printed for line in entry.split("\n")]


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_arrays_print_what_torch_and_numpy_print(name, form):
    source = PROGRAMS[name]
    assert _run(source, form) == _oracle(source)


def test_an_array_lives_in_the_session_and_follows_its_tensor():
    env = Environment()
    _run("import torch\nt = torch.zeros(3)\na = t.numpy()", env=env)
    assert _run("t[1] = 5\nprint(a, a.sum())", env=env) == ["[0. 5. 0.] 5.0"]
    assert env.memory_bytes() >= 12


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("source, exception, words", [
    ("'x' * a", "UFuncTypeError", "ufunc 'multiply' did not contain a loop with signature "
     "matching types (dtype('<U1'), dtype('float32')) -> None"),
    ("a.astype('complex128')", "NotImplementedError", "dtype complex is not supported"),
    ("np.load('x.npy')", "AttributeError", "numpy.load is not supported"),
    ("np.array(['a'])", "NotImplementedError", "'str' values is not supported"),
    ("np.broadcast_to(a, (2, 3))[0, 0] = 1", "ValueError", "read-only"),
    ("{a: 1}", "TypeError", "unhashable"),
    ("a.sum(dim=0)", "TypeError", "unexpected keyword"),
    ("a.reshape(7)", "ValueError", "reshape"),
    ("bool(a)", "ValueError", "ambiguous"),
    ("a[5]", "IndexError", "out of bounds"),
    ("torch.ones(2, requires_grad=True).numpy()", "RuntimeError", "detach().numpy()"),
    ("torch.from_numpy([1.0])", "TypeError", "expected np.ndarray"),
    ("a._view", "AttributeError", "has no attribute '_view'"),
    ("getattr(a, '_owner')", "AttributeError", "has no attribute '_owner'"),
    ("a.base", "AttributeError", "has no attribute 'base'"),
    ("a.ctypes", "AttributeError", "has no attribute 'ctypes'"),
    ("a.tofile('/tmp/x')", "AttributeError", "has no attribute 'tofile'"),
    ("a.dtype.type", "AttributeError", "has no attribute 'type'"),
    ("a.sum().view", "AttributeError", "has no attribute 'view'"),
    ("type(a)()", "TypeError", "cannot create"),
])
def test_what_arrays_refuse(form, source, exception, words):
    env = Environment()
    _run("import torch\nimport numpy as np\na = torch.tensor([1.0, -2.0, 3.0]).numpy()",
         env=env)
    with pytest.raises(LangError) as info:
        _run(source, form, env=env)
    assert info.value.extra.get("exception") == exception, info.value.detail
    assert words in info.value.detail


def test_array_results_are_bounded_like_tensors():
    limits = Limits(max_tensor_elements=10_000)
    env = Environment()
    _run("import torch\na = torch.ones(1000).numpy()", env=env)
    with pytest.raises(LangError) as info:
        _run("b = a.reshape(1000, 1) + a.reshape(1, 1000)", env=env, limits=limits)
    assert info.value.extra["limit"] == "max_tensor_elements"
    with pytest.raises(LangError) as info:
        _run("b = a.tolist() if False else torch.ones(10**6).numpy().tolist()", env=env,
             limits=Limits(max_value_elements=1000))
    assert info.value.extra["limit"] == "max_value_elements"


def test_array_memory_counts_for_the_session():
    limits = Limits(max_session_bytes=30_000_000)
    env = Environment()
    _run("import torch\nt = torch.ones(2_000_000)\nkeep = []", env=env, limits=limits)
    with pytest.raises(LangError) as info:  # 8 MB arrays whose tensors are gone
        _run("for i in range(5):\n    keep.append(t.numpy() * 2)", env=env, limits=limits)
    assert info.value.extra["limit"] == "max_session_bytes"


@pytest.mark.parametrize("encoding", ["json", "base64"])
def test_an_array_is_a_reply_output_with_values(client, session_id, encoding):
    import base64

    import numpy as np

    from tests.app.helpers import run

    body = {"source": "t = torch.arange(6.0).reshape(2, 3)\na = t.numpy()\nb = (t > 2).numpy()\n"
                      "n = torch.arange(3).numpy()",
            "outputs": ["a", "b", "n"], "encoding": encoding}
    reply = run(client, session_id, body)
    assert reply.status_code == 200, reply.text
    outputs = reply.json()["outputs"]
    want = {"a": np.arange(6.0, dtype=np.float32).reshape(2, 3),
            "b": np.arange(6.0).reshape(2, 3) > 2, "n": np.arange(3)}
    for name, arr in want.items():
        got = outputs[name]
        assert got["type"] == "ndarray"
        assert got["dtype"] == arr.dtype.name and got["shape"] == list(arr.shape)
        assert got["repr"] == repr(arr)
        if encoding == "base64":
            values = np.frombuffer(base64.b64decode(got["base64"]), dtype=arr.dtype)
        else:
            values = np.array(got["data"], dtype=arr.dtype)
        np.testing.assert_array_equal(values.reshape(arr.shape), arr)
