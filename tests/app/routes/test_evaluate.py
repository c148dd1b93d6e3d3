"""POST /v1/evaluate."""

from app.models.examples import EVALUATE_EXAMPLES
from tests.app.helpers import assert_problem


def test_gradients_of_inputs(client):
    body = client.post("/v1/evaluate", json=EVALUATE_EXAMPLES["gradients"]["value"]).json()
    assert body["result"]["repr"] == "tensor(28., grad_fn=<MulBackward0>)"
    assert body["gradients"]["x"]["repr"] == "tensor([ 0.,  4.,  8., 12.])"


def test_open_inference_protocol_input(client):
    body = client.post("/v1/evaluate", json=EVALUATE_EXAMPLES["oip"]["value"]).json()
    assert body["gradients"]["x"]["data"] == [0.0, 2.0, 4.0, 6.0]


def test_gradient_of_a_tensor_without_grad_is_null(client):
    body = client.post("/v1/evaluate", json={
        "inputs": {"x": {"type": "tensor", "data": [1.0]}}, "source": "x * 2",
        "gradients": ["x"]}).json()
    assert body["gradients"] == {"x": None}


def test_evaluate_keeps_no_state(client):
    client.post("/v1/evaluate", json={"source": "leftover = 1"})
    assert_problem(client.post("/v1/evaluate", json={"source": "leftover"}), 400,
                   "program_error")
    assert client.get("/v1/sessions").json()["sessions"] == []


def test_unknown_gradient_name(client):
    body = assert_problem(client.post("/v1/evaluate", json={"source": "1", "gradients": ["q"]}),
                          400, "program_error")
    assert body["location"]["pointer"] == "#/gradients/0"


def test_runs_that_outgrow_the_inline_budget_are_redone_in_a_thread(client):
    big = client.post("/v1/evaluate", json={"source": "torch.ones(1000, 1000).sum()"}).json()
    assert big["result"]["repr"] == "tensor(1000000.)"
    body = client.post("/v1/evaluate", json={
        "source": "print('once')\ni = 0\nwhile i < 20000:\n    i = i + 1\ni"}).json()
    assert body["result"] == 20000
    assert body["printed"] == ["once"]  # the abandoned inline attempt leaves no trace
