"""``DirectRoute``: /v1/evaluate's fast path answers exactly as FastAPI's general handler does,
and bodies forwarded unparsed to hosts get exactly the 422s FastAPI gives for a body parameter."""

from __future__ import annotations

import fastapi.routing
import orjson
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient

from app.api.deps import ApiKeyDep
from app.api.responses import DirectRoute, _direct_plan
from app.core.errors import install_error_handlers
from app.models.runs import EvaluateRequest
from tests.app.helpers import assert_problem

SEED = {"inputs": {"x": {"type": "tensor", "data": [0.0, 1.0, 2.0, 3.0],
                         "requires_grad": True}},
        "source": "y = 2 * torch.dot(x, x)\ny.backward()\ny", "gradients": ["x"]}


@pytest.fixture
def solver_calls(monkeypatch):
    """How many requests went through FastAPI's dependency solver (the general handler)."""
    calls = []
    real = fastapi.routing.solve_dependencies

    async def counting(*args, **kwargs):
        calls.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    return calls


def _comparable(reply):
    body = reply.json()
    body.get("stats", {}).pop("elapsed_ms", None)
    body.pop("request_id", None)
    return reply.status_code, reply.headers["content-type"], body


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON", "application/problem+json"])
def test_valid_json_skips_the_general_handler(client, solver_calls, content_type):
    import orjson
    reply = client.post("/v1/evaluate", content=orjson.dumps(SEED),
                        headers={"content-type": content_type})
    assert reply.status_code == 200, reply.text
    assert reply.json()["gradients"]["x"]["data"] == [0.0, 4.0, 8.0, 12.0]
    assert solver_calls == []


@pytest.mark.parametrize("body", [
    SEED,
    {"source": "1 / 0"},                                         # a program error
    {"source": "x = torch.ones(3, requires_grad=True)\nx.sum().backward()\nx.grad",
     "encoding": "base64"},
])
def test_fast_and_general_paths_answer_alike(make_app, body):
    from fastapi.testclient import TestClient
    fast = TestClient(make_app())
    general = TestClient(make_app())
    general.app.dependency_overrides[object] = object  # any override: the general handler
    assert _comparable(fast.post("/v1/evaluate", json=body)) == \
        _comparable(general.post("/v1/evaluate", json=body))


BAD_BODIES = [
    (b'{"source": ', {"content-type": "application/json"}),
    (b'{"source": 5}', {"content-type": "application/json"}),
    (b'{"source": "1", "extra": 1}', {"content-type": "application/json"}),
    (b'{"source": "1", "program": []}', {"content-type": "application/json"}),
    (b'{"source": "1"}', {"content-type": "text/plain"}),
    (b'{"source": "1"}', {}),
    (b"", {"content-type": "application/json"}),
    (b"null", {"content-type": "application/json"}),
    (b"[1]", {"content-type": "application/problem+json"}),
    (b'{"inputs": {"x": {"type": "tensor", "dtype": "float99", "data": [1]}}, "source": "x"}',
     {"content-type": "application/json"}),
]


def _fastapi_reference():
    """FastAPI parsing the same body itself, with the service's error handlers."""
    reference = FastAPI()
    install_error_handlers(reference)

    @reference.post("/v1/evaluate")
    async def evaluate(body: EvaluateRequest) -> None: ...

    return TestClient(reference)


@pytest.mark.parametrize("content, headers", BAD_BODIES)
def test_bad_bodies_get_fastapis_own_errors(client, content, headers):
    ours = client.post("/v1/evaluate", content=content, headers=headers)
    theirs = _fastapi_reference().post("/v1/evaluate", content=content, headers=headers)
    assert_problem(ours, 422, "invalid_request")
    mine, reference = ours.json(), theirs.json()
    for body in (mine, reference):
        body.pop("request_id", None)
    assert mine == reference


def test_validation_error_points_at_the_field(client):
    problem = assert_problem(client.post("/v1/evaluate", json={"source": 5}), 422,
                             "invalid_request")
    assert any(e["pointer"] == "#/source" for e in problem["errors"]), problem


def test_fast_path_still_authenticates(make_client, solver_calls):
    client = make_client(api_keys=["k1"])
    reply = client.post("/v1/evaluate", json={"source": "1"})
    assert_problem(reply, 401, "unauthorized")
    assert reply.headers["www-authenticate"]
    assert client.post("/v1/evaluate", json={"source": "1"},
                       headers={"x-api-key": "k1"}).status_code == 200
    assert solver_calls == []


async def _dep_with_sub(owner: ApiKeyDep) -> str:
    return owner


