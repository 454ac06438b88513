#!/usr/bin/env bash
# Runs the whole hub locally under one supervisor (honcho): NATS, FerretDB, five services, gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
mkdir -p .run/nats .run/ferretdb
# The first admin of the local chain (created only while it has no agent); demo values, not secrets.
export HUB_INBOX_BOOTSTRAP_ADMIN_EMAIL="${HUB_INBOX_BOOTSTRAP_ADMIN_EMAIL:-admin@demo.hotel}"
export HUB_INBOX_BOOTSTRAP_ADMIN_PASSWORD="${HUB_INBOX_BOOTSTRAP_ADMIN_PASSWORD:-demo-admin-password}"
export HUB_INGEST_HOTEL_MAIL_DOMAIN="${HUB_INGEST_HOTEL_MAIL_DOMAIN:-hotels.localhost}"
# Notify sends to the `mail` process of the Procfile, which prints what it gets (nothing leaves the machine).
export HUB_NOTIFY_SMTP_HOST="${HUB_NOTIFY_SMTP_HOST:-127.0.0.1}"
export HUB_NOTIFY_SMTP_PORT="${HUB_NOTIFY_SMTP_PORT:-2526}"
.venv/bin/python -m scripts.gateway .run/nginx "${HUB_GATEWAY_PORT:-8080}" >/dev/null
cat <<MSG

  Hotel hub starting (Ctrl+C stops everything); the demo chain's logins are printed once it is up.
    console   http://127.0.0.1:${HUB_GATEWAY_PORT:-8080}/   (the agents' console; demo logins below)
    gateway   http://127.0.0.1:${HUB_GATEWAY_PORT:-8080}   (API under /api/v1, public ingest under /ingest)
    chat      http://127.0.0.1:${HUB_GATEWAY_PORT:-8080}/ingest/demo/paris-opera   (a hotel page with the widget)
    email     SMTP 127.0.0.1:2525, to <hotel id>@hotels.localhost; outbound mail is printed by \`mail\` (:2526)
    services  ingest :8001  inbox :8002  contacts :8003  notify :8004  solicit :8005  (each /readyz /metrics)
    NATS      nats://127.0.0.1:4222 (monitoring :8222)   FerretDB mongodb://127.0.0.1:27017 (data in .run/)

MSG
exec .venv/bin/honcho start -f Procfile
