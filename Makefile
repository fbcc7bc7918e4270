# Everything sets itself up from Python 3 alone: a virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP = $(VENV)/.installed-$(1)

.PHONY: test demo bench lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(call STAMP,test): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

$(call STAMP,examples): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[examples]"
	touch $@

## make test: install the test extra and run the whole suite in parallel, then ruff.
test: $(call STAMP,test)
	$(PY) -m pytest -n auto -q
	$(PY) -m ruff check .

## make demo: the main job, training an MLP on the digits data set.
demo: $(call STAMP,examples)
	$(PY) examples/digits.py

## make bench: the MLP training-step benchmark (and the per-op overhead).
bench: $(call STAMP,examples)
	$(PY) -m benchmarks.mlp
	$(PY) -m benchmarks.overhead

lint: $(call STAMP,test)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
