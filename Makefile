# Two commands do everything on a fresh machine (Python 3.10+ with venv):
#   make demo   set up (venv + Debian packages), then release + autograde the demo cohort + feedback
#   make test   set up (venv + Debian packages), then run the kit's test suite (what CI runs)
VENV ?= .venv
PY := $(VENV)/bin/python
# nbgrader runs `alembic` and `jupyter` from PATH: put the venv's scripts first.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup system system-tests demo test test-fast test-seeds release bank
setup: $(VENV)/.installed

# Debian packages: bubblewrap for the grading sandbox; chromium and postgresql for the tests.
# As root they are installed with apt-get; otherwise one line says what to install.
system:
	bash .ci/system-packages
system-tests:
	bash .ci/system-packages --tests

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[grading,test]"
	touch $@

demo: setup system
	$(PY) -m grader demo

test: setup system-tests
	$(PY) -m pytest

# The unit tests of the engine, the suites and the catalogue (no nbgrader, JupyterLab,
# Chromium or venvs: those tests are marked slow), with 20 secret seeds: about 3 minutes.
test-fast: setup system
	$(PY) -m pytest -m "not slow"

# A deeper secret-seed sweep of tests/test_secret.py: 1020 seeds (make test-fast sweeps 20, the
# full suite 200): every correct style and catalogued mistake on each, ~70 min on two idle cores.
test-seeds: setup
	GRADER_TEST_SEEDS=1000 $(PY) -m pytest tests/test_secret.py -k test_the_same_on_every_seed_of_the_full_suite

# Maintainers: regenerate release/ from source/, and the torch reference bank.
release: setup
	$(PY) -m grader release

bank: setup
	$(PY) -m grader bank
