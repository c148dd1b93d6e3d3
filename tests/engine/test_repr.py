"""``format_tensor`` against ``repr`` outputs recorded from real PyTorch.

The goldens come from ``scripts/torch_goldens/record_repr.py``; this test never imports torch.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from engine.printing import format_tensor

GOLDEN = Path(__file__).parent / "goldens" / "repr.json"
CASES = json.loads(GOLDEN.read_text())
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def decode(data):
    if isinstance(data, list):
        return [decode(item) for item in data]
    if isinstance(data, str):
        return NON_FINITE[data]
    return data


def golden_values(case: dict) -> np.ndarray:
    return np.array(decode(case["data"]), dtype=case["dtype"]).reshape(case["shape"])


def test_goldens_cover_the_required_variety():
    assert len(CASES) >= 80
    assert {case["dtype"] for case in CASES} >= {
        "float16", "float32", "float64", "int32", "int64", "bool"
    }
    assert any(case["device"] != "cpu" for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_format_tensor_matches_recorded_torch_repr(case):
    text = format_tensor(
        golden_values(case),
        dtype=case["dtype"],
        device=case["device"],
        requires_grad=case["requires_grad"],
        grad_fn=case["grad_fn"],
    )
    assert text == case["repr"]
