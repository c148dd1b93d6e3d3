"""Snapshots are durable: one written by an earlier version (main b5c7cfa, session 13's
start) restores today to the state it held. Its session (below) holds the kinds of values a
snapshot keeps: tensors of several dtypes with a ``.grad``, a module and its Adam state, the
program's closures and lambdas, sets, an OrderedDict, shared lists with NaN, -0.0 and a big
int, print options, both generators' positions and a virtual file written by ``torch.save``
(a checkpoint of its own format, with a view sharing its base's storage). The probe's answer
was recorded when the snapshot was taken; if the format changes, old snapshots must still
read (or the change must bring a converter), and this test says which.

One recorded answer changed on purpose: the generator became torch's mt19937 (session 13), so
the old snapshot's PCG64 position is converted (its seed kept, a deterministic mt19937 stream
from it): the probe's ``torch.randn(2)`` after the restore is that stream's, the same on every
restore. Everything else reads as recorded."""

from __future__ import annotations

from pathlib import Path

from app.lang import compile_source, run_program
from app.services import snapshots
from app.services.execution import new_environment

HERE = Path(__file__).parent / "old_snapshots"

# the session the snapshot was taken of (snapshots.capture after it ran on main b5c7cfa,
# new_environment("cpu", 11)); the probe's answer recorded right after
SESSION = '''
import torch
import numpy as np
import collections
torch.manual_seed(5)
np.random.seed(3)
w = torch.randn(2, 3, requires_grad=True)
(w * w).sum().backward()
ids = torch.tensor([[1, 2], [3, 4]], dtype=torch.int16)
flags = torch.tensor([True, False])
half = torch.arange(4, dtype=torch.float16) / 3
model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for _ in range(2):
    opt.zero_grad()
    model(w.detach()).sum().backward()
    opt.step()
base = torch.arange(12.0).reshape(3, 4).clone()
torch.save({"base": base, "col": base[:, 1], "ints": ids, "meta": (1, 2.5, "x")}, "ck.pt")
def make_scale(k):
    def scale(x):
        return x * k
    return scale
triple = make_scale(3)
square = lambda x: x ** 2
seen = {3, 1, 2}
order = collections.OrderedDict(a=1, b=[2, 3])
groups = {"x": [torch.ones(2)]}
shared = [1.5, -0.0, float("nan"), 2 ** 70]
pair = (shared, shared)
torch.set_printoptions(precision=2)
drawn = torch.rand(3)
np_drawn = np.random.rand(2).tolist()
'''

PROBE = '''loaded = torch.load("ck.pt")
[repr(w), w.grad.tolist(), ids.tolist(), str(ids.dtype), flags.tolist(), half.tolist(),
 str(half.dtype), repr(model), [p.tolist() for p in model.parameters()],
 opt.state_dict()["state"][0]["exp_avg"].tolist(), triple(2), square(3), sorted(seen),
 list(order.items()), [(k, [t.tolist() for t in v]) for k, v in groups.items()],
 repr(shared), pair[0] is pair[1], pair[0] is shared, torch.randn(2).tolist(),
 np.random.rand(2).tolist(), str(torch.tensor([1.23456])), drawn.tolist(),
 [(k, repr(v)) for k, v in sorted(torch.load("ck.pt").items())],
 [loaded["col"].add_(100).tolist(), loaded["base"].tolist()]]'''


def _run(env, source):
    return run_program(compile_source(source), env, source=source).result


def test_a_snapshot_of_an_earlier_version_restores_to_its_state():
    env = new_environment("cpu", 11)
    snapshots.restore((HERE / "session13_main_b5c7cfa.snap").read_bytes(), env)
    expected = (HERE / "session13_main_b5c7cfa.probe.txt").read_text().rstrip("\n")
    assert repr(_run(env, PROBE)) == expected

