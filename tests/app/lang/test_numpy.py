# ruff: noqa: E501  (the programs are NumPy as people write it, one line per print)
"""NumPy in programs (``import numpy as np``): NumPy 2.4 is the oracle, run side by side on the
same source (values, dtypes, shapes, reprs, error classes and texts), in both program forms;
what is refused, bounds before allocation, and ``np.random``'s per-session state through
snapshots and restarts."""

from __future__ import annotations

import numpy as np
import pytest

from app.lang import Environment, LangError, Limits
from tests.app.lang.test_arrays import _oracle, _run  # (the side-by-side helpers)

# each run in a program as a statement of its own: its value, or its exception's class and text
ERROR_CASES = [
    "np.random.choice(3, 2, p=[0.5, 0.6, 0.1])",
    "np.random.seed(-1)",
    "np.random.randint(5, 2)",
    "np.zeros(-1)",
    "np.arange(0, 1, 0)",
    "np.linspace(0, 1, -2)",
    "np.concatenate([np.ones(2), np.ones((2, 2))])",
    "np.append(np.ones((2, 2)), np.ones(3), axis=0)",
    "np.stack([np.ones(2), np.ones(3)])",
    "np.dot(np.ones(2), np.ones(3))",
    "np.ones((2, 3)) @ np.ones((2, 3))",
    "np.array([[1, 2], [3]])",
    "np.linalg.inv(np.zeros((2, 2)))",
    "np.ones(3).reshape(-1, -1)",
    "np.transpose(np.ones((2, 2)), (0, 0))",
    "np.squeeze(np.ones((2, 2)), axis=0)",
    "np.ones(2).astype('foo')",
    "np.mean(np.ones(2), axis=3)",
    "np.ones(3)[1.5]",
    "np.ones(3)[[5]]",
    "np.ones(3)[np.array([True, False])]",
    "np.expand_dims(np.ones(2), 5)",
    "np.testing.assert_array_equal(np.ones(2), np.ones(3))",
    "np.testing.assert_allclose(1.0, 2.0)",
    "np.testing.assert_almost_equal(1.0, 1.1)",
    "np.clip(np.ones(2))",
    "np.full((2,), [1, 2, 3])",
    "np.iinfo(np.float32)",
    "np.eye(-1)",
    "np.random.normal(0, -1)",
    "np.random.uniform(size=-1)",
    "np.split(np.arange(5), 2)",
    "np.sum(np.ones(2), foo=1)",
    "int(np.ones(2))",
    'np.ones(2) < "a"',
    "np.einsum('ij,jk->kk', np.ones((2, 3)), np.ones((3, 4)))",
    "np.einsum('ij,jk->iz', np.ones((2, 3)), np.ones((3, 4)))",
    "np.einsum('ij', np.ones((2, 3, 4)))",
    "np.einsum('ijkl', np.ones((2, 3, 4)))",
    "np.einsum('i.j,jk', np.ones((2, 3)), np.ones((3, 4)))",
    "np.einsum('ij,jk', np.ones((2, 3)), np.ones((4, 4)))",
    "np.einsum('ij,jk->>ik', np.ones((2, 3)), np.ones((3, 4)))",
    "np.einsum('...ij->ij', np.ones((2, 3, 4)))",
    "np.einsum('ij,jk', np.ones((2, 3)))",
    "np.einsum()",
    "np.einsum('ij,jk', np.ones((2, 3)), np.ones((3, 4)), dtype=np.float32)",
    "np.sin.reduce([1.0, 2.0])",
    "np.add.reduce(np.ones((2, 3)), axis=5)",
    "np.add.accumulate(np.ones((2, 3)), axis=None)",
    "np.add.reduce(np.ones(2), foo=1)",
    "np.add.reduceat(np.ones(3), [5])",
    "np.add.outer(np.ones(2), np.ones(2), out=np.ones(3))",
    "np.random.set_state('x')",
    "np.random.set_state(('PCG64', np.random.get_state()[1], 1))",
    "np.random.set_state(('MT19937', np.random.get_state()[1][:5], 1))",
    "np.random.set_state(1, 2)",
    "np.random.RandomState(0).set_state({'bit_generator': 'MT19937'})",
    "np.linalg.cholesky(-np.eye(2))",
    "np.linalg.svd(np.ones(3))",
    "np.linalg.qr(np.ones((2, 2)), mode='x')",
    "np.linalg.eigh(np.ones((2, 3)))",
    "np.linalg.matrix_power(np.ones((2, 3)), 2)",
    "np.linalg.lstsq(np.ones((2, 2)), np.ones(3))",
]


def _trying(expressions: list[str]) -> str:
    """A program that prints each expression's value, or its exception's class and text."""
    return "\nimport numpy as np\n" + "".join(
        f"try:\n    r = {expr}\n    print('OK', r)\nexcept Exception as e:\n"
        "    print(type(e).__name__, '|', e)\n" for expr in expressions)


