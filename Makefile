# aolab: `make lab` opens the lab, `make test` runs every test.
# Both set up what they need: a .venv with the packages, and graphviz's `dot`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
PORT   ?= 8888
export PYTHONHASHSEED = 0

.PHONY: lab test setup dot unit notebooks bench clean browser-test fuzz npm

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --port=$(PORT) \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(if $(DISPLAY),,--no-browser)

test: setup
	$(PY) -m pytest
	$(PY) -m pytest -p no:cacheprovider --nbval notebooks/ -o addopts="" --nbval-sanitize-with notebooks/sanitize.cfg

setup: $(STAMP) dot

$(STAMP):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "aolab needs Python 3.11 or newer; found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

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
	@$(PY) -c 'import playwright.sync_api' 2>/dev/null || $(PY) -m pip install --quiet -e '.[dev,browser]'
	AOLAB_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -p no:cacheprovider -o addopts="" -q -s -rs tests/browser

# Long-run fuzzing of the codecs, path parsers and resolver (tests/fuzz), bounded in time.
FUZZ_SECONDS ?= 60
fuzz: setup
	$(PY) -m tests.fuzz.run_fuzz --seconds $(FUZZ_SECONDS)

# npm packages (npm/package.json): @dha-team/arbundles (ANS-104 vectors, tests/test_ans104.py)
# and arlocal (a local Arweave gateway: tests/test_gateway.py, notebook 12).  arlocal's sqlite3
# is built from source when npm did not run its install script (npm 11 may not).
NPM_STAMP := npm/node_modules/.installed-$(shell cat npm/package.json npm/package-lock.json 2>/dev/null | sha256sum | cut -c1-12)
NODE_GYP   = $$(dirname $$(readlink -f $$(command -v npm)))/../node_modules/node-gyp/bin/node-gyp.js
npm: $(NPM_STAMP)

$(NPM_STAMP):
	@command -v npm >/dev/null 2>&1 || { \
	  echo "node/npm are missing: installing Debian's nodejs and npm with apt-get"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	cd npm && npm install --no-audit --no-fund
	@[ -f npm/node_modules/sqlite3/build/Release/node_sqlite3.node ] || { \
	  echo "building arlocal's sqlite3 (node-gyp)"; \
	  cd npm/node_modules/sqlite3 && node $(NODE_GYP) rebuild --nodedir=/usr; }
	rm -f npm/node_modules/.installed-*
	touch $@

unit: setup
	$(PY) -m pytest

notebooks: setup
	$(PY) -m pytest -p no:cacheprovider --nbval notebooks/ -o addopts="" --nbval-sanitize-with notebooks/sanitize.cfg

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
