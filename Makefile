# Two user-facing targets: `make run` (set up, then the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m vinify.tools.demo

test: $(STAMP)
	$(PY) -m pytest -n 2 -p no:cacheprovider tests

.PHONY: run test
