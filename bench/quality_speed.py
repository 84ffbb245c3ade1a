"""How long the data-quality report takes on the real archive, on each engine.

    .venv/bin/python bench/quality_speed.py [ARCHIVE/_podcast] [--rounds N]

Imports the archive (~27,400 transcript lines) into a temporary SQLite database
and, when a PostgreSQL server answers at TEST_DATABASE_URL_POSTGRES (default
postgres://postgres@127.0.0.1:5432/postgres), into a temporary database created
there and dropped afterwards. Then times ``build_report()`` (the whole archive,
every check) and the admin page /admin/episodes/episode/quality/ (the full
request through Django's test Client), N rounds each, and prints the median,
the worst time and the number of queries. Target: the report well under a second.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_ARCHIVE = ROOT.parent / "shared" / "corpus" / "datatalksclub" / "_podcast"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL_POSTGRES") or "postgres://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 1000


def timed(function, rounds):
    """(median ms, worst ms, queries of the last round, last result) of calling ``function``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # warm up: connection, templates, caches
    times = []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            result = function()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), len(queries), result


def measure(archive, rounds):
    """In a process whose DATABASE_URL is set: migrate, import, then time the report."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcast_site.test_settings")
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from episodes.importer import Importer
    from episodes.models import Line
    from episodes.quality import build_report

    call_command("migrate", verbosity=0)
    report = Importer().run([archive])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum soon does after a bulk import
    print(f"{connection.vendor}: {report.summary()}; {Line.objects.count():,} lines")

    median, worst, queries, result = timed(build_report, rounds)
    report_median = median
    print(
        f"  build_report()   median {median:6.0f} ms   worst {worst:6.0f} ms   {queries} queries"
        f"   ({result.errors} errors, {result.warnings} warnings)"
    )
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "unused-password")
    client = Client()
    client.force_login(user)
    url = reverse("admin:episodes_episode_quality")
    for label, params in [("admin page, all", {}), ("admin page, errors", {"severity": "error"})]:
        median, worst, queries, response = timed(lambda params=params: client.get(url, params), rounds)
        assert response.status_code == 200, response.status_code
        print(
            f"  {label:16} median {median:6.0f} ms   worst {worst:6.0f} ms   {queries} queries"
            f"   ({len(response.content) // 1024} KiB)"
        )
    return 0 if report_median < TARGET_MS else 1


def run_engine(database_url, archive, rounds):
    # The import copies covers and pictures into media storage: a throwaway folder, not the project's media/.
    media = tempfile.mkdtemp(prefix="quality-bench-media-")
    try:
        env = {**os.environ, "DATABASE_URL": database_url, "PODCAST_MEDIA_ROOT": media}
        command = [sys.executable, __file__, str(archive), "--rounds", str(rounds), "--child"]
        return subprocess.run(command, env=env).returncode
    finally:
        shutil.rmtree(media, ignore_errors=True)


def on_sqlite(archive, rounds):
    folder = tempfile.mkdtemp(prefix="quality-bench-")
    try:
        return run_engine(f"sqlite:///{folder}/bench.sqlite3", archive, rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def on_postgres(archive, rounds):
    import psycopg

    name = f"quality_bench_{os.getpid()}"
    try:
        admin = psycopg.connect(POSTGRES_URL, dbname="postgres", autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        print(f"postgresql: skipped, no server at {POSTGRES_URL.rsplit('@', 1)[-1]} ({error})".strip())
        return 0
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return run_engine(urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}")), archive, rounds)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archive", nargs="?", default=str(DEFAULT_ARCHIVE))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    archive = Path(args.archive)
    if not archive.is_dir():
        sys.exit(f"no archive at {archive}")
    if args.child:
        return measure(archive, args.rounds)
    print(f"data-quality report on the whole archive, {args.rounds} rounds (target: under {TARGET_MS} ms)")
    return max(on_sqlite(archive, args.rounds), on_postgres(archive, args.rounds))


if __name__ == "__main__":
    sys.exit(main())
