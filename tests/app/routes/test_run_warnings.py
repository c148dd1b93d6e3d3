"""The run reply's additive ``"warnings"`` field: torch's and the program's warnings of the
run, absent when none; the session's filters last across runs and a restart (snapshot or
replay)."""

from __future__ import annotations

from app.lang import Environment, Limits, compile_source, run_program
from app.services import snapshots
from tests.app.helpers import kill_hosts, run

NON_LEAF = "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\nprint(y.grad)"


def test_a_run_reply_carries_its_warnings_apart_from_printed(client, session_id):
    reply = run(client, session_id, NON_LEAF)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["printed"] == ["None"]
    (warning,) = body["warnings"]
    assert warning["category"] == "UserWarning"
    assert warning["message"].startswith("The .grad attribute of a Tensor that is not a leaf")
    assert (warning["pointer"], warning["line"]) == ("#/program/3", 4)
    program = {"program": compile_source("import warnings\nwarnings.warn('w', FutureWarning)")}
    assert run(client, session_id, program).json()["warnings"] == [
        {"category": "FutureWarning", "message": "w", "pointer": "#/program/1"}]


def test_a_reply_without_warnings_has_no_field(client, session_id):
    body = run(client, session_id, "x = 1\nx").json()
    assert "warnings" not in body and body["result"] == 1


def test_evaluate_carries_warnings_too(client):
    reply = client.post("/v1/evaluate", json={"source": NON_LEAF})
    assert reply.status_code == 200, reply.text
    assert [w["category"] for w in reply.json()["warnings"]] == ["UserWarning"]


def test_the_reply_schema_documents_warnings(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "warnings" in schemas["RunReply"]["properties"]
    assert set(schemas["RunWarning"]["properties"]) == {"category", "message", "pointer", "line"}


def test_filters_round_trip_in_a_snapshot():
    env = Environment()
    run_program(compile_source("import warnings\nwarnings.filterwarnings('ignore', "
                               "message='a', category=UserWarning, lineno=3)\nx = 1"),
                env, Limits())
    back = Environment()
    snapshots.restore(snapshots.capture(env), back)
    assert back.warning_filters == env.warning_filters
    assert run_program(compile_source("warnings.warn('abc')"), back, Limits()).warnings == \
        run_program(compile_source("warnings.warn('abc')"), env, Limits()).warnings


def test_filters_of_a_program_class_make_the_session_replayed():
    env = Environment()
    run_program(compile_source("import warnings\nclass W(Warning):\n    pass\n"
                               "warnings.simplefilter('ignore', W)"), env, Limits())
    try:
        snapshots.capture(env)
    except snapshots.NotPlain:
        return
    raise AssertionError("a class in a filter has no plain form")


def test_filters_survive_a_restart(make_client):
    client = make_client(snapshot_every=2)
    sid = client.post("/v1/sessions", json={"seed": 0}).json()["id"]
    for body in ("import warnings\nwarnings.simplefilter('ignore')", "x = 1", "y = 2"):
        assert run(client, sid, body).status_code == 200
    kill_hosts(client)
    reply = run(client, sid, "warnings.warn('after')\nimport torch\ntorch.ones(2, "
                "requires_grad=True).mul(2).grad")
    assert reply.status_code == 200, reply.text
    assert "warnings" not in reply.json()