PROGRAMS = {
    "PyTorch's Learn the Basics: Tensors, unchanged but for printing the random tensors": r"""
import torch
import numpy as np
data = [[1, 2],[3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_np)
x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \n {x_ones} \n")
x_rand = torch.rand_like(x_data, dtype=torch.float)
shape = (2,3,)
rand_tensor = torch.rand(shape)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")
tensor = torch.rand(3,4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())
tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:,1] = 0
print(tensor)
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(y3, z3)
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))
print(f"{tensor} \n")
tensor.add_(5)
print(tensor)
t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
""",
    "writing through t.numpy() (the rest of the tutorial is above)": """
import torch
import numpy as np
np_array = np.array([[1, 2], [3, 4]])
print(np_array, repr(np_array))
t = torch.ones(5)
n = t.numpy()
n[0] = 10
n[1:3] += 0.5
print(t)
""",
    "creation": """
import numpy as np
print(np.zeros(3), np.ones((2, 2), dtype=np.int32), np.full((2, 3), 7), np.full(2, 1.5, np.float32))
print(np.empty(2).shape, np.zeros_like(np.ones((2, 2))), np.ones_like([1, 2]), np.full_like([1.0, 2.0], 3))
print(np.arange(5), np.arange(1, 2, 0.25), np.arange(10, 0, -3), np.arange(3, dtype=np.float32))
print(np.linspace(0, 1, 5), np.linspace(0, 10, 4, endpoint=False), np.logspace(0, 2, 3))
print(np.eye(3), np.eye(2, 3, k=1), np.identity(2, dtype=int), np.diag([1, 2]), np.diag(np.ones((3, 3))))
print(repr(np.array([1, 2.5])), repr(np.array([True, False])), repr(np.array(3)), np.array([[1], [2]], dtype=np.uint8))
print(repr(np.asarray([1, 2], dtype=np.float32)), np.array([1, 2], ndmin=2), np.array(np.arange(3), copy=False).dtype)
print(np.tri(3), np.tril(np.ones((3, 3))), np.triu(np.ones((3, 3)), 1), np.meshgrid([1, 2], [3, 4, 5]))
print(np.tile([1, 2], 3), np.tile([1, 2], (2, 2)), np.repeat([1, 2], 2), np.repeat(np.eye(2), [1, 2], axis=0))
print(np.float32(0.1), repr(np.float32(0.1)), np.float64(2) / 3, np.int64(7), np.float32([1, 2]), np.float32)
print(np.dtype('float32'), repr(np.dtype(np.int16)), np.dtype(float), np.arange(3).dtype == np.int64)
""",
    "ufuncs and promotion": """
import numpy as np
a = np.array([[1.0, -2.0, 3.5], [0.25, 4.0, -1.0]], dtype=np.float32)
i = np.array([1, 2, 3])
u = np.array([200, 100], dtype=np.uint8)
print(np.exp(a), np.log(np.abs(a)), np.sin(a), np.cos(a), np.tanh(a), np.sqrt(np.abs(a)))
print(np.maximum(a, 0), np.minimum(a, 1), np.clip(a, -1, 1), np.where(a > 0, a, 0), np.round(a, 1))
print(a + i, (a + i).dtype, (i / 2).dtype, (i // 2).dtype, (a * 2.0).dtype, (i * 2.0).dtype)
print(u + u, (u + u).dtype, u + np.array([1], dtype=np.int8), (u + 1).dtype, u * 2, u.astype(np.int16) * 2)
print(np.power(i, 2), i ** 2, 2 ** i, np.mod(i, 2), np.floor_divide(i, 2), -i, abs(-i), ~np.array([True, False]))
print(np.greater(a, 0), a >= 1, np.equal(i, 2), np.logical_and(a > 0, a < 3), np.isnan(np.array([np.nan, 1.0])))
print(np.exp(1.0), np.sqrt(2), repr(np.sin(0.5)), np.float32(2.0) * 3, np.array([1, 2]) / 0, np.log(0.0))
print(np.arctan2(1.0, 2.0), np.hypot(3, 4), np.sign(a), np.floor(a), np.ceil(a), np.square(i), np.reciprocal(a))
out = np.zeros(3)
r = np.multiply(i, 2, out=out)
print(out, r is out, np.add(i, 1, where=i > 1, out=np.zeros(3, dtype=int)))
j = np.array([1, 2, 3])
try:
    j += 1.5
except TypeError as e:
    print("TypeError", e)
j *= 2
print(j)
""",
    "reductions": """
import numpy as np
a = np.arange(12.0).reshape(3, 4)
print(a.sum(), np.sum(a, axis=0), np.sum(a, axis=1, keepdims=True), np.mean(a), np.mean(a, axis=0))
print(np.std(a), np.var(a, axis=1), np.std(a, ddof=1), np.max(a), np.min(a, axis=0), np.amax(a, axis=1))
print(np.argmax(a), np.argmin(a, axis=1), np.prod([1, 2, 3, 4]), np.cumsum(a, axis=1), np.cumprod([1, 2, 3]))
print(np.all(a > -1), np.any(a > 10, axis=0), np.median(a), np.count_nonzero(a), np.average(a, weights=np.arange(12.0).reshape(3, 4)))
print(np.mean([1, 2, 3]), repr(np.mean([1, 2, 3])), np.sum([True, True]), np.nanmean(np.array([1.0, np.nan, 3.0])))
print(a.mean(axis=(0, 1)), a.max(axis=1), a.argmax(axis=0), a.cumsum(), a.prod(axis=0), a.any(), a.all())
print(np.sum(np.arange(3), dtype=np.float32), np.sum(np.arange(5, dtype=np.int32)))
""",
    "shapes and linear algebra": """
import numpy as np
a = np.arange(6).reshape(2, 3)
b = np.arange(6.0).reshape(3, 2)
print(a.reshape(3, 2), np.reshape(a, (-1,)), a.T, np.transpose(a), a.transpose(1, 0), np.ravel(a), a.flatten())
print(np.concatenate([a, a]), np.concatenate([a, a], axis=1), np.stack([a, a]).shape, np.vstack([a, a]), np.hstack([a, a]))
print(np.squeeze(np.ones((1, 3, 1))).shape, np.expand_dims(a, 0).shape, np.expand_dims(a, -1).shape, a[None].shape, a[..., None].shape)
print(np.dot(a, b), a @ b, np.matmul(a, b), np.outer([1, 2], [3, 4, 5]), np.dot([1, 2], [3, 4]), np.inner([1, 2], [3, 4]))
print(np.allclose(a, a + 1e-9), np.isclose(a, 1), np.array_equal(a, a), np.array_equal(a, b), np.allclose([1.0], [1.1]))
print(np.sort(np.array([3, 1, 2])), np.argsort([3, 1, 2]), np.unique([3, 1, 3, 2]), np.flip(a), np.swapaxes(a, 0, 1))
print(np.column_stack([[1, 2], [3, 4]]), np.split(np.arange(6), 3), np.diff([1, 4, 9]), np.trace(np.eye(3)))
print(np.append(np.cos([0.0, 1.0]), 1 - np.sin([2.0])), np.append(a, [[9, 9, 9]], axis=0), np.append([1], 2.5), np.delete(a, 1, axis=1), np.delete(np.arange(5), [0, 2]))
print(np.linalg.norm([3.0, 4.0]), np.linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]])), np.linalg.det(np.eye(2)))
print(np.linalg.solve(np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([9.0, 8.0])), np.kron([1, 2], [1, 1]))
print(np.shape(a), np.ndim(a), np.size(a), np.broadcast_to(np.array([1, 2]), (2, 2)), np.roll([1, 2, 3], 1))
print(np.gradient(np.array([1.0, 4.0, 9.0, 16.0])), np.gradient([1, 2, 4, 8], 2.0), np.gradient(b), np.gradient(b ** 2, axis=0, edge_order=2))
""",
    "indexing and assignment": """
import numpy as np
a = np.arange(12).reshape(3, 4)
print(a[1], a[1, 2], a[:, 1], a[::2, ::-1], a[[0, 2]], a[[0, 1], [1, 2]], a[a > 5], a[np.array([True, False, True])])
a[0] = 0
a[1, :2] = [7, 8]
a[a > 9] = -1
a[:, 3] += 100
a[[0, 2], 0] = 5
print(a)
b = a[1]
b[0] = 42
print(a[1], b)
c = a[[1]]
c[0, 0] = 0
print(a[1, 0], c)
z = np.zeros(4)
z[1:3] = np.array([1.5, 2.5])
z.fill(3)
print(z, list(z), [float(v) for v in z], z.tolist(), len(z), 3.0 in z)
s = np.array([3, 1, 2])
s.sort()
print(s, s.argsort(), s.clip(1, 2), s.dot(s), s.repeat(2), s.nonzero())
try:
    a[5]
except IndexError as e:
    print("IndexError", e)
try:
    a[0] = [1, 2]
except ValueError as e:
    print("ValueError", e)
try:
    np.zeros(3).reshape(2, 2)
except ValueError as e:
    print("ValueError", e)
""",
    "random": """
import numpy as np
np.random.seed(0)
x = np.random.randn(100, 1)
print(x[:3].ravel(), x.mean(), x.std())
print(np.random.rand(2, 2), np.random.randint(0, 10, size=5), np.random.randint(5), np.random.random(3))
print(np.random.uniform(-1, 1, 3), np.random.normal(0, 2, size=(2,)), np.random.choice(5, 3), np.random.choice([1, 2, 3], 2, replace=False))
print(np.random.permutation(6), np.random.permutation(np.arange(3.0)), np.random.random_sample(), np.random.standard_normal(2))
l = [1, 2, 3, 4, 5]
np.random.shuffle(l)
v = np.arange(5)
np.random.shuffle(v)
print(l, v, np.random.choice(4, 6, p=[0.1, 0.2, 0.3, 0.4]), np.random.binomial(10, 0.5, 3), np.random.poisson(3.0, 2))
np.random.seed(42)
print(np.random.rand(3))
rs = np.random.RandomState(1)
print(rs.randn(2), rs.randint(0, 3, 4), rs.uniform(size=2))
rng = np.random.default_rng(7)
print(rng.random(3), rng.normal(size=2), rng.integers(0, 10, 4), rng.choice(5, 2), rng.permutation(4), rng.standard_normal())
""",
    "testing and limits": """
import numpy as np
np.testing.assert_allclose(np.ones(3), np.ones(3) + 1e-9)
np.testing.assert_array_equal([1, 2], np.array([1, 2]))
np.testing.assert_almost_equal(1.0, 1.0000001)
try:
    np.testing.assert_allclose(np.array([1.0, 2.0]), np.array([1.0, 2.1]), rtol=1e-5)
except AssertionError as e:
    print("AssertionError", e)
try:
    np.testing.assert_array_equal(np.arange(3), np.array([0, 1, 3]))
except AssertionError as e:
    print("AssertionError", e)
print(np.finfo(np.float32).eps, np.finfo(np.float32), np.finfo(float).max, np.finfo(np.float16).tiny)
print(np.iinfo(np.int32).max, np.iinfo(np.int8), np.iinfo('int64').min, np.finfo(np.float32).dtype, np.finfo(np.float64).bits)
print(np.pi, np.e, np.inf, np.nan, np.newaxis, isinstance(np.ones(2), np.ndarray), type(np.ones(2)))
x = np.array([1.0, 2.0])
print(x.astype(np.float32), x.astype(int), x.astype('float16').dtype, x.dtype.itemsize, x.dtype.kind, x.nbytes, x.strides)
""",
    "errors: classes and texts": _trying(ERROR_CASES),
    "tensors and arrays together": """
import torch
import numpy as np
a = np.arange(3.0)
t = torch.ones(3)
print(t + a, t * np.float64(2), torch.tensor(a), torch.from_numpy(np.arange(3)), torch.as_tensor(np.ones((2, 2), dtype=np.float32)))
print(torch.tensor(np.array([1, 2], dtype=np.int16)).dtype, torch.from_numpy(np.zeros(2, dtype=np.uint8)).dtype)
print(f"{np.float32(1.5):.2f}", f"{np.mean([1.0, 2.0]):.3f}", "%.2f" % np.float64(2.345), str(np.float32(0.1)), np.float16(0.1))
print(np.array(range(5)), np.array([range(2), range(2)]))
x = torch.randn(3, 4).numpy()
print(x.shape, type(x), x.dtype)
y = np.random.randn(4, 3).astype(np.float32)
print((torch.from_numpy(y) @ torch.ones(3)).shape)
w = torch.zeros(3)
wn = w.numpy()
wn[:] = np.array([1, 2, 3])
print(w)
print(np.asarray(t.numpy()) is t.numpy() if False else 1, np.array(t), np.asarray(t))
print(torch.tensor(np.float32(1.5)), torch.tensor([np.float32(1.5), 2.0]).dtype)
z = t.numpy()
z += np.ones(3)
print(t)
g = torch.ones(3, requires_grad=True)
s = np.float64(2) * g + np.sqrt(4.0) - np.float32(1) / (g + 1) ** np.float64(2)
print(s, type(np.float64(0.5) * g).__name__, np.float64(3) > g, np.arctan(1.0) + g, np.float64(1) - g)
s.sum().backward()
print(g.grad, np.float16(2) * t, np.float64(2) ** t, np.float64(7) // (t + 1), np.float64(7) % (t + 1))
obs = torch.arange(12.0).reshape(6, 2)
inds = np.arange(6)
np.random.seed(3)
np.random.shuffle(inds)
print(inds, obs[inds[:3]], obs[inds[:2], np.array([1, 0])], obs[np.array([True, False] * 3)], obs[1:, inds[:2] % 2])
obs[inds[:2]] = torch.zeros(2, 2)
obs[np.array([5]), 1] = -1.0
print(obs, g[np.array([2, 0])], torch.ones(3)[np.int64(1)])
""",
    "einsum": """
import numpy as np
a = np.arange(6.0).reshape(2, 3)
b = np.arange(12.0).reshape(3, 4)
print(np.einsum('ij,jk->ik', a, b), np.einsum('ij,jk', a, b), np.einsum('ii', np.eye(3)), np.einsum('ii->i', np.arange(9).reshape(3, 3)))
print(np.einsum('ij->ji', a), np.einsum('ij->', a), np.einsum('i,i', [1, 2], [3, 4]), np.einsum('i,j->ij', [1, 2], [3, 4, 5]))
print(np.einsum('...ij,...jk', np.ones((5, 1, 2, 3)), np.ones((4, 3, 2))).shape, np.einsum('bij,bjk->bik', np.ones((2, 2, 3)), np.ones((2, 3, 1))))
print(np.einsum('ij, jk -> ik', a, b, dtype=np.float32, casting='same_kind'), np.einsum('i->i', np.arange(4, dtype=np.int32)).dtype, np.einsum('Ba,aB', np.ones((2, 3)), np.ones((3, 2))))
o = np.zeros((2, 4))
np.einsum('ij,jk->ik', a, b, out=o)
print(o, np.einsum('ij,jk->ik', a, np.ones((1, 4))))
""",
    "ufunc methods: reduce, accumulate, reduceat, outer, at": """
import torch
import numpy as np
a = np.arange(12.0).reshape(3, 4)
print(np.add.reduce(a), np.add.reduce(a, axis=1), np.add.reduce(a, axis=None), np.multiply.reduce([1, 2, 3]))
print(np.add.reduce(a, axis=(0, 1), keepdims=True), np.maximum.reduce(a, axis=0, initial=5.0), np.logical_and.reduce([True, False]))
print(np.add.accumulate(a), np.maximum.accumulate([1, 3, 2, 5, 4]), np.multiply.accumulate(a, axis=1, dtype=np.float32))
print(np.subtract.outer([1, 2, 3], [10, 20]), np.add.outer(1, 2), np.multiply.outer(np.arange(3), np.arange(2)).shape)
print(np.add.reduceat(np.arange(8), [0, 4, 1, 5]), np.add, np.abs, np.mod, repr(np.true_divide))
b = np.zeros(5)
np.add.at(b, [0, 1, 1, 4], 1.0)
print(b, np.add.at(b, [2], 3))
o = np.zeros(4)
np.add.reduce(a, axis=0, out=o)
print(o)
t = torch.zeros(3)
np.add.at(t.numpy(), [0, 0, 2], 1)
print(t, np.add.nin, np.sin.nout, np.add.nargs, np.add.identity, np.maximum.identity, np.logaddexp.identity, np.add.ntypes > 0)
""",
    "np.random.get_state / set_state (legacy tuple and dict forms)": """
import numpy as np
np.random.seed(3)
state = np.random.get_state()
print(state[0], state[1][:4], state[1].dtype, state[1].shape, state[2], state[3], state[4], len(state))
a = np.random.randn(3)
np.random.set_state(state)
b = np.random.randn(3)
print(a, b, np.array_equal(a, b))
np.random.randn()
s2 = np.random.get_state()
print(s2[3], s2[4], type(s2[2]).__name__, type(s2[4]).__name__)
c = np.random.rand(2)
np.random.set_state(s2)
print(c, np.random.rand(2))
r = np.random.RandomState(5)
d = r.get_state(legacy=False)
print(d['bit_generator'], d['state']['pos'], d['has_gauss'], d['gauss'], d['state']['key'][:2], sorted(d))
x = r.uniform(size=2)
r.set_state(d)
print(x, r.uniform(size=2))
r.set_state(('MT19937', list(state[1]), 624))
print(r.randint(0, 100, 3), np.random.RandomState(3).randint(0, 100, 3))
print(repr(state[1][:2]), state[1][0] + 1, int(state[1][2]))
""",
    "np.linalg factorizations (named results)": """
import numpy as np
a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
r = np.linalg.svd(a)
U, S, Vh = np.linalg.svd(a)
print(S, r.S, np.allclose(U @ np.diag(S) @ Vh, a), np.linalg.svd(a, compute_uv=False))
print(np.linalg.svd(np.ones((2, 3)), full_matrices=False).U.shape, np.linalg.svd(np.ones((2, 3))).Vh.shape)
w, v = np.linalg.eigh(a)
print(w, np.linalg.eigh(a).eigenvalues, np.linalg.eigvalsh(a), np.abs(v).round(6))
print(np.linalg.eigvals(a).round(6), np.linalg.eig(a).eigenvalues.round(6))
q, rr = np.linalg.qr(a)
print(np.allclose(q @ rr, a), np.linalg.qr(np.ones((4, 2)), mode='complete').Q.shape, np.linalg.qr(np.ones((4, 2))).R.shape)
print(np.linalg.cholesky(a), np.linalg.cholesky(a, upper=True).round(4))
x, res, rank, sv = np.linalg.lstsq(a, np.array([1.0, 2.0, 3.0]), rcond=None)
print(x, res, rank, sv)
print(np.linalg.slogdet(a), np.linalg.slogdet(a).logabsdet, np.linalg.cond(a), np.linalg.matrix_power(a, 3), np.linalg.matrix_power(a, -1).round(5))
print(repr(np.linalg.eigh(np.eye(2))), repr(np.linalg.svd(np.eye(2), compute_uv=False)))
""",
    "NumPy's exception classes": """
import numpy as np
try:
    np.linalg.inv(np.zeros((2, 2)))
except np.linalg.LinAlgError as e:
    print("caught", type(e).__name__, e, isinstance(e, ValueError))
try:
    np.sum(np.ones(2), axis=4)
except np.exceptions.AxisError as e:
    print("caught", type(e).__name__, e, isinstance(e, IndexError), isinstance(e, ValueError))
try:
    np.ones(2) + "a"
except TypeError as e:
    print("caught", type(e).__name__, e)
print(np.ones(2) == "a", np.ones(2) != "a")
from numpy.exceptions import AxisError
print(AxisError.__name__)
""",
}


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_numpy_in_programs_prints_what_numpy_prints(name, form):
    source = PROGRAMS[name]
    assert _run(source, form) == _oracle(source)


