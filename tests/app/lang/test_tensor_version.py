"""``x._version`` (torch's version counter, read by programs that check their in-place work, as
the autograd mechanics notes do) counted as torch 2.13 counts it, side by side."""

from __future__ import annotations

import pytest

from .published import run_ours, run_torch, same_lines

pytest.importorskip("engine.nn")

VERSIONS = """\
import torch
x = torch.ones(3, 4)
print(x._version)
x.add_(1); x.mul_(2)
print(x._version)
v = x[0]
v.zero_()
print(x._version, v._version)
x[1] = 5
print(x._version, x.T._version, x.view(12)._version)
d = x.detach()
d.sub_(1)
print(x._version, d._version)
torch.add(x, 1, out=x)
print(x._version)
x.data.fill_(2)
print(x._version)
y = x.clone()
print(y._version)
a = torch.zeros(2, requires_grad=True)
opt = torch.optim.SGD([a], lr=0.1, momentum=0.9)
(a * a + a).sum().backward()
opt.step()
opt.step()
print(a._version)
opt.zero_grad()
print(a.grad)
w = torch.ones(4)
w.unsqueeze_(0)
w.t_()
print(w._version, w.shape)
u, s = torch.ones(3).split(2)
u.add_(1)
print(u._version, s._version)
"""


def test_version_counters_count_as_torchs():
    pytest.importorskip("torch")
    cells = [VERSIONS]
    ours, theirs = run_ours(cells), run_torch(cells)
    assert same_lines(ours, theirs) is None, (ours, theirs)
