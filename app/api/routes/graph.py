"""The autograd graph behind a variable."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.api.deps import OwnedSessionDep, RunnerDep
from app.api.responses import OrjsonRoute
from app.models.problems import error_responses
from app.models.runs import NAME_PATTERN
from app.models.sessions import Graph
from app.services.runner import to_response

router = APIRouter(prefix="/v1/sessions", tags=["variables"], route_class=OrjsonRoute)


@router.get(
    "/{session_id}/graph/{name}", response_model=Graph, summary="The autograd graph of a tensor",
    description="Nodes (`grad_fn` names, leaves by variable name, shapes) and edges from each "
                "node to the nodes its gradient flows to; `?format=dot` gives Graphviz DOT.",
    responses={200: {"content": {"text/vnd.graphviz": {"schema": {"type": "string"}}}},
               **error_responses(401, 404, 422, 503, only={503: ["server_busy"]})},
)
async def get_graph(
    session: OwnedSessionDep, runner: RunnerDep, http: Request,
    name: Annotated[str, Path(pattern=NAME_PATTERN, max_length=128)],
    format: Annotated[Literal["json", "dot"], Query(description="json or dot")] = "json",
) -> Response:
    reply, payload = await runner.on_session(session, "graph", http, name=name, format=format)
    return to_response(reply, payload)
