"""``python -m app``: uvicorn with uvloop and httptools on AUTOGRAD_HOST:AUTOGRAD_PORT."""

import uvicorn

from app.core.config import get_settings

if __name__ == "__main__":
    settings = get_settings()
    uvicorn.run("app.main:app", host=settings.host, port=settings.port, loop="uvloop",
                http="httptools", log_level=settings.log_level)
