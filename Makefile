# fcn_plugin — install, test and demo entry points.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
STAMP := $(VENV)/.fcn_plugin-installed

.PHONY: install test demo clean

install: $(STAMP)

# torch first, pinned, so no dependency can pull a (multi-GB) CUDA build.
$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools<81" wheel
	$(PY) -m pip install -q torch==$(TORCH_VERSION)
	$(PY) -m pip install -q -e ".[tests]"
	$(PY) -c "import mmcv.ops, mmseg.models, fcn_plugin; print('fcn_plugin install OK')"
	touch $(STAMP)

test: install
	$(PY) -m pytest -q tests

demo: install
	$(PY) tools/demo.py --work-dir work_dirs/demo

clean:
	rm -rf work_dirs
