# The README's quick start: `make demo` and `make test`. Both build .venv from the lock first.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
PYTEST_ARGS ?= -n 2

.PHONY: install demo test lint lock

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv==$(UV_VERSION)
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

install: $(BIN)/.installed ## Create .venv with the locked dependencies and newsetl.

demo: install ## Serve the demo sites, crawl them, import the samples, run the ETL into SQLite.
	$(BIN)/newsetl demo

test: install ## Lint, then the whole test suite (PostgreSQL tests need NEWSETL_TEST_POSTGRES_URL).
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@$(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: a broken suite, not a pass" >&2; fi; \
	exit $$status

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

lock: ## Re-resolve requirements.lock and the image's docker/requirements.lock (no dev tools).
	$(BIN)/uv pip compile pyproject.toml --extra airflow --extra dev -o requirements.lock \
		--python-version 3.11 --quiet
	$(BIN)/uv pip compile pyproject.toml --extra airflow -c requirements.lock \
		-o docker/requirements.lock --python-version 3.11 --quiet
