# Quick start: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# A second interpreter for mitmproxy 12 (needs Python >= 3.12); empty if absent.
PY312  ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12))

.PHONY: demo test test-py312 lint sample clean system-deps fuzz soak

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

# Hostile input (tests/robustness): 100,000 Hypothesis examples per reader and decoder.
fuzz: $(VENV)/.test-installed
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q -p no:cacheprovider tests/robustness/test_fuzz_tables.py

# Longer fault runs: 20,000 mutants per format, 200 kill -9 of analyze.
soak: $(VENV)/.test-installed
	$(BIN)/python tests/robustness/mutate.py --per-format 20000
	TRAFFICSCOPE_KILLS=200 $(BIN)/pytest -q -p no:cacheprovider -s tests/robustness/test_kill.py
	TRAFFICSCOPE_PROXY_KILLS=200 $(BIN)/pytest -q -p no:cacheprovider -s tests/live/test_kill_proxy.py

sample: $(VENV)/.installed
	$(BIN)/python captures/make_sample.py

clean:
	rm -rf $(VENV) .venv312 demo .pytest_cache .mypy_cache .ruff_cache
