"""POST /v1/sessions/{id}/run."""

import base64

import numpy as np
import pytest

from tests.app.helpers import assert_problem, run


def test_result_is_the_last_expression(client, session_id):
    body = run(client, session_id, "x = torch.arange(4.0)\nx * 2").json()
    assert body["result"]["repr"] == "tensor([0., 2., 4., 6.])"
    assert body["printed"] == [] and body["outputs"] == {}
    assert body["stats"]["steps"] > 0 and body["stats"]["elapsed_ms"] >= 0


def test_no_trailing_expression_gives_null(client, session_id):
    assert run(client, session_id, "x = 1").json()["result"] is None


def test_print_lines(client, session_id):
    assert run(client, session_id, "print('hi', 3)\nprint(1 + 1)").json()["printed"] == [
        "hi 3", "2"]


def test_a_failed_run_returns_what_it_printed_before_the_error(client, session_id):
    body = assert_problem(run(client, session_id, "print('epoch', 1)\nprint('a', end=' ')\n"
                                                  "print('b', end='')\n1 / 0"),
                          400, "program_error")
    assert body["printed"] == ["epoch 1", "a b"] and body["exception"] == "ZeroDivisionError"
    body = assert_problem(run(client, session_id, "import sys\nprint('bye')\nsys.exit(3)"),
                          400, "program_error")
    assert (body["printed"], body["exception"], body["detail"]) == (["bye"], "SystemExit", "3")
    reply = run(client, session_id, "import sys\nprint('done')\nsys.exit()\nprint('no')")
    assert reply.status_code == 200 and reply.json()["printed"] == ["done"]


def test_inputs_are_bound_and_outputs_returned(client, session_id):
    body = run(client, session_id, {
        "inputs": {"x": {"type": "tensor", "data": [0.0, 1.0, 2.0, 3.0], "requires_grad": True},
                   "k": 2},
        "source": "y = k * torch.dot(x, x)\ny.backward()",
        "outputs": ["y", "x"],
    }).json()
    assert body["outputs"]["y"]["repr"] == "tensor(28., grad_fn=<MulBackward0>)"
    assert body["outputs"]["x"]["requires_grad"] is True
    grad = client.get(f"/v1/sessions/{session_id}/variables/x").json()["grad"]
    assert grad["data"] == [0.0, 4.0, 8.0, 12.0]


def test_base64_encoding_of_replies(client, session_id):
    body = run(client, session_id, {"source": "torch.arange(3.0)", "encoding": "base64"}).json()
    raw = base64.b64decode(body["result"]["base64"])
    assert np.frombuffer(raw, dtype="<f4").tolist() == [0.0, 1.0, 2.0]


def test_nan_gradient_is_a_value_not_a_failure(client, session_id):
    body = run(client, session_id,
               "x = torch.tensor([0.0, 1.0], requires_grad=True)\n"
               "y = torch.log(x) * 0.0\ny.sum().backward()\nx.grad").json()
    assert body["result"]["data"][0] == "NaN"


def test_json_form_runs(client, session_id):
    body = run(client, session_id, {"program": [
        {"assign": "x", "value": {"call": "tensor", "args": [[1.0, 2.0]]}},
        {"expr": {"call": "sum", "args": [{"var": "x"}]}},
    ]}).json()
    assert body["result"]["repr"] == "tensor(3.)"


def test_state_persists_between_runs(client, session_id):
    run(client, session_id, "def sq(v):\n    return v * v\nz = 5")
    assert run(client, session_id, "sq(z)").json()["result"] == 25


def test_failed_run_keeps_what_ran_before_and_the_session_works(client, session_id):
    body = assert_problem(run(client, session_id, "a = 1\nb = undefined_name\nc = 3"), 400,
                          "program_error")
    assert body["location"]["line"] == 2
    assert run(client, session_id, "a").json()["result"] == 1
    assert_problem(run(client, session_id, "c"), 400, "program_error")


def test_backward_twice_uses_pytorchs_words(client, session_id):
    run(client, session_id, "x = torch.arange(4.0, requires_grad=True)\n"
                            "y = 2 * torch.dot(x, x)\ny.backward()")
    body = assert_problem(run(client, session_id, "y.backward()"), 400, "program_error")
    assert body["detail"].startswith("Trying to backward through the graph a second time")


