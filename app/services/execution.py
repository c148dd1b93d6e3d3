"""What a host does with a request: parse and validate the body, run, encode the reply.

Everything here runs inside a session host (``app.services.hosts.host``), never in the serving
process: bodies arrive as the client's bytes and are parsed here, so the serving process's event
loop never parses a big body, compiles or runs an op.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

import engine
from app.core.config import Settings
from app.core.errors import InvalidRequest, LimitExceeded, NotFound
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
from app.services.costs import RunMeter
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
        max_store_bytes=settings.max_store_bytes,
        max_store_files=settings.max_store_files,
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
        if _LONG_NUMBER.search(raw):  # orjson turns integers beyond 64 bits into floats
            return json.loads(bytes(raw), parse_constant=_no_constant)
        # a body over the inline size arrives as an mmap, which orjson does not read
        return orjson.loads(raw if isinstance(raw, (bytes, memoryview)) else bytes(raw))
    except (orjson.JSONDecodeError, json.JSONDecodeError) as exc:
        raise RequestValidationError([{
            "type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error",
            "input": {}, "ctx": {"error": exc.msg}}]) from None


_ADDRESS = re.compile(rb" at 0x([0-9a-fA-F]{6,16})\b")
_ADDRESS_KEY = secrets.token_bytes(16)


def hide_addresses(body: bytes) -> bytes:
    """Python's default reprs (``<... object at 0x7f3a...>``, PyTorch's hook handles too) show
    heap addresses; a reply carries a keyed stand-in instead (the same for the same object
    within a host, unrelated to where it lives)."""
    if b" at 0x" not in body:
        return body

    def stand_in(match: re.Match) -> bytes:
        digest = hashlib.blake2b(match.group(1), key=_ADDRESS_KEY, digest_size=6).hexdigest()
        return b" at 0x" + digest.encode()

    return _ADDRESS.sub(stand_in, body)


_LONG_NUMBER = re.compile(rb"[0-9]{19}")
"""A run of digits that may be an integer orjson cannot keep exact (2**63 has 19 digits)."""


def _no_constant(name: str) -> None:
    raise json.JSONDecodeError(f"unexpected {name}", name, 0)  # JSON has no NaN (as orjson)


def _located(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError(
        [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)])


PARSED_MAX = 64
PARSED_BODY_MAX = 16 * 1024
_parsed: OrderedDict[tuple[type, bool, bytes], BaseModel] = OrderedDict()
"""Bodies validated lately (the same program run again and again, as a training loop's runs
are): at most :data:`PARSED_MAX`, each at most :data:`PARSED_BODY_MAX` bytes, only those whose
model holds nothing but strings (no ``inputs``, no ``program``: nothing a run could change or
share between two runs), so validating the same bytes again would give an equal model."""


def parse_body(model: type[Model], raw: bytes | memoryview, is_json: bool = True) -> Model:
    """``raw`` validated as ``model``; failures are the 422 FastAPI would give for a body
    parameter of that model (the same ``errors``, located under ``body``)."""
    key = (model, is_json, raw) if type(raw) is bytes and len(raw) <= PARSED_BODY_MAX else None
    if key is not None:
        parsed = _parsed.get(key)
        if parsed is not None:
            _parsed.move_to_end(key)
            return parsed  # type: ignore[return-value]
    try:
        parsed = model.model_validate(_body(raw, is_json), from_attributes=True)
    except ValidationError as exc:
        raise _located(exc) from None
    if key is not None and not getattr(parsed, "inputs", None) and \
            getattr(parsed, "program", None) is None:
        _parsed[key] = parsed
        if len(_parsed) > PARSED_MAX:
            _parsed.popitem(last=False)
    return parsed


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


def perform(env: Environment, prepared: Prepared, limits: Limits, max_cost: float,
            cost_rate: float) -> RunResult:
    """Bind the inputs and run, every costly op metered: from here on the session may
    change."""
    env.variables.update(prepared.inputs)
    with engine.use_cost_meter(RunMeter(max_cost, cost_rate, limits.timeout_s)):
        return run_program(prepared.program, env, limits, source=prepared.request.source)


JSON_BYTES = {"float32": 16, "float64": 25, "float16": 11, "bfloat16": 16, "int64": 21,
              "int32": 12, "int16": 7, "int8": 5, "uint8": 4, "bool": 6}
"""The most characters one element of a tensor's ``data`` takes in JSON, its comma included."""
TENSOR_OVERHEAD = 512
"""A tensor's other members and a summarized repr."""


