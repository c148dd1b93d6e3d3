"""A session's variables, one by one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response, status

from app.api.deps import OwnedSessionDep, RunnerDep, SettingsDep
from app.api.responses import OrjsonRoute, RawJSONResponse
from app.core.errors import NotFound
from app.models.problems import error_responses
from app.models.runs import NAME_PATTERN
from app.models.sessions import VariableValue
from app.models.values import Encoding, WireValue
from app.wire import decode_value, dumps, encode_value

router = APIRouter(prefix="/v1/sessions", tags=["variables"], route_class=OrjsonRoute)

VariableName = Annotated[str, Path(pattern=NAME_PATTERN, max_length=128,
                                   description="A variable name.")]

VALUE_EXAMPLES = {
    "tensor": {"summary": "A tensor that requires grad",
               "value": {"type": "tensor", "dtype": "float32", "data": [0.0, 1.0, 2.0, 3.0],
                         "requires_grad": True}},
    "flat": {"summary": "Flat data with a shape",
             "value": {"type": "tensor", "dtype": "float64", "shape": [2, 2],
                       "data": [1, 2, 3, "NaN"]}},
    "oip": {"summary": "An Open Inference Protocol tensor",
            "value": {"name": "w", "shape": [2], "datatype": "FP32", "data": [0.5, -1]}},
    "number": {"summary": "Any other JSON value", "value": 0.01},
}


def _lookup(env: Any, name: str) -> Any:
    try:
        return env.variables[name]
    except KeyError:
        raise NotFound(f"No variable {name!r} in this session.", variable=name) from None


def _reply(name: str, value: Any, encoding: str) -> bytes:
    grad = getattr(value, "grad", None) if hasattr(value, "grad_fn") else None
    return dumps({"name": name, "value": encode_value(value, encoding),
                  "grad": encode_value(grad, encoding)})


@router.put("/{session_id}/variables/{name}", response_model=VariableValue,
            summary="Bind a variable",
            description="Binds `name` to the tensor (or other value) in the body; a tensor may "
                        "carry `requires_grad: true`. Replaces any earlier value.",
            responses=error_responses(400, 401, 404, 413, 422))
async def put_variable(
    session: OwnedSessionDep, runner: RunnerDep, settings: SettingsDep, name: VariableName,
    value: Annotated[WireValue, Body(openapi_examples=VALUE_EXAMPLES)],
) -> RawJSONResponse:
    def bind(env: Any) -> bytes:
        decoded = decode_value(value, device=env.device,
                               max_elements=settings.max_tensor_elements, pointer="#")
        env.variables[name] = decoded
        return _reply(name, decoded, "json")

    return RawJSONResponse(await runner.call(session, bind))


@router.get("/{session_id}/variables/{name}", response_model=VariableValue,
            summary="Read a variable",
            description="Its value; for a tensor also its `grad` (a tensor or null).",
            responses=error_responses(401, 404))
async def get_variable(
    session: OwnedSessionDep, runner: RunnerDep, name: VariableName,
    encoding: Annotated[Encoding, Query(description="How tensors carry their data.")] = "json",
) -> RawJSONResponse:
    return RawJSONResponse(
        await runner.call(session, lambda env: _reply(name, _lookup(env, name), encoding)))


@router.delete("/{session_id}/variables/{name}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove a variable", responses=error_responses(401, 404))
async def delete_variable(session: OwnedSessionDep, runner: RunnerDep,
                          name: VariableName) -> Response:
    def remove(env: Any) -> None:
        _lookup(env, name)
        del env.variables[name]

    await runner.call(session, remove)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
