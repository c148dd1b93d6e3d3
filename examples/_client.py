"""What every example shares: where the service is, a session, and how values are shown.

Only httpx is needed (it comes with the service's own dependencies). The examples talk plain
HTTP + JSON, so each call here maps one to one onto the curl calls in the README.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import httpx


def parse_args(description: str, configure=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", default=os.environ.get("AUTOGRAD_URL", "http://127.0.0.1:8000"),
                        help="base URL of the service (default: $AUTOGRAD_URL or %(default)s)")
    parser.add_argument("--api-key", default=os.environ.get("AUTOGRAD_API_KEY"),
                        help="API key, when the service wants one (default: $AUTOGRAD_API_KEY)")
    if configure is not None:
        configure(parser)
    return parser.parse_args()


def connect(args: argparse.Namespace) -> httpx.Client:
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    return httpx.Client(base_url=args.url, headers=headers, timeout=60.0)


class ServiceError(Exception):
    """An error reply: an RFC 9457 problem with a stable ``code``."""

    def __init__(self, status: int, problem: dict[str, Any]):
        self.status = status
        self.problem = problem
        super().__init__(f"{status} {problem.get('code')}: {problem.get('detail')}")


def check(reply: httpx.Response, expected: int = 200) -> Any:
    if reply.status_code != expected:
        try:
            problem = reply.json()
        except ValueError:
            problem = {"detail": reply.text}
        raise ServiceError(reply.status_code, problem)
    return reply.json() if reply.content else None


class Session:
    """A server-side session: like a notebook kernel, what one run defines the next one sees."""

    def __init__(self, client: httpx.Client, **options: Any):
        self.client = client
        info = check(client.post("/v1/sessions", json=options), 201)
        self.id = info["id"]
        self.url = f"/v1/sessions/{self.id}"

    def run(self, source: str, **body: Any) -> dict[str, Any]:
        """Runs one cell; the reply has ``result``, ``outputs``, ``printed`` and ``stats``."""
        return check(self.client.post(f"{self.url}/run", json={"source": source, **body}))

    def variable(self, name: str) -> dict[str, Any]:
        return check(self.client.get(f"{self.url}/variables/{name}"))

    def graph(self, name: str) -> dict[str, Any]:
        return check(self.client.get(f"{self.url}/graph/{name}"))

    def close(self) -> None:
        check(self.client.delete(self.url), 204)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def show(value: Any) -> str | None:
    """What a notebook would print for a cell's value (``None`` prints nothing)."""
    if value is None:
        return None
    if isinstance(value, dict) and value.get("type") == "tensor":
        return value["repr"]
    if isinstance(value, list):
        return "(" + ", ".join(show(v) or "None" for v in value) + ")"
    return repr(value)


def cell(session: Session, number: int, source: str, **body: Any) -> dict[str, Any]:
    """Runs a cell and prints it the way the seed chapter shows it."""
    print(f"In [{number}]:")
    for line in source.splitlines():
        print(f"    {line}")
    reply = session.run(source, **body)
    for line in reply["printed"]:
        print(line)
    text = show(reply["result"])
    if text is not None:
        print(f"Out[{number}]: {text}")
    print()
    return reply


def fail(message: str) -> None:
    print(f"MISMATCH: {message}", file=sys.stderr)
    raise SystemExit(1)


def run(main) -> None:
    """Runs an example's main(), turning service errors into one readable message."""
    try:
        main()
    except ServiceError as err:
        print(f"the service answered {err.status}: {err.problem}", file=sys.stderr)
        raise SystemExit(1) from None
    except httpx.TransportError as err:
        print(f"cannot reach the service ({err}); start it with `make run` or "
              "`docker compose up -d`, or pass --url", file=sys.stderr)
        raise SystemExit(2) from None
