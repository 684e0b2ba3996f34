# The two commands of the README: `make up` runs Ferry, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up serve test test-postgres check lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

up: $(STAMP)
	$(BIN)/ferry up

serve: up

# Debian's Chromium and its WebDriver drive the console's browser tests; without root or sudo
# the install fails and those tests are skipped with the reason.
test: $(STAMP)
	@sh scripts/install-chromium || echo "make test: could not install chromium; the console's browser tests will be skipped"
	$(BIN)/python scripts/check

# The in-process tiers once more with every database on PostgreSQL (127.0.0.1:5432, or
# FERRY_TEST_PG_DSN): slower than the contract tier that `make test` runs on both engines.
test-postgres: $(STAMP)
	FERRY_TEST_ENGINE=postgresql $(BIN)/python -m pytest -q tests/integration tests/contract

lint: $(STAMP)
	$(BIN)/ruff format --check ferry tests bench
	$(BIN)/ruff check ferry tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.storage

clean:
	rm -rf $(VENV) ferry-data
