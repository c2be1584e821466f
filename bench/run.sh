#!/usr/bin/env bash
# Issue 15's benchmark: bash bench/run.sh [--smoke]   (see BENCHMARKS.md)
#
# Builds Varde (release), installs oha from crates.io into bench/.tools and PostGraphile from npm
# into bench/postgraphile/node_modules, starts a throwaway PostgreSQL cluster (tests/pg-cluster.sh),
# and runs bench/bench.py: generate the data into PostgreSQL and SQLite, check every system's
# answers against the floor's, then measure. --smoke: tiny data, a second per cell, 1 and 4
# clients, no PostGraphile, debug build; it checks that everything answers correctly and asserts
# no timing (CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=false
args=()
[ "${1:-}" = --smoke ] && smoke=true

PATH="$PATH:/usr/sbin:/sbin"  # runuser
if ! command -v initdb >/dev/null 2>&1; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$pgbin" ] && export PATH="$pgbin:$PATH"
fi

if $smoke; then
  # No oha in CI (building it costs minutes): bench.py's stdlib stand-in sends the load.
  # The binary the test build made: a plain `cargo build` leaves out the dev-dependencies'
  # features and so compiles much of the tree again (minutes in CI).
  cargo test --no-run >&2
  varde=target/debug/varde
  args=(--scale smoke --duration 1 --clients 1,4 --varde-port 28171 --import-rows 2000,10000)
else
  OHA_VERSION=1.16.0
  if [ ! -x bench/.tools/bin/oha ] || ! bench/.tools/bin/oha --version | grep -q "$OHA_VERSION"; then
    cargo install oha --version "$OHA_VERSION" --locked --root bench/.tools >&2
  fi
  args+=(--oha "$PWD/bench/.tools/bin/oha")
  cargo build --release >&2
  varde=target/release/varde
  (cd bench/postgraphile && npm ci --no-audit --no-fund --loglevel=error) >&2
  args+=(--scale national --duration "${BENCH_SECONDS:-10}" --clients 1,16,64
        --peer-dir "$PWD/bench/postgraphile" --out "$PWD/bench/last-run.md")
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/varde-bench.XXXXXX")
trap 'bash tests/pg-cluster.sh stop "$work/pg" || true; rm -rf "$work"' EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
pg_url=$(bash tests/pg-cluster.sh start "$work/pg")
echo "bench: PostgreSQL at $pg_url" >&2

python3 bench/bench.py --varde "$PWD/$varde" \
  --pg-url "$pg_url" --sqlite "$work/varde.db" --work "$work" "${args[@]}"
