#!/usr/bin/env bash
# The test command: bash tests/run.sh [args passed to cargo nextest run / cargo test]
# Starts a throwaway PostgreSQL cluster (removed afterwards), exports VARDE_TEST_POSTGRES_URL
# and runs the whole suite against it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v initdb >/dev/null 2>&1; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$pgbin" ] && export PATH="$pgbin:$PATH"
fi

# Node test tools: the GraphQL-over-HTTP audit, the OpenID provider for the login tests,
# playwright-core, which drives Debian's Chromium (.ci/run installs it) through GraphiQL, and
# Apollo Client for the third-party client test.
for tool in tests/graphql-http-audit tests/oidc-provider tests/browser tests/clients; do
  if [ ! -d "$tool/node_modules" ]; then
    (cd "$tool" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
done
# Python's gql for the third-party client test, in tests/clients/.venv (made again when
# requirements.txt changes).
venv=tests/clients/.venv
if ! cmp -s tests/clients/requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/clients/requirements.txt >&2
  cp tests/clients/requirements.txt "$venv/requirements.txt"
fi

# The test build first: its varde binary seeds the templates below, and nextest then finds
# everything built.
cargo test --no-run >&2

pgdir=$(mktemp -d "${TMPDIR:-/tmp}/varde-pg.XXXXXX")
templates=$(mktemp -d "${TMPDIR:-/tmp}/varde-templates.XXXXXX")
trap 'bash tests/pg-cluster.sh stop "$pgdir" || true; rm -rf "$templates"' EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$pgdir"
VARDE_TEST_POSTGRES_URL=$(bash tests/pg-cluster.sh start "$pgdir")
export VARDE_TEST_POSTGRES_URL
echo "run.sh: PostgreSQL at $VARDE_TEST_POSTGRES_URL" >&2

# The demo seeds, loaded once into a template database per backend; each test that starts Varde
# on seeded data copies one (tests/api/helpers.rs, seeded_database) instead of seeding again.
psql -X -q -d "$VARDE_TEST_POSTGRES_URL" -c "CREATE DATABASE varde_template" >&2
target/debug/varde --database-url "${VARDE_TEST_POSTGRES_URL%/*}/varde_template" seed >&2
target/debug/varde --database-url "sqlite:$templates/varde.db" seed >&2
export VARDE_TEST_POSTGRES_TEMPLATE=varde_template
export VARDE_TEST_SQLITE_TEMPLATE="$templates/varde.db"

status=0
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast "$@" || status=$?
else
  cargo test --no-fail-fast "$@" || status=$?
fi
exit "$status"
