"""``python -m app``: uvicorn with uvloop and httptools on AUTOGRAD_HOST:AUTOGRAD_PORT, with the
connection limits of ``app.core.connections``, graceful draining on SIGTERM/SIGINT, and the
access log on or off (``AUTOGRAD_ACCESS_LOG``)."""

import uvicorn

from app.core.config import get_settings
from app.core.connections import GuardedHttpToolsProtocol, configure

if __name__ == "__main__":
    settings = get_settings()
    configure(settings)
    uvicorn.run("app.main:app", host=settings.host, port=settings.port, loop="uvloop",
                http=GuardedHttpToolsProtocol, log_level=settings.log_level,
                access_log=settings.access_log,
                timeout_keep_alive=settings.idle_timeout_s,
                timeout_graceful_shutdown=settings.shutdown_grace_s)
