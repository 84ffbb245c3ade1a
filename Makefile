# Two commands on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Development values for `make serve` (never used in production).
DEV_ENV := DJANGO_DEBUG=1 DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve serve-prod test lint format bench check-deploy clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

serve: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py import_episodes fixtures/_podcast
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production: needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (gunicorn.conf.py says which is missing);
# GUNICORN_BIND, GUNICORN_WORKERS, ... as documented there.
serve-prod: install
	@$(BIN)/python gunicorn.conf.py
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/gunicorn -c gunicorn.conf.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=podcast_site.test_settings $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=podcast_site.test_settings $(BIN)/python manage.py check

# The suite on SQLite, then again on PostgreSQL when a server answers (required under CI=true).
test: lint
	$(BIN)/python -m pytest
	$(BIN)/python scripts/run_postgres_tests.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# report.py: import, pages, search and gunicorn against nginx in one run, each figure with its target.
bench: install
	$(BIN)/python bench/report.py
	$(BIN)/python bench/search_speed.py
	$(BIN)/python bench/admin_longest_episode.py
	$(BIN)/python bench/quality_speed.py
	$(BIN)/python bench/image_bytes.py
	$(BIN)/python bench/open_formats_speed.py

check-deploy: install
	DJANGO_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	DJANGO_ALLOWED_HOSTS=podcast.example.org \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
