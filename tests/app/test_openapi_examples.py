"""Every request example in the OpenAPI document, sent as a JavaScript client sends it
(``JSON.stringify`` writes an integral float such as ``4.0`` as ``4``), succeeds as documented.

The examples are the first thing a user tries (Swagger UI's "Try it out" sends them from the
browser). Examples in the JSON form write their floats as the ``{"float": ...}`` node, which
survives JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.app.conftest import make_settings

STATUS_OK = {"post": {200, 201}, "put": {200}}


def as_javascript(value: Any) -> Any:
    """What ``JSON.parse(JSON.stringify(value))`` gives back: integral floats become ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [as_javascript(v) for v in value]
    if isinstance(value, dict):
        return {k: as_javascript(v) for k, v in value.items()}
    return value


def _spec() -> dict[str, Any]:
    from app.main import create_app
    return create_app(make_settings()).openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The component schemas a request body may be (following $ref, anyOf and oneOf)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [{**spec["components"]["schemas"][name], "_name": name}]
    found = []
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found += _resolve(spec, option)
    return found


def _examples() -> list[tuple[str, str, str, Any]]:
    """(id, method, path, body) for every request example: the operation's own examples and
    those of the component schemas its body is made of (a Program's, sent as a run)."""
    spec = _spec()
    cases = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is None:
                continue
            for name, example in media.get("examples", {}).items():
                cases.append((f"{method} {path} {name}", method, path, example["value"]))
            for schema in _resolve(spec, media["schema"]):
                for i, example in enumerate(schema.get("examples", [])):
                    cases.append((f"{method} {path} {schema['_name']}[{i}]", method, path,
                                  example))
    program = spec["components"]["schemas"]["Program"]
    for i, example in enumerate(program.get("examples", [])):
        cases.append((f"Program[{i}]", "post", "/v1/evaluate", {"program": example}))
    return cases


CASES = _examples()


def test_the_document_has_the_examples_we_mean_to_check():
    ids = [case[0] for case in CASES]
    assert len(ids) >= 11
    assert any(i.startswith("post /v1/evaluate") for i in ids)
    assert any(i.startswith("put /v1/sessions/{session_id}/variables/{name}") for i in ids)


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_each_example_works_as_javascript_sends_it(client, case):
    _id, method, path, body = case
    session = client.post("/v1/sessions", json={}).json()["id"]
    url = path.replace("{session_id}", session).replace("{name}", "x")
    sent = as_javascript(body)
    reply = client.request(method.upper(), url, content=json.dumps(sent),
                           headers={"content-type": "application/json"})
    changed = json.dumps(sent) != json.dumps(body)  # (4 == 4.0 in Python)
    assert reply.status_code in STATUS_OK[method], (
        f"{reply.text}\nsent: {sent}\n" + ("Write this example's floats as {'float': ...} (the "
                                           "program examples are in app/models/examples.py and "
                                           "app/lang/schema.py)." if changed else ""))
