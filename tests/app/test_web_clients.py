"""The service as browsers and web clients meet it: Allow on every 405, HEAD wherever GET is,
CORS, the op catalog's shape, ttl_s's type, the graph's edge direction, static assets."""

from __future__ import annotations

import re

import pytest

from app.models.examples import SEED_SIMPLE_SOURCE
from tests.app.helpers import assert_problem, run

METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _documented(client) -> dict[str, set[str]]:
    """Path -> methods, from the OpenAPI document (what FastAPI itself says it routes)."""
    paths = client.get("/openapi.json").json()["paths"]
    return {path: {m.upper() for m in ops} for path, ops in paths.items()}


def test_every_405_lists_the_allowed_methods(client):
    """Built from our own route table: FastAPI 0.16x's lazy included routers left Starlette's
    Allow empty. This walks every documented path, so a routing change upstream shows here."""
    documented = _documented(client)
    assert len(documented) >= 12
    for path, methods in documented.items():
        expected = methods | ({"HEAD"} if "GET" in methods else set())
        for wrong in sorted(METHODS - expected):
            reply = client.request(wrong, _concrete(path))
            assert reply.status_code == 405, (wrong, path, reply.text)
            assert set(reply.headers["allow"].split(", ")) == expected, (wrong, path)
            if wrong != "HEAD":
                assert reply.json()["code"] == "method_not_allowed"


def test_pages_and_assets_have_allow_too(client):
    reply = client.post("/")
    assert reply.status_code == 405 and reply.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("path", ["/v1/health/live", "/v1/health/ready", "/v1/ops", "/v1/schema",
                                  "/metrics", "/openapi.json", "/", "/docs", "/redoc",
                                  "/v1/sessions"])
def test_head_answers_as_get_without_a_body(client, path):
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_head_on_session_paths(client, session_id):
    run(client, session_id, "x = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()")
    for path in (f"/v1/sessions/{session_id}", f"/v1/sessions/{session_id}/variables/x",
                 f"/v1/sessions/{session_id}/graph/y"):
        head = client.head(path)
        assert head.status_code == 200 and head.content == b"", path
    assert client.head(f"/v1/sessions/{session_id}/variables/nope").status_code == 404


