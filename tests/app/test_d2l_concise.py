"""The d2l "concise implementation" programs, pasted as people write them (d2l's own helpers
inlined where the book imports them from its package; plots become prints), sent as source to a
session over HTTP with their data passed as inputs, and run by torch 2.13 in the same cells.

Random draws differ between torch's generator and the session's, so after the cell that builds
a model the test PUTs torch's ``state_dict`` into the session's model (the wire's load path):
both continue from the same values. Shuffled loaders still draw different orders, so printed
numbers are compared with a tolerance chosen per program; everything else prints exactly.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re

import numpy as np
import pytest

from tests.app.helpers import run

torch = pytest.importorskip("torch")
pytest.importorskip("app.lang.library", reason="the language's library bridge (issue 11)")

NUMBER = re.compile(  # numbers, also inside words (L2)
    r"-?\d+\.\d*(?:e[-+]?\d+)?|-?\d+(?:e[-+]?\d+)?")


def wire(array: np.ndarray) -> dict:
    dtype = {"float32": "float32", "int64": "int64"}[str(array.dtype)]
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
    return {"type": "tensor", "dtype": dtype, "shape": list(array.shape),
            "base64": base64.b64encode(data).decode()}


class Twin:
    """A program run cell by cell in a session over HTTP and by torch in one namespace."""

    def __init__(self, client, inputs: dict[str, np.ndarray]):
        self.client = client
        self.sid = client.post("/v1/sessions", json={"seed": 0}).json()["id"]
        torch.manual_seed(0)  # torch's side draws (a DataLoader's shuffle) the same every run
        self.inputs = {name: wire(value) for name, value in inputs.items()}
        self.namespace = {"__name__": "__main__",
                          **{name: torch.from_numpy(value.copy())
                             for name, value in inputs.items()}}
        self.ours: list[str] = []
        self.theirs: list[str] = []

    def cell(self, source: str) -> None:
        body = {"source": source}
        if self.inputs:
            body["inputs"], self.inputs = self.inputs, {}
        reply = run(self.client, self.sid, body)
        assert reply.status_code == 200, reply.text
        self.ours += [line for entry in reply.json()["printed"] for line in entry.split("\n")]
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(source, "<cell>", "exec"), self.namespace)  # the oracle
        text = buffer.getvalue()
        self.theirs += text.removesuffix("\n").split("\n") if text else []

    def share(self, name: str) -> None:
        """Gives the session's module ``name`` torch's parameters (PUT of a state_dict)."""
        state = {key: wire(value.detach().numpy())
                 for key, value in self.namespace[name].state_dict().items()}
        reply = self.client.put(f"/v1/sessions/{self.sid}/variables/{name}", json=state)
        assert reply.status_code == 200, reply.text

    def assert_same_prints(self, rtol: float = 0.0, atol: float = 0.0) -> None:
        assert_close_lines(self.ours, self.theirs, rtol, atol)


def assert_close_lines(ours: list[str], theirs: list[str], rtol: float = 0.0,
                       atol: float = 0.0) -> None:
    """The same lines but for the numbers in them, which agree to ``rtol``/``atol``."""
    assert len(ours) == len(theirs), (ours, theirs)
    for a, b in zip(ours, theirs):
        assert NUMBER.split(a) == NUMBER.split(b), (a, b)
        x, y = ([float(n) for n in NUMBER.findall(line)] for line in (a, b))
        assert x == pytest.approx(y, rel=rtol, abs=atol), (a, b)


# d2l's helpers (d2l/torch.py), inlined as a reader pastes them; the animator becomes a print.
D2L_HELPERS = '''
import torch
from torch import nn
from torch.utils import data

def load_array(data_arrays, batch_size, is_train=True):
    """Construct a PyTorch data iterator."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)

class Accumulator:
    """For accumulating sums over `n` variables."""
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]

def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())

def evaluate_accuracy(net, data_iter):
    """Compute the accuracy for a model on a dataset."""
    if isinstance(net, torch.nn.Module):
        net.eval()  # Set the model to evaluation mode
    metric = Accumulator(2)  # No. of correct predictions, no. of predictions
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]

