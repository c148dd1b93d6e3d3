"""Programs over HTTP that use the rest of torch.nn (issue 13): a CTC model trained a few
steps, and full backward hooks on modules; printed lines vs torch 2.13 in the same cells."""

from __future__ import annotations

import numpy as np
import pytest

import engine
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


DEEPCOPY = """
import copy
import torch
from torch import nn

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.out = nn.Linear(8, 1)
        self.scale = 2.0
        self.act = torch.relu

    def forward(self, x):
        return self.out(self.act(self.hidden(x))) * self.scale

model = MLP()
"""

DEEPCOPY_TRAINING = """
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
best_loss, best_state, best_model = float('inf'), None, None
for epoch in range(6):
    loss = ((model(x) - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if loss.item() < best_loss:
        best_loss = loss.item()
        best_state = copy.deepcopy(model.state_dict())
        best_model = copy.deepcopy(model)
    print(f'epoch {epoch}: {loss.item():.5f}')
twin = copy.deepcopy(model)
print(twin is model, twin.hidden.weight is model.hidden.weight, twin.scale, twin.act is model.act)
print(torch.equal(twin.hidden.weight, model.hidden.weight), twin.hidden.weight.requires_grad)
with torch.no_grad():
    twin.hidden.weight.add_(1.0)
print(torch.equal(twin.hidden.weight, model.hidden.weight))
print(round(((best_model(x) - y) ** 2).mean().item(), 5), round(best_loss, 5))
saved = copy.deepcopy(optimizer.state_dict())
print(sorted(saved['state'][0]), saved['state'][0]['step'], saved['param_groups'][0]['lr'])
model.load_state_dict(best_state)
print(round(((model(x) - y) ** 2).mean().item(), 5))
shallow = copy.copy([1, [2, 3]])
print(shallow, copy.deepcopy({'a': (1, [2])}))
try:
    copy.deepcopy(model(x))
except RuntimeError as e:
    print('RuntimeError', str(e)[:60])
"""


@pytest.mark.skipif(not hasattr(engine.Tensor, "__deepcopy__"),
                    reason="Tensor.__deepcopy__ (engine/tensor.py, issue 10) not here yet")
def test_deepcopy_program(client):
    twin = Twin(client, {"x": RNG.normal(size=(16, 4)).astype(np.float32),
                         "y": RNG.normal(size=(16, 1)).astype(np.float32)})
    twin.cell(DEEPCOPY)
    twin.share("model")
    twin.cell(DEEPCOPY_TRAINING)
    twin.assert_same_prints(rtol=1e-4, atol=1e-5)
    assert twin.ours[6] == "False False 2.0 True"
