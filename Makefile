# Everything runs in a local virtual environment that the first target creates.
# The CPU build of torch is installed first (torch==2.13.0 resolves to the wheel already on
# these machines), so nothing pulls gigabytes of CUDA packages.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels)

.PHONY: install demo test quick lint docs docs-fast serve bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(FIND_LINKS) torch==2.13.0
	$(PY) -m pip install --quiet $(FIND_LINKS) -e ".[dev]"
	touch $(STAMP)

# The main job: the course's FrozenLake exercise, PS vs Q-learning vs DQN, 30 runs x 500 episodes
# each, as a report folder (results/demo/report.html works offline). Running it again reuses finished runs.
demo: $(STAMP)
	$(VENV)/bin/ps-graph demo --out results/demo

# CI runs `make test`: lint, format and type checks, the documentation build (tutorials executed),
# then every test (slow learning tests and the doctests of README.md and docs/ included).
test: lint docs
	$(PY) -m pytest

# The edit loop: stops at the first failure and skips the tests marked slow.
quick: $(STAMP)
	$(PY) -m pytest -m "not slow" -x -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The documentation site, offline, into site/ (open site/index.html); --strict: a warning fails the build.
# The tutorials (docs/tutorials/*.py) are executed as notebooks; docs-fast renders them without running them.
# NO_MKDOCS_2_WARNING: Material's banner about MkDocs 2 (not a warning of this site) stays out of the log.
docs docs-fast serve: export NO_MKDOCS_2_WARNING = 1
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

docs-fast: $(STAMP)
	PS_GRAPH_DOCS_EXECUTE=false $(VENV)/bin/mkdocs build --strict

# http://127.0.0.1:8000, rebuilt on every change (tutorials not executed, for speed)
serve: $(STAMP)
	PS_GRAPH_DOCS_EXECUTE=false $(VENV)/bin/mkdocs serve

bench: $(STAMP)
	$(PY) -m pip install --quiet $(FIND_LINKS) -e ".[bench]"
	$(PY) benchmarks/run.py --json results/bench.json

clean:
	rm -rf $(VENV) results site .pytest_cache .hypothesis