def train_epoch_ch3(net, train_iter, loss, updater):
    """The training loop defined in Chapter 3."""
    # Set the model to training mode
    if isinstance(net, torch.nn.Module):
        net.train()
    # Sum of training loss, sum of training accuracy, no. of examples
    metric = Accumulator(3)
    for X, y in train_iter:
        # Compute gradients and update parameters
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            # Using PyTorch in-built optimizer & loss criterion
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            # Using custom built optimizer & loss criterion
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    # Return training loss and training accuracy
    return metric[0] / metric[2], metric[1] / metric[2]

def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train a model (defined in Chapter 3)."""
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        train_loss, train_acc = train_metrics
        print(f'epoch {epoch + 1}, loss {train_loss:.4f}, train acc {train_acc:.3f}, '
              f'test acc {test_acc:.3f}')

def evaluate_loss(net, data_iter, loss):
    """Evaluate the loss of a model on the given dataset."""
    metric = Accumulator(2)  # Sum of losses, no. of examples
    for X, y in data_iter:
        out = net(X)
        y = y.reshape(out.shape)
        l = loss(out, y)
        metric.add(l.sum(), l.numel())
    return metric[0] / metric[1]

batch_size = 256
train_iter = load_array((train_images, train_labels), batch_size)
test_iter = load_array((test_images, test_labels), batch_size, is_train=False)
'''


def images(seed: int, n_train: int = 60, n_test: int = 20) -> dict[str, np.ndarray]:
    """Fashion-MNIST-shaped classes: 10 noisy prototypes of 1x28x28."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 1, (10, 1, 28, 28)).astype(np.float32)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, 10, n)
        noise = rng.normal(0, 0.3, (n, 1, 28, 28)).astype(np.float32)
        out[f"{split}_images"] = prototypes[labels] + noise
        out[f"{split}_labels"] = labels.astype(np.int64)
    return out


LINEAR_REGRESSION = ['''
import numpy as np
import torch
from torch.utils import data

true_w = torch.tensor([2, -3.4])
true_b = 4.2

def load_array(data_arrays, batch_size, is_train=True):  #@save
    """Construct a PyTorch data iterator."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)

batch_size = 10
data_iter = load_array((features, labels), batch_size)
batch = next(iter(data_iter))
print(len(batch), batch[0].shape, batch[1].shape)

# nn is an abbreviation for neural networks
from torch import nn

net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.normal_(0, 0.01)
net[0].bias.data.fill_(0)
print(net)
loss = nn.MSELoss()
''', '''
trainer = torch.optim.SGD(net.parameters(), lr=0.03)
num_epochs = 3
for epoch in range(num_epochs):
    for X, y in data_iter:
        l = loss(net(X) ,y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f'epoch {epoch + 1}, loss {l:f}')

w = net[0].weight.data
print('error in estimating w:', true_w - w.reshape(true_w.shape))
b = net[0].bias.data
print('error in estimating b:', true_b - b)
''']


def test_linear_regression_concise(client):
    rng = np.random.default_rng(1)
    features = rng.normal(0, 1, (500, 2)).astype(np.float32)
    labels = (features @ np.array([2, -3.4], np.float32) + 4.2
              + rng.normal(0, 0.01, 500).astype(np.float32)).reshape(-1, 1)
    twin = Twin(client, {"features": features, "labels": labels.astype(np.float32)})
    twin.cell(LINEAR_REGRESSION[0])
    twin.share("net")
    twin.cell(LINEAR_REGRESSION[1])
    # the shuffled orders differ: the losses and errors agree at the noise floor
    twin.assert_same_prints(rtol=0.5, atol=2e-3)
    assert twin.ours[:2] == ["2 torch.Size([10, 2]) torch.Size([10, 1])", "Sequential("]
    assert float(twin.ours[-3].split()[-1]) < 2e-4  # trained to the noise floor


SOFTMAX_REGRESSION = '''
# PyTorch does not implicitly reshape the inputs. Thus we define the flatten
# layer to reshape the inputs before the linear layer in our network
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)

net.apply(init_weights);
print(net)
'''

SOFTMAX_TRAINING = '''
loss = nn.CrossEntropyLoss(reduction='none')
trainer = torch.optim.SGD(net.parameters(), lr=0.1)
num_epochs = 10
train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
'''

