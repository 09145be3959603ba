# Sourced: pg_start DIR starts a throwaway PostgreSQL 15 owned by the
# postgres user (it refuses root), on 127.0.0.1 and a free port, with its
# socket inside DIR; sets PG_URL. pg_stop stops it.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

pg_start() {
  PG_DIR=$1
  mkdir -p "$PG_DIR"
  chown postgres: "$PG_DIR" "$(dirname "$PG_DIR")"
  chmod 0755 "$(dirname "$PG_DIR")"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres \
    --no-sync >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; return 1; }
  local port tries=0
  while :; do
    port=$(free_port)
    if runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
        -o "-h 127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c max_connections=200" start >/dev/null; then
      break
    fi
    tries=$((tries + 1))
    [ $tries -lt 5 ] || { cat "$PG_DIR/server.log"; return 1; }
  done
  PG_PORT=$port
  runuser -u postgres -- "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt \
    -c "CREATE ROLE custos LOGIN SUPERUSER" -c "CREATE DATABASE custos_test OWNER custos" >/dev/null
  PG_URL="postgres://custos@127.0.0.1:$port/custos_test"
  export PG_URL PG_PORT
  echo "postgres: $PG_URL" >&2
}

pg_stop() {
  [ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}
