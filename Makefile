# The two commands of the README: `make serve` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve preview build test validate bench fuzz lock clean node-tools screenshots

## Create .venv and install the pinned dependencies (re-run when requirements.lock changes).
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

## Serve the handbook with the example postmortems on http://127.0.0.1:8000 (live reload).
serve: $(STAMP)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

## Serve one report being written, fast: make preview REPORT=postmortems/2026/<file>.md
preview: $(STAMP)
	@test -n "$(REPORT)" || { echo "usage: make preview REPORT=postmortems/<year>/<file>.md"; exit 2; }
	$(BIN)/handbook preview "$(REPORT)"

## Build the site into site/ (fails on any postmortem error).
build: $(STAMP)
	$(BIN)/mkdocs build --strict

## Check every postmortem without building the site.
validate: $(STAMP)
	$(BIN)/handbook validate

## Front-end tools the browser tests serve locally (axe-core), pinned in package-lock.json.
node_modules/axe-core/axe.min.js: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; \
	else echo "npm not found: the accessibility audit in the browser tests will be skipped"; fi

node-tools: node_modules/axe-core/axe.min.js

## Run the whole test suite.
test: $(STAMP) node-tools
	$(BIN)/python -m pytest

## Benchmark: build cost of 100, 500 and 2,000 synthetic reports against plain Material (minutes).
bench: $(STAMP)
	$(BIN)/python bench/build.py --sizes 100,500,2000 --rounds 3

## Fuzz: 100,000 generated reports through reading, checks and every renderer, and in a share of the sets
## hostile external messages, Slack exports, tracker files and GitHub answers; failures go to fuzz-failures/.
fuzz: $(STAMP)
	$(BIN)/python -m fuzz.run --reports $(or $(REPORTS),100000) --seed $(or $(SEED),1) --failures fuzz-failures

## The README's screenshots of the example site (Debian's chromium), into docs/assets/screenshots/.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

## Re-pin dependencies after editing requirements.in (needs network to the package index).
lock:
	$(PYTHON) -m venv /tmp/handbook-lock && /tmp/handbook-lock/bin/pip install --quiet pip-tools
	/tmp/handbook-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		-o requirements.lock requirements.in

clean:
	rm -rf $(VENV) site .pytest_cache node_modules