def test_numpy_and_torch_share_the_tensors_memory():
    env = Environment()
    _run("import torch\nt = torch.zeros(3)\nn = t.numpy()\nn[1] = 5", env=env)
    assert env.variables["t"].tolist() == [0.0, 5.0, 0.0]
    import torch  # the oracle: writing through numpy() does not bump the version

    t = torch.zeros(3)
    t.numpy()[1] = 5
    assert env.variables["t"]._version == t._version


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("source, exception, words", [
    ("np.load('x.npy')", "AttributeError", "numpy.load is not supported"),
    ("np.save('x.npy', a)", "AttributeError", "numpy.save is not supported"),
    ("np.fromfile('/etc/passwd')", "AttributeError", "numpy.fromfile is not supported"),
    ("np.loadtxt('/etc/passwd')", "AttributeError", "numpy.loadtxt is not supported"),
    ("np.memmap", "AttributeError", "numpy.memmap is not supported"),
    ("np.ctypeslib", "AttributeError", "numpy.ctypeslib is not supported"),
    ("np.lib", "AttributeError", "numpy.lib is not supported"),
    ("np.frompyfunc(print, 1, 1)", "AttributeError", "numpy.frompyfunc is not supported"),
    ("np.vectorize(abs)", "AttributeError", "numpy.vectorize is not supported"),
    ("np.array([print])", "NotImplementedError", "is not supported"),
    ("np.array([1], dtype=object)", "NotImplementedError", "is not supported"),
    ("np.array([1], dtype='O')", "NotImplementedError", "dtype object is not supported"),
    ("np.zeros(2, dtype='complex64')", "NotImplementedError", "complex is not supported"),
    ("np.zeros(2, dtype=torch.float32)", "TypeError", "Cannot interpret 'torch.float32'"),
    ("np.sin(torch.ones(2))", "TypeError", "not tensors"),
    ("np.ones(2).ctypes", "AttributeError", "has no attribute 'ctypes'"),
    ("np.ones(2).base", "AttributeError", "has no attribute 'base'"),
    ("np.ones(2).__array_interface__", "syntax_error", ""),
    ("np.ones(2).dtype.type", "AttributeError", "has no attribute 'type'"),
    ("np.float32.__mro__", "syntax_error", ""),
    ("np.finfo(np.float32).info", "AttributeError", "has no attribute 'info'"),
    ("np.random.RandomState(0).rng", "AttributeError", "has no attribute 'rng'"),
    ("np.random.default_rng(0).rng", "AttributeError", "has no attribute 'rng'"),
    ("getattr(np.random.default_rng(0), 'rng')", "AttributeError", "has no attribute 'rng'"),
    ("np.float32.pytype", "AttributeError", "has no attribute 'pytype'"),
    ("np.float32.fn", "AttributeError", "has no attribute 'fn'"),
    ("np.finfo(np.float32).dtype.type", "AttributeError", "has no attribute 'type'"),
    ("np.random.default_rng(0).bit_generator", "AttributeError", "bit_generator"),
    ("np.random.get_state()[1] + 1", "NotImplementedError", "numpy.uint32 is not supported"),
    ("np.random.mtrand", "AttributeError", "is not supported"),
    ("np.add.foo", "AttributeError", "'ufunc' object has no attribute 'foo'"),
    ("np.einsum('ij,jk', a2, a2, optimize=True)", "NotImplementedError",
     "numpy.einsum(optimize=...) is not supported"),
    ("np.einsum(a, [0])", "NotImplementedError", "numpy.einsum with sublists"),
    ("np.linalg.eig(np.array([[0.0, -1.0], [1.0, 0.0]]))", "NotImplementedError",
     "numpy arrays of dtype complex is not supported"),
    ("type(np.linalg.svd(a2))(1, 2, 3)", "TypeError", "cannot create 'SVDResult' instances"),
    ("np.linalg.svd(a2)._asdict()", "AttributeError", "has no attribute '_asdict'"),
    ("np.einsum('i', print)", "NotImplementedError", "is not supported"),
    ("np.zeros(3).reshape(2, 2)", "ValueError", "cannot reshape array of size 3 into shape (2,2)"),
    ("np.ones(3) + np.ones(2)", "ValueError", "operands could not be broadcast together"),
    ("np.ones(3)[5]", "IndexError", "index 5 is out of bounds for axis 0 with size 3"),
    ("np.sum(np.ones(3), axis=2)", "AxisError", "axis 2 is out of bounds for array of "
     "dimension 1"),
    ("np.finfo(int)", "ValueError", "not inexact"),
    ("l = [1]\nl.append(l)\nnp.array(l)", "ValueError", "maximum supported dimension"),
    ("np.array([{'a': 1}])", "NotImplementedError", "'dict' values is not supported"),
    ("np.array([1], dtype='U3')", "NotImplementedError", "dtype str is not supported"),
    ("np.array([1], dtype='V8')", "NotImplementedError", "dtype void is not supported"),
    ("np.zeros(2, dtype='datetime64[s]')", "NotImplementedError", "datetime64 is not supported"),
    ("np.zeros(2, dtype=np.uint16)", "AttributeError", "numpy.uint16 is not supported"),
    ("np.zeros(2, dtype='uint64')", "NotImplementedError", "numpy.uint64 is not supported"),
    ("np.array(2**70)", "NotImplementedError", "dtype object is not supported"),
    ("np.ones(2)[print]", "IndexError", "only integers"),
    ("np.sum(np.ones(2), foo=1)", "TypeError", "unexpected keyword argument 'foo'"),
    ("np.random.get_state()[1].astype(np.uint32)", "AttributeError",
     "numpy.uint32 is not supported"),
    ("np.random.seed(-1)", "ValueError", "Seed must be between 0 and 2**32 - 1"),
    ("a[0] = 'x'", "ValueError", "could not convert string to float"),
])
def test_what_numpy_refuses(form, source, exception, words):
    env = Environment()
    _run("import torch\nimport numpy as np\na = np.ones(2)\na2 = np.ones((2, 2))", env=env)
    if exception == "syntax_error":
        with pytest.raises(LangError) as info:
            _run(source, form, env=env)
        assert info.value.code in ("syntax_error", "invalid_program"), info.value.code
        return
    with pytest.raises(LangError) as info:
        _run(source, form, env=env)
    assert info.value.extra.get("exception") == exception, info.value.detail
    assert words in info.value.detail


