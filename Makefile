# CAM's entry points. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

# Every entry point shares one state: the CAM home and the Dagster instance.
export CAM_HOME     ?= $(CURDIR)/.cam
export DAGSTER_HOME ?= $(CURDIR)/.dagster

.PHONY: demo test format dev install install-test clean

demo: $(VENV)/.installed      ## create .venv, install, run the whole graph on embedded defaults
	$(BIN)/cam demo

test: $(VENV)/.installed-test ## install the test extras; format check, lint, type check, then the whole suite
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

format: $(VENV)/.installed-test ## apply the formatter and the lint fixes `make test` checks for
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `dagster dev` warns that it is superseded by `dg dev`, which needs the dg CLI and a dg project
# layout CAM does not use; that one warning is silenced, by its text, and no other.
DEV_QUIET := ignore:Function `dev_command` is superseded

dev: $(VENV)/.installed       ## open the Dagster UI on the same state as `make demo`
	@mkdir -p -m 700 "$(DAGSTER_HOME)"
	@test -f "$(DAGSTER_HOME)/dagster.yaml" || cp dagster.local.yaml "$(DAGSTER_HOME)/dagster.yaml"
	@# umask 077: the webserver and daemon write runs and event logs (personal data) for the owner only.
	umask 077 && PYTHONWARNINGS='$(DEV_QUIET)' $(BIN)/dagster dev -w workspace.yaml

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -c constraints.txt -e ".[test]"
	@touch $@

clean:                        ## remove the demo state (not the virtualenv)
	rm -rf .cam .dagster
