"""Runs on one session are serialized in arrival order; other sessions and health stay live."""

import time

import anyio
import httpx
import pytest

LONG_LOOP = "i = 0\nwhile i < 10 ** 9:\n    i = i + 1"


@pytest.fixture
def app(make_app):
    return make_app(run_timeout_s=1.5, max_steps=10**9, max_loop_iterations=10**9)


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test",
                             timeout=30)


def test_parallel_runs_on_one_session_lose_no_update(app):
    async def main() -> list[int]:
        async with client_for(app) as client:
            sid = (await client.post("/v1/sessions")).json()["id"]
            await client.post(f"/v1/sessions/{sid}/run", json={"source": "n = 0\nseen = []"})
            order = []

            async def bump(i: int) -> None:
                await client.post(f"/v1/sessions/{sid}/run", json={
                    "source": f"m = n\nfor k in range(50):\n    m = m + 0\nn = m + 1\n"
                              f"seen = seen + [{i}]"})
                order.append(i)

            async with anyio.create_task_group() as tasks:
                for i in range(30):
                    tasks.start_soon(bump, i)
                    await anyio.sleep(0)
            body = (await client.post(f"/v1/sessions/{sid}/run",
                                      json={"source": "[n, seen]"})).json()
            return body["result"]

    n, seen = anyio.run(main)
    assert n == 30
    assert seen == list(range(30))  # arrival order


def test_long_run_does_not_stall_health_or_other_sessions(app):
    async def main() -> tuple[float, float, bool, int]:
        async with client_for(app) as client:
            busy = (await client.post("/v1/sessions")).json()["id"]
            other = (await client.post("/v1/sessions")).json()["id"]
            long_done = anyio.Event()
            status = {}

            async def long_run() -> None:
                reply = await client.post(f"/v1/sessions/{busy}/run",
                                          json={"source": LONG_LOOP})
                status["long"] = reply.status_code
                long_done.set()

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(long_run)
                await anyio.sleep(0.2)  # the long run is going
                start = time.perf_counter()
                assert (await client.get("/v1/health/live")).status_code == 200
                health_s = time.perf_counter() - start
                start = time.perf_counter()
                reply = await client.post(f"/v1/sessions/{other}/run", json={"source": "6 * 7"})
                other_s = time.perf_counter() - start
                assert reply.json()["result"] == 42
                still_running = not long_done.is_set()
            return health_s, other_s, still_running, status["long"]

    health_s, other_s, still_running, long_status = anyio.run(main)
    assert still_running
    assert health_s < 0.5 and other_s < 0.5
    assert long_status == 400  # the deadline ended it ...


def test_deadline_frees_the_session_for_the_next_run(app):
    async def main() -> tuple[int, object]:
        async with client_for(app) as client:
            sid = (await client.post("/v1/sessions")).json()["id"]
            results = {}

            async def go(name: str, source: str) -> None:
                results[name] = await client.post(f"/v1/sessions/{sid}/run",
                                                  json={"source": source})

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(go, "long", LONG_LOOP)
                await anyio.sleep(0.05)
                tasks.start_soon(go, "next", "i")  # waits its turn, then runs
            return results["long"].status_code, results["next"].json()["result"]

    long_status, i = anyio.run(main)
    assert long_status == 400
    assert i == 0  # the statement before the loop stays; the cut-off loop leaves nothing
