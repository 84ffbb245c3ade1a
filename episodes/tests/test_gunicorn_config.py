"""gunicorn.conf.py, the production server's settings (`make serve-prod`): what it reads from the environment,
and the clear refusal when what production needs is missing. (test_load.py serves real traffic with it.)"""

import os
import subprocess
import sys

import pytest
from django.conf import settings

CONFIG = settings.BASE_DIR / "gunicorn.conf.py"
PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-test-only-secret-key-long-enough-0123456789",
    "DJANGO_ALLOWED_HOSTS": "example.org",
}


def run(args, **env):
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "GUNICORN_"))}
    clean["DJANGO_SETTINGS_MODULE"] = "podcast_site.test_settings"  # the WSGI module's default is production's
    return subprocess.run(args, env={**clean, **env}, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60)


def check(**env):
    return run([sys.executable, str(CONFIG)], **env)


def resolved(**env):
    """gunicorn's own reading of the file: {setting: value as printed}."""
    result = run([sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "--print-config"], **env)
    assert result.returncode == 0, result.stderr
    return dict(line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)


def render_threads(**env):
    """The threads per worker that run Django, as the file hands them to podcast_site/asgi.py."""
    read = "import os, runpy; runpy.run_path('gunicorn.conf.py'); print(os.environ['PODCAST_RENDER_THREADS'])"
    result = run([sys.executable, "-c", read], **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_threads_reach_the_served_application():
    read = (
        "import runpy; runpy.run_path('gunicorn.conf.py'); import podcast_site.asgi as served; "
        "print(served.application.misses.executor._max_workers)"
    )
    result = run([sys.executable, "-c", read], **PRODUCTION, GUNICORN_THREADS="3")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"


def strip(config):
    return {name.strip(): value.strip() for name, value in config.items()}


def test_without_the_secret_key_and_hosts_it_names_both_and_stops():
    result = check()

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Cannot serve in production mode:",
        "  DJANGO_SECRET_KEY is not set: a long random string, e.g. python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'",
        "  DJANGO_ALLOWED_HOSTS is not set: the host names the site answers to, comma-separated, "
        "e.g. podcast.example.org",
    ]


@pytest.mark.parametrize("missing", sorted(PRODUCTION))
def test_one_missing_variable_is_named_alone(missing):
    env = {**PRODUCTION, missing: "  "}  # blank counts as missing

    result = check(**env)

    assert result.returncode == 1
    assert [line.split(" is not set")[0].strip() for line in result.stderr.splitlines()[1:]] == [missing]


def test_with_both_set_or_in_debug_the_check_passes():
    assert check(**PRODUCTION).returncode == 0
    assert check(DJANGO_DEBUG="1").returncode == 0


def test_gunicorn_reads_the_defaults():
    config = strip(resolved(**PRODUCTION))

    assert config["wsgi_app"] == "podcast_site.asgi:application"
    assert (config["worker_class"], config["asgi_loop"]) == ("asgi", "uvloop")
    assert int(config["workers"]) == max(2, os.cpu_count())
    assert render_threads(**PRODUCTION) == "4"
    assert config["bind"] == "['127.0.0.1:8000']"
    assert config["preload_app"] == "True"
    assert config["timeout"] == "30"
    assert config["accesslog"] == "-"
    assert config["control_socket_disable"] == "True"


def test_gunicorn_reads_the_environment():
    config = strip(
        resolved(
            **PRODUCTION,
            GUNICORN_BIND="0.0.0.0:9000, unix:/run/podcast.sock",
            GUNICORN_WORKERS="3",
            GUNICORN_THREADS="8",
            GUNICORN_TIMEOUT="60",
            GUNICORN_ACCESS_LOG="",
        )
    )

    assert config["bind"] == "['0.0.0.0:9000', 'unix:/run/podcast.sock']"
    assert (config["workers"], config["timeout"]) == ("3", "60")
    assert render_threads(**PRODUCTION, GUNICORN_THREADS="8") == "8"
    assert config["accesslog"] == "None"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("two", "GUNICORN_WORKERS must be a whole number, not 'two'"),
        ("0", "GUNICORN_WORKERS must be at least 1, not 0"),
    ],
)
def test_a_bad_number_is_refused_by_name(value, message):
    result = run([sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "--check-config"], **PRODUCTION,
                 GUNICORN_WORKERS=value)  # fmt: skip

    assert result.returncode == 1
    assert result.stderr.strip() == f"gunicorn.conf.py: {message}"
