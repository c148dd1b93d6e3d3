"""What the Tensor/torch API answers with Python scalars, as a program sees it: ``int``,
``float`` and ``bool`` of Python (never NumPy's ``np.int64(3)``), with their reprs, inside a
list and as a dict key, compared with torch 2.13 in the same process, in both forms."""

from __future__ import annotations

import pytest
import torch

from .conftest import our_cells, python_cells

SETUP = """import torch
import math
import torch.nn.functional as F
x = torch.tensor([[1., 5., 3.], [2., 0., 4.]])
i = torch.tensor(2)
y = torch.tensor(7)
z = torch.tensor(2.5, dtype=torch.float64)
b = torch.tensor(True)
m = torch.nn.Linear(3, 2)
c = torch.nn.Conv2d(1, 2, 3, stride=2, padding=1)
ds = torch.utils.data.TensorDataset(torch.zeros(10, 2), torch.arange(10))
dl = torch.utils.data.DataLoader(ds, batch_size=3)
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
sch = torch.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)
for _ in range(3):
    opt.step()
    sch.step()
bn = torch.nn.BatchNorm1d(3)
bn(torch.ones(4, 3))"""

#: Expressions torch answers with a Python scalar (or a tuple/list of them).
SCALARS = """x.size(0) | x.size()[1] | x.size(dim=1) | x.size(-1) | x.shape[0] | x.shape[-1] % 2
x.stride(0) | x.stride() | x.stride(dim=0) | x.T.stride() | x.expand(4, 2, 3).stride()
x.dim() | x.ndim | x.ndimension() | x.numel() | x.nelement() | torch.numel(x) | len(x)
x.element_size() | x.storage_offset() | x[:, 1].storage_offset() | x.get_device()
torch.get_device(x) | x.nbytes | x.itemsize | x.dtype.itemsize | x.shape.numel()
x.argmax().item() | x.argmax().item() + 1 | x.sum().item() | x.max().item() | y.item()
z.item() | b.item() | y.tolist() | z.tolist() | x.tolist() | x[0].tolist() | x.sum().tolist()
x.int().sum().item() | x.int().sum().tolist() | x.long().tolist() | x.half().sum().item()
x.double().mean().item() | x.bool().any().item() | x.argmax(1).tolist() | x.sort()[1].tolist()
x.topk(1).indices.tolist() | x.nonzero().tolist() | x.max(1).indices[0].item()
torch.where(x > 2)[0].tolist() | x.unique(return_counts=True)[1].tolist()
x.count_nonzero().item() | int(x.sum()) | float(x.sum()) | int(i) | float(i) | bool(x[0, 0])
x.size(0) * 2.5 | x.size(0) / 2 | x.numel() // 2 | x.size(0) ** 2 | -x.size(0)
x.size(0) ** 0.5 | divmod(x.numel(), 4) | abs(-x.size(0)) | round(x.sum().item(), 2)
max(x.shape) | min(x.size()) | sum(x.shape) | math.prod(x.shape) | math.sqrt(x.size(0))
math.ceil(x.numel() / 4) | math.floor(x.mean().item()) | x.norm().item()
x.shape.index(3) | x.shape.count(2) | list(x.shape) | tuple(x.stride()) | sorted(x.shape)
x.size(0).bit_length() | x.sum().item().is_integer() | x.size(0) == 2 | x.shape == (2, 3)
x.shape + (1,) | x.shape[1:] | list(enumerate(x.shape)) | list(zip(x.shape, x.stride()))
{x.size(0): 1} | {x.argmax().item(): 'a'} | {s for s in x.shape} | [n for n in range(x.size(0))]
f'{x.size(0):03d} {x.mean().item():.2f}' | '%d %s' % (x.numel(), x.shape)
[10, 20, 30][i] | list(range(i)) | 'ab' * i | [0] * i | (1, 2, 3)[i]
torch.allclose(x, x) | torch.equal(x, x) | torch.is_nonzero(torch.tensor(1.))
x.is_same_size(x) | x.is_contiguous() | x.t().is_contiguous() | x.is_floating_point()
torch.broadcast_shapes((2, 1), (1, 3)) | torch.tensor(x.shape).tolist()
torch.finfo(x.dtype).eps | torch.iinfo(torch.int32).max | torch.finfo(torch.float32).bits
m.in_features | m.weight.size(1) | c.kernel_size | c.stride | c.out_channels | len(ds) | len(dl)
ds[0][1] | list(torch.utils.data.SequentialSampler(ds))
type(list(torch.utils.data.RandomSampler(ds))[0]) | sch.get_last_lr() | sch.last_epoch
opt.param_groups[0]['lr'] | opt.state_dict()['param_groups'][0]['params']
sum(p.numel() for p in m.parameters()) | bn.num_batches_tracked.item() | bn.momentum
F.conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3)).shape
F.max_pool2d(torch.zeros(1, 1, 5, 5), 2).shape[-1] | x.view(x.size(0), -1).shape
torch.nn.init.calculate_gain('leaky_relu', 0.2) | F.cross_entropy(x, torch.tensor([0, 1])).item()
"""

EXPRS = [e.strip() for line in SCALARS.splitlines() for e in line.split(" | ") if e.strip()]
CELLS = [SETUP] + [f"v = {e}\nprint(type(v), repr(v), [v], {{'k': v}}, str(v))" for e in EXPRS]


@pytest.fixture(scope="module")
def torch_cells():
    return python_cells(CELLS, {"torch": torch})


@pytest.mark.parametrize("form", ["source", "json"])
def test_python_scalars_are_pythons_as_in_torch(form, torch_cells):
    ours = our_cells(CELLS, form)
    differ = [(cell, mine, theirs) for cell, mine, theirs in zip(CELLS, ours, torch_cells)
              if mine != theirs]
    assert differ == []
    assert all(error is None for _, error in torch_cells)
