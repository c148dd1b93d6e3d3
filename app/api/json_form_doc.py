"""The JSON form's reference in the OpenAPI document, in a shape Redoc can render.

Redoc (2.x) eagerly builds a model for every schema reachable from an operation, stopping only
where a ``$ref`` repeats on the path it is following. The JSON form's nodes nest one another
through ``Expr`` (24 alternatives) and ``Stmt`` (23), so the acyclic paths through them are
countless: for ``POST /v1/sessions/{id}/run`` alone Redoc built over 20,000 schema models (and
1.4 GB) before the tab died ("Target crashed"). So ``/redoc`` names ``Expr`` and ``Stmt`` without
expanding them (Redoc's ``ignoreNamedSchemas``: :data:`REDOC_NAMED_ONLY`), and the document
carries a "The JSON form" tag under which every node is a section of its own, with ``Stmt`` and
``Expr`` spelled out as their alternatives. The schemas are unchanged: ``/docs``, clients and
the service's validation see the whole recursive definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

JSON_FORM_TAG = "json-form"
# With these two named only, no cycle is left among the schemas (tests/web/test_redoc_schema.py).
REDOC_NAMED_ONLY = ("Expr", "Stmt")


def document_json_form(schema: dict[str, Any], nodes: Iterable[str]) -> None:
    """Tag the JSON form's node schemas (``Program`` and its definitions) for Redoc's sections
    and add the tag that introduces them."""
    components = schema["components"]["schemas"]
    for name in nodes:
        if name not in REDOC_NAMED_ONLY:
            components[name] = {**components[name], "x-tags": [JSON_FORM_TAG]}
    statements = _alternatives(components["Stmt"])
    expressions = _alternatives(components["Expr"])
    schema["tags"] = [*schema.get("tags", []), {  # a new list: FastAPI's is the app's own
        "name": JSON_FORM_TAG,
        "x-displayName": "The JSON form",
        "description": (
            "A program in the JSON form (`program` in a run, evaluate or compile request) is a "
            "list of statements. Its complete JSON Schema, which requests are validated against, "
            "is `GET /v1/schema` (and `Program` in this document).\n\n"
            f"A statement (`Stmt`) is one of: {statements}.\n\n"
            f"An expression (`Expr`) is one of: {expressions}.\n\n"
            "Each node is a schema of its own (below; under Schemas in `/docs`) that lists its "
            "keys; a key that holds an expression or statements says `Expr` or `Stmt`."),
    }]


def _alternatives(union: dict[str, Any]) -> str:
    return ", ".join(_alternative(option) for option in union.get("oneOf", union.get("anyOf", [])))


def _alternative(option: dict[str, Any]) -> str:
    if "$ref" in option:
        return _link(option["$ref"])
    if option.get("type") == "array" and "$ref" in option.get("items", {}):
        return f"a list of {_link(option['items']['$ref'])}"
    if "title" in option:
        return f"a {option['title'].lower()}"
    return f"`{option.get('type', 'any value')}`"


def _link(ref: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    return f"[{name}](#schema/{name})"  # the id Redoc gives a schema's section
