"""Importing the engine sets glibc's malloc thresholds, so a training-style loop over large
arrays stops page-faulting its temporaries back in on every step (no Makefile variables
needed: `uvicorn app.main:app` and `import engine` both get it)."""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

STEP_FAULTS = textwrap.dedent("""
    import resource, sys
    import engine
    x = engine.randn(4_000_000, requires_grad=True)   # 16 MB float32: above glibc's default
    def step():                                        # mmap threshold, below ours
        (engine.sin(x) * x).sum().backward()
        x.grad = None
    step(); step()
    per_step = []
    for _ in range(3):                                 # steady state: the quietest of three
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt   # windows (a loaded
        for _ in range(4):                             # machine adds stray faults to some)
            step()
        per_step.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 4)
    print(engine._malloc.TUNED, min(per_step))
""")


def _run(env_extra: dict) -> tuple[str, float]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", STEP_FAULTS], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    return out[0], float(out[1])


def test_import_sets_thresholds_and_steps_do_not_fault():
    tuned, faults = _run({})
    assert tuned == "True"
    # One page is 4 KiB: faulting the step's ~16 MB temporaries back in would be thousands.
    assert faults < 100


def test_explicit_environment_setting_wins():
    tuned, faults = _run({"MALLOC_MMAP_THRESHOLD_": str(1 << 20)})
    assert tuned == "False"
    assert faults > 1000  # the user's low threshold: every temporary is mmapped and faulted
