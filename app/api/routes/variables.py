"""A session's variables, one by one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.api.deps import OwnedSessionDep, RunnerDep
from app.api.responses import OrjsonRoute, forwarded_body
from app.models.problems import error_responses
from app.models.runs import NAME_PATTERN
from app.models.sessions import VariableValue
from app.models.values import Encoding, WireValue
from app.services.runner import read_body, to_response

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


@router.put("/{session_id}/variables/{name}", response_model=VariableValue,
            summary="Bind a variable",
            description="Binds `name` to the tensor (or other value) in the body; a tensor may "
                        "carry `requires_grad: true`. Replaces any earlier value, except that an "
                        "object of tensors sent to a variable holding a module is loaded into it "
                        "(`load_state_dict`): a `state_dict` from a run's `outputs` goes back.",
            responses=error_responses(400, 401, 404, 413, 422, 503, only={503: ["server_busy"]}),
            openapi_extra=forwarded_body(WireValue, examples=VALUE_EXAMPLES, name="value"))
async def put_variable(session: OwnedSessionDep, runner: RunnerDep, name: VariableName,
                       http: Request) -> Response:
    reply, payload = await runner.on_session(session, "put", http, await read_body(http),
                                             name=name)
    return to_response(reply, payload)


@router.get("/{session_id}/variables/{name}", response_model=VariableValue,
            summary="Read a variable",
            description="Its value; for a tensor also its `grad` (a tensor or null).",
            responses=error_responses(401, 404, 503, only={503: ["server_busy"]}))
async def get_variable(
    session: OwnedSessionDep, runner: RunnerDep, name: VariableName, http: Request,
    encoding: Annotated[Encoding, Query(description="How tensors carry their data.")] = "json",
) -> Response:
    reply, payload = await runner.on_session(session, "get", http, name=name, encoding=encoding)
    return to_response(reply, payload)


@router.delete("/{session_id}/variables/{name}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove a variable",
               responses=error_responses(401, 404, 503, only={503: ["server_busy"]}))
async def delete_variable(session: OwnedSessionDep, runner: RunnerDep, name: VariableName,
                          http: Request) -> Response:
    reply, payload = await runner.on_session(session, "delete", http, name=name)
    if reply["status"] == 200:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return to_response(reply, payload)
