"""Source and JSON forms meet the same size and depth limits, on run and on compile alike;
deep JSON bodies are a clean 413, never pydantic's recursion error."""

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(Settings()))


def _nested_json(depth: int) -> dict:
    prog = {"call": "abs", "args": [1]}
    for _ in range(depth - 1):
        prog = {"call": "abs", "args": [prog]}
    return prog


@pytest.mark.parametrize("depth", [60, 150, 400])
def test_deep_programs_are_limit_exceeded_in_both_forms(client, depth):
    sid = client.post("/v1/sessions").json()["id"]
    source = "y = " + "abs(" * depth + "1" + ")" * depth
    by_source = client.post(f"/v1/sessions/{sid}/run", json={"source": source})
    by_json = client.post(f"/v1/sessions/{sid}/run",
                          json={"program": [{"assign": "y", "value": _nested_json(depth)}]})
    compiled = client.post("/v1/compile", json={"source": source})
    assert by_json.status_code == 413 and by_json.json()["code"] == "limit_exceeded"
    for reply in (by_source, compiled):
        # Python's own parser may refuse very deep source first: a syntax_error, never a 500
        assert reply.json()["code"] in ("limit_exceeded", "syntax_error")
        assert reply.status_code in (413, 400)


def test_shallow_program_compiles_and_runs(client):
    sid = client.post("/v1/sessions").json()["id"]
    source = "y = " + "abs(" * 10 + "-1" + ")" * 10 + "\ny"
    assert client.post("/v1/compile", json={"source": source}).status_code == 200
    assert client.post(f"/v1/sessions/{sid}/run", json={"source": source}).json()["result"] == 1
