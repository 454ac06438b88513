# One obvious command per task. `make up` runs the hub locally; `make test` runs every test.
.PHONY: up test tools lint typecheck unit integration clean

up:
	bash scripts/up.sh

test: tools lint typecheck
	.venv/bin/python -m pytest -q

tools:
	bash scripts/install-tools.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck:
	.venv/bin/mypy

unit: tools
	.venv/bin/python -m pytest -q tests/unit

integration: tools
	.venv/bin/python -m pytest -q tests/integration

clean:
	rm -rf .run