MLP = '''
net = nn.Sequential(nn.Flatten(),
                    nn.Linear(784, 256),
                    nn.ReLU(),
                    nn.Linear(256, 10))

def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)

net.apply(init_weights);
print(net)
'''

MLP_TRAINING = '''
batch_size, lr, num_epochs = 256, 0.1, 10
loss = nn.CrossEntropyLoss(reduction='none')
trainer = torch.optim.SGD(net.parameters(), lr=lr)
train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
'''


@pytest.mark.parametrize("model, training", [(SOFTMAX_REGRESSION, SOFTMAX_TRAINING),
                                             (MLP, MLP_TRAINING)],
                         ids=["softmax regression", "multilayer perceptron"])
def test_classifiers_concise(client, model, training):
    # one shuffled batch per epoch (256 > 60 examples): only summation order differs
    twin = Twin(client, images(2))
    twin.cell(D2L_HELPERS + model)
    twin.share("net")
    twin.cell(training)
    twin.assert_same_prints(rtol=1e-4, atol=1.5e-3)
    assert len(twin.ours) > 10 and twin.ours[-1].startswith("epoch 10, loss ")


DROPOUT = '''
dropout1, dropout2 = 0.2, 0.5

def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)

X = torch.arange(16, dtype = torch.float32).reshape((2, 8))
print(dropout_layer(X, 0.))
print(dropout_layer(X, 1.))

net = nn.Sequential(nn.Flatten(),
        nn.Linear(784, 256),
        nn.ReLU(),
        # Add a dropout layer after the first fully connected layer
        nn.Dropout(dropout1),
        nn.Linear(256, 256),
        nn.ReLU(),
        # Add a dropout layer after the second fully connected layer
        nn.Dropout(dropout2),
        nn.Linear(256, 10))

def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)

net.apply(init_weights);
print(net)
'''

DROPOUT_TRAINING = '''
num_epochs, lr = 10, 0.5
loss = nn.CrossEntropyLoss(reduction='none')
trainer = torch.optim.SGD(net.parameters(), lr=lr)
net.eval()
with torch.no_grad():
    print(net(test_images[:2]))
net.train()
out = net(test_images[:2])
print(net.training, net[3].training, out.shape)
train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
print(net.training)
'''


def test_dropout_concise(client):
    twin = Twin(client, images(3))
    twin.cell(D2L_HELPERS + DROPOUT)
    twin.share("net")
    twin.cell(DROPOUT_TRAINING)
    # eval mode is deterministic (same values as torch); training draws different masks
    head = len(twin.ours) - 11
    assert_close_lines(twin.ours[:head], twin.theirs[:head], rtol=1e-4, atol=1e-4)
    assert_close_lines(twin.ours[head:], twin.theirs[head:], atol=0.1)
    losses = [float(line.split()[3].rstrip(",")) for line in twin.ours[head:-1]]
    assert losses[-1] < losses[0] and twin.ours[-1] == "False"  # evaluate_accuracy: eval mode


WEIGHT_DECAY = '''
import torch
from torch import nn
from torch.utils import data

n_train, n_test, num_inputs, batch_size = 20, 100, 200, 5
true_w, true_b = torch.ones((num_inputs, 1)) * 0.01, 0.05

def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)

class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n
    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]
    def __getitem__(self, idx):
        return self.data[idx]

def evaluate_loss(net, data_iter, loss):
    metric = Accumulator(2)
    for X, y in data_iter:
        out = net(X)
        y = y.reshape(out.shape)
        l = loss(out, y)
        metric.add(l.sum(), l.numel())
    return metric[0] / metric[1]

train_iter = load_array((train_features, train_labels), batch_size)
test_iter = load_array((test_features, test_labels), batch_size, is_train=False)

def train_concise(wd):
    net = nn.Sequential(nn.Linear(num_inputs, 1))
    for param in net.parameters():
        param.data.normal_()
    loss = nn.MSELoss(reduction='none')
    num_epochs, lr = 100, 0.003
    # The bias parameter has not decayed
    trainer = torch.optim.SGD([
        {"params":net[0].weight,'weight_decay': wd},
        {"params":net[0].bias}], lr=lr)
    for epoch in range(num_epochs):
        for X, y in train_iter:
            trainer.zero_grad()
            l = loss(net(X), y)
            l.mean().backward()
            trainer.step()
    print(f'train {evaluate_loss(net, train_iter, loss):.3f}, '
          f'test {evaluate_loss(net, test_iter, loss):.3f}')
    print('L2 norm of w:', net[0].weight.norm().item())
    return net

net = train_concise(0)
net = train_concise(3)
'''


