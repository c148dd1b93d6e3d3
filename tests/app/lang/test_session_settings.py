"""The torch settings a program changes (``torch.set_printoptions``,
``torch.use_deterministic_algorithms``) stay with its session, as torch's process-wide
settings stay with a notebook kernel: later runs see them, other sessions never do, and a
snapshot keeps them."""

from __future__ import annotations

from app.lang import Environment
from app.services.snapshots import capture, restore


def test_print_options_and_determinism_live_in_the_session(form):
    env = Environment()
    out = form("import torch\ntorch.set_printoptions(precision=2, sci_mode=False)\n"
               "torch.use_deterministic_algorithms(True, warn_only=True)\n"
               "x = torch.tensor([1.23456, 1e-6])\nprint(x)", env)
    assert out.printed == ["tensor([1.23, 0.00])"]
    later = form("print(x, torch.arange(3.) / 3)\n"
                 "(torch.are_deterministic_algorithms_enabled(), "
                 "torch.is_deterministic_algorithms_warn_only_enabled())", env)
    assert later.printed == ["tensor([1.23, 0.00]) tensor([0.00, 0.33, 0.67])"]
    assert later.result == (True, True)
    other = form("import torch\nprint(torch.tensor([1.23456, 1e-6]))\n"
                 "torch.are_deterministic_algorithms_enabled()", Environment())
    assert other.printed == ["tensor([1.2346e+00, 1.0000e-06])"] and other.result is False


def test_a_failing_run_keeps_the_settings_it_made(form):
    env = Environment()
    try:
        form("import torch\ntorch.set_printoptions(precision=1)\n1 / 0", env)
    except Exception:
        pass
    assert form("print(torch.tensor([0.25, 1.75]))", env).printed == ["tensor([0.2, 1.8])"]


def test_a_snapshot_keeps_the_settings(form):
    env = Environment()
    form("import torch\ntorch.set_printoptions(profile='full', precision=3)\n"
         "torch.use_deterministic_algorithms(True)\nx = torch.arange(1001.) / 4", env)
    restored = Environment()
    restore(capture(env), restored)
    out = form("print(x[-2:], x.numel())\nprint(x)\ntorch.are_deterministic_algorithms_enabled()",
               restored)
    assert out.printed[0] == "tensor([249.750, 250.000]) 1001" and out.result is True
    assert "..." not in out.printed[1] and out.printed[1].count(",") == 1000


CUDNN = """\
import torch
import random
import torch.backends.cudnn as cudnn
from torch.backends import cudnn as also
def seed_everything(seed=42):
    random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
before = (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32)
seed_everything()
print(before, torch.backends.cudnn.deterministic, also.deterministic, cudnn.benchmark)
print(torch.backends.cudnn.enabled, torch.backends.cudnn.allow_tf32,
      torch.backends.cudnn.is_available(), torch.backends.cudnn.version())
for name in ('enabled', 'benchmark', 'deterministic', 'allow_tf32'):
    try:
        setattr(cudnn, name, 1)
    except RuntimeError as e:
        print(e)
"""


def test_cudnn_switches_as_torch_keeps_them(form):
    import contextlib
    import io

    import torch

    saved = tuple(getattr(torch.backends.cudnn, n) for n in
                  ("enabled", "benchmark", "deterministic", "allow_tf32"))
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(CUDNN, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    finally:
        for n, v in zip(("enabled", "benchmark", "deterministic", "allow_tf32"), saved):
            setattr(torch.backends.cudnn, n, v)
    env = Environment()
    ours = [line for entry in form(CUDNN, env).printed for line in entry.split("\n")]
    assert ours == out.getvalue().splitlines()
    restored = Environment()
    restore(capture(Environment(variables={}, cudnn=env.cudnn)), restored)
    assert form("import torch\ntorch.backends.cudnn.deterministic", restored).result is True
    assert form("import torch\ntorch.backends.cudnn.deterministic", Environment()).result \
        is False
