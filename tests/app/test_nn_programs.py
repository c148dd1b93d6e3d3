"""Programs over HTTP that use the rest of torch.nn (issue 13): a CTC model trained a few
steps, and full backward hooks on modules; printed lines vs torch 2.13 in the same cells."""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.test_d2l_concise import Twin

pytest.importorskip("torch")
pytest.importorskip("app.lang.library", reason="the language's library bridge (issue 11)")

RNG = np.random.default_rng(5)

CTC_MODEL = """
import torch
from torch import nn

T, N, C = 12, 4, 6
net = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, C))
ctc = nn.CTCLoss(blank=0, zero_infinity=True)
"""

CTC_TRAINING = """
optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
input_lengths = torch.full((N,), T, dtype=torch.long)
for step in range(5):
    log_probs = net(features).log_softmax(2)
    loss = ctc(log_probs, targets, input_lengths, target_lengths)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f'step {step}: loss {loss.item():.5f}', loss.grad_fn.name())
per_sample = nn.functional.ctc_loss(net(features).log_softmax(2), targets, input_lengths,
                                    target_lengths, reduction='none')
print(per_sample.shape, per_sample.grad_fn.name(), ctc)
"""


def test_ctc_training_program(client):
    inputs = {"features": RNG.normal(size=(12, 4, 8)).astype(np.float32),
              "targets": RNG.integers(1, 6, size=(4, 5)).astype(np.int64),
              "target_lengths": np.array([5, 3, 4, 2], dtype=np.int64)}
    twin = Twin(client, inputs)
    twin.cell(CTC_MODEL)
    twin.share("net")
    twin.cell(CTC_TRAINING)
    twin.assert_same_prints(rtol=1e-4, atol=1e-5)
    assert twin.ours[0].startswith("step 0: loss ") and twin.ours[0].endswith("MeanBackward0")
    assert twin.ours[-1] == "torch.Size([4]) CtcLossBackward0 CTCLoss()"


HOOKS = """
import torch
from torch import nn

model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
seen = []

def report(module, grad_input, grad_output):
    name = type(module).__name__
    shapes = [None if g is None else tuple(g.shape) for g in grad_input]
    seen.append(name)
    print(name, shapes, [round(g.abs().sum().item(), 4) for g in grad_output])

def halve(module, grad_output):
    return tuple(g / 2 for g in grad_output)

handles = [layer.register_full_backward_hook(report) for layer in model]
pre = model.register_full_backward_pre_hook(halve)
out = model(x)
print(out.grad_fn.name())
out.sum().backward()
print(seen, round(model[0].weight.grad.abs().sum().item(), 4))
for h in handles:
    h.remove()
pre.remove()
model.zero_grad()
model(x).sum().backward()
print(len(seen), round(model[0].weight.grad.abs().sum().item(), 4))
"""


def test_full_backward_hooks_program(client):
    twin = Twin(client, {"x": RNG.normal(size=(5, 3)).astype(np.float32)})
    twin.cell("import torch\nfrom torch import nn\nmodel = nn.Sequential(nn.Linear(3, 4), "
              "nn.ReLU(), nn.Linear(4, 1))")
    twin.share("model")
    twin.cell(HOOKS.replace("model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), "
                            "nn.Linear(4, 1))\n", ""))
    twin.assert_same_prints(rtol=1e-5, atol=1e-6)
    assert twin.ours[0] == "BackwardHookFunctionBackward"
