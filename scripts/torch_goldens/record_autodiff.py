"""Record what torch computes for the transform scenarios of
``tests/engine/autodiff/scenarios.py`` into ``tests/engine/goldens/autodiff.json``.

    .venv/bin/python scripts/torch_goldens/record_autodiff.py

(Any environment with torch 2.13 works; the test suite reads only the JSON.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.autograd.functional  # noqa: F401
import torch.func  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.engine.autodiff.scenarios import SCENARIOS  # noqa: E402

GOLDEN = ROOT / "tests/engine/goldens/autodiff.json"


def encode(value):
    if isinstance(value, torch.Tensor):
        fn = value.grad_fn
        return {"tensor": value.detach().tolist(), "shape": list(value.shape),
                "dtype": str(value.dtype).removeprefix("torch."),
                "grad_fn": None if fn is None else fn.name()}
    if isinstance(value, (tuple, list)):
        return {"seq": [encode(v) for v in value], "kind": type(value).__name__}
    if isinstance(value, dict):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    return {"value": value}


def main() -> None:
    out = {"torch": torch.__version__}
    for name, fn in SCENARIOS.items():
        out[name] = encode(fn(torch))
    GOLDEN.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(SCENARIOS)} scenarios to {GOLDEN}")


if __name__ == "__main__":
    main()
