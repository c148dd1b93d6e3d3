"""/redoc stays renderable: Redoc expands every schema an operation reaches, stopping only at a
``$ref`` already on its path, so the recursive JSON form must reach it with ``Expr`` and ``Stmt``
named only (app/api/json_form_doc.py). The browser test shows the page; these catch, in
milliseconds, a schema change that would bring the crash back."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.api.json_form_doc import JSON_FORM_TAG, REDOC_NAMED_ONLY

PREFIX = "#/components/schemas/"


@pytest.fixture
def spec(client) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def refs(node: Any) -> list[str]:
    """The component names ``node`` refers to, once per occurrence, not following them."""
    if isinstance(node, dict):
        found = [node["$ref"].removeprefix(PREFIX)] if "$ref" in node else []
        return found + [name for value in node.values() for name in refs(value)]
    if isinstance(node, list):
        return [name for value in node for name in refs(value)]
    return []


def test_redoc_names_expr_and_stmt_without_expanding_them(client):
    html = client.get("/redoc").text
    assert f'ignore-named-schemas="{",".join(REDOC_NAMED_ONLY)}"' in html


LIMIT = 2000  # Redoc builds about 200 models for the largest operation; it died past 20,000


def expanded(components: dict[str, Any], node: Any, path: tuple[str, ...] = (),
             named_only: tuple[str, ...] = REDOC_NAMED_ONLY) -> int:
    """How many schemas Redoc expands from ``node``: it follows every ``$ref`` but one already
    on its path or named only, as often as it occurs. Stops counting past LIMIT."""
    total = 0
    for name in refs(node):
        total += 1
        if name not in path and name not in named_only:
            total += expanded(components, components[name], (*path, name), named_only)
        if total > LIMIT:
            return total
    return total


def test_what_redoc_expands_stays_small(spec):
    components = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert expanded(components, operation) <= LIMIT, f"{method} {path}"
    for name, schema in components.items():
        assert expanded(components, schema, (name,)) <= LIMIT, name


def test_expanding_expr_and_stmt_would_be_too_much(spec):  # so the test above can fail
    components = spec["components"]["schemas"]
    assert expanded(components, components["Program"], ("Program",), named_only=()) > LIMIT


def test_the_json_form_reference_names_every_node(client, spec):
    components = spec["components"]["schemas"]
    program = client.get("/v1/schema").json()
    nodes = {"Program", *program["$defs"]} - set(REDOC_NAMED_ONLY)
    tagged = {name for name, schema in components.items()
              if JSON_FORM_TAG in schema.get("x-tags", ())}
    assert tagged == nodes
    tag = [tag for tag in spec["tags"] if tag["name"] == JSON_FORM_TAG]
    assert len(tag) == 1
    linked = set(re.findall(r"\]\(#schema/(\w+)\)", tag[0]["description"]))
    alternatives = {ref for name in REDOC_NAMED_ONLY for ref in refs(components[name]["oneOf"])}
    assert alternatives <= linked <= nodes
