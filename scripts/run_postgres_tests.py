#!/usr/bin/env python3
"""The test suite's second pass, on PostgreSQL (production's engine: its own search backend and migrations).

    .venv/bin/python scripts/run_postgres_tests.py [PYTEST ARGS]

Runs pytest with DATABASE_URL set to TEST_DATABASE_URL_POSTGRES (default
postgres://postgres@127.0.0.1:5432/postgres); pytest-django creates and drops
its own test database (test_<name>) there. Without PYTEST ARGS it runs the
whole suite except the browser tests (they test the page in a browser, the
same on either engine, and already ran in the SQLite pass).

When no server answers, it says so and exits 0; under CI=true it exits 1, as
the PostgreSQL pass is required there.
"""

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_ARGS = ["-m", "not browser"]


def redacted(url):
    """The URL without its password, to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def unreachable(url):
    """Why no PostgreSQL server answers at ``url``; None when one does."""
    try:
        # The "postgres" database, as Django does to create the test database (the URL's may not exist).
        psycopg.connect(url, dbname="postgres", connect_timeout=3).close()
    except psycopg.Error as error:
        return (str(error).strip().splitlines() or [type(error).__name__])[0]
    return None


def main():
    url = os.environ.get("TEST_DATABASE_URL_POSTGRES") or DEFAULT_URL
    why = unreachable(url)
    if why:
        required = os.environ.get("CI") == "true"
        verdict = "FAILED (required under CI=true)" if required else "SKIPPED"
        sys.stderr.write(
            f"PostgreSQL pass {verdict}: no server answers at {redacted(url)} ({why}).\n"
            "Start one, or point TEST_DATABASE_URL_POSTGRES at one, to run the tests on PostgreSQL too.\n"
        )
        return 1 if required else 0
    print(f"PostgreSQL pass: {redacted(url)}", flush=True)
    args = sys.argv[1:] or DEFAULT_ARGS
    return subprocess.run([sys.executable, "-m", "pytest", *args], env={**os.environ, "DATABASE_URL": url}).returncode


if __name__ == "__main__":
    sys.exit(main())