def test_nonscalar_backward_uses_pytorchs_words(client, session_id):
    body = assert_problem(
        run(client, session_id, "x = torch.ones(3, requires_grad=True)\n(x * 2).backward()"),
        400, "program_error")
    assert "grad can be implicitly created only for scalar outputs" in body["detail"]


def test_syntax_error_points_at_line_and_column(client, session_id):
    body = assert_problem(run(client, session_id, "x = (1 +\n"), 400, "syntax_error")
    assert "line" in body["location"]


@pytest.mark.parametrize("source", ["import socket", "x.__globals__", "open('f')", "memoryview(x)",
                                    "getattr(x, '__dict__')"])
def test_outside_the_subset_is_a_syntax_error(client, session_id, source):
    body = assert_problem(run(client, session_id, source), 400, "syntax_error")
    assert body["location"]["line"] == 1


@pytest.mark.parametrize("source", ["open('/etc/passwd')", "exec('1')", "eval('1')",
                                    "globals()", "compile('1', 'f', 'exec')"])
def test_python_builtins_do_not_exist(client, session_id, source):
    body = assert_problem(run(client, session_id, source), 400, "syntax_error")
    assert body["location"]["line"] == 1
    name = source.split("(")[0]
    program = [{"expr": {"call": name, "args": ["1"]}}]
    body = assert_problem(run(client, session_id, {"program": program}), 400,
                          "program_error")  # the JSON form: an unknown name when it runs
    assert body["location"]["pointer"] == "#/program/0"


def test_unknown_output_is_a_program_error_with_pointer(client, session_id):
    body = assert_problem(run(client, session_id, {"source": "a = 1", "outputs": ["b"]}), 400,
                          "program_error")
    assert body["location"]["pointer"] == "#/outputs/0"


def test_step_limit(make_client):
    client = make_client(max_steps=100)
    sid = client.post("/v1/sessions").json()["id"]
    body = assert_problem(run(client, sid, "i = 0\nwhile True:\n    i = i + 1"), 400,
                          "limit_exceeded")
    assert body["limit"] == "max_steps"


def test_timeout_frees_the_session(make_client):
    client = make_client(run_timeout_s=0.3, max_steps=10**9, max_loop_iterations=10**9)
    sid = client.post("/v1/sessions").json()["id"]
    body = assert_problem(run(client, sid, "i = 0\nwhile True:\n    i = i + 1"), 400,
                          "limit_exceeded")
    assert body["limit"] == "timeout_s"
    assert run(client, sid, "41 + 1").json()["result"] == 42


def test_tensor_size_limit(make_client):
    client = make_client(max_tensor_elements=1000)
    sid = client.post("/v1/sessions").json()["id"]
    assert_problem(run(client, sid, "torch.zeros(100, 100)"), 400, "limit_exceeded")
    body = assert_problem(run(client, sid, {"source": "x", "inputs": {"x": {
        "type": "tensor", "dtype": "float32", "shape": [2000], "data": [0] * 2000}}}), 400,
        "limit_exceeded")
    assert body["limit"] == "max_tensor_elements"


@pytest.mark.parametrize("body", [
    {},
    {"source": "1", "program": []},
    {"source": 1},
    {"program": "x = 1"},
    {"source": "1", "typo": 1},
    {"source": "1", "inputs": {"__x": 1}},
    {"source": "1", "inputs": {"x": {"type": "tensor", "data": [1], "dtype": "complex64"}}},
    {"source": "1", "outputs": "x"},
    {"source": "1", "encoding": "hex"},
])
def test_malformed_bodies_are_422_with_a_pointer(client, session_id, body):
    problem = assert_problem(run(client, session_id, body), 422, "invalid_request")
    assert problem["errors"]


def test_invalid_program_points_at_the_field(client, session_id):
    body = assert_problem(run(client, session_id, {"program": [{"assign": "x"}]}), 422,
                          "invalid_request")
    assert body["pointer"].startswith("#/program/0")
