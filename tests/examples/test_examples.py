"""Every script in examples/ runs against a real server, so that none of them can rot.

One uvicorn process on a free 127.0.0.1 port serves the whole module; each example runs as its
own process (`python examples/NAME.py --url ...`), exactly as a user would run it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live_server import wait_serving

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    port = _free_port()
    env = {
        "AUTOGRAD_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        **os.environ,
        "AUTOGRAD_API_KEYS": "",  # whatever a local .env says: these examples send no key
        "AUTOGRAD_DEVICE": "cpu",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_serving(proc, f"{url}/v1/health/live", "uvicorn")
        except RuntimeError as error:
            proc.kill()
            pytest.fail(f"{error}:\n{proc.stdout.read()}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def run_example(name: str, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--url", url, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "AUTOGRAD_API_KEY": "", "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, (
        f"{name} exited with {result.returncode}\n--- stdout\n{result.stdout}\n"
        f"--- stderr\n{result.stderr}"
    )
    return result


def test_every_example_is_tested():
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    tested = set(TEXT_EXAMPLES) | {"plot_sin.py"}
    assert scripts == tested


TEXT_EXAMPLES = {
    "seed_chapter.py": "All cells agree with the chapter.",
    "second_derivative.py": "d2y",
    "backward_twice.py": "Trying to backward through the graph a second time",
    "control_flow_vector.py": "grad can be implicitly created only for scalar outputs",
    "control_flow_redesign.py": "n = 13: gradient = n * x**(n-1)",
}


@pytest.mark.parametrize("name", sorted(TEXT_EXAMPLES))
def test_example(server_url, name):
    result = run_example(name, server_url)
    assert TEXT_EXAMPLES[name] in result.stdout, result.stdout


def test_plot_sin_writes_a_png(server_url, tmp_path):
    pytest.importorskip("matplotlib", reason="the plot example needs matplotlib (test extra)")
    out = tmp_path / "sin.png"
    result = run_example("plot_sin.py", server_url, "--out", str(out))
    assert "max |df/dx - cos(x)|" in result.stdout
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
