# One obvious command per task. `make up` runs the hub locally; `make test` runs every test.
.PHONY: up down logs test test-mongodb-flavour tools lint typecheck deploy-check unit integration browser bench dissatisfaction-eval backup restore clean

# `make up` runs every process in the background (full JSON logs in .run/logs/) and shows a short status;
# `make logs` follows the full logs, `make down` stops what `make up` started, `make clean` also deletes
# the local data (.run: databases, logs).
up:
	@bash scripts/up.sh

down:
	@bash scripts/down.sh

logs:
	tail -n 50 -F .run/logs/*.log .run/nginx/access.log .run/nginx/error.log

test: tools lint typecheck deploy-check
	.venv/bin/python -m pytest -q
	HUB_TEST_MONGO_FLAVOUR=mongodb .venv/bin/python -m pytest -q $(MONGODB_FLAVOUR_TESTS)

# The conversation suites again with the repositories' MongoDB variant (HUB_MONGO_FLAVOUR=mongodb), on
# FerretDB: no mongod runs here, and what the variant relies on (atomic single-document updates) is
# MongoDB's documented guarantee. The repository-level suites (test_inbox_derived_fields.py,
# test_inbox_conversation_storage.py) are parametrised over both variants, so every run covers them.
MONGODB_FLAVOUR_TESTS = tests/integration/test_inbox_conversations.py

test-mongodb-flavour: tools
	HUB_TEST_MONGO_FLAVOUR=mongodb .venv/bin/python -m pytest -q $(MONGODB_FLAVOUR_TESTS)

tools:
	bash scripts/install-tools.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck:
	.venv/bin/mypy

# Prometheus configs and alert rules are checked as Prometheus itself would load them. (Debian's
# promtool is built without Kubernetes discovery, so prometheus-k8s.yml is checked by a unit test.)
deploy-check:
	promtool check config deploy/prometheus/prometheus-local.yml deploy/prometheus/prometheus-compose.yml
	promtool check rules deploy/prometheus/rules/*.yml
	promtool test rules deploy/prometheus/tests/*.yml

unit: tools
	.venv/bin/python -m pytest -q tests/unit

integration: tools
	.venv/bin/python -m pytest -q tests/integration

browser: tools
	.venv/bin/python -m pytest -q tests/browser

# Raw limits of the bus and the database, the pipeline, the agent API at 1,000,000 conversations, memory and
# live streams, in one run, written to bench/RESULTS.md (about half an hour; never part of `make test`).
# BENCH_QUICK=1 (or BENCH_ARGS=--quick) runs a short version for development; BENCH_ARGS passes other flags.
bench: tools
	.venv/bin/python -m bench.run $(BENCH_ARGS)

# Precision and recall of the dissatisfaction scorer on tests/data/dissatisfaction/ (README "Alerts from the
# guest's words"); THRESHOLD=0.5 tries another threshold.
dissatisfaction-eval:
	.venv/bin/python -m scripts.dissatisfaction_eval $(if $(THRESHOLD),--threshold $(THRESHOLD))

# The database of HUB_MONGO_URL / HUB_MONGO_DATABASE, through the driver (scripts/backup.py).
backup:
	@test -n "$(DIR)" || { echo "usage: make backup DIR=backups/<name>"; exit 2; }
	.venv/bin/python -m scripts.backup dump "$(DIR)"

restore:
	@test -n "$(DIR)" || { echo "usage: make restore DIR=backups/<name> [DROP=1]"; exit 2; }
	.venv/bin/python -m scripts.backup restore "$(DIR)" $(if $(DROP),--drop)

clean: down
	rm -rf .run
