# The MTAdam book. The two commands that do everything on a fresh machine (python3 + make):
#   make book    install into .venv, build the site into _build/html (executes no notebook)
#   make test    ruff + unit tests + every notebook at the smoke profile (nbval) + pair sync + site check
# Other targets: venv, notebooks PROFILE=cpu [NB=03_mnist], check-site, clean.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mtbook-installed
PROFILE ?= cpu
NB ?=
SITE_CACHE := .cache/site-check
MATHJAX := $(SITE_CACHE)/node_modules/mathjax/es5/tex-mml-chtml.js

# Data: the team's read-only data directory when it exists and MTADAM_DATA is not set.
ifeq ($(origin MTADAM_DATA),undefined)
  ifneq ($(wildcard ../shared/data/MANIFEST.md),)
    export MTADAM_DATA := $(abspath ../shared/data)
  endif
endif
export MTADAM_THREADS ?= 2
export PYDEVD_DISABLE_FILE_VALIDATION := 1

NOTEBOOKS := $(if $(NB),$(addprefix notebooks/,$(addsuffix .py,$(NB))),$(sort $(wildcard notebooks/*.py)))

.PHONY: help venv book summary test lint test-unit test-notebooks test-site check-site chromium mathjax notebooks clean

help:
	@echo "make book                      build the site (_build/html); installs .venv first"
	@echo "make test                      unit tests + nbval (smoke) + sync check + browser site check"
	@echo "make notebooks PROFILE=cpu     re-execute notebooks in place at a profile (NB=03_mnist for one)"
	@echo "make check-site                check the built site in headless chromium"
	@echo "MTADAM_DATA=$(MTADAM_DATA)"

# --- environment ---------------------------------------------------------------------------
venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q -e . --no-deps
	@touch $@

# --- the book ------------------------------------------------------------------------------
summary: $(STAMP)
	$(BIN)/python scripts/summarize_results.py

book: $(STAMP) summary
	$(BIN)/jupyter-book build .
	@echo "book: open _build/html/index.html"

# Re-execute notebooks in place at a profile (outputs stored in the .ipynb, pair kept in sync).
notebooks: $(STAMP)
	@for nb in $(NOTEBOOKS); do \
	  echo "== $$nb at MTADAM_PROFILE=$(PROFILE)"; \
	  MTADAM_PROFILE=$(PROFILE) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupytext --sync --execute "$$nb"; \
	done

# --- tests ---------------------------------------------------------------------------------
# `make -k`: run every stage even when an earlier one fails, then fail if any did.
test: $(STAMP)
	$(MAKE) -k lint test-unit test-notebooks test-site

# ruff (configured in pyproject.toml): lint and formatting, line length 100
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-unit: $(STAMP)
	MTADAM_PROFILE=smoke $(BIN)/python -m pytest -p no:cacheprovider tests

test-notebooks: $(STAMP)
	MTADAM_PROFILE=smoke PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -p no:cacheprovider \
	  --nbval-lax --nbval-cell-timeout=600 --durations=0 notebooks/*.ipynb

test-site: book check-site

check-site: $(STAMP) chromium mathjax
	$(BIN)/python scripts/check_site.py

chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the site check"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "the site check needs chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

mathjax: $(MATHJAX)

$(MATHJAX):
	mkdir -p $(SITE_CACHE)
	npm install --prefix $(SITE_CACHE) --no-audit --no-fund --silent mathjax@3

clean:
	rm -rf _build book/_generated
