# One obvious command per task. `make up` runs the hub locally; `make test` runs every test.
.PHONY: up test tools lint typecheck deploy-check unit integration clean

up:
	bash scripts/up.sh

test: tools lint typecheck deploy-check
	.venv/bin/python -m pytest -q

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

clean:
	rm -rf .run
