#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#   pg-cluster.sh start DIR   init + start a cluster in DIR, print its URL on stdout (only that)
#   pg-cluster.sh stop DIR    stop it and remove DIR
# Superuser "varde", trust auth, listening on 127.0.0.1 on a free port, socket in DIR.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

PATH="$PATH:/usr/sbin:/sbin"  # runuser
if ! command -v initdb >/dev/null 2>&1; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$pgbin" ] && PATH="$pgbin:$PATH"
fi

# initdb and postgres refuse to run as root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_server() { # $1 = data dir; never fails
  [ -f "$1/postmaster.pid" ] || return 0
  as_pg "$(command -v pg_ctl)" stop -s -D "$1" -m immediate -w -t 30 >/dev/null 2>&1 && return 0
  local pid
  pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null || true)
  # Only kill it if that pid is still a postgres (the pid file may be stale).
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

free_port() { # ask the kernel for one; a random high port if python3 is unavailable
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
    2>/dev/null || echo $((20000 + RANDOM % 40000))
}

case $cmd in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  cd /  # the caller's cwd may be unreadable for the postgres user
  data=$dir/data
  initdb=$(command -v initdb) || { echo "pg-cluster: initdb not found" >&2; exit 1; }
  pg_ctl=$(command -v pg_ctl)
  if ! as_pg "$initdb" -D "$data" -A trust -U varde --no-locale -E UTF8 --no-sync \
      >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    echo "pg-cluster: initdb failed in $dir" >&2
    exit 1
  fi
  # The port can be taken between picking and binding; retry only that failure.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    rm -f "$dir/postgres.log"
    if as_pg "$pg_ctl" start -s -w -t 60 -D "$data" -l "$dir/postgres.log" \
        -o "-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        >&2; then
      echo "postgres://varde@127.0.0.1:$port/postgres"
      exit 0
    fi
    # pg_ctl can give up (timeout) while the server is still coming up.
    stop_server "$data"
    grep -qE 'could not (bind|create any TCP/IP sockets)|already in use' "$dir/postgres.log" 2>/dev/null || break
    echo "pg-cluster: port $port taken, retrying (attempt $attempt)" >&2
  done
  cat "$dir/postgres.log" >&2 2>/dev/null || true
  echo "pg-cluster: could not start PostgreSQL in $dir" >&2
  exit 1
  ;;
stop)
  [ -d "$dir" ] || exit 0
  if find "$dir" -mindepth 1 -maxdepth 1 ! -name data ! -name '*.log' ! -name '.s.PGSQL.*' | grep -q .; then
    echo "pg-cluster: $dir holds more than a cluster; not removing it" >&2
    exit 1
  fi
  stop_server "$dir/data"
  rm -rf "$dir"
  ;;
*) usage ;;
esac
