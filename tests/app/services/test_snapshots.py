"""Snapshots: a session's plain state written and read back exactly, anything else refused,
and a compacted log that restores (after every host is killed) to the state replay gives."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

import engine
from app.services import snapshots
from app.services.execution import new_environment
from app.services.store import open_store
from tests.app.helpers import kill_hosts, run


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def test_plain_state_round_trips_exactly():
    env = new_environment("cpu", 7)
    w = engine.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    w._grad = engine.Tensor(np.full((2, 3), 0.5, dtype=np.float32))
    shared = [1, 2]
    env.variables.update(
        w=w, i=engine.Tensor(np.array([2**62, -3], dtype=np.int64)),
        flags=engine.Tensor(np.array(True)), big=2**100, neg0=-0.0, nan=math.nan,
        inf=-math.inf, s="é\x00", none=None, t=(1, "a", (2.5,)), d={"k": [1, 2], 3: "three"},
        a=shared, b=shared, nested={"l": shared})
    shared.append(shared)  # a cycle
    back = new_environment("cpu", 99)
    snapshots.restore(snapshots.capture(env), back)
    v = back.variables
    assert list(v) == list(env.variables)
    assert v["w"].requires_grad and v["w"].is_leaf and v["w"].dtype is engine.float32
    assert np.array_equal(v["w"]._data, w._data)
    assert np.array_equal(v["w"].grad._data, w._grad._data)
    assert v["i"]._data.tolist() == [2**62, -3] and v["i"].dtype is engine.int64
    assert v["flags"].dtype is engine.bool and v["flags"].shape == ()
    assert v["big"] == 2**100 and _bits(v["neg0"]) == _bits(-0.0) and math.isnan(v["nan"])
    assert v["inf"] == -math.inf and v["s"] == "é\x00" and v["none"] is None
    assert v["t"] == (1, "a", (2.5,)) and v["d"] == {"k": [1, 2], 3: "three"}
    assert v["a"] is v["b"] and v["nested"]["l"] is v["a"] and v["a"][2] is v["a"]
    assert v["w"]._data is not w._data  # its own memory
    assert back.generator.initial_seed() == 7
    assert back.held_bytes_estimate > 0


def test_generator_position_is_kept():
    env = new_environment("cpu", 3)
    with engine.use_generator(env.generator):
        engine.randn(1)  # a cached normal sample, and a position in the mt19937 words
        engine.rand(4)
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    assert bytes(back.generator.get_state().numpy()) == bytes(env.generator.get_state().numpy())
    with engine.use_generator(back.generator):
        ours = engine.randn(5).numpy()
    with engine.use_generator(env.generator):
        assert np.array_equal(ours, engine.randn(5).numpy())
    fresh = new_environment("cpu", 3)  # a generator that never drew: made on first draw
    again = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(fresh), again)
    assert bytes(again.generator.get_state().numpy()) == bytes(fresh.generator.get_state().numpy())
    assert np.array_equal(again.generator._rng.random(2), fresh.generator._rng.random(2))


def _old_format(snapshot: bytes, generator: dict) -> bytes:
    """``snapshot`` with its generator entry replaced (a snapshot as an older build wrote)."""
    import orjson

    start = len(snapshots.MAGIC) + 8
    (length,) = struct.unpack_from("<Q", snapshot, len(snapshots.MAGIC))
    header = orjson.loads(snapshot[start:start + length])
    header["generator"] = generator
    raw = orjson.dumps(header)
    return snapshots.MAGIC + struct.pack("<Q", len(raw)) + raw + snapshot[start + length:]


def test_a_snapshot_of_the_pcg64_generator_still_restores():
    """Before the generator was torch's mt19937 it was NumPy's PCG64, and snapshots stored that
    state: such a session restores, keeps its seed and draws (reproducibly: the same stored
    state gives the same draws each time; PCG64's own stream cannot go on)."""
    env = new_environment("cpu", 5)
    env.variables["x"] = engine.Tensor(np.arange(3, dtype=np.float32))
    pcg = np.random.PCG64(5)
    pcg.random_raw(3)
    old = _old_format(snapshots.capture(env), {
        "seed": "5", "state": snapshots._Writer().value(pcg.state)})
    draws = []
    for _ in range(2):
        back = new_environment("cpu", 0)
        snapshots.restore(old, back)
        assert back.generator.initial_seed() == 5
        assert back.variables["x"].tolist() == [0.0, 1.0, 2.0]
        with engine.use_generator(back.generator):
            draws.append(engine.randn(4).numpy())
        new = new_environment("cpu", 0)  # and it snapshots again in the new format
        snapshots.restore(snapshots.capture(back), new)
        assert bytes(new.generator.get_state().numpy()) == \
            bytes(back.generator.get_state().numpy())
    assert np.array_equal(draws[0], draws[1])
    fresh = new_environment("cpu", 5)
    with engine.use_generator(fresh.generator):
        assert not np.array_equal(draws[0], engine.randn(4).numpy())  # not the seed's start
    seed_only = new_environment("cpu", 0)  # an old snapshot of a generator that never drew
    snapshots.restore(_old_format(snapshots.capture(env), {"seed": "5"}), seed_only)
    assert bytes(seed_only.generator.get_state().numpy()) == \
        bytes(engine.Generator().manual_seed(5).get_state().numpy())


@pytest.mark.parametrize("make", [
    lambda: {"y": engine.Tensor(np.ones(2, np.float32), requires_grad=True) * 2},  # a graph
    lambda: {"v": engine.Tensor(np.ones(4, np.float32))[1:]},  # a view
    lambda: {"f": lambda: 1},
    lambda: {"o": object()},
    lambda: {"s": {1, object()}},
    lambda: (lambda m: (m.register_forward_hook(lambda *a: None), {"m": m})[1])(
        engine.nn.Linear(2, 2)),                                   # a Python function inside
    lambda: {"c": __import__("collections").Counter("ab")},
    lambda: (lambda m: (m.register_forward_pre_hook(None), {"m": m})[1])(
        engine.nn.Linear(2, 2)),                                   # hooks, even plain ones
    lambda: (lambda t: {"a": t, "b": t.detach()})(engine.Tensor(np.ones(2, np.float32))),
])
def test_anything_not_plain_is_refused(make):
    env = new_environment("cpu", 0)
    env.variables.update(make())
    with pytest.raises(snapshots.NotPlain):
        snapshots.capture(env)


def test_sets_and_ordered_dicts_round_trip():
    from collections import OrderedDict, defaultdict
    env = new_environment("cpu", 0)
    t = engine.Tensor(np.ones(2, np.float32))
    env.variables.update(s={1, "a", (2, 3)}, f=frozenset({4}), o=OrderedDict(b=1, a=[t]),
                         dd=defaultdict(list, {t: [1]}), m=engine.nn.Linear(2, 2))
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    v = back.variables
    assert v["s"] == {1, "a", (2, 3)} and type(v["f"]) is frozenset and v["f"] == {4}
    assert type(v["o"]) is OrderedDict and list(v["o"]) == ["b", "a"]
    assert v["o"]["a"][0] is next(iter(v["dd"])) and v["dd"].default_factory is list
    assert type(v["m"]) is engine.nn.Linear and v["m"].weight.shape == (2, 2)
    assert np.array_equal(v["m"].weight._data, env.variables["m"].weight._data)


def test_a_tensor_held_twice_stays_one_tensor():
    env = new_environment("cpu", 0)
    t = engine.Tensor(np.ones(2, np.float32))
    env.variables.update(a=t, b=[t])
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    assert back.variables["b"][0] is back.variables["a"]


def test_not_a_snapshot_is_refused():
    with pytest.raises(ValueError):
        snapshots.restore(b"\x80\x04pickle", new_environment("cpu", 0))


STEPS = [
    "w = torch.zeros(3, requires_grad=True)\nhist = []",
    "loss = ((w - torch.randn(3)) ** 2).sum()\nloss.backward()\n"
    "with torch.no_grad():\n    w -= 0.1 * w.grad\nw.grad = None\nhist.append(loss.item())\n"
    "del loss",
]


def test_a_compacted_log_restores_to_the_replayed_state(make_client):
    client = make_client(snapshot_every=3)
    settings = client.app.state.settings
    sid = client.post("/v1/sessions", json={"seed": 4}).json()["id"]
    twin_client = make_client(snapshot_every=0)
    twin = twin_client.post("/v1/sessions", json={"seed": 4}).json()["id"]
    for body in [STEPS[0]] + [STEPS[1]] * 8:
        for c, s in ((client, sid), (twin_client, twin)):
            reply = run(c, s, body)
            assert reply.status_code == 200, reply.text
    store = open_store(settings.state_dir, sync="normal", url="")
    try:
        record = store.get(sid)
        assert record.snapshot_seq >= 6 and record.head == 9
        assert [e.seq for e in store.entries(sid)] == list(range(record.snapshot_seq + 1, 10))
    finally:
        store.close()
    kill_hosts(client, twin_client)  # every host: both sessions are restored
    probe = "[w.tolist(), hist, torch.randn(2).tolist()]"
    got = run(client, sid, probe)
    assert got.status_code == 200, got.text
    assert got.json()["result"] == run(twin_client, twin, probe).json()["result"]
    # a state with a graph in it is not snapshotted: the log grows again, and still restores
    assert run(client, sid, "y = w * 2").status_code == 200
    for _ in range(4):
        assert run(client, sid, STEPS[1]).status_code == 200
    store = open_store(settings.state_dir, sync="normal", url="")
    try:
        record = store.get(sid)
        assert (record.snapshot_seq, record.head) == (9, 15)
        assert [e.seq for e in store.entries(sid)] == list(range(10, 16))
    finally:
        store.close()
    kill_hosts(client)
    got = run(client, sid, "y.grad_fn.name(), len(hist)")
    assert got.json()["result"] == ["MulBackward0", 12], got.text


FUNCTIONS = '''
def scale(x, k=2, *rest, shift=0.5, **extra):
    return x * k + shift + sum(rest) + len(extra)

def remember(v, seen=[]):
    seen.append(v)
    return len(seen)

def counter(start):
    n = start
    def step(by=1):
        nonlocal n
        n = n + by
        return n
    return step

def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)

def evens(limit):
    for i in range(limit):
        if i % 2 == 0:
            yield i

def uses_global(x):
    return x + offset

offset = 10
tick = counter(5)
tick()
tock = counter(100)
ops = [lambda a: a + 1, lambda a, b=3: a * b]
alias = scale
remember(1)
'''
CALLS = ("[scale(1), scale(1, 3, 1, 2, shift=0.0, z=1), remember(2), tick(), tick(2), tock(),"
         " fact(6), list(evens(7)), uses_global(1), ops[0](1), ops[1](2), alias is scale,"
         " scale.__name__, ops[1].__name__]")


def _run_in(env, source):
    from app.lang import compile_source, run_program
    return run_program(compile_source(source), env, source=source).result


def test_the_programs_functions_round_trip():
    env = new_environment("cpu", 0)
    _run_in(env, FUNCTIONS)
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    assert back.variables["alias"] is back.variables["scale"]
    for state in (env, back):  # later changes of globals are seen as before
        _run_in(state, "offset = 20")
    assert _run_in(back, CALLS) == _run_in(env, CALLS)
    assert _run_in(back, "[tick(), remember(0), uses_global(0)]") == \
        _run_in(env, "[tick(), remember(0), uses_global(0)]")


@pytest.mark.parametrize("source", [
    "class A:\n    def m(self):\n        return 1\na = A()",            # classes and instances
    "class A:\n    def m(self):\n        return 1\nf = A.m",           # a method
    "f = torch.sin",                                                     # a library function
    "def f():\n    return 1\ndef g(t=torch.ones(2, requires_grad=True) * 2):\n    return t",
    "def f(x=1180591620717411303424):\n    return x",                  # no exact JSON form
    "m = torch.nn.Linear(2, 2)\ndef hook(mod, inp):\n    return None\n"
    "m.register_forward_pre_hook(hook)\n1",                              # a hook (its id)
])
def test_functions_with_what_is_not_plain_are_refused(source):
    env = new_environment("cpu", 0)
    _run_in(env, source)
    with pytest.raises(snapshots.NotPlain):
        snapshots.capture(env)


def test_a_session_with_functions_is_compacted_and_restores(make_client):
    client = make_client(snapshot_every=3)
    settings = client.app.state.settings
    sid = client.post("/v1/sessions", json={"seed": 4}).json()["id"]
    twin_client = make_client(snapshot_every=0)
    twin = twin_client.post("/v1/sessions", json={"seed": 4}).json()["id"]
    steps = [FUNCTIONS, "w = torch.zeros(3)\nhist = []"] + [
        "w = w + torch.randn(3)\nhist.append(tick())\nremember(len(hist))"] * 6
    for body in steps:
        for c, s in ((client, sid), (twin_client, twin)):
            assert run(c, s, body).status_code == 200
    store = open_store(settings.state_dir, sync="normal", url="")
    try:
        record = store.get(sid)
        assert record.snapshot_seq >= 6 and record.head == 8
    finally:
        store.close()
    kill_hosts(client, twin_client)
    probe = f"[{CALLS}, w.tolist(), hist, torch.randn(2).tolist()]"
    got = run(client, sid, probe)
    assert got.status_code == 200, got.text
    assert got.json()["result"] == run(twin_client, twin, probe).json()["result"]


TRAINING = '''
model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                            torch.nn.Dropout(0.25), torch.nn.Linear(4, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.9 ** epoch)
data = torch.randn(8, 3)
target = torch.randn(8, 1)
losses = []
def step():
    opt.zero_grad()
    loss = ((model(data) - target) ** 2).mean()
    loss.backward()
    opt.step()
    sched.step()
    losses.append(loss.item())
'''
MORE = "step()\nstep()\nmodel.eval()\n[p.tolist() for p in model.parameters()]"
PROBE = ("[repr(model), model.training, model[1].running_mean.tolist(), sched.get_last_lr(),"
         " opt.state_dict()['state'][0]['exp_avg'].tolist(), losses,"
         " model(data).tolist(), torch.randn(2).tolist()]")


def test_modules_optimizers_and_schedulers_round_trip():
    env = new_environment("cpu", 1)
    _run_in(env, TRAINING + "step()\nstep()")
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    params = _run_in(back, "list(model.parameters())")
    assert params[0] is back.variables["opt"].param_groups[0]["params"][0]
    assert back.variables["sched"].optimizer is back.variables["opt"]
    assert _run_in(back, MORE) == _run_in(env, MORE)
    assert _run_in(back, PROBE) == _run_in(env, PROBE)


def test_library_classes_are_looked_up_by_public_name_only():
    forged = bytearray(snapshots.MAGIC)
    header = (b'{"variables": [["x", {"O": ["os:system", []], "n": 0}]], "tensors": [], '
              b'"generator": {"seed": "0"}, "device": "cpu", "programs": []}')
    forged += struct.pack("<Q", len(header)) + header
    with pytest.raises(ValueError, match="not a library class"):
        snapshots.restore(bytes(forged), new_environment("cpu", 0))


def test_a_training_session_is_compacted_and_restores(make_client):
    client = make_client(snapshot_every=3)
    settings = client.app.state.settings
    sid = client.post("/v1/sessions", json={"seed": 4}).json()["id"]
    twin_client = make_client(snapshot_every=0)
    twin = twin_client.post("/v1/sessions", json={"seed": 4}).json()["id"]
    for body in [TRAINING] + ["step()"] * 7:
        for c, s in ((client, sid), (twin_client, twin)):
            assert run(c, s, body).status_code == 200
    store = open_store(settings.state_dir, sync="normal", url="")
    try:
        record = store.get(sid)
        assert record.snapshot_seq >= 6 and record.head == 8
        assert len(list(store.entries(sid))) <= 2
    finally:
        store.close()
    kill_hosts(client, twin_client)
    got = run(client, sid, f"step()\n{PROBE}")
    assert got.status_code == 200, got.text
    assert got.json()["result"] == run(twin_client, twin, f"step()\n{PROBE}").json()["result"]
