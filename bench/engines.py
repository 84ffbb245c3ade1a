"""Set-up shared by the bench scripts: the archive, a run on each database engine, timing helpers.

A script that measures on both engines does, in its parent process::

    return run_on_each_engine(__file__, [str(archive), "--runs", str(runs)], "search-bench")

which runs the script again as a child process, with ``--child`` appended to those arguments,
once on a temporary SQLite file and once on a temporary PostgreSQL database created at
TEST_DATABASE_URL_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres) and dropped
afterwards (skipped with a message when no server answers). Each child gets its own temporary
media folder, so imported covers and pictures never land in the project's media/. The child
calls ``import_archive(archive)`` and then times what it measures.

Importing this module puts the project on sys.path (for ``episodes`` and ``podcast_site``).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DEFAULT_ARCHIVE = ROOT.parent / "shared" / "corpus" / "datatalksclub" / "_podcast"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL_POSTGRES") or "postgres://postgres@127.0.0.1:5432/postgres"


def percentile(values, fraction):
    """The value at ``fraction`` (0.95 for p95) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run_on_each_engine(script_file, argv, prefix):
    """Run ``script_file argv --child`` on SQLite, then on PostgreSQL; the worst exit status."""
    return max(_on_sqlite(script_file, argv, prefix), _on_postgres(script_file, argv, prefix))


def _run_child(script_file, argv, prefix, database_url):
    # The import copies covers and pictures into media storage: a throwaway folder, not the project's media/.
    media = tempfile.mkdtemp(prefix=f"{prefix}-media-")
    try:
        env = {**os.environ, "DATABASE_URL": database_url, "PODCAST_MEDIA_ROOT": media}
        return subprocess.run([sys.executable, str(script_file), *argv, "--child"], env=env).returncode
    finally:
        shutil.rmtree(media, ignore_errors=True)


def _on_sqlite(script_file, argv, prefix):
    folder = tempfile.mkdtemp(prefix=f"{prefix}-")
    try:
        return _run_child(script_file, argv, prefix, f"sqlite:///{folder}/bench.sqlite3")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _on_postgres(script_file, argv, prefix):
    import psycopg

    name = f"{prefix.replace('-', '_')}_{os.getpid()}"
    try:
        admin = psycopg.connect(POSTGRES_URL, dbname="postgres", autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        print(f"postgresql: skipped, no server at {POSTGRES_URL.rsplit('@', 1)[-1]} ({error})".strip())
        return 0
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            database_url = urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
            return _run_child(script_file, argv, prefix, database_url)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def import_archive(archive):
    """In a child: set Django up on its DATABASE_URL, migrate, import ``archive``.

    Returns (the importer's report, seconds of the import and, on PostgreSQL, the ANALYZE after it).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcast_site.test_settings")
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from episodes.importer import Importer

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    report = Importer().run([archive])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum soon does after a bulk import: the planner needs the sizes
    return report, time.perf_counter() - start
