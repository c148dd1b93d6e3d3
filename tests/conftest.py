"""Suite-wide fixtures and markers."""

import sys

import pytest


def _cuda_available() -> bool:
    try:
        import cupy
    except Exception:
        return False
    try:
        return bool(cupy.cuda.is_available())
    except Exception:
        return False


CUDA = _cuda_available()


def pytest_collection_modifyitems(config, items):
    if CUDA:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU with CuPy (cupy.cuda.is_available() is false)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _torch_compile_stays_apart():
    """A tripwire, not a second guard. ``torch.compile`` patches torch for the whole process
    (Dynamo's ``TorchPatcher``: the distributions' default argument validation off, jit.trace,
    FX tracing and the fused optimizers wrapped), so the oracle side of a program that compiles
    runs in a process of its own (``tests/engine/test_dist_library.run_torch_apart``, which also
    keeps the programs' thread counts and matmul precision apart). Restoring the one flag here
    would leave the other patches in place for every later comparison: a test that compiles in
    this process fails instead, named, and the flag is put back so the tests after it compare
    with torch's default."""
    yield
    distributions = sys.modules.get("torch.distributions")
    if distributions is not None and distributions.Distribution._validate_args is not __debug__:
        distributions.Distribution.set_default_validate_args(__debug__)
        pytest.fail("this test left torch patched process-wide (torch.distributions' default "
                    "validation is off: torch.compile ran in the test process); run torch's "
                    "side apart, as tests/engine/test_dist_library.run_torch_apart does")
