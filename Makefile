# fcn_plugin — install, test and demo entry points.
#   make install                 .venv, python3, torch 2.13.0, mmcv-lite (no compiler)
#   make install MMCV=full       full mmcv 2.1.0 (compiled ops) instead of mmcv-lite
#   make install MMCV=none       keep whatever mmcv the environment already has
#   make install STACK=onedl     the maintained fork (onedl-mmengine, -mmcv without
#                                ops, -mmsegmentation, -mmpretrain) instead of upstream
#   make test PYTHON=python3.12 TORCH_VERSION=2.11.0 VENV=.venv-py312
#                                another Python / torch (any of README's table)
#   make test-quick              the fast tests + one train / resume / test run
#   make wheelhouse              every wheel an offline install needs, one folder
#   make install-offline         install from that folder, no network
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
MMCV ?= lite
STACK ?= openmmlab
WHEELHOUSE ?= wheelhouse
# test processes; each test file runs whole in one (its fixtures built once)
TEST_JOBS ?= 2
PYTEST := $(PY) -m pytest -v -n $(TEST_JOBS) --dist loadfile --durations=15
# bash's time: wall time and the CPU time of everything the command ran
took = TIMEFORMAT='$(1) took %0R s wall, %0U s user + %0S s sys CPU'; time
STAMP := $(VENV)/.fcn_plugin-installed-$(STACK)-$(MMCV)
# torch 2.1 and 2.2 were built against numpy 1 (newer opencv would pull 2)
NUMPY_PIN := $(if $(filter 2.1 2.1.% 2.2 2.2.%,$(TORCH_VERSION)),numpy<2)
COMMA := ,
EXTRAS := $(if $(filter onedl,$(STACK)),onedl$(COMMA)tests,openmmlab$(COMMA)$(if $(filter none,$(MMCV)),,$(MMCV)$(COMMA))tests)
# onedl-mmcv 2.3.6 compiles its ops only when torch imports in its build
# environment: pip's isolated build has none, so no ops, no compiler
ONEDL_MMCV := onedl-mmcv==2.3.6
# the build backend's requirements, from pyproject.toml (one source): the
# venv gets them (full mmcv builds without isolation) and so does a wheelhouse
# (an offline editable install builds in isolation from it)
BUILD_REQUIRES := $(shell sed -n 's/^requires = \[\(.*\)\]$$/\1/p' pyproject.toml | sed 's/", "/" "/g')
# setuptools' 9-line editable-install notice tells a user nothing
QUIET_PIP := PYTHONWARNINGS=ignore $(PY) -m pip install -q

.PHONY: install install-offline test test-quick smoke demo wheelhouse clean

install: $(STAMP)

# torch first, pinned, so no dependency can pull a (multi-GB) CUDA build.
# Full mmcv goes in without build isolation: pip then uses the prebuilt wheel
# it finds (PIP_FIND_LINKS), or compiles against THIS torch with
# setuptools<81 (an isolated build has neither and fails or builds no ops).
$(STAMP): setup.cfg pyproject.toml
	@$(call took,install) { set -e; \
	case "$(MMCV)" in lite|full|none) ;; \
	  *) echo "MMCV must be lite, full or none (got '$(MMCV)')"; exit 1;; esac; \
	case "$(STACK)" in openmmlab) ;; onedl) test "$(MMCV)" = lite || { \
	  echo "STACK=onedl builds onedl-mmcv without ops: leave MMCV=lite"; exit 1; };; \
	  *) echo "STACK must be openmmlab or onedl (got '$(STACK)')"; exit 1;; esac; \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	echo "installing into $(VENV): $$($(PY) --version), torch==$(TORCH_VERSION) $(NUMPY_PIN), STACK=$(STACK), MMCV=$(MMCV)"; \
	$(QUIET_PIP) --upgrade pip $(BUILD_REQUIRES); \
	$(QUIET_PIP) torch==$(TORCH_VERSION) $(if $(NUMPY_PIN),"$(NUMPY_PIN)"); \
	if [ "$(STACK)" = onedl ]; then \
	  $(PY) -m pip uninstall -q -y mmcv mmcv-lite mmengine mmsegmentation mmpretrain 2>/dev/null || true; \
	  MMCV_WITH_OPS=0 $(QUIET_PIP) $(ONEDL_MMCV) torch==$(TORCH_VERSION); \
	elif [ "$(MMCV)" = lite ]; then \
	  $(PY) -m pip uninstall -q -y mmcv 2>/dev/null || true; \
	elif [ "$(MMCV)" = full ]; then \
	  $(PY) -m pip uninstall -q -y mmcv-lite 2>/dev/null || true; \
	  echo "installing full mmcv 2.1.0: compiles for 15-60 min unless a prebuilt wheel is on PIP_FIND_LINKS (compiler output below)"; \
	  set -o pipefail; \
	  $(PY) -m pip install -v --no-build-isolation mmcv==2.1.0 $(if $(NUMPY_PIN),"$(NUMPY_PIN)") 2>&1 \
	    | { grep --line-buffered -E '^(Collecting|Building|Successfully|Processing|ERROR|error|  *(gcc|g\+\+|c\+\+|x86_64-linux-gnu-g\+\+) )' || true; } \
	    | cut -c1-150; \
	fi; \
	$(QUIET_PIP) -e ".[$(EXTRAS)]" "torch==$(TORCH_VERSION)" $(if $(NUMPY_PIN),"$(NUMPY_PIN)"); \
	$(INSTALLED); }

