#!/usr/bin/env bash
# Stops what `make up` (scripts/up.sh) started: each process of .run/pids with its children (SIGTERM, then
# SIGKILL after 20 s). Data (.run/postgres, .run/nats) and logs (.run/logs) stay; `make clean` removes them.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="$(realpath -m "${HUB_RUN_DIR:-.run}")"
[ -d "$RUN/pids" ] || exit 0
touch "$RUN/stopping"  # scripts/run_screen.py takes the processes' ends as asked for
groups=()
for pidfile in "$RUN"/pids/*.pid; do
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  # Each process leads its own process group (setsid in up.sh): the group has its children too.
  if kill -TERM -- "-$pid" 2>/dev/null; then groups+=("$pid"); fi
  rm -f "$pidfile"
done
stopped="${#groups[@]}"
for _ in $(seq 1 200); do
  alive=()
  for pid in "${groups[@]}"; do
    if kill -0 -- "-$pid" 2>/dev/null; then alive+=("$pid"); fi
  done
  [ "${#alive[@]}" -eq 0 ] && break
  groups=("${alive[@]}")
  sleep 0.1
done
for pid in "${groups[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
rm -f "$RUN/stopping"
[ "$stopped" -eq 0 ] || echo "  hub stopped"
