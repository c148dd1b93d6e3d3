"""How the methods of library objects print, as torch 2.13 prints them: named by the function
torch's class holds (``<bound method SGD.step of SGD (...)>`` although the engine's optimizers
share ``Optimizer.step``; ``ReLU.forward``; ``Module._forward_unimplemented``), and an
optimizer's ``step`` once an LR scheduler wrapped it: the plain function torch puts on the
optimizer (``<function SGD.step at 0x...>``, ``type`` function). Addresses aside."""

from __future__ import annotations

import re

import pytest
import torch

from .conftest import our_cells, python_cells

CELLS = [
    """import torch
m = torch.nn.Linear(2, 2)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
adam = torch.optim.Adam(m.parameters())
d = torch.distributions.Normal(torch.tensor(0.), torch.tensor(1.))""",
    "print(opt.step)", "print(adam.step, type(adam.step))", "print(opt.zero_grad)",
    "print(opt.state_dict, opt.add_param_group)",
    "print(torch.optim.RMSprop(m.parameters()).step)",
    "print(torch.optim.AdamW(m.parameters()).step)",
    "print(m.forward, m.parameters, m.train)",
    "print(torch.nn.ReLU().forward, torch.nn.Softmax(1).forward, torch.nn.Tanh().forward)",
    "print(torch.nn.ModuleList().forward, torch.nn.Sequential(m).forward)",
    "print(torch.nn.Sequential(m).append)",
    "print(d.sample, d.log_prob)",
    "sch = torch.optim.lr_scheduler.StepLR(opt, 2)\nprint(opt.step)",
    "print(type(opt.step), [opt.step], {'s': opt.step}, repr(opt.step), str(opt.step))",
    "f = opt.step\nprint(f, f'{f}')",
    "print(sch.step, sch.get_last_lr)",
    "plain = torch.optim.SGD(m.parameters(), lr=0.1)\n"
    "plat = torch.optim.lr_scheduler.ReduceLROnPlateau(plain)\nprint(plain.step, plat.step)",
    "opt.step()\nsch.step()\nprint(sch.get_last_lr())",
]


def _text(cells: list[tuple]) -> list[tuple]:
    return [("\n".join(re.sub(r" at 0x[0-9a-f]+", "", line) for line in printed), error)
            for printed, error in cells]


@pytest.mark.parametrize("form", ["source", "json"])
def test_library_methods_print_as_torch_prints_them(form):
    assert _text(our_cells(CELLS, form)) == _text(python_cells(CELLS, {"torch": torch}))


#: a library class's function read from the class (not an object): named as torch's class
#: holds it (``<function SGD.step ...>``, the engine's ``Optimizer.step``), the same object
#: each read, and still the function library code runs
CLASS_CELLS = ["""import torch
import torch.nn as nn
print(torch.optim.SGD.step, torch.optim.Adam.step, torch.optim.SGD.zero_grad)
print(nn.Linear.forward, nn.ReLU.forward, nn.Module.forward, nn.Linear.parameters)
print(torch.optim.lr_scheduler.StepLR.step, nn.Conv2d.forward, nn.Conv2d.extra_repr)
print(torch.optim.SGD.step.__name__, torch.optim.SGD.step.__qualname__)
print(nn.Linear.forward.__qualname__, nn.Linear.parameters.__qualname__)
c = torch.optim.SGD
print(c.step, c.step is c.step, c.step is torch.optim.SGD.step)
print(torch.optim.SGD.zero_grad is torch.optim.Adam.zero_grad)
m = nn.Linear(2, 2)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
m(torch.ones(1, 2)).sum().backward()
torch.optim.SGD.step(opt)
print(opt.step, nn.ReLU.forward(nn.ReLU(), torch.tensor([-1., 2.])))
print(getattr(torch.optim.SGD, 'step').__qualname__, nn.ReLU.forward.__name__)"""]


@pytest.mark.parametrize("form", ["source", "json"])
def test_library_class_functions_print_as_torch_prints_them(form):
    assert _text(our_cells(CLASS_CELLS, form)) == _text(python_cells(CLASS_CELLS))
