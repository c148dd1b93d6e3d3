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
            description="Ready when the default device (AUTOGRAD_DEVICE) computes: a small forward "
                        "and backward runs on it; the session store answers (a shared one: "
                        "AUTOGRAD_STATE_URL); and the service is not shutting down (draining).",
            responses=error_responses(503))
async def ready(settings: SettingsDep, store: StoreDep, http: Request) -> dict[str, str]:
    if http.app.state.pool.closing:
        raise ServerBusy("The service is shutting down (draining).", retry_after_s=2)
    device = check_device_computes(settings.device, settings.allowed_devices)
    ping = getattr(store.store, "ping", None)
    if ping is not None:  # StoreUnavailable: 503
        await anyio.to_thread.run_sync(ping)
    return {"status": "ready", "device": device}
