# fcn_plugin — install, test and demo entry points.
#   make install               .venv with mmcv-lite (no compiler, no prebuilt mmcv)
#   make install MMCV=full     .venv with full mmcv 2.1.0 (compiled ops)
#   make install MMCV=none     keep whatever mmcv the environment already has
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
MMCV ?= lite
STAMP := $(VENV)/.fcn_plugin-installed-$(MMCV)

.PHONY: install test smoke demo clean

install: $(STAMP)

# torch first, pinned, so no dependency can pull a (multi-GB) CUDA build.
# Full mmcv goes in without build isolation: pip then uses the prebuilt wheel
# it finds (PIP_FIND_LINKS), or compiles against THIS torch with
# setuptools<81 (an isolated build has neither and fails or builds no ops).
$(STAMP): setup.cfg pyproject.toml
	@start=$$(date +%s); set -e; \
	case "$(MMCV)" in lite|full|none) ;; \
	  *) echo "MMCV must be lite, full or none (got '$(MMCV)')"; exit 1;; esac; \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(PY) -m pip install -q --upgrade pip "setuptools<81" wheel; \
	$(PY) -m pip install -q torch==$(TORCH_VERSION); \
	if [ "$(MMCV)" = lite ]; then \
	  $(PY) -m pip uninstall -q -y mmcv 2>/dev/null || true; \
	  $(PY) -m pip install -q -e ".[lite,tests]"; \
	elif [ "$(MMCV)" = full ]; then \
	  $(PY) -m pip uninstall -q -y mmcv-lite 2>/dev/null || true; \
	  echo "installing full mmcv 2.1.0 (compiles for 15-60 min unless a prebuilt wheel is on PIP_FIND_LINKS)"; \
	  $(PY) -m pip install -q --no-build-isolation mmcv==2.1.0; \
	  $(PY) -m pip install -q -e ".[full,tests]"; \
	else \
	  $(PY) -m pip install -q -e ".[tests]"; \
	fi; \
	$(PY) -c "import fcn_plugin, mmseg.models; from fcn_plugin.mmcv_ext_fallback import describe_mmcv; print('fcn_plugin install OK:', describe_mmcv())"; \
	rm -f $(VENV)/.fcn_plugin-installed-*; \
	touch $(STAMP); \
	echo "make install (MMCV=$(MMCV)) took $$(( $$(date +%s) - start )) s"

test: install
	$(PY) -m pytest -q tests

# the short run CI repeats on full mmcv: make smoke MMCV=full VENV=.venv-full
smoke: install
	$(PY) -m pytest -q -m smoke tests

demo: install
	$(PY) tools/demo.py --work-dir work_dirs/demo

clean:
	rm -rf work_dirs
