# The two commands of the README: `make serve` and `make test`.  Both set everything up from a
# fresh clone: a .venv with the project installed, and (for tests) a Chromium for browser tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 5006
# the gallery and every lesson's entry point (a lesson is found by its package's CARD: lessons.catalogue)
APPS   := apps/index.py $(filter-out apps/index.py,$(sort $(wildcard apps/*.py)))
# Serve settings for a class (README, "Serving a class"): closed tabs are noticed within 2 s and
# dropped after 5 s so they stop computing; --warm runs each app once at start-up so Numba's compiled
# kernels and the digits network are ready before the first student arrives.  Websockets are
# accepted only from pages served as localhost: set HOST to the address students type (e.g.
# `make serve HOST=192.168.1.20`).  PROCS=2 forks a second server process for a second core.
# EMBED_ORIGINS: pages of other sites that embed a lesson with Bokeh's script tag (README,
# "Documentation site"); an <iframe> needs only HOST.
HOST   ?=
PROCS  ?= 1
EMBED_ORIGINS ?=
ORIGINS := --allow-websocket-origin=localhost:$(PORT) --allow-websocket-origin=127.0.0.1:$(PORT) \
           $(if $(HOST),--allow-websocket-origin=$(HOST):$(PORT)) \
           $(foreach o,$(EMBED_ORIGINS),--allow-websocket-origin=$(o))
SERVE_OPTS ?= --port $(PORT) --index index --static-dirs assets=assets --warm \
              --check-unused-sessions 2000 --unused-session-lifetime 5000 --num-procs $(PROCS) $(ORIGINS)

# One BLAS thread per process.  A server's sessions (and the test suite's parallel server) already
# keep the cores busy; two OpenBLAS threads fighting for a busy 2-core machine made one 512 x 512
# eigh take 1.6-19 s instead of 0.2 s (measured).
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: serve test test-numpy install chromium haproxy school bench classroom clean docs docs-test catalogs messages

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.  Numba and rocket-fft are the optional extra `jit`
# (the wheel the documentation site ships to Pyodide must not require them); `docs` is Sphinx.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[jit,test,docs]'
	touch $@

install: $(VENV)/.installed catalogs

# The translations (README, "Languages"): every catalogue's .po compiled into the .mo the server
# reads (lessons/*/locale).  `make messages` extracts every string the code marks and updates each
# language's .po (then translate what is new, and `make catalogs`).
catalogs: $(VENV)/.installed
	$(PY) -m lessons.common.catalogs compile

messages: $(VENV)/.installed
	$(PY) -m lessons.common.catalogs update
	$(PY) -m lessons.common.catalogs check || true

# Bokeh's development checks, off when serving (the tests' servers keep them on): every new page's
# models checked for layout mistakes (a full walk of the page, 8 % of what a session cost the
# server), and every callback's signature inspected and every missing attribute matched against
# the names it might have meant (another 8 %).
SERVE_ENV := BOKEH_VALIDATE_DOC=false BOKEH_PERFORM_ERROR_DIAGNOSTICS=false

serve: install
	$(SERVE_ENV) $(VENV)/bin/panel serve $(APPS) $(SERVE_OPTS)

# Browser tests need a Chromium.  Playwright cannot download one here, so use Debian's package:
# installed with apt-get when running as root (CI), otherwise asked for.
chromium:
	@if command -v chromium >/dev/null 2>&1; then \
	  echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Browser tests need Chromium: run 'sudo apt-get install chromium' (or set QL_CHROMIUM)."; \
	  exit 1; \
	fi

# A school on one machine (README, "Serving a school"; deploy/README.md): PROCS lesson processes
# behind HAProxy on PORT (default 8080 here), in the foreground; Ctrl-C stops everything it started.
SCHOOL_PORT := $(if $(filter command line,$(origin PORT)),$(PORT),8080)
SCHOOL_PROCS := $(if $(filter command line,$(origin PROCS)),$(PROCS),4)
school: install haproxy
	$(PY) deploy/school.py --procs $(SCHOOL_PROCS) --port $(SCHOOL_PORT) $(if $(HOST),--host $(HOST))

# The school's proxy (and its tests): Debian's haproxy, installed as Chromium is.
haproxy:
	@if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then \
	  echo "haproxy: $$(command -v haproxy || echo /usr/sbin/haproxy)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	else \
	  echo "Serving a school needs HAProxy: run 'sudo apt-get install haproxy'."; \
	  exit 1; \
	fi

test: install chromium haproxy
	$(PY) -m pytest
	$(MAKE) --no-print-directory test-numpy

# The same physics and lesson models on the pure-NumPy path (what Pyodide runs: no Numba there).
test-numpy: install
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q tests/physics tests/lessons

bench: install haproxy
	$(PY) -m pip install --quiet -e '.[jit,test,docs,bench]'
	$(PY) bench/solver.py
	$(PY) bench/eigen.py
	$(PY) bench/pinn.py
	$(PY) bench/spin_battery.py
	$(PY) bench/quantization.py
	$(PY) bench/vqe.py
	$(PY) bench/anderson.py
	$(PY) bench/solitons.py
	$(PY) bench/lesson_cost.py
	$(PY) bench/school.py --students 200 --minutes 2

# A class on one server (README, "Serving a class"): 40 students all on one lesson for 2 minutes,
# each lesson in turn (a fresh server each), then 40 on all lessons mixed followed by 200 tabs
# opened and closed; prints frames/s, server CPU and RSS, slider latency and a table of the five
# classes against the goals.  About 17 minutes.
classroom: install chromium
	$(PY) bench/classroom.py --per-lesson --minutes 2 --cycles 200

# The static documentation site (README, "Documentation site"): lesson pages with the lessons
# embedded live (Pyodide), teacher notes, physics API.  QL_PYODIDE_URL=... sets a Pyodide mirror.
docs: install
	rm -rf build/docs
	$(PY) docs/build.py build/docs

docs-test: install
	$(PY) -m pytest -q tests/docs

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
