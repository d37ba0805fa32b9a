# The two commands: `make run` (the whole product on embedded defaults) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint format check bench-import bench-seed bench-segments bench-load bench-deals clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: migrate SQLite, seed demo data once, start web + worker + beat; Ctrl-C stops all.
run: $(STAMP)
	DJANGO_SETTINGS_MODULE=prm.settings.local $(BIN)/python scripts/run.py

## make test: the whole suite against PostgreSQL and Redis.
test: $(STAMP)
	$(BIN)/python scripts/check_services.py
	$(BIN)/python -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: $(STAMP) lint
	DJANGO_SETTINGS_MODULE=prm.settings.test $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=prm.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=prm.settings.test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

bench-import: $(STAMP)
	DJANGO_SETTINGS_MODULE=prm.settings.test $(BIN)/python manage.py bench_import --rows 100000

bench-seed: $(STAMP)
	DJANGO_SETTINGS_MODULE=prm.settings.test $(BIN)/python manage.py seed_demo --partners 100000 --seed 1 --flush

bench-segments: $(STAMP)
	DJANGO_SETTINGS_MODULE=prm.settings.test $(BIN)/python manage.py bench_segments --partners 1000000 --segments 200

## make bench-load: gunicorn + 20 locust users for 60 s on prm_load (100k partners, seeded once).
bench-load: $(STAMP)
	DJANGO_SETTINGS_MODULE=prm.settings.test $(BIN)/python manage.py bench_load --partners 100000 --users 20 --duration 60

## make bench-deals: conflict check, API submit, SLA sweep and review queue at 2M registrations
## on prm_bench_deals (generated once; add --regenerate to the command for a new set).
bench-deals: $(STAMP)
	DJANGO_SETTINGS_MODULE=prm.settings.test $(BIN)/python manage.py bench_deals --accounts 1000000 --registrations 2000000 --partners 5000

clean:
	rm -rf var staticfiles
