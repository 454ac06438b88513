#!/usr/bin/env bash
# PostgreSQL for the local stack (make up): the backend of FerretDB, data in .run/postgres.
# PostgreSQL refuses to run as root, so as root the cluster belongs to, and runs as, `postgres`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
DATA="$(realpath -m "${HUB_RUN_DIR:-.run}")/postgres"
PORT="${HUB_POSTGRES_PORT:-5433}"
AS=()
if [ "$(id -u)" -eq 0 ]; then AS=(runuser -u postgres --); fi
if [ ! -f "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DATA"; chmod 700 "$DATA"; fi
  "${AS[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
fi
# force_custom_plan: FerretDB's statements name their field as a parameter; planned with its value,
# they can use the GIN indexes of scripts/ferretdb_indexes.py.
exec "${AS[@]}" "$BIN/postgres" -D "$DATA" -p "$PORT" -h 127.0.0.1 -k "$DATA" -c plan_cache_mode=force_custom_plan
