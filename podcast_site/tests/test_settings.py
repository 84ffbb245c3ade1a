"""Settings come from the environment, and production settings refuse unsafe start-ups."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

BASE_DIR = settings.BASE_DIR


def run_manage(*args, **env):
    clean_env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    clean_env["DJANGO_SETTINGS_MODULE"] = "podcast_site.settings"
    clean_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=clean_env, capture_output=True, text=True, timeout=120
    )


def test_deployment_check_fails_without_a_secret_key():
    result = run_manage("check", "--deploy")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_mode_starts_without_a_secret_key():
    result = run_manage("check", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="podcast.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_database_url_selects_the_database(tmp_path):
    url = f"sqlite:///{tmp_path}/other.sqlite3"
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = run_manage("shell", "--no-imports", "-c", code, DJANGO_DEBUG="1", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{tmp_path}/other.sqlite3"


def test_allowed_hosts_come_from_the_environment():
    code = "from django.conf import settings; print(settings.ALLOWED_HOSTS)"
    result = run_manage(
        "shell", "--no-imports", "-c", code, DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="a.example, b.example"
    )
    assert result.stdout.strip() == "['a.example', 'b.example']"


def test_the_wsgi_application_refuses_to_start_without_a_secret_key():
    clean_env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    result = subprocess.run(
        [sys.executable, "-c", "import podcast_site.wsgi"],
        cwd=BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_the_wsgi_application_starts_with_a_secret_key():
    clean_env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    clean_env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    result = subprocess.run(
        [sys.executable, "-c", "import podcast_site.wsgi"], cwd=BASE_DIR, env=clean_env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_makemigrations_check_needs_no_secret_key():
    result = run_manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
