#!/usr/bin/env bash
# Installs what the hub needs to run and be tested on a fresh Debian machine, and skips what is there:
# Python deps (uv, .venv), NATS server, FerretDB and Helm (built from the Go module proxy into .tools/bin),
# PostgreSQL (FerretDB's backend), nginx (the gateway), Dovecot (IMAP), spamd (SpamAssassin) and Chromium (browser tests) from Debian. Safe to run again; a second run takes a second or two.
# `install-tools.sh run` installs only what `make up` needs; without an argument (`make tools`, `make test`)
# also what only the tests use: Helm, Dovecot, spamd, Chromium, promtool.
set -euo pipefail
cd "$(dirname "$0")/.."
FOR="${1:-test}"
case "$FOR" in run | test) ;; *) echo "usage: $0 [run|test]" >&2; exit 2 ;; esac
testing() { [ "$FOR" = test ]; }

NATS_VERSION=v2.15.2
FERRETDB_VERSION=v1.24.2
HELM_VERSION=v4.3.2
TOOLS="$PWD/.tools/bin"
mkdir -p "$TOOLS"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! command -v uv >/dev/null 2>&1; then
  log "installing uv"
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
log "python dependencies (uv sync)"
uv sync --frozen --quiet

if ! "$TOOLS/nats-server" --version 2>/dev/null | grep -q "${NATS_VERSION}"; then
  log "building nats-server ${NATS_VERSION}"
  GOBIN="$TOOLS" GOFLAGS=-mod=mod go install "github.com/nats-io/nats-server/v2@${NATS_VERSION}"
fi

# Helm renders the chart (deploy/helm/hotel-hub) in the tests: `helm lint` and `helm template`.
# (`helm version` of a `go install` build says only v4.3: the module's version is in the binary's build info.)
if testing && ! go version -m "$TOOLS/helm" 2>/dev/null | grep -qE "^\s+mod\s+helm.sh/helm/v4\s+${HELM_VERSION}\s"; then
  log "building helm ${HELM_VERSION}"
  GOBIN="$TOOLS" GOFLAGS=-mod=mod go install "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}"
fi

if ! "$TOOLS/ferretdb" --version 2>/dev/null | grep -q "version: ${FERRETDB_VERSION}"; then
  # `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` fails here: the proxy refuses the
  # module's version list (403), which `go install` reads for deprecation notices, and the module
  # zip lacks build/version/version.txt, so a binary built from it panics at start. We fetch the
  # exact version into a throw-away module, copy its source, write the version file, and build.
  log "building ferretdb ${FERRETDB_VERSION}"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && go mod init ferretdb-build >/dev/null 2>&1 \
    && go get "github.com/FerretDB/FerretDB@${FERRETDB_VERSION}" >/dev/null 2>&1 \
    && cp -r "$(go list -m -f '{{.Dir}}' "github.com/FerretDB/FerretDB")" src \
    && chmod -R u+w src \
    && echo "${FERRETDB_VERSION}" > src/build/version/version.txt \
    && cd src && go build -o "$TOOLS/ferretdb" ./cmd/ferretdb)
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL (FerretDB's backend)"
  apt_install postgresql
fi

if testing && ! command -v dovecot >/dev/null 2>&1; then
  log "installing Dovecot (the IMAP server the tests poll)"
  apt_install dovecot-imapd
fi

if testing && ! command -v spamd >/dev/null 2>&1 && [ ! -x /usr/sbin/spamd ]; then
  log "installing SpamAssassin's spamd (the spam filter the tests run)"
  apt_install spamd
fi

if ! command -v nginx >/dev/null 2>&1; then
  log "installing nginx (gateway)"
  apt_install nginx-light || apt_install nginx
fi

if testing && { ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/truetype/noto ]; }; then
  log "installing Chromium (the console's browser tests drive it headless through Playwright)"
  apt_install chromium fonts-liberation fonts-noto-color-emoji
fi

if testing && ! command -v promtool >/dev/null 2>&1; then
  log "installing Prometheus (promtool checks the deploy configs and the services' /metrics)"
  apt_install prometheus
fi

log "tools ready: $("$TOOLS/nats-server" --version), ferretdb $("$TOOLS/ferretdb" --version | head -1 | cut -d' ' -f2), postgres $(ls /usr/lib/postgresql | sort -V | tail -1), $(nginx -v 2>&1)"
