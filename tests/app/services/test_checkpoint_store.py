"""A session's virtual files (torch.save) are durable: snapshots keep them, replay rebuilds
them (a module saved whole makes the session not plain), after every host is killed."""

from __future__ import annotations

import engine
from app.services import snapshots
from app.services.execution import new_environment
from app.services.store import open_store
from tests.app.helpers import kill_hosts, run


def _run_in(env, source):
    from app.lang import compile_source, run_program
    return run_program(compile_source(source), env, source=source).result


def test_files_round_trip_in_a_snapshot():
    env = new_environment("cpu", 0)
    _run_in(env, "import torch, os\nos.makedirs('a/b')\ntorch.save({'x': torch.arange(3.)}, "
                 "'a/b/x.pt')\ntorch.save([1, 'two'], 'y.pt')")
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    assert back.files.dirs == {"a", "a/b"} and sorted(back.files.files) == ["a/b/x.pt", "y.pt"]
    assert _run_in(back, "[torch.load('a/b/x.pt')['x'].tolist(), torch.load('y.pt')]") == \
        [[0.0, 1.0, 2.0], [1, "two"]]
    assert back.held_bytes_estimate >= sum(a.nbytes for a in env.files.files.values())
    _run_in(env, "torch.save(torch.nn.Linear(1, 1), 'm.pt')")
    try:
        snapshots.capture(env)
    except snapshots.NotPlain:
        pass
    else:
        raise AssertionError("a module saved whole has no plain form")
    assert engine  # the engine is imported for the environment's generator


def test_saved_files_are_durable_through_snapshots_and_replay(make_client):

    for whole in (False, True):
        client = make_client(snapshot_every=2)
        settings = client.app.state.settings
        sid = client.post("/v1/sessions", json={"seed": 1}).json()["id"]
        steps = ["import torch, os\nm = torch.nn.Linear(3, 2)\nos.makedirs('ck', exist_ok=True)",
                 "torch.save(m.state_dict(), 'ck/m.pt')",
                 f"torch.save(m if {whole} else {{'w': m.weight}}, 'ck/w.pt')\ndel m",
                 "x = 1", "y = 2"]
        for body in steps:
            reply = run(client, sid, body)
            assert reply.status_code == 200, reply.text
        store = open_store(settings.state_dir, sync="normal", url="")
        try:
            record = store.get(sid)
            assert (record.snapshot_seq >= 4) is not whole, record  # whole: replayed
        finally:
            store.close()
        kill_hosts(client)
        probe = ("sd = torch.load('ck/m.pt')\nw = torch.load('ck/w.pt', weights_only=False)\n"
                 "[sorted(os.listdir('ck')), list(sd), torch.equal(sd['weight'], "
                 "w.weight if isinstance(w, torch.nn.Module) else w['w'])]")
        got = run(client, sid, probe)
        assert got.status_code == 200, got.text
        assert got.json()["result"] == [["m.pt", "w.pt"], ["weight", "bias"], True]
