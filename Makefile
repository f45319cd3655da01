# Quick start: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Newer interpreters (pyenv's or Debian's) that run mitmproxy 12, which needs Python >= 3.12:
# `make test` runs the mitmproxy tests again on each one found (test-py312, test-py313).
# PY312/PY313 are empty where absent; set one to use another interpreter.
NEWER_PYTHONS := 312 313
find-python = $(firstword $(wildcard $(HOME)/.pyenv/versions/$(1)*/bin/python$(1) /usr/bin/python$(1)))
PY312  ?= $(call find-python,3.12)
PY313  ?= $(call find-python,3.13)
PY_FOUND   := $(foreach v,$(NEWER_PYTHONS),$(if $(PY$(v)),$(v)))
PY_MISSING := $(filter-out $(PY_FOUND),$(NEWER_PYTHONS))

.PHONY: demo test lint sample clean system-deps fuzz soak $(NEWER_PYTHONS:%=test-py%)

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
	$(MAKE) $(NEWER_PYTHONS:%=test-py%)

# The `-m mitmproxy` tests (readers of flow files, the addon, mitmdump) on mitmproxy 12,
# one venv per interpreter: test-py312 in .venv312, test-py313 in .venv313.
$(PY_FOUND:%=.venv%/.test-installed): .venv%/.test-installed: pyproject.toml
	$(PY$*) -m venv .venv$*
	.venv$*/bin/python -m pip install -q --upgrade pip
	.venv$*/bin/python -m pip install -q -e '.[test]'
	touch $@

$(PY_FOUND:%=test-py%): test-py%: .venv%/.test-installed
	.venv$*/bin/pytest -m mitmproxy -q

$(PY_MISSING:%=test-py%): test-py%:
	@echo "no Python $(*:3%=3.%) here: mitmproxy 12 tests not run on it"

# Hostile input (tests/robustness): 100,000 Hypothesis examples per reader and decoder.
fuzz: $(VENV)/.test-installed
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q -p no:cacheprovider tests/robustness/test_fuzz_tables.py

# Longer fault runs: 20,000 mutants per format, 7,000 structured mutants (hostile values
# in valid HAR, zhar and flow files) per format, 200 kill -9 of analyze.
soak: $(VENV)/.test-installed
	$(BIN)/python tests/robustness/mutate.py --per-format 20000
	for f in har zhar mitm; do $(BIN)/python tests/robustness/mutate.py --structured --per-format 7000 --format $$f || exit 1; done
	TRAFFICSCOPE_KILLS=200 $(BIN)/pytest -q -p no:cacheprovider -s tests/robustness/test_kill.py
	TRAFFICSCOPE_PROXY_KILLS=200 $(BIN)/pytest -q -p no:cacheprovider -s tests/live/test_kill_proxy.py

sample: $(VENV)/.installed
	$(BIN)/python captures/make_sample.py

clean:
	rm -rf $(VENV) $(NEWER_PYTHONS:%=.venv%) demo .pytest_cache .mypy_cache .ruff_cache
