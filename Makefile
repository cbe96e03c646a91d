# Both targets create (or reuse) a local virtual environment and install what they need, so `make demo` and
# `make test` work on a fresh machine with only python3. The demo needs only the runtime requirements; the
# tests add the development tools and Spark (about 1 GB), installed when first needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt requirements-spark.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: $(VENV)/.runtime
	$(PY) -m emulator.demo

# The Databricks Connect test needs two Python 3.12 environments (about 1.4 GB), and the last step a Python 3.10
# one (about 80 MB), all cached under ~/.cache between runs, keyed by their Python and requirements: they are
# built in the background while the rest of the suite runs. The last step runs the tests marked py310 (the fast
# layer and a few end-to-end scans) on Python 3.10, the oldest that pyproject.toml admits.
test: $(VENV)/.installed
	$(PY) -m tests.dbconnect.envs > .dbconnect-envs.log 2>&1 &
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -q -n 3 --dist loadgroup tests
	$(PY) -m tests.py310

bench: $(VENV)/.installed
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) demo-output .pytest_cache
