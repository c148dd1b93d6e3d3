"""The bridge to engine libraries, checked with small stand-in library classes (the real
``engine.nn`` / ``engine.autograd.Function`` / ``engine.utils.data`` are checked end to end where
they exist): names through ``__all__``, the firewall, user functions handed to library code,
user classes deriving from library classes."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import engine
from app.lang import (
    Environment,
    LangError,
    Limits,
    ProgramError,
    compile_source,
    library,
    run_program,
)

Tensor = engine.Tensor
STANDIN = "engine.lang_standin"


def _standin_module() -> types.ModuleType:
    module = types.ModuleType(STANDIN)

    class Module:
        """A tiny nn.Module: registration by attribute, parameters(), __call__ → forward."""

        def __init__(self) -> None:
            object.__setattr__(self, "_params", {})
            object.__setattr__(self, "_children", {})
            object.__setattr__(self, "training", True)

        def __setattr__(self, name, value):
            if "_params" not in self.__dict__:
                raise AttributeError("cannot assign before Module.__init__() call")
            if isinstance(value, Tensor) and value.requires_grad:
                self._params[name] = value
            elif isinstance(value, Module):
                self._children[name] = value
            else:
                object.__setattr__(self, name, value)

        def __getattr__(self, name):
            for table in ("_params", "_children"):
                found = self.__dict__.get(table, {})
                if name in found:
                    return found[name]
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

        def parameters(self):
            yield from self._params.values()
            for child in self._children.values():
                yield from child.parameters()

        def forward(self, *args):
            raise NotImplementedError("Module [Module] is missing the required \"forward\" "
                                      "function")

        def __call__(self, *args, **kwargs):
            return self.forward(*args, **kwargs)

        def extra_repr(self) -> str:
            return ""

        def __repr__(self) -> str:
            inner = "".join(f"\n  ({k}): {v!r}" for k, v in self._children.items())
            return f"{type(self).__name__}({self.extra_repr()}{inner}{chr(10) if inner else ''})"

        def apply(self, fn):
            for child in self._children.values():
                child.apply(fn)
            fn(self)
            return self

    class Linear(Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = engine.ones(n_out, n_in, requires_grad=True)
            self.bias = engine.zeros(n_out, requires_grad=True)

        def forward(self, x):
            return x @ self.weight.T + self.bias

        def extra_repr(self) -> str:
            return f"in_features={self.weight.shape[1]}, out_features={self.weight.shape[0]}"

    class Context:
        saved = None

        def save_for_backward(self, *tensors):
            self.saved = tensors

    class Function:
        """A stand-in autograd.Function: apply runs the static forward with a context."""

        @classmethod
        def apply(cls, *args):
            ctx = Context()
            out = cls.forward(ctx, *args)
            return out, cls.backward(ctx, engine.ones_like(out))

    class Dataset:
        def __getitem__(self, index):
            raise NotImplementedError

    def loader(dataset, batch_size):
        """Batches of ``dataset`` by len() and [i] (as DataLoader reads a map-style one)."""
        batch = []
        for i in range(len(dataset)):
            batch.append(dataset[i])
            if len(batch) == batch_size:
                yield engine.stack(batch)
                batch = []
        if batch:
            yield engine.stack(batch)

    def jacobian_ish(fn, x):
        return fn(x) * 2

    def leaky():
        return np.ones(3)

    def leak_module():
        return sys

    for obj in (Module, Linear, Context, Function, Dataset, loader, jacobian_ish, leaky,
                leak_module):
        obj.__module__ = STANDIN
    module.Module, module.Linear, module.Function, module.Dataset = Module, Linear, Function, \
        Dataset
    module.loader, module.jacobian_ish, module.leaky, module.leak_module = \
        loader, jacobian_ish, leaky, leak_module
    module.hidden = "not in __all__"
    module.__all__ = ["Module", "Linear", "Function", "Dataset", "loader", "jacobian_ish",
                      "leaky", "leak_module"]
    return module


@pytest.fixture
def standin(monkeypatch):
    module = _standin_module()
    monkeypatch.setitem(sys.modules, STANDIN, module)
    monkeypatch.setitem(library.PACKAGES, "torch.func", STANDIN)
    library._members.clear()
    yield module
    library._members.clear()


def run(source, env=None, limits=None):
    env = env if env is not None else Environment()
    return run_program(compile_source(source), env, limits or Limits(), source=source)


def test_names_come_from_the_packages_all(standin):
    assert run("torch.func.Linear").result is standin.Linear
    assert run("from torch.func import Linear as L\nL").result is standin.Linear
    # not in the package's __all__: not reachable (and torch.func has no 'hidden': torch's text)
    with pytest.raises(ProgramError, match=r"module 'torch\.func' has no attribute 'hidden'"):
        run("torch.func.hidden")
    with pytest.raises(ProgramError, match=r"torch\.fft\.fft is not supported"):
        run("torch.fft.fft(torch.ones(2))")
    with pytest.raises(ProgramError, match=r"torch\.fft is not supported"):
        run("import torch.fft as fft")


def test_the_firewall_refuses_what_programs_must_not_hold(standin):
    with pytest.raises(ProgramError, match="'ndarray' cannot be used"):
        run("torch.func.leaky()")
    with pytest.raises(ProgramError, match="'module' cannot be used"):
        run("torch.func.leak_module()")
    with pytest.raises(ProgramError, match="private to the library"):
        run("m = torch.func.Linear(2, 1)\nm._params")


def test_library_objects_show_public_attributes_only(standin):
    env = Environment()
    run("m = torch.func.Linear(2, 1)", env)
    assert run("m.weight.shape", env).result == (1, 2)
    assert run("len(list(m.parameters()))", env).result == 2
    with pytest.raises(ProgramError, match="private"):
        run("m._children", env)


def test_a_module_subclass_runs_the_users_forward_under_the_library_call(standin):
    source = """
