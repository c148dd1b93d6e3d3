"""All routers, gathered."""

from fastapi import APIRouter

from app.api.routes import (
    compile,
    evaluate,
    graph,
    health,
    metrics,
    ops,
    runs,
    sessions,
    variables,
)

api_router = APIRouter()
for module in (sessions, runs, variables, graph, evaluate, compile, ops, health, metrics):
    api_router.include_router(module.router)