@pytest.mark.parametrize("source", [
    "np.ones(10**9)", "np.zeros((10**5, 10**5))", "np.empty([2**40])", "np.full((10**5,) * 2, 1)",
    "np.arange(10**10)", "np.arange(0, 1, 1e-12)", "np.linspace(0, 1, 10**10)",
    "np.eye(10**6)", "np.random.rand(10**5, 10**5)", "np.random.randn(10**10)",
    "np.random.randint(0, 2, size=(10**6, 10**6))", "np.random.permutation(10**10)",
    "np.random.choice(10**10, 3, replace=False)", "np.outer(np.ones(10**5), np.ones(10**5))",
    "np.tile(np.ones(10**4), 10**6)", "np.repeat(np.ones(10), 10**10)",
    "np.concatenate([np.ones(10**5)] * 10**3)", "np.append(np.ones(6 * 10**6), np.ones(6 * 10**6))",
    "np.ones(10**5)[:, None] * np.ones(10**5)",
    "np.ones((10**4, 1)) @ np.ones((1, 10**4))", "np.meshgrid(np.ones(10**4), np.ones(10**4))",
    "np.zeros_like(np.ones(1), shape=(10**6, 10**6))", "np.array([np.ones(10**5)] * 10**3)",
    "np.ones((10**3, 10**4), dtype=np.uint8)[[0] * 10**4]",
    "np.ones((10**3, 10**3))[np.zeros((10**4, 1), int), np.zeros(10**4, int)]",
    "np.random.default_rng(0).random((10**5, 10**5))",
    "np.clip(np.ones(10**5), np.zeros((10**5, 1)), 1)", "np.ones(10**5).clip(np.zeros((10**5, 1)))",
    "np.isclose(np.ones(10**5), np.ones((10**5, 1)))", "np.allclose(np.ones(10**5), np.ones((10**5, 1)))",
    "np.ones(10**5) in np.ones((10**5, 1))", "np.ones((10**4, 10**4), dtype=np.uint8)[:, [0] * 10**3]",
    "np.ones(10**4)[np.zeros((10**4, 10**4), dtype=np.uint8)]",
    "np.einsum('i,j->ij', np.ones(10**4), np.ones(10**4))",
    "np.einsum('...i,...j', np.ones((10**4, 1)), np.ones(10**4))",
    "np.multiply.outer(np.ones(10**4), np.ones(10**4))",
    "np.add.reduceat(np.ones((10**4, 10)), np.zeros(10**4, int), axis=1)",
    "np.linalg.svd(np.ones((10**5, 2)))", "np.linalg.qr(np.ones((10**5, 1)), mode='complete')",
])
def test_huge_arrays_are_refused_before_they_are_made(source):
    env = Environment()
    with pytest.raises(LangError) as info:
        _run("import numpy as np\nx = " + source, env=env,
             limits=Limits(max_tensor_elements=10**7))
    assert info.value.extra.get("limit") == "max_tensor_elements", info.value.detail


