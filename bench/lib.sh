# Sourced by the bench/*.sh scripts: temp dir and cleanup, free ports,
# waiting for a server, the nginx anchor, and one wrk measurement.
# Servers are pinned to core 0 and wrk to core 1, so each side gets a core.

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
BENCH_TMP=$(mktemp -d /tmp/custos-bench.XXXXXX)
BENCH_PIDS=()
bench_cleanup() {
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# wait_http [curl args…] URL: until it answers at all (any status).
wait_http() {
  for _ in $(seq 100); do curl -s -o /dev/null "$@" 2>/dev/null && return 0; sleep 0.05; done
  echo "not up: $*" >&2
  return 1
}

# start_nginx PORT BODY [NAME [DIRECTIVES]]: one worker, no access log,
# `return 200 BODY`, after DIRECTIVES (e.g. add_header lines) if given;
# NAME (default nginx) names its directory, for more than one.
start_nginx() {
  local port=$1 body=$2 d="$BENCH_TMP/${3:-nginx}" extra=${4:-}
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$port;
    location / { default_type application/json; $extra return 200 '$body'; }
  }
}
CONF
  taskset -c 0 "$NGINX" -p "$d" -c "$d/nginx.conf" &
  BENCH_PIDS+=($!)
}

# measure NAME URL [HEADER...]: wrk -t1 -c$CONNS -d$DURATION on core 1;
# prints one line and sets NAME_rps, NAME_p50, NAME_p99 (dashes become
# underscores).
measure() {
  local name=$1 url=$2 out="$BENCH_TMP/$1.wrk"
  shift 2
  local args=(-t1 -c"${CONNS:-50}" -d"${DURATION:-10s}" --latency)
  for h in "$@"; do [ -n "$h" ] && args+=(-H "$h"); done
  taskset -c 1 wrk "${args[@]}" "$url" >"$out"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  non2xx=$(awk '/Non-2xx/ {print $4}' "$out")
  printf '%-26s %12s req/s   p50 %-8s p99 %-8s non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
  printf -v "${name//-/_}_rps" '%s' "$rps"
  printf -v "${name//-/_}_p50" '%s' "$p50"
  printf -v "${name//-/_}_p99" '%s' "$p99"
}

# warm URL [HEADER...]: two seconds of load, discarded.
warm() {
  local url=$1
  shift
  local args=(-t1 -c"${CONNS:-50}" -d2s)
  for h in "$@"; do [ -n "$h" ] && args+=(-H "$h"); done
  taskset -c 1 wrk "${args[@]}" "$url" >/dev/null
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
