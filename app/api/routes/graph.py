"""The autograd graph behind a variable."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response

import engine
from app.api.deps import OwnedSessionDep, RunnerDep
from app.api.responses import OrjsonResponse, OrjsonRoute
from app.core.errors import InvalidRequest, NotFound
from app.models.problems import error_responses
from app.models.runs import NAME_PATTERN
from app.models.sessions import Graph
from app.services.graph import build_graph, to_dot

router = APIRouter(prefix="/v1/sessions", tags=["variables"], route_class=OrjsonRoute)


@router.get(
    "/{session_id}/graph/{name}", response_model=Graph, summary="The autograd graph of a tensor",
    description="Nodes (`grad_fn` names, leaves by variable name, shapes) and edges from each "
                "node to the nodes its gradient flows to; `?format=dot` gives Graphviz DOT.",
    responses={200: {"content": {"text/vnd.graphviz": {"schema": {"type": "string"}}}},
               **error_responses(401, 404, 422)},
)
async def get_graph(
    session: OwnedSessionDep, runner: RunnerDep,
    name: Annotated[str, Path(pattern=NAME_PATTERN, max_length=128)],
    format: Annotated[Literal["json", "dot"], Query(description="json or dot")] = "json",
) -> Response:
    def walk(env: Any) -> dict[str, Any]:
        if name not in env.variables:
            raise NotFound(f"No variable {name!r} in this session.", variable=name)
        value = env.variables[name]
        if not isinstance(value, engine.Tensor):
            raise InvalidRequest(f"Variable {name!r} is not a tensor.", pointer="#")
        return build_graph(value, name, env.variables)

    graph = await runner.call(session, walk)
    if format == "dot":
        return PlainTextResponse(to_dot(graph, name), media_type="text/vnd.graphviz")
    return OrjsonResponse(graph)
