# Two commands on a fresh machine: `make lab` starts the course, `make test` runs every test.
# Both create .venv and install the course into it when it is missing or pyproject.toml changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_ARGS ?=
VOILA_ARGS ?=
QUIZ_PORT ?= 8866
NBVAL_SANITIZE := tests/nbval_sanitize.cfg
# Exact versions the tests and CI install (pyproject.toml keeps the ranges for pip users).
LOCK := constraints.txt
PYTEST := MPLBACKEND=Agg $(BIN)/python -m pytest -n 2 --dist loadfile
# Docstring examples run as tests, in every crmlib module.
DOCTESTS := --doctest-modules crmlib

.PHONY: help install lab test lint unit pytest-all notebooks exercises-test exercises bench \
	bench-grading execute html quiz data verify-data lock clean

help:
	@echo "make lab          open JupyterLab on your working copy of the first lesson (my-work/)"
	@echo "make test         run ruff and every test, notebooks included"
	@echo "make quiz         the review quiz and flashcards as a web app (Voila, port 8866)"
	@echo "make execute      re-run the lesson notebooks and save their outputs"
	@echo "make html         the course website in html/ (index.html; no Jupyter, no network)"
	@echo "make bench        speed figures against reference implementations"
	@echo "make exercises    regenerate exercises/ from solutions/"
	@echo "make bench-grading  grading throughput (60 submissions, --jobs 2)"
	@echo "make data         rebuild the Harbor Coffee data (byte for byte) and its checksums"
	@echo "make verify-data  check the data files against datasets/CHECKSUMS"
	@echo "make unit         the fast tests and doctests (no browser, no servers; under a minute)"
	@echo "make lock         re-resolve the dependencies and rewrite $(LOCK)"

# The course with its dev tools and the grader's extra (crm grade --scheduler's Dask):
# make test runs the grader's tests too. A student's `pip install` takes neither extra.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[dev,grader]"
	@touch $(STAMP)

install: $(STAMP)

# JupyterLab opens the learner's working copy (my-work/, git-ignored, never overwritten),
# so autosave never dirties the committed notebooks. `crm lab` does it all (crmlib/lab.py),
# on Windows and macOS too; LAB_ARGS go to JupyterLab.
lab: $(STAMP)
	$(BIN)/crm lab -- $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check crmlib tests benchmarks tools

# The fast tier: no browser, no servers, no package builds.
unit: $(STAMP)
	$(PYTEST) -m "not browser and not slow" $(DOCTESTS) tests

# Every test, browser and slow ones included.
pytest-all: $(STAMP)
	$(PYTEST) $(DOCTESTS) tests

# Lessons and solutions carry outputs and must reproduce them (strict nbval).
# A throw-away progress file keeps the learner's own quiz progress out of the tests.
# Matplotlib's font cache is built first, so its one-off notice never lands in a cell.
# A kernel that dies before it starts (rare; not a notebook failure) gets one more run
# (tools/pytest_kernel_retry.py); a failing cell never does.
notebooks: $(STAMP)
	$(BIN)/python -c "import matplotlib.font_manager"
	CRM_PROGRESS=$$(mktemp -d)/progress.json $(BIN)/python tools/pytest_kernel_retry.py -n 2 --dist loadfile --nbval \
	  --nbval-sanitize-with $(NBVAL_SANITIZE) --nbval-cell-timeout=300 -p no:cacheprovider \
	  $$(ls notebooks/*.ipynb solutions/*.ipynb 2>/dev/null)

# Exercises carry no outputs: they only have to run unanswered (nbval-lax),
# and they must be what their solutions generate.
exercises-test: $(STAMP)
	$(BIN)/crm exercises check
	@if ls exercises/*.ipynb >/dev/null 2>&1; then \
	  CRM_PROGRESS=$$(mktemp -d)/progress.json \
	  $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax \
	    --nbval-cell-timeout=300 -p no:cacheprovider exercises; \
	else echo "exercises/: no workbooks yet, nothing to run"; fi

test: lint pytest-all notebooks exercises-test

# lifetimes is the reference implementation; it lives in its own environment.
.venv-bench/.installed: pyproject.toml $(LOCK)
	@test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet -c $(LOCK) -e . "lifetimes==0.11.3"
	@touch .venv-bench/.installed

bench: $(STAMP) .venv-bench/.installed
	$(BIN)/python benchmarks/bench_data.py
	.venv-bench/bin/python benchmarks/bench_models.py

exercises: $(STAMP)
	$(BIN)/crm exercises build

bench-grading: $(STAMP)
	$(BIN)/python benchmarks/bench_grading.py

# Re-run the lessons in place after editing them (outputs are committed).
execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py notebooks/*.ipynb

# The review notebook as a web app, code hidden (Voila with the course's settings:
# crmlib/quiz/app.py shuts down the kernel of every page left).
quiz: $(STAMP)
	$(BIN)/python -m crmlib.quiz.app --port=$(QUIZ_PORT) $(VOILA_ARGS)

data: $(STAMP)
	$(BIN)/crm data build

verify-data: $(STAMP)
	$(BIN)/crm data verify

# Resolve the ranges of pyproject.toml (and tools/lock_limits.txt) into one lock for every
# platform and Python (uv's --universal: markers pick the pins per platform), keeping the
# pins that are still in range (`make lock UPGRADE=--upgrade` takes new releases), then
# check that it installs from wheels alone on each platform and Python below. Commit
# constraints.txt after `make test` passes with it.
LOCK_PYTHONS := 3.11 3.12 3.13 3.14
LOCK_PLATFORMS := x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin \
	aarch64-apple-darwin x86_64-pc-windows-msvc
UPGRADE ?=
UV := .venv-lock/bin/uv
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet "uv>=0.5"
	cp $(LOCK) $(LOCK).tmp
	$(UV) pip compile pyproject.toml --extra dev --extra grader --universal \
	  --python-version 3.11 -c tools/lock_limits.txt --no-annotate \
	  --custom-compile-command "make lock" $(UPGRADE) --quiet -o $(LOCK).tmp
	for platform in $(LOCK_PLATFORMS); do for python in $(LOCK_PYTHONS); do \
	  echo "wheels for $$platform, Python $$python"; \
	  $(UV) pip compile pyproject.toml --extra dev --extra grader --quiet --no-header \
	    --python-platform $$platform --python-version $$python --only-binary :all: \
	    -c $(LOCK).tmp > /dev/null || exit 1; done; done
	mv $(LOCK).tmp $(LOCK)
	rm -rf .venv-lock

# The course website, read without Jupyter or a network: an entry page with the course map,
# every lesson (figures, contents, previous/next, what-ifs drawn, quizzes as self-tests).
# make test builds it too, into a temporary folder (tests/test_site.py, a slow test).
html: $(STAMP)
	$(BIN)/python tools/render_html.py html notebooks/[0-9][0-9]_*.ipynb
	@echo "open html/index.html in a browser"

clean:
	rm -rf $(VENV) .venv-bench .pytest_cache .ruff_cache html
