"""/v1/compile, /v1/schema, /v1/ops."""

from app.models.examples import SEED_SIMPLE_SOURCE
from tests.app.helpers import assert_problem


def test_compile_gives_the_json_form(client):
    reply = client.post("/v1/compile", json={"source": SEED_SIMPLE_SOURCE})
    assert reply.status_code == 200
    program = reply.json()["program"]
    assert len(program) == 4 and program[0]["assign"] == "x"


def test_compile_error_has_line_and_column(client):
    body = assert_problem(client.post("/v1/compile", json={"source": "x = 1\nimport socket"}), 400,
                          "syntax_error")
    assert body["location"]["line"] == 2
    assert "col" in body["location"]


def test_compiled_program_runs_like_the_source(client):
    program = client.post("/v1/compile", json={"source": SEED_SIMPLE_SOURCE}).json()["program"]
    by_program = client.post("/v1/evaluate", json={"program": program}).json()["result"]
    by_source = client.post("/v1/evaluate", json={"source": SEED_SIMPLE_SOURCE}).json()["result"]
    assert by_program == by_source
    assert by_source["repr"] == "tensor([ 0.,  4.,  8., 12.])"


def test_schema_is_the_program_json_schema(client):
    schema = client.get("/v1/schema").json()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["type"] == "array"


def test_schema_is_in_the_openapi_document(client):
    components = client.get("/openapi.json").json()["components"]["schemas"]
    assert "Program" in components and "ProblemBody" in components


def test_ops_catalog_lists_ops_with_signature_doc_differentiable(client):
    ops = {op["name"]: op for op in client.get("/v1/ops").json()["ops"]}
    assert {"dot", "sum", "backward", "arange"} <= ops.keys()
    assert ops["dot"]["differentiable"] is True
    assert ops["sum"]["signature"].startswith("sum(")
    assert all(op["doc"] for op in ops.values())
