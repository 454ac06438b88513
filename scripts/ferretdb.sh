#!/usr/bin/env bash
# FerretDB for the local stack (make up): on PostgreSQL by default (scripts/postgres.sh), or on
# SQLite files in .run/ferretdb with HUB_FERRETDB_BACKEND=sqlite. See the README for why.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="${HUB_RUN_DIR:-.run}"
mkdir -p "$RUN/ferretdb"
if [ "${HUB_FERRETDB_BACKEND:-postgresql}" = "sqlite" ]; then
  BACKEND=(--handler=sqlite "--sqlite-url=file:$RUN/ferretdb/")
else
  # Wait for scripts/postgres.sh, started beside this one.
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/${HUB_POSTGRES_PORT:-5433}") 2>/dev/null && break; sleep 0.2; done
  BACKEND=(--handler=postgresql "--postgresql-url=postgres://postgres@127.0.0.1:${HUB_POSTGRES_PORT:-5433}/postgres")
fi
exec .tools/bin/ferretdb "${BACKEND[@]}" "--state-dir=$RUN/ferretdb" "--listen-addr=127.0.0.1:${HUB_FERRETDB_PORT:-27017}" \
  --debug-addr="127.0.0.1:${HUB_FERRETDB_DEBUG_PORT:-8088}" --telemetry=disable --log-level=warn
