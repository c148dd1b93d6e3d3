"""Liveness and readiness (open, no API key)."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request

from app.api.deps import SettingsDep, StoreDep
from app.api.responses import OrjsonRoute
from app.core.errors import ServerBusy
from app.models.problems import error_responses
from app.services.devices import check_device_computes

router = APIRouter(prefix="/v1/health", tags=["health"], route_class=OrjsonRoute)


@router.get("/live", summary="Liveness", description="The process is up and answering.")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="Readiness",
            description="Ready when a session host (the worker process that runs programs) has "
                        "started, so a request does not wait for one to; the default device "
                        "(AUTOGRAD_DEVICE) computes: a small forward and backward runs on it; the "
                        "session store answers (a shared one: AUTOGRAD_STATE_URL); and the service "
                        "is not shutting down (draining). `503 server_busy` with `Retry-After` "
                        "while the first host starts or while draining.",
            responses=error_responses(503))
async def ready(settings: SettingsDep, store: StoreDep, http: Request) -> dict[str, str]:
    pool = http.app.state.pool
    if pool.closing:
        raise ServerBusy("The service is shutting down (draining).", retry_after_s=2)
    if not await pool.warm_up():
        raise ServerBusy("The service is starting: its first worker process is not up yet.",
                         retry_after_s=1)
    device = await anyio.to_thread.run_sync(  # a small op: never on the event loop
        check_device_computes, settings.device, settings.allowed_devices)
    ping = getattr(store.store, "ping", None)
    if ping is not None:  # StoreUnavailable: 503
        await anyio.to_thread.run_sync(ping)
    return {"status": "ready", "device": device}
