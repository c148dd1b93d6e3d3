"""What published programs read of a module's private tables (torch keeps them as plain
attributes: the pruning tutorial prints ``module._forward_pre_hooks``, code walks
``model._modules``) and how library objects print: each compared with torch 2.13 running the
same text, side by side."""

from __future__ import annotations

import pytest

from app.lang import Environment, LangError, Limits, ProgramError, compile_source, run_program

from .published import run_ours, run_torch, same_lines

pytest.importorskip("engine.nn")

TABLES = """\
import torch
import torch.nn as nn
import torch.nn.utils.prune as prune
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("scale", torch.ones(2))
    def forward(self, x):
        return self.fc(x) * self.scale
net = Net()
print(type(net._parameters).__name__, list(net._parameters), list(net._buffers))
print(list(net._modules), type(net.fc._forward_pre_hooks).__name__)
print(net.fc._parameters["weight"].shape, net._non_persistent_buffers_set)
print(net.fc._forward_pre_hooks, net.fc._forward_hooks, net._backward_hooks)
h = net.register_forward_hook(lambda m, i, o: o + 1)
print(len(net._forward_hooks), net(torch.ones(1, 3)))
h.remove()
print(len(net._forward_hooks), net(torch.ones(1, 3)))
prune.l1_unstructured(net.fc, name="weight", amount=2)
hooks = net.fc._forward_pre_hooks
print(type(hooks).__name__, [hook._tensor_name for hook in hooks.values()])
print(type(list(hooks.values())[0]).__name__, list(net.fc._buffers))
print([str(v).split(" at ")[0] for v in hooks.values()])
del net._modules["fc"]
print(list(net._modules), hasattr(net, "fc"))
seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
for name, layer in seq._modules.items():
    print(name, layer)
"""


def test_module_tables_read_and_change_as_torch():
    pytest.importorskip("torch")
    cells = [TABLES]
    ours, theirs = run_ours(cells), run_torch(cells)
    assert same_lines(ours, theirs) is None, (ours, theirs)


def _run(source: str):
    return run_program(compile_source(source), Environment(), Limits(), source=source)


def test_library_objects_print_under_torchs_names():
    result = _run("import torch.nn.utils.prune as prune\np = prune.L1Unstructured(0.5)\n"
                  "print(p)\nprint([p])\nprint(str(p) == repr(p))")
    line, listed, same = result.printed
    assert line.startswith("<torch.nn.utils.prune.L1Unstructured object at 0x")
    assert listed == f"[{line}]" and same == "True"


@pytest.mark.parametrize("name", ["_call_impl", "_apply", "_forward_pre_hooks_with_kwargs",
                                  "_version", "__dict__"])
def test_other_private_names_stay_refused(name):
    with pytest.raises(LangError, match="private|dunder"):
        _run(f"import torch\nm = torch.nn.Linear(2, 2)\nm.{name}")


def test_a_pruning_methods_other_private_names_stay_refused():
    with pytest.raises(ProgramError, match="private to the library"):
        _run("import torch.nn.utils.prune as prune\nprune.L1Unstructured(0.5)._amount")


LINALG_ERRORS = """\
import torch
import pickle
import numpy as np
def attempt(f):
    try:
        f()
    except torch.linalg.LinAlgError as e:
        print("LinAlgError", type(e).__name__, isinstance(e, RuntimeError), e)
    except RuntimeError as e:
        print("RuntimeError", type(e).__name__, e)
attempt(lambda: torch.linalg.inv(torch.zeros(2, 2)))
attempt(lambda: torch.linalg.cholesky(-torch.eye(3)))
attempt(lambda: torch.cholesky_inverse(torch.zeros(2, 2)))
attempt(lambda: torch.linalg.lu_factor(torch.zeros(2, 2)))
print(torch.linalg.LinAlgError, issubclass(torch.linalg.LinAlgError, RuntimeError))
print(pickle.UnpicklingError, np.linalg.LinAlgError, np.exceptions.AxisError)
"""


def test_linalg_errors_are_caught_by_torchs_class():
    pytest.importorskip("torch")
    cells = [LINALG_ERRORS]
    ours, theirs = run_ours(cells), run_torch(cells)
    assert same_lines(ours, theirs) is None, (ours, theirs)
