# Everyday commands. `make run` and `make test` are the two a newcomer needs.
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test test-sqlite test-postgresql lint typecheck migration constraints eval bench dist clean

$(VENV)/.installed: pyproject.toml notebook_client/pyproject.toml constraints.txt scripts/install.sh
	bash scripts/install.sh $(VENV)
	touch $@

install: $(VENV)/.installed

run: install  ## Serve the demo forum on http://127.0.0.1:8000 (SQLite under ./var)
	$(VENV)/bin/checkfirst db upgrade
	$(VENV)/bin/checkfirst demo --if-empty
	$(VENV)/bin/checkfirst serve

test: install  ## The whole suite on SQLite, then on PostgreSQL; lint and types first
	bash scripts/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy core users lti notify forum errata index assistant app notebook_client/checkfirst_notebook

migration: install  ## A new Alembic revision from the models: make migration NAME=thread_pins (0001 is frozen)
	bash scripts/new_migration.sh $(NAME)

constraints: install  ## Re-pin every dependency in constraints.txt from .venv (after changing pyproject.toml)
	{ sed -n '/^#/p' constraints.txt; $(VENV)/bin/pip freeze --exclude-editable | grep -vi '^torch=='; } > constraints.tmp
	mv constraints.tmp constraints.txt

eval: install  ## Evaluation, dev and test side by side: ask vs bm25s vs dense, verdict figures (EVAL_ARGS="--split dev --verbose")
	$(PY) bench/eval/run.py $(EVAL_ARGS)

dist: install  ## Both wheels into dist/: checkfirst (the server) and checkfirst-notebook (the learner's client)
	rm -rf dist build notebook_client/build
	$(VENV)/bin/pip wheel -q --no-deps --no-build-isolation -w dist . ./notebook_client
	@ls dist

clean:
	rm -rf var dist build notebook_client/build .pytest_cache .mypy_cache .ruff_cache
