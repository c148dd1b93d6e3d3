#!/usr/bin/env bash
# The scale compose in CI (called by .ci/docker-smoke.sh once its engine runs and the image is
# built; it reuses both): nginx and Redis stand-ins, three replicas of the one image, sessions
# through nginx, a replica killed with `docker kill` and every session continued with nothing
# lost, then a fourth replica added and only about 1/N of the sessions moving
# (tests/scale_check.py). Tears its project down again, also on failure.
#
# No registry is reachable here, so when nginx's and Redis's official images are not on the
# machine, one stand-in is built from Debian bookworm's packages (nginx-light, redis-server,
# curl) and tagged as both; the compose file uses nothing that differs between them.
#
# Environment: SCALE_PROJECT (compose project, default autograd-scale-ci), SCALE_KEEP=1 keeps
# it up afterwards. Needs: a running Docker engine with Compose v2, autograd-service:latest.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECT=${SCALE_PROJECT:-autograd-scale-ci}
NGINX_IMAGE=nginx:1.28-bookworm
REDIS_IMAGE=redis:7.2-bookworm
WORK=$(mktemp -d /tmp/autograd-docker-scale.XXXXXX)
COMPOSE=(docker compose -p "$PROJECT" -f docker-compose.scale.yml -f docker-compose.scale.ci.yml)
T0=$SECONDS

log() { printf '[docker-scale %4ds] %s\n' "$((SECONDS - T0))" "$*"; }
die() { log "FAILED: $*"; exit 1; }
bounded() { local limit=$1; shift; timeout --kill-after=10 "$limit" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    if [ "$rc" -ne 0 ]; then
        log "logs (last 40 lines each):"
        bounded 60 "${COMPOSE[@]}" --profile grow logs --no-color --tail 40 2>&1 | sed 's/^/    /'
    fi
    if [ -z "${SCALE_KEEP:-}" ]; then
        log "compose down"
        bounded 120 "${COMPOSE[@]}" --profile grow down --remove-orphans --volumes --timeout 10 \
            >/dev/null 2>&1
    fi
    rm -rf "$WORK"
    if [ "$rc" -eq 0 ]; then log "OK"; else log "failed (exit $rc)"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

docker image inspect autograd-service:latest >/dev/null 2>&1 \
    || die "autograd-service:latest is not built (.ci/docker-smoke.sh builds it)"

# ---- 1. the stand-ins ------------------------------------------------------------------------
missing=()
for image in "$NGINX_IMAGE" "$REDIS_IMAGE"; do
    docker image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
done
if [ "${#missing[@]}" -gt 0 ]; then
    command -v mmdebstrap >/dev/null 2>&1 || {
        bounded 600 apt-get install -y -qq --no-install-recommends mmdebstrap >"$WORK/apt.log" 2>&1 \
            || { tail -20 "$WORK/apt.log"; die "apt-get install mmdebstrap"; }
    }
    log "building a stand-in for ${missing[*]} from Debian packages (nginx-light, redis-server)"
    bounded 600 mmdebstrap --variant=apt --include=nginx-light,redis-server,curl,ca-certificates \
        --customize-hook='mkdir -p "$1/data"' \
        bookworm - 2>"$WORK/mmdebstrap.log" \
        | docker import \
            -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
            -c 'WORKDIR /data' - autograd-scale-standin:latest >/dev/null \
        || { tail -20 "$WORK/mmdebstrap.log"; die "building the stand-in"; }
    for image in "${missing[@]}"; do docker tag autograd-scale-standin:latest "$image"; done
fi
log "images: $NGINX_IMAGE, $REDIS_IMAGE, autograd-service:latest (every replica)"

# ---- 2. up -----------------------------------------------------------------------------------
SMOKE_PORT=$(free_port); SCALE_REDIS_PORT=$(free_port)
SCALE_PORT_1=$(free_port); SCALE_PORT_2=$(free_port); SCALE_PORT_3=$(free_port)
SCALE_PORT_4=$(free_port)
SCALE_DIR="$WORK/nginx"
mkdir -p "$SCALE_DIR"
printf '127.0.0.1:%s,127.0.0.1:%s,127.0.0.1:%s\n' "$SCALE_PORT_1" "$SCALE_PORT_2" \
    "$SCALE_PORT_3" >"$SCALE_DIR/upstreams"
export SMOKE_PORT SCALE_REDIS_PORT SCALE_PORT_1 SCALE_PORT_2 SCALE_PORT_3 SCALE_PORT_4 SCALE_DIR
bounded 120 "${COMPOSE[@]}" --profile grow down --remove-orphans --volumes --timeout 5 \
    >/dev/null 2>&1 || true
bounded 60 "${COMPOSE[@]}" config -q || die "docker-compose.scale.yml (+ CI override) is invalid"
log "compose up: redis, api-1..3, nginx on 127.0.0.1:$SMOKE_PORT"
bounded 300 "${COMPOSE[@]}" up -d --no-build --wait --wait-timeout 240 \
    redis api-1 api-2 api-3 nginx || die "compose up"
log "all healthy"

# ---- 3. the proof ----------------------------------------------------------------------------
bounded 600 python3 tests/scale_check.py --url "http://127.0.0.1:$SMOKE_PORT" \
    --replicas "api-1=$SCALE_PORT_1,api-2=$SCALE_PORT_2,api-3=$SCALE_PORT_3" \
    --add "api-4=$SCALE_PORT_4" --upstreams "$SCALE_DIR/upstreams" \
    --kill-command "docker kill \$(${COMPOSE[*]} ps -q {name})" \
    --add-command "${COMPOSE[*]} --profile grow up -d --no-build {name}" \
    --summary "$WORK/summary.json" || die "the scale check"
log "summary: $(tr -d '\n ' <"$WORK/summary.json")"