@pytest.mark.parametrize("source", [
    "np.linalg.pinv(np.ones((2000, 2000)))", "np.linalg.inv(np.eye(3000))",
    "np.linalg.norm(np.ones((3000, 3000)), 2)", "np.ones((2000, 2000)) @ np.ones((2000, 2000))",
    "np.dot(np.ones((2000, 2000)), np.ones((2000, 2000)))", "np.matmul(a2, a2)",
    "a2.dot(a2)", "np.sort(np.ones(10**7))", "np.ones(10**7).argsort()", "b = np.ones(10**7)\nb.sort()",
    "np.median(np.ones(10**7))", "np.unique(np.ones(10**7))", "np.inner(a2, a2)",
    "np.einsum('ij,jk->ik', a2, a2)", "np.einsum('ij,kl->', a2, a2)", "np.linalg.svd(a2)",
    "np.linalg.eigh(a2)", "np.linalg.qr(a2)", "np.linalg.matrix_power(a2, 10**6)",
])
def test_costly_numpy_work_is_charged_before_it_runs(source):
    import engine
    from app.services.costs import RunMeter

    env = Environment()
    _run("import numpy as np\na2 = np.ones((2000, 2000))", env=env)
    with engine.use_cost_meter(RunMeter(1e8, 1e9, 30.0)), pytest.raises(LangError) as info:
        _run(source, env=env)
    assert info.value.extra.get("limit") == "max_run_cost", info.value.detail
    with engine.use_cost_meter(RunMeter(1e8, 1e9, 30.0)):  # small work passes the meter
        assert _run("print(np.linalg.inv(np.eye(2)), np.sort(np.array([2, 1])))", env=env)


