"""Snapshots: a session's plain state written and read back exactly, anything else refused,
and a compacted log that restores (after every host is killed) to the state replay gives."""

from __future__ import annotations

import math
import os
import signal
import struct
import time

import numpy as np
import pytest

import engine
from app.services import snapshots
from app.services.execution import new_environment
from app.services.store import open_store
from tests.app.helpers import run


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
    env.generator._rng.random(4)
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    assert np.array_equal(back.generator._rng.random(5), env.generator._rng.random(5))
    fresh = new_environment("cpu", 3)  # a generator that never drew: made on first draw
    again = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(fresh), again)
    assert np.array_equal(again.generator._rng.random(2), fresh.generator._rng.random(2))


@pytest.mark.parametrize("make", [
    lambda: {"y": engine.Tensor(np.ones(2, np.float32), requires_grad=True) * 2},  # a graph
    lambda: {"v": engine.Tensor(np.ones(4, np.float32))[1:]},  # a view
    lambda: {"f": lambda: 1},
    lambda: {"o": object()},
    lambda: {"s": {1, 2}},
    lambda: {"m": engine.nn.Linear(2, 2)},
    lambda: (lambda t: {"a": t, "b": t.detach()})(engine.Tensor(np.ones(2, np.float32))),
])
def test_anything_not_plain_is_refused(make):
    env = new_environment("cpu", 0)
    env.variables.update(make())
    with pytest.raises(snapshots.NotPlain):
        snapshots.capture(env)


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
    for c in (client, twin_client):
        for host in list(c.app.state.pool.hosts):  # every host: both sessions are restored
            os.kill(host.pid, signal.SIGKILL)
    time.sleep(0.1)
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
    for host in list(client.app.state.pool.hosts):
        os.kill(host.pid, signal.SIGKILL)
    time.sleep(0.1)
    got = run(client, sid, "y.grad_fn.name(), len(hist)")
    assert got.json()["result"] == ["MulBackward0", 12], got.text
