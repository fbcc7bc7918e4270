# Everything sets itself up from Python 3 alone: a virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP = $(VENV)/.installed-$(1)

.PHONY: test demo bench lint clean check-cuda-sources gpu-check docs

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(call STAMP,test): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

$(call STAMP,examples): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[examples]"
	touch $@

$(call STAMP,cuda-check): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[cuda-check]"
	touch $@

$(call STAMP,docs): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $@

## make test: install the test extra and run the whole suite in parallel, then ruff and mypy.
test: $(call STAMP,test)
	$(PY) -m pytest -n auto -q
	$(PY) -m ruff check .
	$(PY) -m mypy

## make docs: the API reference (mkdocs-material + mkdocstrings) in site/, warnings as errors.
docs: $(call STAMP,docs)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet

## make demo: the main job, training an MLP on the digits data set.
demo: $(call STAMP,examples)
	$(PY) examples/digits.py

## make bench: the MLP training-step benchmark (and the per-op overhead).
bench: $(call STAMP,examples)
	$(PY) -m benchmarks.mlp
	$(PY) -m benchmarks.overhead

## make check-cuda-sources: every kernel-table row, as CuPy generates it, compiled by NVRTC for
## float16/32/64 (CuPy's headers, -ftz, sm_90). Needs no GPU: the NVRTC wheels do it.
check-cuda-sources: $(call STAMP,cuda-check)
	$(PY) -m benchmarks.check_cuda_sources

## make gpu-check: on a machine with an NVIDIA GPU, everything CUDA in one go with the system
## Python (no venv, no install, no network): versions, cuda tests, examples, benchmarks, results.
gpu-check:
	PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(PYTHON) -m benchmarks.gpu_check

lint: $(call STAMP,test)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) build dist site *.egg-info .pytest_cache .ruff_cache .mypy_cache
