#!/bin/sh
# The nginx container's entry point (docker-compose.scale.yml): renders the upstreams, starts
# nginx in the foreground, and re-renders them and reloads nginx (gracefully: requests in flight
# finish) whenever the set of replica addresses changes. POSIX sh, getent and sort only: runs in
# the official nginx image as it is.
#
#   AUTOGRAD_UPSTREAMS       replicas, "host:port" separated by commas or spaces (default
#                            api:8000); a name is resolved to every address it has (a compose
#                            service scaled to N containers has N), checked every
#                            AUTOGRAD_RESOLVE_S seconds (default 2)
#   AUTOGRAD_UPSTREAMS_FILE  a file with the same list, read instead when it exists (re-read
#                            as often: edit it to add or remove replicas by hand)
#   AUTOGRAD_NGINX_LISTEN    what nginx listens on (default 8080)
#   AUTOGRAD_NGINX_RUN_DIR   where the rendered configuration goes (default /tmp/autograd-nginx)
#   AUTOGRAD_FAIL_S          how long a replica that refused a connection is skipped (default 5)
set -eu

HERE=$(dirname "$0")
OUT=${AUTOGRAD_NGINX_RUN_DIR:-/tmp/autograd-nginx}
CONF="$OUT/nginx.conf"
EVERY=${AUTOGRAD_RESOLVE_S:-2}
FAIL_S=${AUTOGRAD_FAIL_S:-5}
mkdir -p "$OUT"
cp "$HERE/nginx.conf" "$HERE/proxy-headers.conf" "$OUT/"
echo "listen ${AUTOGRAD_NGINX_LISTEN:-8080};" > "$OUT/listen.conf"

wanted() {
    if [ -n "${AUTOGRAD_UPSTREAMS_FILE:-}" ] && [ -f "$AUTOGRAD_UPSTREAMS_FILE" ]; then
        cat "$AUTOGRAD_UPSTREAMS_FILE"
    else
        echo "${AUTOGRAD_UPSTREAMS:-api:8000}"
    fi
}

# One "address:port" a line, sorted: every address of every entry.
resolve() {
    for entry in $(wanted | tr ',' ' '); do
        host=${entry%:*}
        port=${entry##*:}
        case "$host" in
            *[!0-9.]*)
                getent ahostsv4 "$host" 2>/dev/null | while read -r ip _; do
                    echo "$ip:$port"
                done ;;
            *) echo "$host:$port" ;;
        esac
    done | sort -u
}

# upstream NAME BALANCER: one upstream block over $servers.
upstream() {
    echo "upstream $1 {"
    echo "    $2;"
    if [ -z "$servers" ]; then
        echo "    server 127.0.0.1:9 down;  # no replica resolves yet"
    fi
    for server in $servers; do
        echo "    server $server max_fails=1 fail_timeout=${FAIL_S}s;"
    done
    echo "    keepalive 64;"
    echo "}"
}

render() {
    {
        echo "# rendered by start.sh from: $(wanted | tr '\n' ' ')"
        upstream autograd_sessions 'hash $autograd_session_key consistent'
        upstream autograd_any least_conn
    } > "$OUT/upstreams.conf.new"
    mv "$OUT/upstreams.conf.new" "$OUT/upstreams.conf"
}

servers=$(resolve)
render
echo "start.sh: replicas: $(echo $servers)" >&2
nginx -p "$OUT" -c "$CONF" -e stderr -g 'daemon off;' &
nginx_pid=$!
trap 'kill -QUIT "$nginx_pid" 2>/dev/null; wait "$nginx_pid"; exit 0' TERM INT QUIT

while kill -0 "$nginx_pid" 2>/dev/null; do
    sleep "$EVERY" &
    wait $! || true
    latest=$(resolve)
    if [ "$latest" != "$servers" ]; then
        servers=$latest
        render
        echo "start.sh: replicas now: $(echo $servers); reloading" >&2
        nginx -p "$OUT" -c "$CONF" -e stderr -s reload || echo "start.sh: reload failed" >&2
    fi
done
wait "$nginx_pid"
