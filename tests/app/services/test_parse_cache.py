"""``execution.parse_body`` keeps bodies it validated lately, only those whose model a run
cannot change (no ``inputs``, no ``program``)."""

from __future__ import annotations

import orjson
import pytest
from fastapi.exceptions import RequestValidationError

from app.models.runs import EvaluateRequest, RunRequest
from app.services import execution


def test_a_source_only_body_is_validated_once():
    raw = orjson.dumps({"source": "y = 1\ny", "outputs": ["y"]})
    first = execution.parse_body(RunRequest, raw)
    assert execution.parse_body(RunRequest, raw) is first
    assert execution.parse_body(EvaluateRequest, raw) is not first  # per model
    assert isinstance(execution.parse_body(EvaluateRequest, raw), EvaluateRequest)


@pytest.mark.parametrize("body", [
    {"source": "x", "inputs": {"x": {"type": "tensor", "data": [1.0]}}},
    {"program": [{"expr": 1}]},
])
def test_bodies_a_run_could_change_are_validated_every_time(body):
    raw = orjson.dumps(body)
    first = execution.parse_body(RunRequest, raw)
    assert execution.parse_body(RunRequest, raw) is not first


def test_invalid_bodies_are_refused_every_time():
    raw = orjson.dumps({"source": 5})
    for _ in range(2):
        with pytest.raises(RequestValidationError):
            execution.parse_body(RunRequest, raw)


def test_the_cache_is_bounded():
    for i in range(execution.PARSED_MAX + 10):
        execution.parse_body(RunRequest, orjson.dumps({"source": str(i)}))
    assert len(execution._parsed) == execution.PARSED_MAX
    big = orjson.dumps({"source": "1" * (execution.PARSED_BODY_MAX + 1)})
    assert execution.parse_body(RunRequest, big) is not execution.parse_body(RunRequest, big)


def test_in_place_changes_to_an_input_do_not_reach_the_next_run(client):
    sid = client.post("/v1/sessions").json()["id"]
    body = {"source": "x.add_(1)\nx", "inputs": {"x": {"type": "tensor", "data": [1.0, 2.0]}}}
    for _ in range(2):
        reply = client.post(f"/v1/sessions/{sid}/run", json=body)
        assert reply.status_code == 200, reply.text
        assert reply.json()["result"]["data"] == [2.0, 3.0]
