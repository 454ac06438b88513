#!/usr/bin/env bash
# Runs the whole hub locally: every process of the Procfile (NATS, PostgreSQL, FerretDB, five services, the
# outbound mail sink, the gateway, the demo chain and the reference FAQ bot on the demo hotel) in the
# background, each with its full log in .run/logs/<process>.log and its pid in .run/pids/<process>.pid.
# The screen shows a short status (scripts/run_screen.py): each process up, the URLs and logins last, then
# one line per request or error. Ctrl+C or `make down` stops everything.
#
# Ports and the run folder can be moved (e.g. beside another stack): HUB_RUN_DIR, HUB_GATEWAY_PORT,
# HUB_<SERVICE>_PORT, HUB_INGEST_SMTP_PORT, HUB_NOTIFY_SMTP_PORT, HUB_FAQBOT_PORT, HUB_NATS_PORT,
# HUB_NATS_MONITOR_PORT, HUB_POSTGRES_PORT, HUB_FERRETDB_PORT, HUB_FERRETDB_DEBUG_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh run
export HUB_RUN_DIR="$(realpath -m "${HUB_RUN_DIR:-.run}")"
RUN="$HUB_RUN_DIR"
for pidfile in "$RUN"/pids/*.pid; do
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "The hub is already running ($pidfile); \`make down\` stops it." >&2
    exit 1
  fi
done
rm -rf "$RUN/pids" "$RUN/logs"
mkdir -p "$RUN/nats" "$RUN/ferretdb" "$RUN/logs" "$RUN/pids"

# The first admin of the local chain (created only while it has no agent); demo values, not secrets.
export HUB_INBOX_BOOTSTRAP_ADMIN_EMAIL="${HUB_INBOX_BOOTSTRAP_ADMIN_EMAIL:-admin@demo.hotel}"
export HUB_INBOX_BOOTSTRAP_ADMIN_PASSWORD="${HUB_INBOX_BOOTSTRAP_ADMIN_PASSWORD:-demo-admin-password}"
export HUB_INGEST_HOTEL_MAIL_DOMAIN="${HUB_INGEST_HOTEL_MAIL_DOMAIN:-hotels.localhost}"
# Notify sends to the `mail` process of the Procfile, which prints what it gets (nothing leaves the machine).
export HUB_NOTIFY_SMTP_HOST="${HUB_NOTIFY_SMTP_HOST:-127.0.0.1}"
export HUB_NOTIFY_SMTP_PORT="${HUB_NOTIFY_SMTP_PORT:-2526}"
export HUB_NATS_URL="${HUB_NATS_URL:-nats://127.0.0.1:${HUB_NATS_PORT:-4222}}"
export HUB_MONGO_URL="${HUB_MONGO_URL:-mongodb://127.0.0.1:${HUB_FERRETDB_PORT:-27017}}"
# Nothing balances load in front of a local process: stop at once, not after the readiness drain.
export HUB_SHUTDOWN_DELAY_SECONDS="${HUB_SHUTDOWN_DELAY_SECONDS:-0}"
export PYTHONUNBUFFERED=1
.venv/bin/python -m scripts.gateway "$RUN/nginx" "${HUB_GATEWAY_PORT:-8080}" >/dev/null

# Each process in a session of its own (setsid): `make down` stops it with its children, and Ctrl+C here
# reaches only this script, which then stops them in order (scripts/down.sh).
while IFS= read -r line; do
  [[ "$line" =~ ^([A-Za-z0-9_-]+):[[:space:]]*(.+)$ ]] || continue
  name="${BASH_REMATCH[1]}"
  setsid bash -c "exec ${BASH_REMATCH[2]}" >"$RUN/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/pids/$name.pid"
done <Procfile

trap 'bash scripts/down.sh' INT TERM
status=0
.venv/bin/python -m scripts.run_screen || status=$?
bash scripts/down.sh
[ "$status" -eq 130 ] && status=0  # Ctrl+C: stopped as asked
exit "$status"
