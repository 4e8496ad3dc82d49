# Two commands matter: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint fmt typecheck pytest test-postgres audit bench fuzz lock clean system-packages

$(INSTALLED): requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Bidwright needs Python 3.11 or newer (set PYTHON=python3.x)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/bidwright db upgrade
	$(BIN)/bidwright seed
	$(BIN)/bidwright serve --host $(HOST) --port $(PORT)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(INSTALLED)
	$(BIN)/mypy estimation app

# The browser tests drive Debian's chromium; charts and documents need CJK fonts.
system-packages:
	scripts/ensure-packages.sh chromium fonts-noto-cjk libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils

pytest: $(INSTALLED) system-packages
	$(BIN)/pytest -n 2

# The database tests again, against a throwaway PostgreSQL server the script starts.
test-postgres: $(INSTALLED)
	scripts/with-postgres.sh $(BIN)/pytest -n 2 -m 'db and not sqlite_only'

# Known vulnerabilities in the pinned dependencies; fails on any with a fix available, and
# fails (loudly) when the advisory service cannot be reached: an audit that checked nothing
# must not pass. Not part of `make test` yet: this project's CI machines reach the package
# registries only, and PyPI's JSON API (404) and OSV (no route) are both out of reach there.
audit: $(INSTALLED)
	$(BIN)/python scripts/audit.py requirements.lock requirements-dev.lock

test: lint typecheck pytest test-postgres

bench: $(INSTALLED)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Hostile input for longer than `make test` affords: schemathesis with more examples per
# operation and caller, the hypothesis importer properties with more examples, then atheris
# on the three importers for FUZZ_SECONDS (libFuzzer stops at 512 MB RSS or any exception).
FUZZ_SECONDS ?= 300
FUZZ_EXAMPLES ?= 200
fuzz: $(INSTALLED)
	BIDWRIGHT_API_EXAMPLES=$(FUZZ_EXAMPLES) BIDWRIGHT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(BIN)/pytest -q -n 0 -p no:cacheprovider tests/security/test_api_fuzz.py \
		tests/security/test_importer_fuzz.py
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python fuzz/fuzz_importers.py

# Re-pin after editing dependencies in pyproject.toml: the runtime lock (the Docker image
# installs it) and the development lock, constrained to the same runtime versions.
lock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock --python-version 3.11 \
		--generate-hashes -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