def test_fancy_indexing_is_bounded_by_its_result_not_the_array():
    env = Environment()
    out = _run("import numpy as np\na = np.zeros((10**4, 10**3), dtype=np.uint8)\n"
               "print(a[5, [1, 2, 3]].shape, a[[1] * 1000].shape, a[:, [0]].shape, "
               "a[..., [0, 1]].shape, a[a[:, 0] > 0].shape)", env=env,
               limits=Limits(max_tensor_elements=2 * 10**7))
    assert out == ["(3,) (1000, 1000) (10000, 1) (10000, 2) (0, 1000)"]


def test_fortran_ordered_arrays_and_random_states_count_their_memory_once():
    env = Environment()  # (their memory is no C-ordered array of a tensor's dtype)
    _run("import numpy as np\nf = np.array([[1.0, 2.0], [3.0, 4.0]], order='F')\ng = f.T\n"
         "h = f[0]\nstate = np.random.get_state()\nk = state[1][::2]", env=env)
    assert env.memory_bytes() == 4 * 8 + 624 * 4


def test_numpy_arrays_count_for_the_session_memory():
    env = Environment()
    limits = Limits(max_session_bytes=30_000_000)
    with pytest.raises(LangError) as info:
        _run("import numpy as np\nkeep = []\nfor i in range(10):\n"
             "    keep.append(np.ones(1_000_000))", env=env, limits=limits)
    assert info.value.extra["limit"] == "max_session_bytes"


