"""Programs as PyTorch users write them, run by torch 2.13 itself (the oracle) and by the
interpreter, printing the same lines. Data is deterministic (random draws differ between
torch's generator and the engine's)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from app.lang import Environment, Limits, compile_source, run_program

from .conftest import missing_ops

PROGRAMS = {
    "linear regression from scratch (d2l 3.2)": """
import random
import torch
true_w = torch.tensor([2, -3.4])
true_b = 4.2
X = torch.arange(40.0).reshape(20, 2) / 20
y = (torch.matmul(X, true_w) + true_b).reshape((-1, 1))
def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]
w = torch.zeros((2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
def linreg(X, w, b):
    return torch.matmul(X, w) + b
def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
lr, num_epochs, net, loss = 0.03, 3, linreg, squared_loss
for epoch in range(num_epochs):
    for X_b, y_b in data_iter(5, X, y):
        l = loss(net(X_b, w, b), y_b)
        l.sum().backward()
        sgd([w, b], lr, 5)
    with torch.no_grad():
        train_l = loss(net(X, w, b), y)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')
print(w.reshape(-1), b)
""",
    "softmax pieces (d2l 3.6)": """
import torch
X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(X.sum(0, keepdim=True), X.sum(1, keepdim=True))
def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition
X_prob = softmax(X)
print(X_prob, X_prob.sum(1))
y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(y_hat[[0, 1], y])
def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])
print(cross_entropy(y_hat, y))
def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())
print(accuracy(y_hat, y) / len(y))
class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n
    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]
    def reset(self):
        self.data = [0.0] * len(self.data)
    def __getitem__(self, idx):
        return self.data[idx]
metric = Accumulator(2)
metric.add(accuracy(y_hat, y), y.numel())
print(metric[0] / metric[1])
""",
    "MLP pieces (d2l 5.2)": """
import torch
def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)
X = torch.tensor([[-1.0, 2.0], [3.0, -4.0]])
print(relu(X), torch.relu(X), X.relu())
W1 = torch.ones((2, 3), requires_grad=True)
b1 = torch.zeros(3, requires_grad=True)
params = [W1, b1]
def net(X):
    X = X.reshape((-1, 2))
    H = relu(X @ W1 + b1)
    return H.sum(1)
out = net(X)
out.sum().backward()
print(out, W1.grad, b1.grad)
""",
    "autograd tutorial pieces": """
import torch
x = torch.ones(5)
y = torch.zeros(3)
w = torch.ones(5, 3, requires_grad=True)
b = torch.ones(3, requires_grad=True)
z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
""",
    "optimizers from scratch (d2l 12)": """
import torch
def init_momentum_states(feature_dim):
    v_w = torch.zeros((feature_dim, 1))
    v_b = torch.zeros(1)
    return (v_w, v_b)
def sgd_momentum(params, states, hyperparams):
    for p, v in zip(params, states):
        with torch.no_grad():
            v[:] = hyperparams['momentum'] * v + p.grad
            p[:] -= hyperparams['lr'] * v
        p.grad.data.zero_()
def init_adam_states(feature_dim):
    v_w, v_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    s_w, s_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    return ((v_w, s_w), (v_b, s_b))
