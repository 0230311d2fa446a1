# Two commands do everything on a fresh machine (Python 3.10+ with venv):
#   make demo   set up, then release + autograde the demo cohort + feedback
#   make test   set up, then run the kit's test suite
VENV ?= .venv
PY := $(VENV)/bin/python
# nbgrader runs `alembic` and `jupyter` from PATH: put the venv's scripts first.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup demo test release bank
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[grading,test]"
	touch $@

demo: setup
	$(PY) -m grader demo

test: setup
	$(PY) -m pytest

# Maintainers: regenerate release/ from source/, and the torch reference bank.
release: setup
	$(PY) -m grader release

bank: setup
	$(PY) -m grader bank
