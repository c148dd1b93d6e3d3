"""uint8, int8 and int16 through the array seam (``cuda`` tensors on the strict NumPy stand-in
for CuPy, tests/engine/fake_cupy.py): every side-by-side case of tests/oracle/test_small_ints.py
gives on the device what it gives on the CPU (repr without the device, dtype, warnings, or
the error), so no op mixes host and device arrays for these types."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("torch")  # (the cases live with the oracle's)

import engine  # noqa: E402
from tests.engine.test_device_seam import fake_cuda  # noqa: E402, F401 (the fixture)
from tests.oracle.test_small_ints import CASES, _observe  # noqa: E402

#: Cases whose device run differs from the CPU's by design, and why.
HOST_ONLY = {
    "numpy dtype": "a cuda tensor's .numpy() is refused, as torch's",
}


def _plain(o):
    """An observation's text as the CPU's reads: no device and no line breaks in reprs (the
    device suffix changes where they wrap), torch's CPU names for legacy types and kernels
    (torch.cuda.ByteTensor, "histogram_cuda")."""
    if not isinstance(o, str):
        return o
    o = re.sub(r"\s+", "", o.replace('"', "'").replace("\\n", ""))
    for a, b in ((",device='cuda:0'", ""), ("torch.cuda.", "torch."), ("_cuda'", "_cpu'")):
        o = o.replace(a, b)
    return o


@pytest.mark.parametrize("name", [n for n in CASES if not any(
    n.startswith(h) for h in HOST_ONLY)])
def test_small_int_case_on_the_device_as_on_the_cpu(name, fake_cuda):  # noqa: F811
    on_device = tuple(_plain(o) for o in _observe(engine, CASES[name]))
    with engine.use_device("cpu"):
        on_cpu = tuple(_plain(o) for o in _observe(engine, CASES[name]))
    assert on_device == on_cpu
