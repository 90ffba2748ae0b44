# Live Studio: the two commands a new user needs are `make up` and `make test` (see README.md).
PYTHON ?= python3
UV := $(PYTHON) -m uv

.PHONY: bootstrap sync up dashboard test lint typecheck contract unit integration chaos bench clean

bootstrap:  ## install uv into the current Python if it is missing
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv

sync: bootstrap
	$(UV) sync --locked --all-packages

up: sync  ## run the whole system on embedded defaults (Ctrl-C stops everything)
	$(UV) run --locked python -m livestudio_devinfra.up $(ARGS)

dashboard: sync  ## build the dashboard into frontend/dist (make up does it when its sources changed)
	$(UV) run --locked python -m livestudio_devinfra.frontend build --force

lint: sync
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked lint-imports  # the layering contracts in pyproject.toml ([tool.importlinter])

typecheck: sync
	$(UV) run --locked mypy libs services tests bench

contract: sync  ## regenerate the committed JSON Schemas, AsyncAPI document and the dashboard's API types
	$(UV) run --locked python -m livestudio_schemas.export
	$(UV) run --locked python -m livestudio_devinfra.frontend types

unit: sync
	$(UV) run --locked pytest -m unit $(PYTEST_ARGS)

integration: sync
	$(UV) run --locked pytest -m integration $(PYTEST_ARGS)

PYTEST_WORKERS ?= 2

test: lint typecheck  ## everything CI runs: lint, types, contract compatibility, unit, integration and chaos tests
	$(UV) run --locked pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not browser" $(PYTEST_ARGS)
	$(UV) run --locked pytest -m browser $(PYTEST_ARGS)

chaos: sync  ## only the system chaos run (kills services, stops the broker, restarts Postgres, injects faults)
	$(UV) run --locked pytest -m chaos $(PYTEST_ARGS)

bench: sync
	@for b in bench/*.py; do echo "== $$b"; $(UV) run --locked python $$b || exit 1; done

clean:
	rm -rf .livestudio .pytest_cache .mypy_cache .ruff_cache frontend/dist frontend/node_modules