def test_the_global_random_state_is_the_sessions():
    a, b = Environment(), Environment()
    _run("import numpy as np\nnp.random.seed(3)\nx = np.random.rand(2).tolist()", env=a)
    _run("import numpy as np\ny = np.random.rand(2).tolist()", env=b)
    _run("z = np.random.rand(2).tolist()", env=a)  # a's state goes on from its own draws
    np.random.seed(3)
    want = np.random.rand(4).tolist()
    assert a.variables["x"] + a.variables["z"] == want
    c = Environment()
    _run("import numpy as np\ny = np.random.rand(2).tolist()", env=c)
    d = Environment()
    d.generator.manual_seed(c.generator.initial_seed())
    _run("import numpy as np\ny = np.random.rand(2).tolist()", env=d)
    assert c.variables["y"] == d.variables["y"]  # unseeded: from the session's seed


def test_a_random_state_is_set_back_in_the_session_it_is_given_to():
    a, b = Environment(), Environment()
    _run("import numpy as np\nnp.random.seed(7)\nstate = np.random.get_state()\n"
         "x = np.random.rand(3).tolist()", env=a)
    _run("import numpy as np\nnp.random.seed(1)\nfirst = np.random.rand(2).tolist()", env=b)
    b.variables["given"] = a.variables["state"]
    _run("np.random.set_state(given)\ny = np.random.rand(3).tolist()", env=b)
    _run("z = np.random.rand(2).tolist()", env=a)  # a's own state went on from its draws
    np.random.seed(7)
    want = np.random.rand(5).tolist()
    assert b.variables["y"] == a.variables["x"] == want[:3] and a.variables["z"] == want[3:]