# the check, stamp and time every install path ends with
INSTALLED = $(PY) -c "import sys, numpy, torch, fcn_plugin, mmseg, mmengine, mmseg.models; from fcn_plugin.mmcv_ext_fallback import describe_mmcv; print(f'fcn_plugin install OK: Python {sys.version.split()[0]}, torch {torch.__version__}, numpy {numpy.__version__}, mmengine {mmengine.__version__}, mmseg {mmseg.__version__},', describe_mmcv())"; \
	rm -f $(VENV)/.fcn_plugin-installed-*; touch $(STAMP)

# Every wheel the plugin and its dependencies need, for $(PYTHON)'s version
# on this platform: torch==$(TORCH_VERSION) and its CUDA libraries too, unless
# TORCH_VERSION=none (for a machine that already has torch).
wheelhouse:
	@$(call took,make wheelhouse) { set -e; mkdir -p $(WHEELHOUSE); \
	tmp=$$(mktemp -d); $(PYTHON) -m venv $$tmp/venv; \
	pip="$$tmp/venv/bin/python -m pip"; \
	torch=$(if $(filter none,$(TORCH_VERSION)),torch,torch==$(TORCH_VERSION)); \
	PYTHONWARNINGS=ignore $$pip install -q --upgrade pip; \
	PYTHONWARNINGS=ignore $$pip install -q --dry-run --ignore-installed --report $$tmp/report.json \
	  ".[openmmlab,lite,tests]" "$$torch" $(if $(NUMPY_PIN),"$(NUMPY_PIN)") $(BUILD_REQUIRES); \
	$$tmp/venv/bin/python -c "import json, sys; skip = sys.argv[2] == 'none'; \
	  names = [(i['metadata']['name'], i['metadata']['version']) for i in json.load(open(sys.argv[1]))['install']]; \
	  print('\n'.join(f'{n}=={v}' for n, v in names if n.lower().replace('-', '_') != 'fcn_plugin' and not (skip and (n == 'torch' or n == 'triton' or n.startswith(('nvidia-', 'cuda-'))))))" \
	  $$tmp/report.json $(TORCH_VERSION) > $$tmp/requirements.txt; \
	echo "wheelhouse $(WHEELHOUSE): $$(wc -l < $$tmp/requirements.txt) packages for $$($(PYTHON) --version)"; \
	PYTHONWARNINGS=ignore $$pip wheel -q --no-deps -w $(WHEELHOUSE) -r $$tmp/requirements.txt .; \
	cp $$tmp/requirements.txt $(WHEELHOUSE)/requirements.txt; rm -rf $$tmp build; \
	echo "wheelhouse $(WHEELHOUSE): $$(du -sh $(WHEELHOUSE) | cut -f1)"; }

# No network: PIP_CONFIG_FILE=/dev/null drops every index and find-links of
# the pip configuration, --no-index the default index.
OFFLINE_PIP := PIP_CONFIG_FILE=/dev/null PYTHONWARNINGS=ignore $(PY) -m pip install -q --no-index --find-links $(WHEELHOUSE)
install-offline:
	@$(call took,install) { set -e; \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(OFFLINE_PIP) --upgrade $(BUILD_REQUIRES); \
	$(PY) -c "import torch" 2>/dev/null || $(OFFLINE_PIP) torch; \
	$(OFFLINE_PIP) -e ".[openmmlab,lite,tests]"; \
	$(INSTALLED); }

test: install
	@$(call took,make test) $(PYTEST) tests

# the CI legs for the oldest and newest stacks: fast tests + one end-to-end
# train, resume and test (marked `compat`)
test-quick: install
	@$(call took,make test-quick) $(PYTEST) -m "not slow or compat" tests

# the short run CI repeats on full mmcv: make smoke MMCV=full VENV=.venv-full
# (every tool in a fresh interpreter: tests/tool_runner.py)
smoke: install
	FCN_TESTS_REAL_PROCESSES=1 $(PYTEST) -m smoke tests

demo: install
	$(PY) tools/demo.py --work-dir work_dirs/demo

clean:
	rm -rf work_dirs
