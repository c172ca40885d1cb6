# Ladder — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Machines with pyenv (like ours) need to be told which interpreters uv may find.
ifneq ($(wildcard $(HOME)/.pyenv/versions/3.13.0),)
export PYENV_VERSION ?= 3.13.0:3.11.7
endif

UV := $(shell command -v uv 2>/dev/null || echo var/tools/bin/uv)
PORT ?= 8000
BENCH_SCALE ?= 100000
IDENTITY_SCALE ?= 1000000
# The segments benchmark's reference size (DESIGN.md §7): 1M people, 20M activities.
SEGMENTS_SCALE ?= 1000000
PYTEST_ARGS ?=

.PHONY: help uv install demo test test-fast lint format bench bench-mail bench-segments bench-api bench-organizing bench-identity bench-dashboard bench-listening chromium clean

help:
	@echo "make demo   install, migrate, load demo data, print a login, start web + worker + mail sink"
	@echo "make test   install what tests need and run the whole suite"
	@echo "make lint   ruff, ruff format --check, mypy, makemigrations --check"
	@echo "make bench  import, segments, mail, public-page, tracking, API and organizing benchmarks (BENCH_SCALE=$(BENCH_SCALE)) into bench/results/"
	@echo "make bench-mail  mail send rate vs the sink's raw rate, and the SIGKILL fault test"
	@echo "make bench-api   API person reads (GET /api/v2/people/<id>) vs GET /healthz, BENCH_SCALE people"
	@echo "make bench-organizing  call and walk lists built, served and walked, BENCH_SCALE people (SQLite at most 100k)"
	@echo "make bench-identity  duplicate detection (precision, recall, F1, time) on IDENTITY_SCALE=$(IDENTITY_SCALE) people"
	@echo "make bench-dashboard  every dashboard tile at SEGMENTS_SCALE people vs a GROUP BY over the activity table"
	@echo "make bench-listening  listening themes over 100,000 texts vs TF-IDF alone"
	@echo "make bench-segments  segments at SEGMENTS_SCALE=$(SEGMENTS_SCALE) people (data kept in var/bench)"

# uv is installed from PyPI into var/tools when the machine has none.
var/tools/bin/uv:
	python3 -m venv var/tools
	var/tools/bin/pip install --quiet uv

uv: $(if $(filter var/tools/bin/uv,$(UV)),var/tools/bin/uv,)

install: uv
	$(UV) sync --frozen

# Browser tests drive the system Chromium; install it where we may.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); \
	    else echo "Chromium is missing: browser tests will be skipped (install the 'chromium' package)"; fi; }

demo: install
	$(UV) run ladder demo --port $(PORT)

test: install chromium
	$(UV) run pytest -q -n 2 $(PYTEST_ARGS)

test-fast: install
	$(UV) run pytest -q -x -m "not browser" $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy ladder bench
	$(UV) run ladder makemigrations --check --dry-run

format: install
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

bench: install
	$(UV) run python -m bench.run --scale $(BENCH_SCALE) --identity-scale $(IDENTITY_SCALE) --segments-scale $(SEGMENTS_SCALE)

# The first run generates, loads and rolls up the data (5 min to load and roll up 1M people /
# 20M activities on 2 cores, measured 2026-12-01) before measuring, which takes another ~8 min
# (the first placement of 1M people writes 2M moves); later runs reuse the data (var/bench/,
# ~12 GB).
# Mail: the send rate beside the sink's raw accept rate (BENCH_SCALE messages), then the fault
# test — 10,000 messages, the sender SIGKILLed at least 20 times (bench/mail_fault.py).
bench-mail: install
	$(UV) run python -m bench.run --only mail --scale $(BENCH_SCALE)

# API: GET /api/v2/people/<random id> of BENCH_SCALE people under load beside GET /healthz on
# the same server (granian on one core, the load on the other), on SQLite and PostgreSQL.
bench-api: install
	$(UV) run python -m bench.run --only api --scale $(BENCH_SCALE)

# Duplicate detection at IDENTITY_SCALE people (1M: about 45 s and 2.5 GB on 2 cores) with
# planted duplicates and household traps: precision, recall and F1 beside a DuckDB count of
# the blocked pairs.
bench-identity: install
	$(UV) run python -m bench.run --only identity --identity-scale $(IDENTITY_SCALE)

# Field organizing: a call list and a walk list built from a 50,000-person segment (beside an
# INSERT … SELECT of the same entries), 2,000 entries served by 2 volunteers at once (beside a
# bare-SQL claim), and walk_order of 50,000 doors (beside sorted()), on SQLite (at most 100k
# people) and a throwaway PostgreSQL; about 3 min each at 100k on 2 cores.
bench-organizing: install
	$(UV) run python -m bench.run --only organizing --scale $(BENCH_SCALE)

# Listening: themes found in 100,000 short texts, beside TF-IDF alone.
bench-listening: install
	$(UV) run python -m bench.listening_bench --texts 100000

# Dashboard: every tile over the segments benchmark's kept data (SEGMENTS_SCALE people, 20 activities
# each, generated on the first run), beside a GROUP BY over the activity table.
bench-dashboard: install
	$(UV) run python -m bench.run --only dashboard --segments-scale $(SEGMENTS_SCALE)

bench-segments: install
	$(UV) run python -m bench.run --only segments --scale $(SEGMENTS_SCALE) --sqlite-scale 100000

clean:
	rm -rf var/ladder.sqlite3* var/test*.sqlite3* var/imports var/exports
