"""The README's training example runs as shown: the program and data quoted there, sent to
``/v1/evaluate``, print the lines the README quotes and return the module and its state_dict."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("app.lang.library", reason="the language's library bridge (issue 11)")

README = Path(__file__).resolve().parents[2] / "README.md"
NUMBER = re.compile(r"-?\d+\.?\d*")


def example() -> tuple[str, dict, dict]:
    text = README.read_text()
    section = text.split("<!-- training-example -->")[1].split("<!-- /training-example -->")[0]
    source = section.split("```python\n")[1].split("```")[0]
    request = section.split("```sh\n")[1].split("```")[0]
    inputs = {name: json.loads(data) for name, data in
              re.findall(r"(\w+): \{type: \"tensor\", data: (\[.*?\]\])\}", request)}
    reply = section.rsplit("```\n{", 1)[1]
    printed = json.loads(re.search(r'"printed":(\[.*?\])', reply).group(1))
    return source, inputs, {"printed": printed}


def test_the_readme_training_example_prints_what_it_shows(make_client):
    # the default 30 s run limit is ample on an idle machine; a loaded CI machine once took longer
    client = make_client(run_timeout_s=300)
    source, inputs, shown = example()
    assert set(inputs) == {"X", "y"} and len(inputs["X"]) == len(inputs["y"]) == 9
    body = {"source": source, "outputs": ["model"],
            "inputs": {name: {"type": "tensor", "data": data} for name, data in inputs.items()}}
    reply = client.post("/v1/evaluate", json=body)
    assert reply.status_code == 200, reply.text
    out = reply.json()
    assert out["result"]["type"] == "module" and out["result"]["name"] == "Sequential"
    assert list(out["outputs"]["model"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(out["printed"]) == len(shown["printed"]) == 3
    for ours, quoted in zip(out["printed"], shown["printed"]):
        assert NUMBER.sub("#", ours) == NUMBER.sub("#", quoted)
        # the same seed draws the same weights; BLAS kernels may round the last digit otherwise
        for a, b in zip(NUMBER.findall(ours), NUMBER.findall(quoted)):
            assert abs(float(a) - float(b)) <= 2e-4 * max(1.0, abs(float(b))), (ours, quoted)
