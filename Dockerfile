# autograd-service image.
#
#   docker build -t autograd-service .                                # CPU (NumPy), the default
#   docker build --build-arg VARIANT=cuda -t autograd-service:cuda .  # NVIDIA GPU (CuPy)
#   docker run --rm -p 8000:8000 autograd-service
#
# VARIANT=cuda installs the project's `cuda` extra (CuPy) plus the CUDA runtime libraries CuPy
# needs, as PyPI wheels (CuPy's `ctk` extra), so the base stays python:3.11-slim; the image is
# about 2.3 GB instead of about 250 MB. The host needs only an NVIDIA driver recent enough for
# that CUDA major version (CUDA 13: driver 580 or newer) and the NVIDIA Container Toolkit
# (`docker run --gpus all ...`, or the `gpu` profile of docker-compose.yml). That image's
# sessions default to AUTOGRAD_DEVICE=cuda; where no GPU works, the service refuses to start with
# one line saying why (run it with -e AUTOGRAD_DEVICE=cpu to use it on the CPU).
#
# The image runs exactly one serving process (`python -m app`, which never forks uvicorn
# workers; it starts its own session hosts): scale out with more containers behind nginx and a
# shared Redis store (docker-compose.scale.yml; README, "Scale out").

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: a self-contained virtual environment in /opt/venv --------------------------------
FROM ${PYTHON_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies first, from pyproject.toml alone (stub packages, removed again with their build
# directory, whose older-looking files setuptools would otherwise keep), so that editing the code
# does not reinstall NumPy and friends on the next build.
COPY pyproject.toml requirements.lock ./
ARG VARIANT=cpu
# Versions come from requirements.lock (`make lock`), the ones CI tested. For cuda, the
# CuPy package that the `cuda` extra picked is completed with its `ctk` extra: the CUDA runtime
# libraries as wheels, so no CUDA base image is needed.
# hadolint ignore=DL3013
RUN mkdir -p engine app client \
    && touch README.md engine/__init__.py app/__init__.py \
    && case "$VARIANT" in \
         cpu) pip install -c requirements.lock . ;; \
         cuda) pip install -c requirements.lock ".[cuda]" \
               && cupy=$(pip freeze | grep -i '^cupy-cuda') \
               && pip install "${cupy%%==*}[ctk]==${cupy##*==}" ;; \
         *) echo "VARIANT must be cpu or cuda, not '$VARIANT'" >&2; exit 1 ;; \
       esac \
    && pip uninstall -y autograd-service \
    && rm -rf build ./*.egg-info engine app client README.md

# Then the project itself, without touching the dependencies installed above.
COPY README.md ./
COPY engine ./engine
COPY app ./app
COPY client ./client
RUN pip install --no-deps . \
    && pip uninstall -y pip setuptools

# ---- runtime ----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG VARIANT=cpu
LABEL org.opencontainers.image.title="autograd-service" \
      org.opencontainers.image.description="Reverse-mode automatic differentiation as a web service" \
      org.opencontainers.image.licenses="MIT" \
      io.autograd-service.variant="${VARIANT}"

# A real home: CuPy keeps its compiled kernels in ~/.cupy (CUPY_CACHE_DIR to move them).
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/autograd \
        --shell /usr/sbin/nologin autograd \
    && mkdir -p /data/state && chown 10001:10001 /data/state
COPY --from=build /opt/venv /opt/venv

# AUTOGRAD_*: the service's settings (README.md lists them all); pass more with -e / environment.
# AUTOGRAD_HOST/AUTOGRAD_PORT: where `python -m app` listens; 0.0.0.0 so that -p can reach it.
# AUTOGRAD_STATE_DIR: the durable session store (SQLite); mount a volume there to keep sessions.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    AUTOGRAD_HOST=0.0.0.0 \
    AUTOGRAD_PORT=8000 \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    AUTOGRAD_DEVICE=${VARIANT} \
    AUTOGRAD_STATE_DIR=/data/state

USER 10001:10001
WORKDIR /srv/autograd-service
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/v1/health/live' % os.environ.get('AUTOGRAD_PORT', '8000'), timeout=4)"]

CMD ["python", "-m", "app"]
