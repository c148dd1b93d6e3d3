"""``hash(x)`` as CPython 3.11 with ``PYTHONHASHSEED=0`` (app/lang/pyhash.py) and
``x.data_ptr()`` as torch relates its values, without revealing an address."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from app.lang import Environment, LangError, compile_source, pyhash, run_program

from .conftest import our_cells, python_cells

VALUES = ["1", "-1", "0", "2**64", "-2**100", "1.5", "-0.0", "float('inf')", "True", "False",
          "''", "'a'", "'hello world'", "'h\\xe9llo'", "'\\u65e5\\u672c'", "'\\U0001f600x'",
          "'x' * 100", "(1, 'a', 2.5)", "()", "('a', ('b', 1))", "(1,)", "frozenset({1, 2, 3})",
          "frozenset()", "frozenset({'a', 'b'})", "range(3)", "range(1, 10, 2)", "range(0, 10, 3)",
          "(True, 1.0, frozenset({(1, 'x')}))"]


def _seed0(expressions: list[str]) -> list:
    """Each expression's value in a CPython run with PYTHONHASHSEED=0."""
    code = "import json\nprint(json.dumps([" + ", ".join(expressions) + "]))"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def seed0_hashes():
    return _seed0([f"hash({v})" for v in VALUES])


def test_hash_of_plain_values_is_cpythons_with_seed_0(form, seed0_hashes):
    source = "[" + ", ".join(f"hash({v})" for v in VALUES) + "]"
    assert form(source).result == seed0_hashes


def test_siphash_of_every_string_width_is_cpythons():
    texts = ["", "a", "abcdefg", "abcdefgh", "abcdefghi", "\xe9" * 9, "\u65e5" * 5,
             "\U0001f600" * 3, "a\u65e5\U0001f600", "\ud800x"]
    expected = _seed0([f"hash({t!r})" for t in texts])
    ours = []
    for t in texts:  # the computed hash, whatever this process's own hash is
        widest = max(map(ord, t), default=0)
        enc = "latin-1" if widest < 256 else "utf-16-le" if widest < 65536 else "utf-32-le"
        ours.append(pyhash._signed(pyhash.siphash13(t.encode(enc, "surrogatepass")))
                    if t else 0)
    assert ours == expected


CELLS = [
    "print(hash(1) == hash(1.0) == hash(True), hash(-1), hash(2**70))",
    "hash([1])", "hash({})", "hash({1})", "hash(slice(1, 2))", "hash(1, 2)", "hash()",
    "hash(x=1)",
    "class A:\n    pass\na = A()\nprint(hash(a) == hash(a), hash(a) == hash(A()))",
    "class B:\n    def __eq__(self, o):\n        return True\nhash(B())",
    "class C:\n    def __hash__(self):\n        return 2**70\nprint(hash(C()))",
    "class D:\n    def __hash__(self):\n        return -1\nprint(hash(D()))",
    "class E:\n    def __hash__(self):\n        return 'x'\nhash(E())",
    "class F:\n    def __hash__(self):\n        return 2**62\nprint(hash(F()))",
    "class G:\n    def f(self):\n        pass\ng = G()\nprint(hash(g.f) == hash(g.f))",
    "from dataclasses import dataclass\n@dataclass\nclass P:\n    x: int\nhash(P(1))",
    "from dataclasses import dataclass\n@dataclass(frozen=True)\nclass Q:\n    x: int\n"
    "print(hash(Q(1)) == hash((1,)))",
    "print(hash(len) == hash(len), hash(int) == hash(int), hash(print) != hash(len))",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_hash_of_objects_and_its_errors_are_pythons(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


TORCH_CELLS = [
    "t = torch.ones(2)\nprint(hash(t) == id(t), hash(t) == hash(t.detach()))",
    "print([hash(torch.device(d)) for d in ['cpu', 'cpu:0', 'cuda', 'cuda:1']])",
    "print(hash(torch.Size([2, 3])) == hash((2, 3)), hash(torch.float32) == hash(torch.float32))",
    "t = torch.ones(1)\nprint(hash(t.add) == hash(t.add), hash(torch.relu) == hash(torch.relu))",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_hash_of_torch_values_is_torchs(form):
    assert our_cells(TORCH_CELLS, form) == python_cells(TORCH_CELLS, {"torch": torch})


def test_hash_of_none_is_a_constant_not_an_address(form):
    assert form("hash(None)").result == 0xFCA86420 == pyhash.NONE_HASH  # Python 3.12's


# (a view of t, made in both torch and the language: its data_ptr relative to t's)
VIEWS = ["t", "t[1:]", "t[1]", "t.view(6)", "t.T", "t.T[1]", "t.reshape(3, 2)[2]", "t.detach()",
         "t[:, 1:]", "t.narrow(1, 2, 1)", "t.flatten()[4:]"]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_data_ptr_offsets_of_views_are_torchs(form, dtype):
    make = f"t = torch.arange(6, dtype=torch.{dtype}).reshape(2, 3)"
    source = make + "\n[" + ", ".join(f"({v}).data_ptr() - t.data_ptr()" for v in VIEWS) + "]"
    scope = {"torch": torch}
    exec(make, scope)  # the oracle side only
    expected = [eval(f"({v}).data_ptr() - t.data_ptr()", scope) for v in VIEWS]
    assert form(source).result == expected


def test_data_ptr_is_aligned_stable_and_no_address(form):
    env = Environment()
    result = form("t = torch.ones(3)\np = t.data_ptr()\nt.add_(1)\n"
                  "(p % 64, t.data_ptr() == p, t.clone().data_ptr() != p,\n"
                  " torch.from_numpy(t.numpy()).data_ptr() == p, torch.empty(0).data_ptr())",
                  env).result
    assert result == (0, True, True, True, 0)
    address = env.variables["t"]._data.__array_interface__["data"][0]
    assert env.variables["p"] != address


@pytest.mark.parametrize("call", ["data_ptr(1)", "data_ptr(1, 2)", "data_ptr(x=1)"])
def test_data_ptr_argument_errors_are_torchs(form, call):
    with pytest.raises(Exception) as theirs:
        eval(f"torch.ones(2).{call}", {"torch": torch})
    with pytest.raises(LangError) as ours:
        form(f"torch.ones(2).{call}")
    assert (ours.value.extra["exception"], ours.value.detail) == (
        type(theirs.value).__name__, str(theirs.value))


def test_hash_is_a_call_of_one_step():
    assert run_program(compile_source("hash('a')"), Environment()).steps == 2
