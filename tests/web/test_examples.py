"""Every cell of the playground's examples menu runs against the service as the page runs it
(one session per example, cells in order): each succeeds, except the cells written to show an
error, which fail with that code. The menu is app/static/examples.json (built from
web/src/examples.js)."""

from __future__ import annotations

import json

import pytest

from app.api.routes.web import STATIC_DIR
from tests.app.helpers import run

EXAMPLES = json.loads((STATIC_DIR / "examples.json").read_text())


def test_the_menu_has_the_chapter_its_exercises_training_and_higher_order():
    ids = [e["id"] for e in EXAMPLES]
    assert ids[0] == "chapter"
    assert {"ex1", "ex2", "ex3", "ex4", "ex5", "train", "higher"} <= set(ids)
    chapter = EXAMPLES[0]["cells"]
    assert len(chapter) == 13 and chapter[1] == "x = torch.arange(4.0, requires_grad=True)\nx"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_every_example_cell_runs(client, example):
    session = client.post("/v1/sessions", json={"seed": 0}).json()["id"]
    for number, cell in enumerate(example["cells"], start=1):
        spec = {"source": cell} if isinstance(cell, str) else cell
        reply = run(client, session, spec["source"])
        expected = spec.get("error")
        if expected:
            assert reply.status_code == 400, (number, reply.text)
            assert reply.json()["code"] == expected, (number, reply.text)
        else:
            assert reply.status_code == 200, (number, reply.text)
        if spec.get("plot"):
            result = reply.json()["result"]
            assert isinstance(result, list) and len(result) > 1
