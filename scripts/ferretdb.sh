#!/usr/bin/env bash
# FerretDB for the local stack (make up): on PostgreSQL by default (scripts/postgres.sh), or on
# SQLite files in .run/ferretdb with HUB_FERRETDB_BACKEND=sqlite. See the README for why.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run/ferretdb
if [ "${HUB_FERRETDB_BACKEND:-postgresql}" = "sqlite" ]; then
  BACKEND=(--handler=sqlite --sqlite-url=file:.run/ferretdb/)
else
  # Wait for scripts/postgres.sh, started beside this one.
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/${HUB_POSTGRES_PORT:-5433}") 2>/dev/null && break; sleep 0.2; done
  BACKEND=(--handler=postgresql "--postgresql-url=postgres://postgres@127.0.0.1:${HUB_POSTGRES_PORT:-5433}/postgres")
fi
exec .tools/bin/ferretdb "${BACKEND[@]}" --state-dir=.run/ferretdb --listen-addr=127.0.0.1:27017 \
  --debug-addr=- --telemetry=disable --log-level=warn
