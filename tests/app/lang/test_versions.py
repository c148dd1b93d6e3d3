"""``torch.__version__`` (torch's ``TorchVersion``), ``torch.version``, ``np.__version__``:
what the program prints is what torch 2.13 and the installed NumPy print."""

from __future__ import annotations

import numpy
import pytest
import torch

from engine.torch_version import InvalidVersion, TorchVersion, version_key

from .conftest import our_cells, python_cells

CELLS = [
    "import torch\nprint(torch.__version__, type(torch.__version__), repr(torch.__version__))",
    "print(torch.__version__ >= '2.0', torch.__version__ < (2, 14), torch.__version__ > (2, 13))",
    "print(torch.__version__ == '2.13.0+cpu', torch.__version__ == '2.13', "
    "torch.__version__ != '2.13.0+cpu')",
    "print(torch.__version__ >= '2.13.0', torch.__version__ < '2.13.1', "
    "torch.__version__ > '2.13.0rc1', torch.__version__ <= [2, 13, 0])",
    "print(torch.__version__ < 'parrot', torch.__version__ == 2)",
    "torch.__version__ > 2",
    "print(torch.__version__.split('+')[0], torch.__version__.startswith('2.'), "
    "len(torch.__version__), f'{torch.__version__}!', torch.__version__ + '-x')",
    "print(tuple(int(x) for x in torch.__version__.split('+')[0].split('.')) >= (2, 0))",
    "print({torch.__version__: 1}['2.13.0+cpu'], isinstance(torch.__version__, str))",
    "print(hasattr(torch, '__version__'), getattr(torch, '__version__'))",
    "import torch.version\nprint(torch.version.__version__, torch.version.cuda, "
    "torch.version.debug, torch.version.hip)",
    "import numpy as np\nprint(np.__version__, type(np.__version__))",
    "import math\nmath.__version__",
    "torch.nn.__version__",
    "torch.ones(1).__version__",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_versions_print_as_torch_and_numpy(form):
    import math

    expected = python_cells(CELLS, {"torch": torch, "np": numpy, "math": math})
    assert our_cells(CELLS, form) == expected


VERSIONS = ["2.13.0+cpu", "2.0", "2.13", "2.13.0", "2.14", "2.13.1", "2.13.0a0", "2.13.0rc1",
            "2.13.0.dev20250101", "2.13.0.post1", "2.13.0+cu121", "2.13.0+cpu.1", "1!0.1",
            "v2.13", " 2.13.0 ", "2.13.0-1", "2.13.0alpha", "2.13.0+CPU", "2.13.0+1",
            "2.13.0+a.b", "2.13.0.post1.dev2", "2.13.0a1.dev1", "parrot"]
OTHERS = [*VERSIONS, (2, 13), (2, 14), (2,), (2, 13, 0), [2, 13, 1], 2, 2.13, None, (2, "x")]


@pytest.mark.parametrize("text", VERSIONS)
def test_torch_version_compares_as_torchs(text):
    ours, theirs = TorchVersion(text), torch.torch_version.TorchVersion(text)
    for other in OTHERS:
        for method in ("__lt__", "__le__", "__eq__", "__ge__", "__gt__", "__ne__"):
            assert getattr(ours, method)(other) == getattr(theirs, method)(other), \
                (text, method, other)
    assert hash(ours) == hash(text) and str(ours) == text


def test_version_key_orders_pep440_as_packaging():
    from torch._vendor.packaging.version import Version

    ordered = sorted(VERSIONS[:-1], key=Version)
    assert sorted(VERSIONS[:-1], key=version_key) == ordered
    with pytest.raises(InvalidVersion):
        version_key("parrot")
