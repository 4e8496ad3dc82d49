#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server:
#   scripts/with-postgres.sh pytest -m db
# Installs Debian's postgresql package when missing, starts a private cluster on a free
# loopback port (trust auth, fsync off: it only ever holds test data), exports
# DATABASE_URL for the command, and removes the cluster afterwards whatever happens.
set -euo pipefail

find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && echo "$dir"
  done | sort -V | tail -n 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

PG_BIN="$(find_pg_bin || true)"
if [ -z "$PG_BIN" ]; then
  echo "with-postgres: PostgreSQL not found, installing Debian's postgresql package" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PG_BIN="$(find_pg_bin)"
fi

# PostgreSQL refuses to run as root: use the postgres account the package created.
run_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

CLUSTER_DIR="$(mktemp -d /tmp/bidwright-pg.XXXXXX)"
[ "$(id -u)" -eq 0 ] && chown postgres: "$CLUSTER_DIR"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

cleanup() {
  run_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$CLUSTER_DIR"
}
trap cleanup EXIT

run_pg "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U bidwright -A trust -E UTF8 --no-locale >/dev/null
run_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w \
  -o "-p $PORT -k $CLUSTER_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
run_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U bidwright bidwright

export DATABASE_URL="postgresql+psycopg://bidwright@127.0.0.1:$PORT/bidwright"
echo "with-postgres: $("$PG_BIN/postgres" --version) on $DATABASE_URL" >&2
"$@"
