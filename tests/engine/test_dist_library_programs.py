"""Issue 11's library pieces through the language: a session prints what torch 2.13 prints for
the same cells.

- parametrize / parametrizations and the hook forms of weight_norm / spectral_norm (user
  parametrizations with right_inverse, several on one tensor, cached(), removal, errors;
  orthogonal + weight_norm trained by SGD; spectral_norm; the deprecated hook forms);
- torch.autograd.graph's saved-tensor hooks (what is packed and unpacked, save_on_cpu with a
  double backward, packed objects that are not tensors, the errors, a custom Function's saves);
- torch.nn.utils.prune as its tutorial uses it (l1 / ln / random / global pruning, remove,
  is_pruned, a custom BasePruningMethod subclass, repeated pruning, errors);
- hostile use gets clean errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.lang.errors import LangError
from tests.app.lang.published import cells_of, run_ours, run_torch, same_lines

PROGRAMS = Path(__file__).parent / "dist_programs"


@pytest.mark.parametrize("name, n_cells, n_lines", [("parametrize", 2, 30),
                                                    ("parametrize_user_module", 1, 15),
                                                    ("saved_hooks", 1, 9), ("prune", 1, 25)])
def test_program_prints_what_torch_prints(name, n_cells, n_lines):
    pytest.importorskip("torch")
    cells = cells_of(PROGRAMS / f"{name}.py.txt")
    assert len(cells) == n_cells
    theirs = run_torch(cells)
    ours = run_ours(cells)
    assert len(ours) >= n_lines
    difference = same_lines(ours, theirs)
    assert difference is None, (difference, ours, theirs)
    assert run_ours(cells, json=True) == ours


HOSTILE = {
    "a pack hook that recurses": (
        "import torch\nfrom torch.autograd.graph import saved_tensors_hooks\n"
        "def deep(t):\n    return deep(t)\n"
        "x = torch.ones(3, requires_grad=True)\n"
        "with saved_tensors_hooks(deep, lambda t: t):\n    x.exp()\n",
        "nested more than"),
    "an unpack hook that returns a list": (
        "import torch\nfrom torch.autograd.graph import saved_tensors_hooks\n"
        "x = torch.ones(3, requires_grad=True)\n"
        "with saved_tensors_hooks(lambda t: [t], lambda p: p):\n    y = x.exp().sum()\n"
        "y.backward()\n",
        "expected to be a Tensor but got result of type list"),
    "hooks entered by hand, past any with-block nesting": (
        "import torch\nfrom torch.autograd.graph import saved_tensors_hooks\n"
        "hs = [saved_tensors_hooks(lambda t: t, lambda t: t) for i in range(1001)]\n"
        "for h in hs:\n    h.__enter__()\n",
        "dunder attributes are not allowed"),
    "a parametrization that recurses through its module": (
        "import torch\nimport torch.nn as nn\nimport torch.nn.utils.parametrize as P\n"
        "class Loop(nn.Module):\n    def forward(self, X):\n        return m.weight\n"
        "m = nn.Linear(2, 2)\nP.register_parametrization(m, 'weight', Loop(), unsafe=True)\n"
        "m.weight\n",
        "nested more than"),
    "a pruning mask of a million entries": (
        "import torch\nimport torch.nn as nn\nimport torch.nn.utils.prune as prune\n"
        "m = nn.Linear(2, 2)\n"
        "prune.custom_from_mask(m, 'weight', mask=torch.ones(1000, 1000))\n",
        "must match self.mask shape"),
    "a pruning method whose mask is a string": (
        "import torch\nimport torch.nn as nn\nimport torch.nn.utils.prune as prune\n"
        "class P(prune.BasePruningMethod):\n    PRUNING_TYPE = 'unstructured'\n"
        "    def compute_mask(self, t, default_mask):\n        return 'mask'\n"
        "P.apply(nn.Linear(2, 2), 'weight')\n",
        "cannot assign 'str' object to buffer 'weight_mask'"),
    "a parametrization returning a string": (
        "import torch\nimport torch.nn as nn\nimport torch.nn.utils.parametrize as P\n"
        "class S(nn.Module):\n    def forward(self, X):\n        return 'w'\n"
        "P.register_parametrization(nn.Linear(2, 2), 'weight', S())\n",
        "A parametrization must return a tensor. Got str."),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_use_gets_clean_errors(name):
    source, text = HOSTILE[name]
    with pytest.raises(LangError) as info:
        run_ours([source])
    assert text in str(info.value)
