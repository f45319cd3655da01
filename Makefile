# Quick start: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# A second interpreter for mitmproxy 12 (needs Python >= 3.12); empty if absent.
PY312  ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12))

.PHONY: demo test test-py312 lint sample clean system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/trafficscope demo -o demo

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy

# Debian packages for the tests (system-packages.txt), installed when missing.
system-deps:
	./scripts/system-deps.sh

test: lint system-deps
	$(BIN)/pytest
	$(MAKE) test-py312

# The readers and (later) the addon on mitmproxy 12, where Python 3.12 exists.
test-py312:
ifneq ($(PY312),)
	test -x .venv312/bin/python || $(PY312) -m venv .venv312
	.venv312/bin/python -m pip install -q --upgrade pip
	.venv312/bin/python -m pip install -q -e '.[test]'
	.venv312/bin/pytest -m mitmproxy -q
else
	@echo "no Python 3.12 here: mitmproxy 12 tests not run"
endif

sample: $(VENV)/.installed
	$(BIN)/python captures/make_sample.py

clean:
	rm -rf $(VENV) .venv312 demo .pytest_cache .mypy_cache .ruff_cache
