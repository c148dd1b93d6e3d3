"""Every error is problem+json with SPEC §5's code; nothing a client sends reaches a 500."""

import logging

import pytest

from tests.app.helpers import assert_problem


def test_unknown_path_is_404_problem(client):
    body = assert_problem(client.get("/v2/whatever"), 404, "not_found")
    assert body["instance"] == "/v2/whatever"


def test_wrong_method_is_405_problem(client):
    assert_problem(client.put("/v1/evaluate", json={}), 405, "method_not_allowed")


def test_malformed_json_is_422(client):
    body = assert_problem(client.post("/v1/evaluate", content=b'{"source": ',
                                      headers={"content-type": "application/json"}),
                          422, "invalid_request")
    assert body["errors"]


def test_request_id_is_echoed_or_made(client):
    assert client.get("/v1/health/live", headers={"x-request-id": "abc-123"}).headers[
        "x-request-id"] == "abc-123"
    made = client.get("/v1/health/live", headers={"x-request-id": "bad id\x01"}).headers[
        "x-request-id"]
    assert made and made != "bad id\x01"
    problem = client.get("/nope", headers={"x-request-id": "req-9"}).json()
    assert problem["request_id"] == "req-9"


def test_body_over_the_limit_by_content_length_is_413(make_client):
    client = make_client(max_body_bytes=1024)
    body = assert_problem(client.post("/v1/evaluate", content=b" " * 2000,
                                      headers={"content-type": "application/json"}),
                          413, "limit_exceeded")
    assert body["limit"] == "max_body_bytes" and body["value"] == 1024


def test_streamed_body_over_the_limit_is_413_while_reading(make_client):
    client = make_client(max_body_bytes=1024)
    chunks_sent = []

    def chunks():
        for _ in range(100):
            chunks_sent.append(1)
            yield b" " * 512

    assert_problem(client.post("/v1/evaluate", content=chunks(),
                               headers={"content-type": "application/json"}),
                   413, "limit_exceeded")


def test_body_under_the_limit_passes(make_client):
    client = make_client(max_body_bytes=1024)
    assert client.post("/v1/evaluate", json={"source": "1"}).status_code == 200