def adam(params, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
            s_bias_corr = s / (1 - beta2 ** hyperparams['t'])
            p[:] -= hyperparams['lr'] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
        p.grad.data.zero_()
    hyperparams['t'] += 1
X = torch.arange(12.0).reshape(6, 2) / 10
y = X @ torch.tensor([[1.0], [-2.0]]) + 0.5
for trainer, init, hp in ((sgd_momentum, init_momentum_states, {'lr': 0.05, 'momentum': 0.5}),
                          (adam, init_adam_states, {'lr': 0.01, 't': 1})):
    w = torch.zeros((2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    states = init(2)
    for step in range(5):
        l = ((X @ w + b - y) ** 2 / 2).mean()
        l.backward()
        trainer([w, b], states, hp)
    print(trainer.__name__, f'{float(l):.6f}', w.reshape(-1), b)
""",
    "errors as torch raises them": """
import torch
x = torch.ones(2, requires_grad=True)
y = (x * 2).sum()
y.backward()
try:
    y.backward()
except RuntimeError as e:
    print(type(e).__name__, str(e)[:60])
try:
    torch.ones(2) + torch.ones(3)
except RuntimeError as e:
    print(e)
try:
    (x * 2).backward()
except RuntimeError as e:
    print(e)
""",
    "torch.Size and shapes": """
import torch
x = torch.zeros(2, 3, 4)
s = x.shape
print(s, s[0], len(s), s[1:], list(s), tuple(s), s == (2, 3, 4), s.numel())
print(x.size(), x.size(1), x.dim(), x.numel(), torch.Size([1, 2]))
n, c, h = x.shape
print(n * c * h, x.reshape(s[0], -1).shape)
""",
    "class names of tensors, modules and library types": """
import torch
from torch import nn
class Net(nn.Module):
    \"\"\"Two layers.\"\"\"
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    def forward(self, X):
        return self.body(X)
net = Net()
X = torch.ones(1, 4)
for layer in net.body:
    X = layer(X)
    print(layer.__class__.__name__, 'output shape:\t', X.shape)
print(net.__class__.__name__, type(net).__name__, Net.__doc__, net.forward.__name__)
print(type(X), X.__class__, type(X.shape), type(X.dtype), type(X.device), type(X).__name__)
print(nn.Linear, nn.Linear.__name__, nn.Linear.__qualname__, torch.optim.SGD.__name__)
print([m.__class__.__name__ for m in net.modules()], f"{type(X)}", repr(type(X.shape)))
print(torch.relu.__name__, torch.nn.functional.relu.__name__, X.dtype.__class__.__name__)
""",
    "children replaced by their names (LoRA tutorials: setattr(seq, str(i), ...))": """
import torch
from torch import nn
class Wrapped(nn.Module):
    def __init__(self, linear):
        super().__init__()
        self.linear = linear
    def forward(self, x):
        return self.linear(x) * 2
seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
for i, module in enumerate(seq):
    if isinstance(module, nn.Linear):
        setattr(seq, str(i), Wrapped(module))
print(seq)
print(type(getattr(seq, "0")).__name__, hasattr(seq, "2"), hasattr(seq, "7"))
print(getattr(seq, "7", None))
delattr(seq, "1")
print([name for name, _ in seq.named_children()], len(seq))
class Bag:
    pass
bag = Bag()
setattr(bag, "0", 5)
print(getattr(bag, "0"), hasattr(bag, "1"), getattr(bag, "1", "none"))
""",
    "a recurrent module's weight tables (d2l's init_seq2seq)": """
import torch
from torch import nn
def init_seq2seq(module):
    if type(module) == nn.Linear:
        nn.init.constant_(module.weight, 0.5)
    if type(module) == nn.GRU:
        for param in module._flat_weights_names:
            if "weight" in param:
                nn.init.constant_(module._parameters[param], 0.25)
gru = nn.GRU(3, 2, num_layers=2, bidirectional=True)
gru.apply(init_seq2seq)
print(gru._flat_weights_names)
print(gru._all_weights)
print([[tuple(p.shape) for p in layer] for layer in gru.all_weights])
print(gru.weight_hh_l1_reverse, gru.bias_ih_l0.abs().max() < 1)
print([w is p for w, p in zip(gru._flat_weights, gru.parameters())], gru.flatten_parameters())
lstm = nn.LSTM(4, 3, proj_size=2, bias=False)
print(lstm._flat_weights_names, lstm._all_weights, nn.RNN(2, 2)._flat_weights_names)
lstm.double()
print([w.dtype for w in lstm._flat_weights], lstm.all_weights[0][2] is lstm.weight_hr_l0)
""",
    "fill_diagonal_ (SimCLR's NT_Xent mask): wrap, cubes, views, graphs": """
import torch
cases = [((3, 4), False), ((7, 3), True), ((7, 3), False), ((8, 3), True), ((9, 3), True),
         ((4, 3), True), ((3, 3, 3), False), ((2, 2, 2, 2), True), ((5, 2), True)]
for shape, wrap in cases:
    a = torch.zeros(shape)
    print(a.fill_diagonal_(5, wrap=wrap).nonzero().tolist())
x = torch.arange(12.).reshape(3, 4).requires_grad_()
y = x * 1
z = y.fill_diagonal_(-1.5)
print(z is y, y)
(y * torch.arange(12.).reshape(3, 4)).sum().backward()
print(x.grad)
m = torch.ones((3, 3), dtype=bool)
print(m.fill_diagonal_(0), torch.ones(2, 2, dtype=torch.int64).fill_diagonal_(7))
t = torch.zeros(4, 4)[:, ::2]
print(t.fill_diagonal_(1), torch.zeros(6, 6)[::2, 1:].fill_diagonal_(2))
for bad in [lambda: torch.zeros(2, 3, 2).fill_diagonal_(1),
            lambda: torch.zeros(3).fill_diagonal_(1),
            lambda: torch.zeros(2, 5, requires_grad=True).fill_diagonal_(1)]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
print(torch.zeros(2, 2, dtype=torch.int64).fill_diagonal_(1.5))
r = torch.arange(9, dtype=torch.float64).reshape(3, 3).sin().requires_grad_()
print(torch.autograd.gradcheck(lambda t: (t * 2).fill_diagonal_(1.0) ** 2, (r,)))
r = torch.arange(10, dtype=torch.float64).reshape(5, 2).cos().requires_grad_()
print(torch.autograd.gradgradcheck(lambda t: (t * 2).fill_diagonal_(1.0, wrap=True) ** 2, (r,)))
""",
    "a program's own underscored buffers and parameters (VQ-VAE's _ema_cluster_size)": """
import torch
from torch import nn
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('_ema', torch.zeros(2))
        self.register_parameter('_p', nn.Parameter(torch.ones(1)))
        self.add_module('_child', nn.Linear(1, 1))
        self._w = nn.Parameter(torch.ones(2))
        self._plain = 3
    def forward(self):
        self._ema = self._ema + 1
        return self._ema * self._w * self._p
m = M()
print(m(), m._ema, m._w, m._plain, type(m._child).__name__, m._p)
m._w = nn.Parameter(torch.zeros(2))
print(m._w, hasattr(m, '_ema'), getattr(m, '_ema'), [n for n, _ in m.named_buffers()])
del m._ema
del m._plain
del m._child
print(hasattr(m, '_ema'), hasattr(m, '_plain'), hasattr(m, '_child'), list(m.state_dict()))
try:
    del m._version
except AttributeError as e:
    print(e)
""",
    "private names published code uses (nn.init's fans, lr_scheduler._LRScheduler)": """
import math
import torch
from torch import nn
from torch.optim.lr_scheduler import _LRScheduler
w = torch.empty(8, 4, 3, 3)
fans = nn.init._calculate_fan_in_and_fan_out
print(fans(w), fans(torch.empty(5, 2)))
print(nn.init._calculate_correct_fan(w, 'fan_out'), nn.init._calculate_correct_fan(w, 'FAN_IN'))
for bad in (torch.empty(3), ):
    try:
        nn.init._calculate_fan_in_and_fan_out(bad)
    except ValueError as e:
        print(type(e).__name__, e)
try:
    nn.init._calculate_correct_fan(w, 'fan_avg')
except ValueError as e:
    print(e)
class Warmup(_LRScheduler):
    def __init__(self, optimizer, steps, last_epoch=-1):
        self.steps = steps
        super(Warmup, self).__init__(optimizer, last_epoch)
    def get_lr(self):
        return [base_lr * min(1.0, (self.last_epoch + 1) / self.steps) for base_lr in self.base_lrs]
p = nn.Parameter(torch.ones(2))
opt = torch.optim.SGD([p], lr=0.4)
sched = Warmup(opt, 4)
lrs = []
for _ in range(5):
    opt.step()
    sched.step()
    lrs.append(round(sched.get_last_lr()[0], 6))
print(lrs, isinstance(sched, torch.optim.lr_scheduler.LRScheduler), _LRScheduler.__name__)
print(issubclass(_LRScheduler, torch.optim.lr_scheduler.LRScheduler))
""",
    "modules of torch.utils.data and torch.distributions (tutorials' and CleanRL's imports)": """
import torch
from torch.utils.data.dataset import random_split, Dataset, TensorDataset
from torch.utils.data.dataloader import DataLoader, default_collate
from torch.utils.data.sampler import RandomSampler, BatchSampler
import torch.utils.data.dataset as ds
print(random_split is torch.utils.data.random_split, ds.Subset is torch.utils.data.Subset)
print(DataLoader, torch.utils.data.sampler.SequentialSampler)
print(list(BatchSampler(range(5), 2, False)))
print(hasattr(torch.utils.data.dataset, "DataLoader"), hasattr(torch.utils.data.sampler, "Sampler"))
print(default_collate([torch.ones(2), torch.zeros(2)]), len(random_split(range(10), [7, 3])[1]))
from torch.distributions.normal import Normal
from torch.distributions.one_hot_categorical import OneHotCategoricalStraightThrough
import torch.distributions.categorical as cat
print(Normal is torch.distributions.Normal, Normal(0.0, 1.0).log_prob(torch.tensor(0.5)))
print(cat.Categorical, torch.distributions.studentT.StudentT, OneHotCategoricalStraightThrough)
print(hasattr(torch.distributions.normal, "Categorical"), hasattr(cat, "Categorical"))
""",
}


def _torch_prints(source: str) -> list[str]:
    pytest.importorskip("torch")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    text = buffer.getvalue()
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def _our_prints(source: str, form: str) -> list[str]:
    program = compile_source(source)
    if form == "json":
        result = run_program(json.loads(json.dumps(program)), Environment(), Limits())
    else:
        result = run_program(program, Environment(), Limits(), source=source)
    return [line for entry in result.printed for line in entry.split("\n")]


NEEDS = {"softmax pieces (d2l 3.6)": ("type", "argmax"),
         "MLP pieces (d2l 5.2)": ("zeros_like", "max"),
         "autograd tutorial pieces": ("eye", "ones_like")}


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_prints_what_torch_prints(name, form):
    missing = missing_ops(*NEEDS.get(name, ()))
    if missing:
        pytest.skip(f"engine lacks ops {missing}")
    source = PROGRAMS[name]
    assert _our_prints(source, form) == _torch_prints(source)