def test_no_cors_headers_by_default(client):
    reply = client.options("/v1/evaluate", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in reply.headers
    reply = client.get("/v1/health/live", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in reply.headers


def test_cors_preflight_and_exposed_headers(make_client):
    client = make_client(cors_origins=["https://app.example"])
    preflight = client.options("/v1/sessions", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-api-key"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed and "x-api-key" in allowed
    created = client.post("/v1/sessions", json={}, headers={"Origin": "https://app.example"})
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == "https://app.example"
    exposed = {h.strip().lower() for h in
               created.headers["access-control-expose-headers"].split(",")}
    assert {"location", "x-request-id"} <= exposed
    problem = client.post("/v1/evaluate", json={"source": "1 / 0"},
                          headers={"Origin": "https://app.example"})
    assert problem.status_code == 400
    assert problem.headers["access-control-allow-origin"] == "https://app.example"
    other = client.options("/v1/sessions", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert other.headers.get("access-control-allow-origin") != "https://evil.example"


def test_cors_origins_from_the_environment(monkeypatch):
    from app.core.config import Settings
    monkeypatch.setenv("AUTOGRAD_CORS_ORIGINS", "https://a.example, http://localhost:5173")
    assert Settings(_env_file=None).cors_origins == ["https://a.example", "http://localhost:5173"]
    monkeypatch.delenv("AUTOGRAD_CORS_ORIGINS")
    assert Settings(_env_file=None).cors_origins == []


def test_ops_lists_each_op_once_with_its_aliases(client):
    ops = client.get("/v1/ops").json()["ops"]
    names = [op["name"] for op in ops]
    assert len(names) == len(set(names))
    aliases = [a for op in ops for a in op["aliases"]]
    assert not set(aliases) & set(names), "an alias is listed as an op of its own"
    by_name = {op["name"]: op for op in ops}
    assert "divide" in by_name["div"]["aliases"]  # (true_divide is its own op: no rounding_mode)
    assert "true_divide" in by_name
    assert "swapaxes" not in by_name and "swapaxes" in by_name["transpose"]["aliases"]
    assert "arctan2_" in by_name["atan2_"]["aliases"]


def test_in_place_twins_show_real_signatures(client):
    by_name = {op["name"]: op for op in client.get("/v1/ops").json()["ops"]}
    assert by_name["add_"]["signature"] == "add_(other, *, alpha=1)"
    assert by_name["masked_fill_"]["signature"] == "masked_fill_(mask, value)"
    generic = [op["name"] for op in by_name.values()
               if op["inplace"] and "*args, **kwargs" in op["signature"]]
    assert generic == []


def test_ttl_s_is_a_number_on_create_and_on_read(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    create = schema["SessionCreate"]["properties"]["ttl_s"]
    read = schema["SessionInfo"]["properties"]["ttl_s"]
    types = {t.get("type") for t in create.get("anyOf", [create])} - {"null"}
    assert types == {read["type"]} == {"number"}
    for ttl in (120, 90.5):
        created = client.post("/v1/sessions", json={"ttl_s": ttl}).json()
        assert created["ttl_s"] == ttl
        assert client.get(f"/v1/sessions/{created['id']}").json()["ttl_s"] == ttl


def test_graph_json_and_dot_agree_on_edge_direction(client, session_id):
    run(client, session_id, "x = torch.ones(2, requires_grad=True)\ny = (x * 3).sum()\n"
                            "y.backward(retain_graph=True)")
    graph = client.get(f"/v1/sessions/{session_id}/graph/y").json()
    dot = client.get(f"/v1/sessions/{session_id}/graph/y", params={"format": "dot"}).text
    dot_edges = set(re.findall(r"^\s*(n\d+) -> (n\d+);", dot, re.M))
    assert dot_edges == {(e["source"], e["target"]) for e in graph["edges"]}
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    assert names[graph["root"]] == "SumBackward0"
    assert all(e["source"] != graph["root"] or names[e["target"]] == "MulBackward0"
               for e in graph["edges"])
    leaf = next(n for n in graph["nodes"] if n["kind"] == "leaf")
    assert leaf["name"] == "x" and leaf["grad"] == "tensor([3., 3.])"
    assert "grad = tensor([3., 3.])" in dot


def test_svg_is_not_advertised_and_refused(client, session_id):
    run(client, session_id, "x = torch.ones(2, requires_grad=True)\ny = x * 2")
    spec = client.get("/openapi.json").json()
    params = spec["paths"]["/v1/sessions/{session_id}/graph/{name}"]["get"]["parameters"]
    fmt = next(p for p in params if p["name"] == "format")
    assert "svg" not in str(fmt)
    assert_problem(client.get(f"/v1/sessions/{session_id}/graph/y", params={"format": "svg"}),
                   422, "invalid_request")


def test_variables_carry_grad_fn_and_grad(client, session_id):
    run(client, session_id, SEED_SIMPLE_SOURCE)
    variables = {v["name"]: v for v in client.get(f"/v1/sessions/{session_id}").json()
                 ["variables"]}
    assert variables["y"]["grad_fn"] == "MulBackward0"
    assert variables["x"]["grad"] == "tensor([ 0.,  4.,  8., 12.])"
    assert variables["x"].get("grad_fn") is None


def test_playground_page_and_assets_are_cached_right(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    assert "'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'/static/([\w.-]+)', page.text)
    assert len(assets) == 3
    for name in assets:
        reply = client.get(f"/static/{name}")
        assert reply.status_code == 200, name
        assert reply.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    assert "https://" not in page.text and "http://" not in page.text
    for path in ("/docs", "/redoc"):
        html = client.get(path).text
        assert not re.search(r'(src|href)="https?://', html), path
        for name in re.findall(r'/static/([\w.-]+)', html):
            assert client.get(f"/static/{name}").status_code == 200


def test_static_files_are_gzipped_when_asked(client):
    name = client.get("/static/manifest.json").json()["playground.js"]
    zipped = client.get(f"/static/{name}", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    plain = client.get(f"/static/{name}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert zipped.content == plain.content  # httpx decodes the gzip
    assert int(zipped.headers["content-length"]) < len(plain.content)


@pytest.mark.parametrize("name", ["../main.py", "..%2Fmain.py", ".hidden", "index.html", "nope.js"])
def test_static_serves_only_built_files(client, name):
    assert client.get(f"/static/{name}").status_code == 404
