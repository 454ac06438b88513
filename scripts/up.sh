#!/usr/bin/env bash
# Runs the whole hub locally under one supervisor (honcho): NATS, FerretDB, five services, gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
mkdir -p .run/nats .run/ferretdb
.venv/bin/python -m scripts.gateway .run/nginx "${HUB_GATEWAY_PORT:-8080}" >/dev/null
cat <<MSG

  Hotel hub starting (Ctrl+C stops everything):
    gateway   http://127.0.0.1:${HUB_GATEWAY_PORT:-8080}/api/v1/conversations
    post a form:  curl -X POST http://127.0.0.1:${HUB_GATEWAY_PORT:-8080}/ingest/forms/paris-opera \\
                    -H 'Content-Type: application/json' \\
                    -d '{"name":"Anna","email":"anna@example.com","message":"Late check-in?"}'
    services  ingest :8001  inbox :8002  contacts :8003  notify :8004  solicit :8005  (each /readyz /metrics)
    NATS      nats://127.0.0.1:4222 (monitoring :8222)   FerretDB mongodb://127.0.0.1:27017 (data in .run/)

MSG
exec .venv/bin/honcho start -f Procfile
