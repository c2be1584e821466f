#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#   pg-cluster.sh start DIR           init + start a cluster in DIR, print its URL on stdout (only that)
#   pg-cluster.sh replica DIR URL     make DIR a streaming replica of the cluster at URL (made by
#                                     start), start it, print its URL
#   pg-cluster.sh restart DIR SECS    stop the cluster in DIR (fast), wait SECS, start it on its port
#   pg-cluster.sh stop DIR            stop it and remove DIR
# Superuser "varde", trust auth, listening on 127.0.0.1 on a free port, socket in DIR.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR | replica DIR URL | restart DIR SECS" >&2; exit 2; }
[ $# -ge 2 ] || usage
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

# Starts the cluster in $dir/data on a free port (retrying a port taken meanwhile), records the
# port in $dir/port and prints the URL.
start_on_free_port() {
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if start_server "$port"; then
      echo "$port" >"$dir/port"
      echo "postgres://varde@127.0.0.1:$port/postgres"
      return 0
    fi
    # pg_ctl can give up (timeout) while the server is still coming up.
    stop_server "$dir/data"
    grep -qE 'could not (bind|create any TCP/IP sockets)|already in use' "$dir/postgres.log" 2>/dev/null || break
    echo "pg-cluster: port $port taken, retrying (attempt $attempt)" >&2
  done
  cat "$dir/postgres.log" >&2 2>/dev/null || true
  echo "pg-cluster: could not start PostgreSQL in $dir" >&2
  return 1
}

start_server() { # $1 = port
  rm -f "$dir/postgres.log"
  as_pg "$(command -v pg_ctl)" start -s -w -t 60 -D "$dir/data" -l "$dir/postgres.log" \
    -o "-p $1 -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    >&2
}

new_dir() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  cd /  # the caller's cwd may be unreadable for the postgres user
}

case $cmd in
start)
  [ $# -eq 2 ] || usage
  new_dir
  initdb=$(command -v initdb) || { echo "pg-cluster: initdb not found" >&2; exit 1; }
  if ! as_pg "$initdb" -D "$dir/data" -A trust -U varde --no-locale -E UTF8 --no-sync \
      >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    echo "pg-cluster: initdb failed in $dir" >&2
    exit 1
  fi
  start_on_free_port
  ;;
replica)
  [ $# -eq 3 ] || usage
  new_dir
  # -R writes standby.signal and primary_conninfo: the copy follows the primary from then on.
  if ! as_pg "$(command -v pg_basebackup)" -d "$3" -D "$dir/data" -R -X stream --no-sync \
      >"$dir/basebackup.log" 2>&1; then
    cat "$dir/basebackup.log" >&2
    echo "pg-cluster: pg_basebackup failed in $dir" >&2
    exit 1
  fi
  start_on_free_port
  ;;
restart)
  [ $# -eq 3 ] || usage
  as_pg "$(command -v pg_ctl)" stop -s -D "$dir/data" -m fast -w -t 30 >&2
  sleep "$3"
  start_server "$(cat "$dir/port")"
  ;;
stop)
  [ -d "$dir" ] || exit 0
  if find "$dir" -mindepth 1 -maxdepth 1 ! -name data ! -name port ! -name '*.log' ! -name '.s.PGSQL.*' | grep -q .; then
    echo "pg-cluster: $dir holds more than a cluster; not removing it" >&2
    exit 1
  fi
  stop_server "$dir/data"
  rm -rf "$dir"
  ;;
*) usage ;;
esac
