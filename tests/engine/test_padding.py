"""pad (torch.nn.functional.pad) in its four modes compared with torch 2.13: values, dtypes,
node chains, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

X3 = np.arange(6.0).reshape(1, 2, 3).tolist()
X4 = (np.arange(12.0).reshape(1, 1, 3, 4) - 5).tolist()
X5 = (np.arange(24.0).reshape(1, 1, 2, 3, 4) * 0.5).tolist()

CASES = {
    "constant": lambda m, F, leaf: F.pad(leaf(X3), (1, 2)),
    "constant-value": lambda m, F, leaf: F.pad(leaf(X3), (1, 2, 0, 1), value=-1),
    "constant-crop": lambda m, F, leaf: F.pad(leaf(X3), (-1, 1)),
    "constant-all-dims": lambda m, F, leaf: F.pad(leaf(X3), (1, 1, 1, 1, 1, 1)),
    "constant-to-empty": lambda m, F, leaf: F.pad(leaf(X3), (-3, 0)),
    "constant-list": lambda m, F, leaf: F.pad(leaf(X3), [1, 1]),
    "constant-nothing": lambda m, F, leaf: F.pad(leaf(X3), ()),
    "constant-value-none": lambda m, F, leaf: F.pad(leaf(X3), (1, 1), value=None),
    "constant-int": lambda m, F, leaf: F.pad(m.tensor([1, 2]), (1, 1), value=2.5),
    "constant-bool": lambda m, F, leaf: F.pad(m.tensor([True]), (1, 1)),
    "constant-1d": lambda m, F, leaf: F.pad(leaf([1.0, 2.0]), (2, 0)),
    "constant-too-long": lambda m, F, leaf: F.pad(leaf(X3), (1,) * 8),
    "constant-0d": lambda m, F, leaf: F.pad(m.tensor(1.0), (1, 1)),
    "constant-odd": lambda m, F, leaf: F.pad(leaf(X3), (1, 1, 1)),
    "constant-crop-too-much": lambda m, F, leaf: F.pad(leaf(X3), (-4, 0)),
    "reflect": lambda m, F, leaf: F.pad(leaf(X3), (2, 1), mode="reflect"),
    "reflect-2d": lambda m, F, leaf: F.pad(leaf(X4), (1, 2, 2, 1), mode="reflect"),
    "reflect-3d": lambda m, F, leaf: F.pad(leaf(X5), (1, 2, 2, 1, 1, 0), mode="reflect"),
    "reflect-batchless": lambda m, F, leaf: F.pad(leaf(X3[0]), (1, 1), mode="reflect"),
    "reflect-2d-on-3d": lambda m, F, leaf: F.pad(leaf(X3), (1, 1, 1, 1), mode="reflect"),
    "reflect-crop": lambda m, F, leaf: F.pad(leaf(X3), (-1, 1), mode="reflect"),
    "reflect-int": lambda m, F, leaf: F.pad(m.tensor([[[1, 2, 3]]]), (1, 1), mode="reflect"),
    "reflect-too-wide": lambda m, F, leaf: F.pad(leaf(X3), (3, 1), mode="reflect"),
    "reflect-too-wide-right": lambda m, F, leaf: F.pad(leaf(X3), (1, 3), mode="reflect"),
    "reflect-2d-too-tall": lambda m, F, leaf: F.pad(leaf(X4), (1, 1, 3, 1), mode="reflect"),
    "reflect-3d-too-deep": lambda m, F, leaf: F.pad(leaf(X5), (1, 1, 1, 1, 2, 1),
                                                    mode="reflect"),
    "reflect-1d-input": lambda m, F, leaf: F.pad(leaf([1.0, 2.0]), (1, 1), mode="reflect"),
    "reflect-value": lambda m, F, leaf: F.pad(leaf(X3), (1, 1), mode="reflect", value=2),
    "reflect-value-0": lambda m, F, leaf: F.pad(leaf(X3), (1, 1), mode="reflect", value=0),
    "reflect-bool": lambda m, F, leaf: F.pad(m.ones(1, 1, 3, dtype=m.bool), (1, 1),
                                             mode="reflect"),
    "reflect-empty": lambda m, F, leaf: F.pad(m.ones(1, 2, 0), (1, 1), mode="reflect"),
    "reflect-crop-to-nothing": lambda m, F, leaf: F.pad(m.ones(1, 1, 3), (-4, 0),
                                                        mode="reflect"),
    "replicate": lambda m, F, leaf: F.pad(leaf(X3), (2, 1), mode="replicate"),
    "replicate-2d": lambda m, F, leaf: F.pad(leaf(X4), (1, 2, 2, 1), mode="replicate"),
    "replicate-3d": lambda m, F, leaf: F.pad(leaf(X5), (1, 1, 0, 2, 1, 1), mode="replicate"),
    "replicate-far": lambda m, F, leaf: F.pad(leaf(X3), (5, 4), mode="replicate"),
    "replicate-int": lambda m, F, leaf: F.pad(m.ones(1, 1, 3, dtype=m.int64), (1, 1),
                                              mode="replicate"),
    "replicate-half": lambda m, F, leaf: F.pad(m.ones(1, 1, 3, dtype=m.float16), (1, 1),
                                               mode="replicate"),
    "replicate-empty-batch": lambda m, F, leaf: F.pad(m.ones(0, 1, 3), (1, 1),
                                                      mode="replicate"),
    "replicate-empty-channel": lambda m, F, leaf: F.pad(m.ones(1, 0, 3), (1, 1),
                                                        mode="replicate"),
    "replicate-crop-to-nothing": lambda m, F, leaf: F.pad(m.ones(1, 1, 3), (-2, -2),
                                                          mode="replicate"),
    "replicate-2d-pad-on-4d-wrong": lambda m, F, leaf: F.pad(m.ones(1, 1, 2, 2), (1, 1),
                                                             mode="replicate"),
    "circular": lambda m, F, leaf: F.pad(leaf(X3), (2, 1), mode="circular"),
    "circular-2d": lambda m, F, leaf: F.pad(leaf(X4), (1, 2, 2, 1), mode="circular"),
    "circular-crop": lambda m, F, leaf: F.pad(leaf(X3), (-1, 1), mode="circular"),
    "circular-bool": lambda m, F, leaf: F.pad(m.ones(1, 1, 3, dtype=m.bool), (1, 1),
                                              mode="circular"),
    "circular-wraps-twice": lambda m, F, leaf: F.pad(leaf(X3), (4, 1), mode="circular"),
    "circular-empty": lambda m, F, leaf: F.pad(m.ones(1, 1, 3), (-2, -1), mode="circular"),
    "bad-mode": lambda m, F, leaf: F.pad(leaf(X3), (1, 1), mode="foo"),
    "reflect-0d-too-long": lambda m, F, leaf: F.pad(m.tensor(1.0), (1, 1), mode="reflect"),
    "replicate-too-long": lambda m, F, leaf: F.pad(m.ones(3), (1, 1, 1, 1), mode="replicate"),
    "float-pad": lambda m, F, leaf: F.pad(m.ones(1, 1, 3), (1.5, 1)),
    "tensor-pad": lambda m, F, leaf: F.pad(m.ones(1, 1, 3), m.tensor([1, 1])),
}


# PyTorch builds circular padding from copies into slices (a chain of CopySlices nodes); the
# engine gathers once, under PyTorch's top node name, so only the top node is compared there.
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name], graph=not name.startswith("circular"))