def test_unexpected_exception_is_a_logged_500_problem_with_request_id(make_client, caplog,
                                                                      monkeypatch):
    client = make_client(raise_server_exceptions=False)

    def explode(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("app.services.hosts.pool.HostPool.acquire", explode)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        reply = client.post("/v1/evaluate", json={"source": "1"},
                            headers={"x-request-id": "trace-1"})
    body = assert_problem(reply, 500, "internal_error")
    assert body["request_id"] == "trace-1" and "boom" not in body["detail"]
    assert any("trace-1" in r.getMessage() and r.exc_info for r in caplog.records)
    assert 'autograd_errors_total{code="internal_error"} 1.0' in client.get("/metrics").text


BAD_RUNS = [
    {"source": "y.backward()"},
    {"source": "x = torch.ones(3, requires_grad=True)\n(x*2).backward()"},
    {"source": "x = torch.arange(4.0, requires_grad=True)\ny = (x*x).sum()\ny.backward()\n"
               "y.backward()"},
    {"source": "torch.ones(2, 3) @ torch.ones(2, 3)"},
    {"source": "torch.ones(2) + torch.ones(3)"},
    {"source": "torch.nosuchop(1)"},
    {"source": "torch.arange(4)[10]"},
    {"source": "torch.tensor([1, 2], requires_grad=True)"},
    {"source": "torch.ones(2).item()"},
    {"source": "1 / 0"},
    {"source": "10 ** 10 ** 10"},
    {"source": "def f(n):\n    return f(n + 1)\nf(0)"},
    {"source": "x = [1] * 10 ** 9"},
    {"source": "'a' * 10 ** 10"},
    {"source": "torch.zeros(10 ** 6, 10 ** 6)"},
    {"source": "torch.randn(size=(-1,))"},
    {"source": "while True:\n    pass"},
    {"source": "x.grad.zero_()"},
    {"source": "__import__('os')"},
    {"source": "().__class__.__bases__"},
    {"source": "\x00"},
    {"source": "x = " + "(" * 5000 + "1" + ")" * 5000},
    {"program": [{"expr": {"call": "sum", "args": [1, 2, 3, 4]}}]},
    {"program": [{"expr": {"call": "tensor", "args": [[[1], [2, 3]]]}}]},
    {"program": [{"expr": {"index": {"var": "q"}, "key": {"slice": [None, None, 0]}}}]},
    {"program": [{"expr": {"call": "backward", "args": [1.5]}}]},
    {"program": [{"assign": ["a", "b"], "value": [1, 2, 3]}]},
    {"program": [{"expr": {"attr": "grad", "of": 1}}]},
    {"program": [{"break": None}]},
    {"program": [{"return": 1}]},
    {"program": [{"expr": {"call": "arange", "args": ["NaN"]}}]},
    {"program": [{"def": "f", "params": ["a", "a"], "body": []}]},
    {"program": [{"expr": 1e308}, {"expr": {"call": "mul", "args": [1e308, 1e308]}}]},
    {"program": "not a list"},
    {"program": [[[[[[[[]]]]]]]]},
    {"program": [{"expr": 1}] * 5},
    {"inputs": {"x": {"type": "tensor", "data": "NaN"}}, "source": "x"},
    {"inputs": {"x": {"type": "tensor", "data": [[1, 2], [3]]}}, "source": "x"},
    {"inputs": {"x": {"type": "tensor", "dtype": "float32", "shape": [2],
                      "base64": "@@@"}}, "source": "x"},
    {"inputs": {"x": {"name": "x", "shape": [-1], "datatype": "FP32", "data": []}},
     "source": "x"},
    {"inputs": {"x": {"type": "tensor", "dtype": "int64", "data": [1.5e300]}}, "source": "x"},
    {"inputs": {"x": {"type": "tensor", "dtype": "bool", "data": [2]}}, "source": "x"},
    {"inputs": {"x": {"type": "tensor", "data": [True, 1.5]}}, "source": "x"},
    {"inputs": {"x": {"type": "tensor", "shape": [0], "data": []}}, "source": "x.sum()"},
    {"inputs": {"x": {"type": "tensor", "data": [[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}},
     "source": "x.sum()"},
    {"source": "1", "gradients": ["x"]},
    b'{"inputs": {"x": {"type": "tensor", "data": [1e400, -1e400]}}, "source": "x"}',
    b'{"source": "1", "inputs": {"x": NaN}}',
    b'{"source": "\\ud800"}',
    b'[' * 10_000 + b']' * 10_000,
    b'{"program": ' + b'[' * 10_000 + b']' * 10_000 + b'}',
    b'{"source": "1", "source": 2}',
    b'\xff\xfe',
]


@pytest.mark.parametrize("body", BAD_RUNS)
def test_bad_programs_and_values_never_reach_a_500(make_client, body):
    client = make_client(raise_server_exceptions=False, run_timeout_s=1.0, max_steps=100_000,
                         max_tensor_elements=10_000_000)
    reply = client.post("/v1/evaluate", json=body) if isinstance(body, dict) else \
        client.post("/v1/evaluate", content=body, headers={"content-type": "application/json"})
    assert reply.status_code < 500, reply.text
    if reply.status_code >= 400:
        assert reply.headers["content-type"].startswith("application/problem+json")
        assert reply.json()["code"] in {"invalid_request", "syntax_error", "program_error",
                                        "limit_exceeded"}


def test_malformed_json_points_at_the_document_with_a_position():
    from fastapi.testclient import TestClient

    from app.core.config import Settings
    from app.main import create_app

    client = TestClient(create_app(Settings(_env_file=None)))
    reply = client.post("/v1/evaluate", content=b'{"source": ',
                        headers={"content-type": "application/json"})
    body = reply.json()
    assert reply.status_code == 422 and body["code"] == "invalid_request"
    assert body["errors"][0]["pointer"] == "#" and body["errors"][0]["position"] == 11
    program = client.post("/v1/evaluate", json={"program": [{"assign": "x"}]}).json()
    assert program["errors"][0] == {"pointer": "#/program/0/value", "detail": "Field required"}
