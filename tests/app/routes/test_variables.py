"""PUT/GET/DELETE /v1/sessions/{id}/variables/{name} and the graph endpoint."""

import pytest

from tests.app.helpers import assert_problem, run


def url(sid: str, name: str) -> str:
    return f"/v1/sessions/{sid}/variables/{name}"


def test_put_tensor_then_use_it_in_a_run(client, session_id):
    reply = client.put(url(session_id, "w"), json={
        "type": "tensor", "data": [1.0, 2.0], "requires_grad": True})
    assert reply.status_code == 200
    assert reply.json()["value"]["repr"] == "tensor([1., 2.], requires_grad=True)"
    run(client, session_id, "(w * w).sum().backward()")
    body = client.get(url(session_id, "w")).json()
    assert body["grad"]["data"] == [2.0, 4.0]


def test_put_plain_value(client, session_id):
    client.put(url(session_id, "lr"), json=0.5)
    assert client.get(url(session_id, "lr")).json() == {"name": "lr", "value": 0.5,
                                                        "grad": None}


def test_put_open_inference_protocol_tensor(client, session_id):
    body = client.put(url(session_id, "v"), json={
        "name": "v", "shape": [2, 1], "datatype": "INT32", "data": [1, 2]}).json()
    assert body["value"]["dtype"] == "int32" and body["value"]["shape"] == [2, 1]


def test_get_with_base64(client, session_id):
    client.put(url(session_id, "w"), json={"type": "tensor", "data": [1.0]})
    value = client.get(url(session_id, "w"), params={"encoding": "base64"}).json()["value"]
    assert value["base64"] == "AACAPw=="


def test_delete_variable(client, session_id):
    client.put(url(session_id, "w"), json=1)
    assert client.delete(url(session_id, "w")).status_code == 204
    assert_problem(client.get(url(session_id, "w")), 404, "not_found")
    assert_problem(client.delete(url(session_id, "w")), 404, "not_found")


def test_unknown_variable_is_404(client, session_id):
    assert_problem(client.get(url(session_id, "nothing")), 404, "not_found")


@pytest.mark.parametrize("name", ["__class__", "1x", "a-b"])
def test_bad_variable_name_is_422(client, session_id, name):
    assert_problem(client.put(url(session_id, name), json=1), 422, "invalid_request")


def test_bad_tensor_body_is_422_with_pointer(client, session_id):
    body = assert_problem(client.put(url(session_id, "w"), json={
        "type": "tensor", "shape": [3], "data": [1, 2]}), 422, "invalid_request")
    assert body["pointer"] == "#/shape"


def test_graph_json_and_dot(client, session_id):
    run(client, session_id, "x = torch.arange(4.0, requires_grad=True)\n"
                            "y = 2 * torch.dot(x, x)")
    graph = client.get(f"/v1/sessions/{session_id}/graph/y").json()
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    assert names[graph["root"]] == "MulBackward0"
    assert "DotBackward0" in names.values() and "x" in names.values()
    assert all(e["source"] in names and e["target"] in names for e in graph["edges"])
    dot = client.get(f"/v1/sessions/{session_id}/graph/y", params={"format": "dot"})
    assert dot.headers["content-type"].startswith("text/vnd.graphviz")
    assert dot.text.startswith('digraph "y" {') and "MulBackward0" in dot.text


def test_graph_of_a_leaf_and_of_unknown(client, session_id):
    run(client, session_id, "x = torch.ones(2)")
    graph = client.get(f"/v1/sessions/{session_id}/graph/x").json()
    assert graph["nodes"] == [{"id": "n0", "kind": "leaf", "name": "x", "shape": [2]}]
    assert_problem(client.get(f"/v1/sessions/{session_id}/graph/zz"), 404, "not_found")
