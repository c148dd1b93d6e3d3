"""``Client`` and ``Session``: the service's HTTP API in Python, values as NumPy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from autograd_client.errors import NotFound, problem_error
from autograd_client.values import decode, encode

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass
class RunResult:
    """What a run answered: ``value`` (the last expression's, decoded), ``repr`` (its text as
    PyTorch prints it, for a tensor), ``outputs`` and ``gradients`` by name, ``printed`` lines."""

    value: Any
    repr: str | None
    outputs: dict[str, Any] = field(default_factory=dict)
    gradients: dict[str, Any] = field(default_factory=dict)
    printed: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    """The run's warnings (``{"category", "message", "pointer", "line"}``), as Python would
    have written them to stderr."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_reply(cls, body: dict[str, Any]) -> RunResult:
        result = body.get("result")
        text = result.get("repr") if isinstance(result, dict) else None
        return cls(
            value=decode(result), repr=text,
            outputs={k: decode(v) for k, v in body.get("outputs", {}).items()},
            gradients={k: decode(v) for k, v in (body.get("gradients") or {}).items()},
            printed=list(body.get("printed", [])), stats=dict(body.get("stats", {})),
            warnings=list(body.get("warnings") or []), raw=body)


def _program(source_or_program: str | list[dict[str, Any]]) -> dict[str, Any]:
    if isinstance(source_or_program, str):
        return {"source": source_or_program}
    return {"program": source_or_program}


class Client:
    """A connection to the service: ``Client("http://127.0.0.1:8000", api_key="...")``.

    Arrays travel as base64 (exact, and fast for large ones) from ``base64_from`` elements on,
    in both directions; smaller ones as readable JSON lists."""

    def __init__(self, url: str = DEFAULT_URL, *, api_key: str | None = None,
                 timeout: float = 60.0, base64_from: int = 1024,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self.base64_from = base64_from
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout,
                                  transport=transport)

    # -- plumbing
    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; a problem reply raises its typed :class:`AutogradError`."""
        reply = self._http.request(method, path, **kwargs)
        if reply.is_error:
            try:
                body = reply.json()
            except ValueError:
                body = {"code": "error", "detail": reply.text or reply.reason_phrase}
            raise problem_error(reply.status_code, body)
        if reply.status_code == 204 or not reply.content:
            return None
        return reply.json()

    def inputs(self, inputs: dict[str, Any] | None) -> dict[str, Any]:
        return {name: encode(value, base64_from=self.base64_from)
                for name, value in (inputs or {}).items()}

    # -- the API
    def session(self, *, seed: int | None = None, device: str | None = None,
                ttl_s: float | None = None) -> Session:
        """A new session; use it as a context manager to end it on exit."""
        body = {k: v for k, v in {"seed": seed, "device": device, "ttl_s": ttl_s}.items()
                if v is not None}
        return Session(self, self.request("POST", "/v1/sessions", json=body))

    def evaluate(self, source_or_program: str | list[dict[str, Any]], *,
                 inputs: dict[str, Any] | None = None, outputs: list[str] | None = None,
                 gradients: list[str] | None = None) -> RunResult:
        """One stateless run; ``gradients`` names variables whose ``.grad`` comes back."""
        body = {**_program(source_or_program), "inputs": self.inputs(inputs),
                "outputs": list(outputs or []), "gradients": list(gradients or []),
                "encoding": "base64"}
        return RunResult.from_reply(self.request("POST", "/v1/evaluate", json=body))

    def compile(self, source: str) -> list[dict[str, Any]]:
        """The JSON form of ``source`` (or :class:`ProgramSyntaxError`)."""
        return self.request("POST", "/v1/compile", json={"source": source})["program"]

    def ops(self) -> list[dict[str, Any]]:
        return self.request("GET", "/v1/ops")["ops"]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Session:
    """A session: runs share its variables, like a notebook's cells share a kernel.

    ``s["x"]`` is a variable (a tensor as a NumPy array), ``s.grad("x")`` its ``.grad``,
    ``s["x"] = array`` binds one (``s.put("x", array, requires_grad=True)`` for a leaf that
    requires grad)."""

    def __init__(self, client: Client, info: dict[str, Any]) -> None:
        self.client = client
        self.info = info
        self.id: str = info["id"]
        self.device: str = info["device"]
        self._path = f"/v1/sessions/{self.id}"

    def run(self, source_or_program: str | list[dict[str, Any]], *,
            inputs: dict[str, Any] | None = None,
            outputs: list[str] | None = None) -> RunResult:
        body = {**_program(source_or_program), "inputs": self.client.inputs(inputs),
                "outputs": list(outputs or []), "encoding": "base64"}
        return RunResult.from_reply(self.client.request("POST", f"{self._path}/run", json=body))

    def _variable(self, name: str) -> dict[str, Any]:
        return self.client.request("GET", f"{self._path}/variables/{name}",
                                   params={"encoding": "base64"})

    def __getitem__(self, name: str) -> Any:
        return decode(self._variable(name)["value"])

    def grad(self, name: str) -> np.ndarray | None:
        """The variable's ``.grad`` (None when it has none)."""
        return decode(self._variable(name)["grad"])

    def put(self, name: str, value: Any, *, requires_grad: bool = False) -> None:
        body = encode(value, requires_grad=requires_grad, base64_from=self.client.base64_from)
        self.client.request("PUT", f"{self._path}/variables/{name}", json=body)

    def __setitem__(self, name: str, value: Any) -> None:
        self.put(name, value)

    def __delitem__(self, name: str) -> None:
        self.client.request("DELETE", f"{self._path}/variables/{name}")

    def variables(self) -> list[dict[str, Any]]:
        """Name, kind, shape, dtype, requires_grad (and grad_fn) of each variable."""
        return self.client.request("GET", self._path)["variables"]

    def __contains__(self, name: str) -> bool:
        return any(v["name"] == name for v in self.variables())

    def graph(self, name: str, *, format: str = "json") -> Any:
        """The autograd graph behind a tensor: JSON nodes and edges, or ``format="dot"``."""
        if format == "dot":
            reply = self.client._http.get(f"{self._path}/graph/{name}",
                                          params={"format": "dot"})
            if reply.is_error:
                raise problem_error(reply.status_code, reply.json())
            return reply.text
        return self.client.request("GET", f"{self._path}/graph/{name}")

    def delete(self) -> None:
        """Ends the session (its variables are freed)."""
        self.client.request("DELETE", self._path)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.delete()
        except NotFound:  # it had expired: already gone
            pass

    def __repr__(self) -> str:
        return f"<Session {self.id} on {self.device}>"
