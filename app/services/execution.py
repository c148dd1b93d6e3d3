"""What a host does with a request: parse and validate the body, run, encode the reply.

Everything here runs inside a session host (``app.services.hosts.host``), never in the serving
process: bodies arrive as the client's bytes and are parsed here, so the serving process's event
loop never parses a big body, compiles or runs an op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

import engine
from app.core.config import Settings
from app.core.errors import InvalidRequest, NotFound
from app.lang import (
    Environment,
    Limits,
    ProgramError,
    RunResult,
    compile_source,
    parse_program,
    parse_source,
    run_program,
)
from app.models.runs import CompileRequest, EvaluateRequest, RunRequest
from app.models.values import WireValue
from app.services.graph import build_graph, short_repr, to_dot
from app.wire import decode_inputs, decode_value, dumps, encode_output, encode_value, kind_of

Model = TypeVar("Model", bound=BaseModel)
_WIRE_VALUE = TypeAdapter(WireValue)


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_steps=settings.max_steps,
        timeout_s=settings.run_timeout_s,
        max_tensor_elements=settings.max_tensor_elements,
        max_session_bytes=settings.max_session_bytes,
        max_recursion_depth=settings.max_recursion_depth,
        max_loop_iterations=settings.max_loop_iterations,
        max_program_nodes=settings.max_program_nodes,
        max_nesting_depth=settings.max_nesting_depth,
    )


def new_environment(device: str, seed: int | None) -> Environment:
    env = Environment(device=device)
    if seed is not None:
        env.generator.manual_seed(seed)
    return env


# ------------------------------------------------------------------ bodies

def _body(raw: bytes | memoryview, is_json: bool) -> Any:
    """What FastAPI would validate for a body: the parsed JSON for a JSON content type, the bytes
    for any other; a 422 for an empty body or JSON that does not parse, as FastAPI gives."""
    if not len(raw):
        raise RequestValidationError([{"type": "missing", "loc": ("body",),
                                       "msg": "Field required", "input": None}])
    if not is_json:
        return bytes(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestValidationError([{
            "type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error",
            "input": {}, "ctx": {"error": exc.msg}}]) from None


def _located(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError(
        [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)])


def parse_body(model: type[Model], raw: bytes | memoryview, is_json: bool = True) -> Model:
    """``raw`` validated as ``model``; failures are the 422 FastAPI would give for a body
    parameter of that model (the same ``errors``, located under ``body``)."""
    try:
        return model.model_validate(_body(raw, is_json), from_attributes=True)
    except ValidationError as exc:
        raise _located(exc) from None


def parse_value(raw: bytes | memoryview, is_json: bool = True) -> Any:
    try:
        return _WIRE_VALUE.validate_python(_body(raw, is_json), from_attributes=True)
    except ValidationError as exc:
        raise _located(exc) from None


# ------------------------------------------------------------------ runs

@dataclass
class Prepared:
    """A run checked and decoded, before anything in the session changed."""

    request: RunRequest
    program: Any
    inputs: dict[str, Any]


def prepare(request: RunRequest, env: Environment, limits: Limits,
            max_tensor_elements: int) -> Prepared:
    """Parse the program and decode the inputs: every failure here leaves the session as it
    was (nothing to log)."""
    if request.source is not None:
        program = parse_source(request.source, limits)
    else:
        program = parse_program(request.program, limits)
    inputs = decode_inputs(request.inputs, device=env.device, max_elements=max_tensor_elements)
    return Prepared(request, program, inputs)


def perform(env: Environment, prepared: Prepared, limits: Limits) -> RunResult:
    """Bind the inputs and run: from here on the session may change."""
    env.variables.update(prepared.inputs)
    return run_program(prepared.program, env, limits, source=prepared.request.source)


def encode_reply(env: Environment, request: RunRequest, result: RunResult,
                 gradients: list[str] | None) -> bytes:
    encoding = request.encoding
    reply: dict[str, Any] = {
        "result": encode_value(result.result, encoding),
        "outputs": {name: encode_output(_variable(env, name, "outputs", i), encoding)
                    for i, name in enumerate(request.outputs)},
        "printed": result.printed,
        "stats": {"steps": result.steps, "elapsed_ms": round(result.elapsed_ms, 3)},
    }
    if gradients is not None:
        reply["gradients"] = {
            name: encode_value(getattr(_variable(env, name, "gradients", i), "grad", None),
                               encoding)
            for i, name in enumerate(gradients)
        }
    return dumps(reply)


def evaluate(raw: bytes | memoryview, settings: Settings, limits: Limits,
             is_json: bool = True) -> tuple[bytes, RunResult]:
    """A stateless run in a fresh environment."""
    request = parse_body(EvaluateRequest, raw, is_json)
    env = new_environment(settings.device, None)
    prepared = prepare(request, env, limits, settings.max_tensor_elements)
    result = perform(env, prepared, limits)
    return encode_reply(env, request, result, request.gradients), result


def compile_program(raw: bytes | memoryview, limits: Limits, is_json: bool = True) -> bytes:
    request = parse_body(CompileRequest, raw, is_json)
    program = compile_source(request.source, limits)
    parse_program(program, limits)  # the size and depth limits a run would apply
    return dumps({"program": program})


def _variable(env: Environment, name: str, field: str, index: int) -> Any:
    try:
        return env.variables[name]
    except KeyError:
        raise ProgramError(f"name '{name}' is not defined",
                           location={"pointer": f"#/{field}/{index}"}) from None


# ------------------------------------------------------------------ variables and graphs

def lookup(env: Environment, name: str) -> Any:
    try:
        return env.variables[name]
    except KeyError:
        raise NotFound(f"No variable {name!r} in this session.", variable=name) from None


def variable_reply(name: str, value: Any, encoding: str) -> bytes:
    grad = getattr(value, "grad", None) if hasattr(value, "grad_fn") else None
    return dumps({"name": name, "value": encode_value(value, encoding),
                  "grad": encode_value(grad, encoding)})


def decode_variable(env: Environment, raw: bytes | memoryview, max_tensor_elements: int,
                    is_json: bool = True) -> Any:
    """A PUT body as the value to bind (nothing changes yet)."""
    return decode_value(parse_value(raw, is_json), device=env.device,
                        max_elements=max_tensor_elements, pointer="#")


def remove_variable(env: Environment, name: str) -> None:
    lookup(env, name)
    del env.variables[name]


def graph_reply(env: Environment, name: str, fmt: str) -> tuple[bytes, str]:
    value = lookup(env, name)
    if not isinstance(value, engine.Tensor):
        raise InvalidRequest(f"Variable {name!r} is not a tensor.", pointer="#")
    graph = build_graph(value, name, env.variables)
    if fmt == "dot":
        return to_dot(graph, name).encode(), "text/vnd.graphviz; charset=utf-8"
    return dumps(graph), "application/json"


def variables_info(env: Environment) -> list[dict[str, Any]]:
    infos = []
    for name, value in list(env.variables.items()):
        info: dict[str, Any] = {"name": name, "kind": kind_of(value)}
        if info["kind"] == "tensor":
            info["shape"], info["dtype"] = list(value.shape), value.dtype.name
            info["requires_grad"] = bool(value.requires_grad)
            info["grad_fn"] = value.grad_fn.name() if value.grad_fn is not None else None
            if value.is_leaf or getattr(value, "retains_grad", False):  # no warning
                info["grad"] = short_repr(value.grad)
        infos.append(info)
    return infos


def session_state(env: Environment, with_variables: bool) -> dict[str, Any]:
    """What ``GET /v1/sessions/{id}`` shows that only the host knows."""
    state: dict[str, Any] = {"memory_bytes": env.memory_bytes()}
    if with_variables:
        state["variables"] = variables_info(env)
    return state
