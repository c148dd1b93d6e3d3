"""The ASGI application: ``uvicorn app.main:app``."""

from fastapi import FastAPI

app = FastAPI(title="autograd-service", version="0.1.0")


@app.get("/v1/health/live", tags=["health"])
async def live() -> dict[str, str]:
    """Liveness: the process is up and answering."""
    return {"status": "ok"}