class Net(torch.func.Module):
    def __init__(self, hidden):
        super().__init__()
        self.fc = torch.func.Linear(2, hidden)
        self.out = torch.func.Linear(hidden, 1)
        self.scale = 0.5
    def forward(self, x):
        return self.out(torch.relu(self.fc(x))) * self.scale
net = Net(3)
x = torch.ones(4, 2)
y = net(x)
y.sum().backward()
[y.shape, net.fc.weight.grad.shape, len(list(net.parameters())), repr(net),
 isinstance(net, Net), isinstance(net, torch.func.Module), type(net).__name__]"""
    shape, grad_shape, n, text, is_net, is_module, name = run(source).result
    assert shape == (4, 1) and grad_shape == (3, 2) and n == 4
    assert text == ("Net(\n  (fc): Linear(in_features=2, out_features=3)\n"
                    "  (out): Linear(in_features=3, out_features=1)\n)")
    assert is_net and is_module and name == "Net"


def test_user_methods_override_library_ones_and_super_reaches_them(standin):
    source = """
class Scaled(torch.func.Linear):
    def forward(self, x):
        return super().forward(x) * 10
    def extra_repr(self):
        return 'scaled ' + super().extra_repr()
m = Scaled(2, 1)
[m(torch.ones(1, 2)).item(), repr(m)]"""
    assert run(source).result == [20.0, "Scaled(scaled in_features=2, out_features=1)"]


def test_user_functions_reach_library_code_as_callables_under_the_budget(standin):
    assert run("def f(x):\n    return x + 1\ntorch.func.jacobian_ish(f, 3)").result == 8
    assert run("torch.func.jacobian_ish(lambda x: x * x, 3)").result == 18
    with pytest.raises(LangError) as info:
        run("def f(x):\n    while True:\n        x = x + 1\ntorch.func.jacobian_ish(f, 3)",
            limits=Limits(max_steps=5_000, max_loop_iterations=10**9))
    assert info.value.extra["limit"] == "max_steps"
    visited = run("seen = []\nnet = torch.func.Linear(1, 1)\n"
                  "net.apply(lambda m: seen.append(type(m).__name__))\nseen").result
    assert visited == ["Linear"]


def test_errors_in_user_code_called_by_library_code_keep_their_class(standin):
    with pytest.raises(ProgramError) as info:
        run("def f(x):\n    raise ValueError('inside')\ntorch.func.jacobian_ish(f, 1)")
    assert info.value.extra["exception"] == "ValueError" and info.value.detail == "inside"
    out = run("def f(x):\n    raise ValueError('inside')\ntry:\n"
              "    torch.func.jacobian_ish(f, 1)\nexcept ValueError as e:\n    msg = str(e)\nmsg")
    assert out.result == "inside"


def test_a_function_subclass_dispatches_its_static_methods(standin):
    source = """
class Exp(torch.func.Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result
    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved
        return grad_output * result
out, grad = Exp.apply(torch.zeros(2))
[out.tolist(), grad.tolist()]"""
    assert run(source).result == [[1.0, 1.0], [1.0, 1.0]]


def test_a_dataset_subclass_serves_library_iteration(standin):
    source = """
class Squares(torch.func.Dataset):
    def __init__(self, n):
        self.n = n
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        return torch.tensor([float(i * i)])
[b.reshape(-1).tolist() for b in torch.func.loader(Squares(5), 2)]"""
    assert run(source).result == [[0.0, 1.0], [4.0, 9.0], [16.0]]
    plain = """
class Plain:
    def __len__(self):
        return 2
    def __getitem__(self, i):
        return torch.tensor([1.0 + i])
[b.tolist() for b in torch.func.loader(Plain(), 2)]"""
    assert run(plain).result == [[[1.0], [2.0]]]


def test_library_subclasses_and_objects_live_in_the_session(standin):
    env = Environment()
    run("class Net(torch.func.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = torch.func.Linear(1, 1)\n    def forward(self, x):\n"
        "        return self.fc(x)\nnet = Net()", env)
    assert run("net(torch.ones(1, 1)).item()", env).result == 1.0
    run("def forward2(self, x):\n    return self.fc(x) * 3\nNet.forward = forward2", env)
    assert run("net(torch.ones(1, 1)).item()", env).result == 3.0


def test_setattr_on_shared_library_objects_is_refused(standin):
    with pytest.raises(ProgramError, match="cannot set 'forward' attribute of immutable type"):
        run("torch.func.Linear.forward = 1")
    with pytest.raises(ProgramError, match="'torch.dtype' object has no attribute 'x'"):
        run("torch.float32.x = 1")


def test_private_attributes_of_a_library_subclass_belong_to_the_program(standin):
    source = """
class Net(torch.func.Module):
    def __init__(self):
        super().__init__()
        self._hidden = 5
    def get(self):
        return self._hidden
Net().get()"""
    assert run(source).result == 5
    with pytest.raises(ProgramError, match="private to the library"):
        run("class Net(torch.func.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self._params = {}\nNet()")