def test_weight_decay_concise(client):
    rng = np.random.default_rng(4)
    w = np.full((200, 1), 0.01, np.float32)
    data = {}
    for split, n in (("train", 20), ("test", 100)):
        X = rng.normal(0, 1, (n, 200)).astype(np.float32)
        data[f"{split}_features"] = X
        data[f"{split}_labels"] = X @ w + 0.05 + rng.normal(0, 0.01, (n, 1)).astype(np.float32)
    twin = Twin(client, data)
    twin.cell(WEIGHT_DECAY)
    # the initial draws are the generator's own (inside train_concise): compare what weight
    # decay does, not the values: without it the model overfits, with it ||w|| collapses
    for lines in (twin.ours, twin.theirs):
        assert [NUMBER.sub("#", line) for line in lines] == [
            "train #, test #", "L# norm of w: #"] * 2
        first, second = (float(lines[i].split()[-1]) for i in (1, 3))
        train0 = float(NUMBER.findall(lines[0])[0])
        test0 = float(NUMBER.findall(lines[0])[1])
        assert second < first / 5 and train0 < 0.01 < test0


OPTIMIZERS = '''
import torch
from torch import nn

def load_array(data_arrays, batch_size, is_train=True):
    dataset = torch.utils.data.TensorDataset(*data_arrays)
    return torch.utils.data.DataLoader(dataset, batch_size, shuffle=is_train)

class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n
    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]
    def __getitem__(self, idx):
        return self.data[idx]

def evaluate_loss(net, data_iter, loss):
    metric = Accumulator(2)
    for X, y in data_iter:
        out = net(X)
        y = y.reshape(out.shape)
        l = loss(out, y)
        metric.add(l.sum(), l.numel())
    return metric[0] / metric[1]

def get_data_ch11(batch_size=10, n=1500):
    data = (airfoil - airfoil.mean(axis=0)) / airfoil.std(axis=0)
    data_iter = load_array((data[:n, :-1], data[:n, -1]),
                           batch_size, is_train=True)
    return data_iter, data.shape[1]-1

def train_concise_ch11(trainer_fn, hyperparams, data_iter, num_epochs=4):
    # Initialization
    net = nn.Sequential(nn.Linear(5, 1))
    def init_weights(m):
        if type(m) == nn.Linear:
            torch.nn.init.normal_(m.weight, std=0.01)
    net.apply(init_weights)

    optimizer = trainer_fn(net.parameters(), **hyperparams)
    loss = nn.MSELoss(reduction='none')
    n, losses = 0, []
    for _ in range(num_epochs):
        for X, y in data_iter:
            optimizer.zero_grad()
            out = net(X)
            y = y.reshape(out.shape)
            l = loss(out, y)
            l.mean().backward()
            optimizer.step()
            n += X.shape[0]
            if n % 200 == 0:
                losses.append(evaluate_loss(net, data_iter, loss) / 2)
    print(f'{type(optimizer).__name__}: loss {losses[-1]:.3f}')

data_iter, _ = get_data_ch11(10)
train_concise_ch11(torch.optim.SGD, {'lr': 0.01}, data_iter)
train_concise_ch11(torch.optim.SGD, {'lr': 0.005, 'momentum': 0.9}, data_iter)
train_concise_ch11(torch.optim.Adagrad, {'lr': 0.1}, data_iter)
train_concise_ch11(torch.optim.RMSprop, {'lr': 0.01, 'alpha': 0.9}, data_iter)
train_concise_ch11(torch.optim.Adadelta, {'rho': 0.9}, data_iter)
train_concise_ch11(torch.optim.Adam, {'lr': 0.01}, data_iter)
'''


