"""autograd_client against a live server (uvicorn on a free 127.0.0.1 port)."""

from __future__ import annotations

import numpy as np
import pytest
from autograd_client import (
    Client,
    InvalidRequest,
    NotFound,
    ProgramError,
    ProgramSyntaxError,
    Unauthorized,
)
from autograd_client.magic import load_ipython_extension, unload_ipython_extension
from autograd_client.values import decode, encode

from tests.live_server import live_server

KEY = "client-key"


@pytest.fixture(scope="module")
def server():
    with live_server(api_keys=KEY) as url:
        yield url


@pytest.fixture
def client(server):
    with Client(server, api_key=KEY) as client:
        yield client


def test_the_seed_chapter_through_a_session(client):
    with client.session(seed=0) as s:
        x = s.run("x = torch.arange(4.0, requires_grad=True)\nx")
        assert x.repr == "tensor([0., 1., 2., 3.], requires_grad=True)"
        np.testing.assert_array_equal(x.value, [0, 1, 2, 3])
        assert x.value.dtype == np.float32
        assert s.grad("x") is None
        s.run("y = 2 * torch.dot(x, x)")
        s.run("y.backward()")
        np.testing.assert_array_equal(s.grad("x"), [0.0, 4.0, 8.0, 12.0])
        assert s["y"].shape == () and float(s["y"]) == 28.0
        assert "x" in s and "nope" not in s
        session_id = s.id
    with pytest.raises(NotFound):  # the context manager ended it
        client.request("GET", f"/v1/sessions/{session_id}")


def test_put_get_and_large_arrays_as_base64(client):
    with client.session() as s:
        w = np.linspace(-1, 1, 5000, dtype=np.float64).reshape(50, 100)
        s.put("w", w, requires_grad=True)
        s["k"] = np.arange(3, dtype=np.int32)
        out = s.run("(w * w).sum().backward()\nk * 2")
        np.testing.assert_array_equal(out.value, [0, 2, 4])
        assert out.value.dtype == np.int32
        np.testing.assert_allclose(s.grad("w"), 2 * w)
        assert s["w"].dtype == np.float64 and s["w"].shape == (50, 100)
        assert out.raw["result"].get("base64")  # replies come as base64
        del s["k"]
        assert "k" not in s


def test_non_finite_values_both_ways(client):
    with client.session() as s:
        s["v"] = np.array([1.0, np.nan, np.inf, -np.inf], dtype=np.float32)
        np.testing.assert_array_equal(s["v"], [1.0, np.nan, np.inf, -np.inf])
        result = s.run("v * 2").value
        assert np.isnan(result[1]) and result[2] == np.inf


def test_run_takes_inputs_outputs_and_the_json_form(client):
    with client.session() as s:
        program = [{"assign": "y", "value": {"call": "mul", "args": [{"var": "x"}, 3]}}]
        result = s.run(program, inputs={"x": np.ones(2, dtype=np.float32)}, outputs=["y"])
        assert result.value is None
        np.testing.assert_array_equal(result.outputs["y"], [3.0, 3.0])


def test_evaluate_returns_gradients(client):
    x = encode(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    result = client.evaluate("y = (x ** 2).sum()\ny.backward()\ny", inputs={"x": x},
                             gradients=["x"])
    np.testing.assert_array_equal(result.gradients["x"], [2.0, 4.0])
    assert result.repr == "tensor(5., grad_fn=<SumBackward0>)"


def test_problems_are_typed_with_code_detail_and_location(client):
    with client.session() as s:
        with pytest.raises(ProgramError) as failed:
            s.run("a = 1\nb = torch.ones(2) @ torch.ones(3)")
        error = failed.value
        assert error.code == "program_error" and error.status == 400
        assert error.location["line"] == 2 and error.op == "matmul"
        assert error.exception == "RuntimeError" and "size" in error.detail
        assert s["a"] == 1  # the session kept what ran before the failing line
        with pytest.raises(ProgramSyntaxError) as syntax:
            s.run("y = (")
        assert syntax.value.location["line"] == 1
    with pytest.raises(InvalidRequest):
        client.request("POST", "/v1/evaluate", json={"source": 5})
    with pytest.raises(TypeError):
        encode(1.5, requires_grad=True)


def test_a_wrong_key_is_unauthorized(server):
    with Client(server, api_key="wrong") as client, pytest.raises(Unauthorized) as failed:
        client.session()
    assert failed.value.code == "unauthorized"


def test_compile_and_ops(client):
    assert client.compile("y = x * 2") == [
        {"assign": "y", "value": {"call": "mul", "args": [{"var": "x"}, 2]}}]
    assert any(op["name"] == "backward" for op in client.ops())


def test_decode_keeps_dtypes():
    for dtype in (np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_):
        array = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
        for threshold in (1, 10_000):
            back = decode(encode(array, base64_from=threshold))
            assert back.dtype == array.dtype and back.shape == (2, 3)
            np.testing.assert_array_equal(back, array)


class FakeIPython:
    """What the extension uses of IPython's shell: magic registration and ``push``."""

    def __init__(self) -> None:
        self.magics: dict[str, object] = {}
        self.namespace: dict[str, object] = {}

    def register_magic_function(self, func, magic_kind, magic_name):
        self.magics[f"{magic_kind}:{magic_name}"] = func

    def push(self, variables):
        self.namespace.update(variables)


def test_the_cell_magic_runs_notebook_cells_in_one_session(server, monkeypatch, capsys):
    monkeypatch.setenv("AUTOGRAD_URL", server)
    monkeypatch.setenv("AUTOGRAD_API_KEY", KEY)
    shell = FakeIPython()
    load_ipython_extension(shell)
    try:
        cell = shell.magics["cell:autograd"]
        shown = cell("", "x = torch.arange(4.0, requires_grad=True)\nprint('hello')\nx")
        assert repr(shown) == "tensor([0., 1., 2., 3.], requires_grad=True)"
        assert capsys.readouterr().out == "hello\n"
        assert cell("", "y = 2 * torch.dot(x, x)\ny.backward()") is None
        assert repr(cell("", "x.grad")) == "tensor([ 0.,  4.,  8., 12.])"
        session = shell.namespace["autograd_session"]()
        np.testing.assert_array_equal(session.grad("x"), [0, 4, 8, 12])
        with pytest.raises(ProgramError):
            cell("", "y.backward()")  # exercise 2: the graph was freed
        fresh = shell.magics["line:autograd_connect"](f"{server} --seed 0")
        assert fresh.id != session.id and "x" not in fresh
    finally:
        unload_ipython_extension(shell)


def test_the_magic_in_a_real_ipython(server, monkeypatch):
    ipython = pytest.importorskip("IPython.core.interactiveshell")
    monkeypatch.setenv("AUTOGRAD_URL", server)
    monkeypatch.setenv("AUTOGRAD_API_KEY", KEY)
    shell = ipython.InteractiveShell.instance()
    shell.run_line_magic("load_ext", "autograd_client")
    try:
        shown = shell.run_cell_magic("autograd", "", "torch.ones(2) * 3")
        assert repr(shown) == "tensor([3., 3.])"
    finally:
        shell.run_line_magic("unload_ext", "autograd_client")
