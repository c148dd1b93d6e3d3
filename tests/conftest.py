"""Suite-wide fixtures and markers."""

import os
import sys

import pytest

from engine._cpu import vendor as cpu_vendor

# A service in tests (in process or a subprocess: they inherit this environment) never demotes
# a long run to SCHED_IDLE. The demotion is right for a server but, on a dev machine shared with
# other work, a demoted host gets almost no CPU: a 1M-step loop that takes seconds took over 90
# (session 19), and tests with run time limits failed by load alone. tests/app/services/
# test_priority.py sets its own value and tests the demotion itself.
os.environ.setdefault("AUTOGRAD_DEMOTE_AFTER_MS", "0")


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


#: The engine models some of torch's CPU arithmetic bit for bit as it runs on Intel CPUs (the
#: machines this suite was recorded on). On other CPUs (AMD EPYC, measured on sessions 15 and
#: 16's machine) torch's MKL takes generic code paths that round differently in the last
#: bits, so these exact comparisons are expected to fail there: a known, documented gap (the
#: closing notes), not hidden: they still run, and on Intel they must pass. Node ids, a prefix
#: matching its parametrizations. (MKL's getrf/getrs, so LU, det, inv and solve, its small
#: GEMMs in affine_grid and orgqr are modelled for both paths since session 16:
#: engine._cpu.mkl_fused chooses. MKL VML's float32 sqrt off Intel, about 20 % of values a
#: last bit from correct rounding with a table-like pattern, is not modelled.)
INTEL_MODELLED = {
    "tests/oracle/test_faith_pins.py::test_like_factories_and_optimizer_state_layouts_as_"
    "torch[RMSprop state]": "torch's float32 sqrt (MKL VML) is not correctly rounded off Intel",
    "tests/app/lang/test_published_programs.py::test_program_prints_what_torch_prints"
    "[tut_01_knowledge_distillation]": "two epochs of float32 training: MKL's float32 sqrt "
    "(Adam) and its GEMM/oneDNN convolution sums round otherwise off Intel",
}
INTEL = cpu_vendor() == "GenuineIntel"


def pytest_collection_modifyitems(config, items):
    if not INTEL:
        for item in items:
            for prefix, why in INTEL_MODELLED.items():
                if item.nodeid.startswith(prefix):
                    item.add_marker(pytest.mark.xfail(
                        strict=False, reason=f"torch's CPU kernels differ off Intel: {why}"))
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
