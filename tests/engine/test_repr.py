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


def _general_body(flat: list, vector: bool) -> str:
    from engine.printing import INDENT, _ElementFormat, _vector_text

    fmt = _ElementFormat(flat, True)
    return _vector_text(flat, INDENT, False, fmt) if vector else fmt(flat[0])


@pytest.mark.parametrize("seed", range(40))
def test_small_float_fast_path_matches_the_general_formatter(seed):
    """The one-pass body for small finite float tensors follows the same rules as the general
    formatter (int, fixed and scientific modes; widths; zeros and -0.0; wrapping)."""
    from engine.printing import SMALL, _small_float_body

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, SMALL + 1))
    kind = seed % 5
    if kind == 0:
        values = rng.integers(-999, 999, n).astype(np.float64)  # int mode
    elif kind == 1:
        values = rng.normal(0, 10, n)  # fixed point
    elif kind == 2:
        values = rng.normal(0, 1, n) * 10.0 ** rng.integers(-8, 9, n)  # scientific
    elif kind == 3:
        values = np.where(rng.random(n) < 0.5, 0.0, rng.integers(-5, 5, n)).astype(float)
        values[0] = -0.0
    else:
        values = np.zeros(n)
    flat = values.astype(np.float32).astype(np.float64).tolist()
    for vector in (True, False):
        part = flat if vector else flat[:1]
        assert _small_float_body(part, vector) == _general_body(part, vector)
    assert _small_float_body([1.0, math.nan], True) is None