def reply_size(value: Any, encoding: str, stop: int, _depth: int = 0) -> int:
    """An upper estimate of ``value``'s size in a JSON reply, computed without encoding it (and
    without walking further once past ``stop``)."""
    if isinstance(value, engine.Tensor):
        numel = value.numel()
        if encoding == "base64":
            data = (numel * value.element_size() + 2) // 3 * 4
        else:
            data = numel * JSON_BYTES.get(value.dtype.name, 25) + 2 * max(1, numel)
        return data + TENSOR_OVERHEAD
    if isinstance(value, str):
        return 6 * len(value) + 2  # \uXXXX at worst
    if isinstance(value, (list, tuple)):
        total = 2
        for item in value:
            total += reply_size(item, encoding, stop, _depth + 1) + 1
            if total > stop or _depth > 64:
                break
        return total
    if isinstance(value, dict):
        total = 2
        for key, item in value.items():
            total += reply_size(str(key), encoding, stop) + \
                reply_size(item, encoding, stop, _depth + 1) + 2
            if total > stop or _depth > 64:
                break
        return total
    return 32 if isinstance(value, (int, float, bool)) or value is None else 256


def check_reply_size(size: int, limit: int, encoding: str, exact: bool = False) -> None:
    if size <= limit:
        return
    hint = (" Ask for fewer values, or read them in pieces." if encoding == "base64" else
            ' Send "encoding": "base64" (about a third of the size of JSON numbers), or ask '
            "for fewer values.")
    raise LimitExceeded(f"The reply would be {'' if exact else 'about '}{size} bytes, over the "
                        f"limit of {limit} (max_reply_bytes).{hint}", limit="max_reply_bytes",
                        value=limit)


def encode_reply(env: Environment, request: RunRequest, result: RunResult,
                 gradients: list[str] | None, max_reply_bytes: int = 1 << 62) -> bytes:
    """The reply's bytes: refused before encoding when its estimated size is over
    ``max_reply_bytes`` (so no huge reply is ever built), and checked again once built."""
    encoding = request.encoding
    values: list[Any] = [result.result, result.printed + [w["message"] for w in result.warnings]]
    values += [_variable(env, name, "outputs", i) for i, name in enumerate(request.outputs)]
    sized = values[:2] + [v.state_dict() if isinstance(v, engine.nn.Module) else v
                          for v in values[2:]]  # a module output is its state_dict
    grads = [getattr(_variable(env, name, "gradients", i), "grad", None)
             for i, name in enumerate(gradients or ())]
    check_reply_size(reply_size(sized + grads, encoding, max_reply_bytes), max_reply_bytes,
                     encoding)
    reply: dict[str, Any] = {
        "result": encode_value(result.result, encoding),
        "outputs": {name: encode_output(value, encoding)
                    for name, value in zip(request.outputs, values[2:])},
        "printed": result.printed,
        "stats": {"steps": result.steps, "elapsed_ms": round(result.elapsed_ms, 3)},
    }
    if result.warnings:
        reply["warnings"] = result.warnings
    if gradients is not None:
        reply["gradients"] = {name: encode_value(grad, encoding)
                              for name, grad in zip(gradients, grads)}
    body = hide_addresses(dumps(reply))
    check_reply_size(len(body), max_reply_bytes, encoding, exact=True)
    return body


def evaluate(raw: bytes | memoryview, settings: Settings, limits: Limits,
             is_json: bool = True) -> tuple[bytes, RunResult]:
    """A stateless run in a fresh environment."""
    request = parse_body(EvaluateRequest, raw, is_json)
    env = new_environment(settings.device, None)
    prepared = prepare(request, env, limits, settings.max_tensor_elements)
    result = perform(env, prepared, limits, settings.max_run_cost, settings.cost_rate)
    return encode_reply(env, request, result, request.gradients,
                        settings.max_reply_bytes), result


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


def variable_reply(name: str, value: Any, encoding: str, max_reply_bytes: int = 1 << 62) -> bytes:
    grad = getattr(value, "grad", None) if hasattr(value, "grad_fn") else None
    check_reply_size(reply_size([value, grad], encoding, max_reply_bytes), max_reply_bytes,
                     encoding)
    body = hide_addresses(dumps({"name": name, "value": encode_value(value, encoding),
                                 "grad": encode_value(grad, encoding)}))
    check_reply_size(len(body), max_reply_bytes, encoding, exact=True)
    return body


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
            info["grad_fn"] = None if value.grad_fn is None else \
                engine.autograd.display_name(value.grad_fn)
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
