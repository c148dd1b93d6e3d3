"""Programs that use the real engine libraries through the language: an ``nn.Module`` subclass
trained with an optimizer and a ``DataLoader``, a custom ``torch.autograd.Function``, a
``Dataset`` subclass — compared with torch 2.13 running the same program where the data is
deterministic."""

from __future__ import annotations

import contextlib
import io

import pytest

from app.lang import Environment, Limits, compile_source, run_program

pytest.importorskip("engine.nn")
pytest.importorskip("engine.optim")
pytest.importorskip("engine.utils.data")


def ours(source: str, env: Environment | None = None) -> list[str]:
    result = run_program(compile_source(source), env or Environment(), Limits(), source=source)
    return [line for entry in result.printed for line in entry.split("\n")]


def torch_prints(source: str) -> list[str]:
    pytest.importorskip("torch")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    text = buffer.getvalue()
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


MODULE_TRAINING = """
import torch
from torch import nn
from torch.utils import data

class LinearRegression(nn.Module):
    def __init__(self, lr):
        super().__init__()
        self.lr = lr
        self.net = nn.Linear(2, 1)
        self.net.weight.data.fill_(0.0)
        self.net.bias.data.fill_(0.0)

    def forward(self, X):
        return self.net(X)

    def loss(self, y_hat, y):
        fn = nn.MSELoss()
        return fn(y_hat, y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), self.lr)

model = LinearRegression(0.1)
X = torch.arange(40.0).reshape(20, 2) / 20
y = X @ torch.tensor([[2.0], [-3.4]]) + 4.2
loader = data.DataLoader(data.TensorDataset(X, y), batch_size=5)
opt = model.configure_optimizers()
for epoch in range(3):
    for X_b, y_b in loader:
        l = model.loss(model(X_b), y_b)
        opt.zero_grad()
        l.backward()
        opt.step()
    with torch.no_grad():
        print(f"epoch {epoch + 1}, loss {model.loss(model(X), y).item():.4f}")
print(model)
print(model.net.weight.data, model.net.bias.data)
print(isinstance(model, nn.Module), [name for name, _ in model.named_parameters()])
"""

CUSTOM_FUNCTION = """
import torch

class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output * result

x = torch.tensor([0.0, 1.0], requires_grad=True)
y = Exp.apply(x)
print(y)
y.sum().backward()
print(x.grad)

class MulConstant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor, constant):
        ctx.constant = constant
        return tensor * constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None

z = MulConstant.apply(x, 3.0)
print(z.grad_fn.name())
z.sum().backward()
print(x.grad)
"""

DATASET = """
import torch
from torch.utils.data import Dataset, DataLoader

class Squares(Dataset):
    def __init__(self, n):
        self.n = n
    def __len__(self):
        return self.n
    def __getitem__(self, idx):
        return torch.tensor([float(idx)]), idx * idx

for xb, yb in DataLoader(Squares(5), batch_size=2):
    print(xb.reshape(-1), yb)
"""

SEQUENTIAL = """
import torch
from torch import nn
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 0.1)
        nn.init.zeros_(m.bias)
net.apply(init_weights)
print(net)
print(net(torch.ones(2, 4)))
net.eval()
print(net.training, net[0].training, [n for n, p in net.named_parameters()])
"""

TYPES = """
import torch
from torch import nn
x = torch.ones(2)
p = nn.Parameter(torch.ones(2))
lin = nn.Linear(2, 2)
print(type(x), type(p), type(lin), type(torch.optim.SGD([p], lr=0.1)), type(x.shape))
print(type(x) is torch.Tensor, type(p) is torch.Tensor, isinstance(p, torch.Tensor),
      type(p) == nn.Parameter, type(lin.weight) == nn.Parameter, type(lin.weight * 2))
print(type(p).__name__, type(lin.bias).__name__, type(torch.float32).__name__)
print((type(lin.bias), lin.bias.shape), [torch.Tensor, {nn.ReLU: [nn.Parameter]}])
print(repr((nn.Linear,)), str({nn.Linear}), f"{[torch.Tensor]}", frozenset([torch.Tensor]))
loop = [nn.Linear]
loop.append(loop)
print(loop, {"k": (nn.Linear, "<class 'engine.x'>")})
"""


@pytest.mark.parametrize("name, source", [("module training", MODULE_TRAINING),
                                          ("custom Function", CUSTOM_FUNCTION),
                                          ("Dataset subclass", DATASET),
                                          ("Sequential and init", SEQUENTIAL),
                                          ("types under torch's names", TYPES)])
def test_library_programs_print_what_torch_prints(name, source):
    if name == "custom Function":
        pytest.importorskip("engine.autograd.function")
    assert ours(source) == torch_prints(source)


def test_a_module_subclass_trains_over_http(client):
    sid = client.post("/v1/sessions", json={"seed": 0}).json()["id"]
    cells = MODULE_TRAINING.split("\nmodel = LinearRegression(0.1)\n")
    first = client.post(f"/v1/sessions/{sid}/run", json={"source": cells[0]})
    assert first.status_code == 200, first.text
    second = client.post(f"/v1/sessions/{sid}/run",
                         json={"source": "model = LinearRegression(0.1)\n" + cells[1]})
    assert second.status_code == 200, second.text
    printed = second.json()["printed"]
    assert "\n".join(printed).split("\n") == torch_prints(MODULE_TRAINING)
    again = client.post(f"/v1/sessions/{sid}/run", json={"source": "model(X[:1])"})
    assert again.status_code == 200, again.text
    assert again.json()["result"]["grad_fn"] == "AddmmBackward0"


def test_a_library_class_comes_back_under_its_torch_name(client):
    sid = client.post("/v1/sessions").json()["id"]
    reply = client.post(f"/v1/sessions/{sid}/run", json={
        "source": "import torch\nfrom torch import nn\n"
                  "type(nn.Parameter(torch.ones(1))), nn.Linear, torch.Tensor"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["result"] == [
        {"type": "type", "name": "Parameter", "repr": "<class 'torch.nn.parameter.Parameter'>"},
        {"type": "type", "name": "Linear", "repr": "<class 'torch.nn.modules.linear.Linear'>"},
        {"type": "type", "name": "Tensor", "repr": "<class 'torch.Tensor'>"}]


GRADCHECK_ERROR = """
import torch
class Bad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2
    @staticmethod
    def backward(ctx, g):
        return g * 3
x = torch.ones(2, dtype=torch.double, requires_grad=True)
try:
    torch.autograd.gradcheck(Bad.apply, x)
except RuntimeError as e:
    print(type(e).__name__, isinstance(e, RuntimeError), str(e).split(",")[0])
print(torch.autograd.gradcheck(Bad.apply, x, raise_exception=False))
"""


def test_gradcheck_failures_are_gradcheck_errors():
    pytest.importorskip("engine.autograd.gradcheck")
    assert ours(GRADCHECK_ERROR) == torch_prints(GRADCHECK_ERROR)


GRAD_MODES = """
import torch
print(torch.is_grad_enabled())
with torch.no_grad():
    print(torch.is_grad_enabled())
    with torch.enable_grad():
        print(torch.is_grad_enabled())
check = torch.is_grad_enabled
@torch.no_grad()
def inside():
    return check()
print(inside(), check(), torch.is_inference_mode_enabled())
with torch.set_grad_enabled(False):
    print(torch.is_grad_enabled())
"""


def test_grad_mode_queries_are_callable_from_programs():
    assert ours(GRAD_MODES) == torch_prints(GRAD_MODES)