def test_the_random_state_survives_a_snapshot():
    from app.services import snapshots
    from app.services.execution import new_environment

    env = new_environment("cpu", 5)
    _run("import numpy as np\nnp.random.seed(11)\nx = np.random.randn(3).tolist()\n"
         "g = np.random.randn()\ndel np", env=env)
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    _run("import numpy as np\nafter = np.random.randn(4).tolist()", env=back)
    np.random.seed(11)
    want = np.random.randn(8).tolist()
    assert env.variables["x"] == want[:3] and back.variables["after"] == want[4:]


@pytest.mark.parametrize("keep_array", [False, True])
def test_arrays_and_the_random_state_survive_a_restart(make_client, keep_array):
    from tests.app.helpers import kill_hosts, run

    client = make_client(snapshot_every=2)
    sid = client.post("/v1/sessions", json={"seed": 4}).json()["id"]
    steps = ["import numpy as np\nnp.random.seed(1)\nhist = []",
             "hist.append(float(np.random.rand()))"]
    if keep_array:
        steps[0] += "\na = np.zeros(3)\nt = torch.ones(2)\nn = t.numpy()"
        steps[1] += "\na[len(hist) % 3] += 1\nn += 1"
    for body in [steps[0]] + [steps[1]] * 5:
        reply = run(client, sid, body)
        assert reply.status_code == 200, reply.text
    kill_hosts(client)
    probe = "[hist, np.random.rand(2).tolist()" + (", a.tolist(), t.tolist()]" if keep_array
                                                      else "]")
    got = run(client, sid, probe)
    assert got.status_code == 200, got.text
    np.random.seed(1)
    draws = np.random.rand(7).tolist()
    want = [draws[:5], draws[5:]]
    if keep_array:
        want += [[1.0, 2.0, 2.0], [6.0, 6.0]]
    assert got.json()["result"] == want
