"""All routers, in matching order (the hot paths first: every request is matched in turn)."""

from fastapi import APIRouter

from app.api.routes import (
    compile,
    evaluate,
    graph,
    health,
    library,
    metrics,
    ops,
    runs,
    sessions,
    variables,
    web,
)

routers: list[APIRouter] = [
    module.router
    for module in (evaluate, runs, sessions, variables, graph, compile, ops, library, health,
                   metrics, web)
]