def test_optimizers_concise(client):
    rng = np.random.default_rng(5)
    X = rng.normal(0, 1, (500, 6)).astype(np.float32)
    y = (X[:, :5] @ np.array([0.5, -1.0, 0.3, 0.8, -0.2], np.float32)
         + rng.normal(0, 0.2, 500).astype(np.float32))
    twin = Twin(client, {"airfoil": np.concatenate([X[:, :5], y[:, None]], axis=1)})
    twin.cell(OPTIMIZERS)
    # random initial weights and orders: each optimizer reaches the loss torch's reaches (the
    # noise floor, 0.01); Adadelta (rho 0.9, lr 1) is still descending after 200 steps in both
    assert [line.split(":")[0] for line in twin.ours] == [
        "SGD", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam"]
    converged = [0, 1, 2, 3, 5]
    assert_close_lines([twin.ours[i] for i in converged], [twin.theirs[i] for i in converged],
                       atol=0.004)
    adadelta = [float(lines[4].split()[-1]) for lines in (twin.ours, twin.theirs)]
    assert all(0.012 < loss < 0.2 for loss in adadelta), adadelta


LENET = '''
import torch
from torch import nn

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))
print(net)
'''

LENET_SHAPES = '''
X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__,'output shape: \\t',X.shape)
'''

LENET_TRAINING = '''
def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Compute the accuracy for a model on a dataset using a GPU."""
    if isinstance(net, nn.Module):
        net.eval()  # Set the model to evaluation mode
        if not device:
            device = next(iter(net.parameters())).device
    # No. of correct predictions, no. of predictions
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            if isinstance(X, list):
                # Required for BERT Fine-tuning (to be covered later)
                X = [x.to(device) for x in X]
            else:
                X = X.to(device)
            y = y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]

def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train a model with a GPU (defined in Chapter 6)."""
    print('training on', device)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    num_batches = len(train_iter)
    for epoch in range(num_epochs):
        # Sum of training loss, sum of training accuracy, no. of examples
        metric = Accumulator(3)
        net.train()
        for i, (X, y) in enumerate(train_iter):
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
            train_l = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        print(f'loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}')

lr, num_epochs = 0.9, 3
train_ch6(net, train_iter, test_iter, num_epochs, lr, torch.device('cpu'))
'''


def test_lenet_concise(client):
    twin = Twin(client, images(6, n_train=64, n_test=16))
    twin.cell(D2L_HELPERS + LENET)
    twin.share("net")  # d2l's xavier_uniform_ draws become torch's values
    twin.cell("""
def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)
net.apply(init_weights)
""")
    twin.share("net")
    twin.cell(LENET_TRAINING)
    # one batch per epoch: the same trajectory up to summation order
    twin.assert_same_prints(rtol=1e-3, atol=2e-3)
    assert twin.ours[0] == "Sequential(" and twin.ours[-4] == "training on cpu"


def test_lenet_layer_shapes(client):
    twin = Twin(client, {})
    twin.cell(LENET + LENET_SHAPES)
    twin.assert_same_prints()
    assert twin.ours[-1] == "Linear output shape: \t torch.Size([1, 10])"


# d2l 1.0 (the current edition) writes LeNet with lazy layers sized by a first call.
LENET_LAZY = '''
import torch
from torch import nn

def init_cnn(module):
    """Initialize weights for CNNs."""
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)

net = nn.Sequential(
    nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.LazyLinear(120), nn.Sigmoid(),
    nn.LazyLinear(84), nn.Sigmoid(),
    nn.LazyLinear(10))
print(net)
X = torch.randn(1, 1, 28, 28)
print(net(X).shape)
net.apply(init_cnn)
print(net)
'''


def test_lenet_lazy_concise(client):
    twin = Twin(client, images(7, n_train=64, n_test=16))
    twin.cell(D2L_HELPERS + LENET_LAZY)
    twin.share("net")  # the xavier draws become torch's values
    twin.cell(LENET_TRAINING)
    twin.assert_same_prints(rtol=1e-3, atol=2e-3)
    assert twin.ours[0] == "Sequential(" and "LazyConv2d(0, 6, kernel_size=(5, 5)" in twin.ours[1]
    assert "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))" in twin.ours