def test_plan_only_for_simple_routes():
    router = APIRouter(route_class=DirectRoute)

    @router.post("/simple")
    async def simple(request: Request, owner: ApiKeyDep) -> None: ...

    @router.post("/path/{item}")
    async def with_path(item: str, request: Request) -> None: ...

    @router.post("/nested")
    async def nested(request: Request, who: str = Depends(_dep_with_sub)) -> None: ...

    @router.post("/sync")
    def sync(request: Request) -> None: ...

    @router.post("/body")
    async def with_body(request: Request, body: dict) -> None: ...

    plans = {route.path: _direct_plan(route.dependant) for route in router.routes}
    assert plans["/simple"] is not None and plans["/simple"][0] == "request"
    assert [name for name, _ in plans["/simple"][1]] == ["owner"]
    assert plans["/path/{item}"] is None
    assert plans["/nested"] is None
    assert plans["/sync"] is None
    assert plans["/body"] is None


# The FastAPI internals DirectRoute reads. A new kind of parameter in FastAPI's Dependant would
# be one _direct_plan does not know to decline (and a direct call would then drop it), so the
# whole field list is pinned: when FastAPI changes it, review _direct_plan, then this list.
DEPENDANT_FIELDS = {
    "background_tasks_param_name", "body_params", "call", "concurrency", "cookie_params",
    "dependencies", "header_params", "http_connection_param_name", "name", "own_oauth_scopes",
    "parent_oauth_scopes", "path", "path_params", "query_params", "request_param_name",
    "response_param_name", "scope", "security_scopes_param_name", "use_cache",
    "websocket_param_name",
}


def test_fastapi_dependant_is_the_one_direct_route_was_written_for():
    import dataclasses

    from fastapi.dependencies.models import Dependant
    assert {f.name for f in dataclasses.fields(Dependant)} == DEPENDANT_FIELDS, \
        "FastAPI's Dependant changed: review app.api.responses._direct_plan"


def test_the_evaluate_route_takes_the_direct_path(make_app):
    from app.api.routes.evaluate import router
    route = next(r for r in router.routes if r.path == "/v1/evaluate")
    assert isinstance(route, DirectRoute)
    plan = _direct_plan(route.dependant)
    assert plan is not None, "FastAPI's dependant for /v1/evaluate no longer fits a direct call"
    request_name, deps = plan
    assert request_name == "http"
    assert [name for name, _ in deps] == ["owner"]
    assert route.get_route_handler().__name__ == "direct"
    # the general handler DirectRoute falls back to is still FastAPI's own
    assert callable(fastapi.routing.APIRoute.get_route_handler)
    assert callable(fastapi.routing.solve_dependencies)


def test_a_session_run_takes_the_direct_path(client, solver_calls):
    from app.api.routes.runs import router
    route = next(r for r in router.routes if r.path.endswith("/run"))
    assert isinstance(route, DirectRoute) and _direct_plan(route.dependant) is not None
    sid = client.post("/v1/sessions").json()["id"]
    solver_calls.clear()
    reply = client.post(f"/v1/sessions/{sid}/run", json={"source": "a = 2\na * 3"})
    assert reply.status_code == 200 and reply.json()["result"] == 6
    assert solver_calls == []


@pytest.mark.parametrize("case", ["ok", "unknown", "too long", "no key", "wrong key",
                                  "someone else's", "bad body"])
def test_session_run_fast_and_general_paths_answer_alike(make_app, case):
    answers = []
    for general in (False, True):
        client = TestClient(make_app(api_keys=["k1", "k2"]))
        if general:
            client.app.dependency_overrides[object] = object
        sid = client.post("/v1/sessions", headers={"x-api-key": "k1"}).json()["id"]
        headers = {"x-api-key": "k2" if case == "someone else's" else "k1"}
        if case == "no key":
            headers = {}
        elif case == "wrong key":
            headers = {"x-api-key": "nope"}
        path_id = {"unknown": "s_" + "0" * 30, "too long": "s" * 65}.get(case, sid)
        body = {"source": 5} if case == "bad body" else {"source": "1 + 1"}
        reply = client.post(f"/v1/sessions/{path_id}/run", json=body, headers=headers)
        status, media_type, got = _comparable(reply)
        answers.append((status, media_type, orjson.loads(orjson.dumps(got).replace(
            sid.encode(), b"SID"))))
    assert answers[0] == answers[1]
    assert answers[0][0] == {"ok": 200, "unknown": 404, "too long": 422, "no key": 401,
                             "wrong key": 401, "someone else's": 404, "bad body": 422}[case]
