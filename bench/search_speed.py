"""Server time of /search/ on the real archive: median and 95th percentile per query, on each engine.

    .venv/bin/python bench/search_speed.py [ARCHIVE/_podcast] [--runs N]

Imports the archive (~27,400 transcript lines) into a temporary SQLite database
and, when a PostgreSQL server answers at TEST_DATABASE_URL_POSTGRES (default
postgres://postgres@127.0.0.1:5432/postgres), into a temporary database created
there and dropped afterwards. Then requests /search/ through Django's test
Client (the full request: middleware, view, template) N times per query.
Target: every median under 50 ms.
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
TARGET_MS = 50

QUERIES = {
    "one word": "kubernetes",
    "one common word": "data",
    "two words": "machine learning",
    "quoted phrase": '"feature store"',
}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(archive, runs):
    """In a process whose DATABASE_URL is set: migrate, import, then time the requests."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcast_site.test_settings")
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from episodes.importer import Importer
    from episodes.models import Line
    from episodes.search import search

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    report = Importer().run([archive])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum soon does after a bulk import: the planner needs the sizes
    print(f"{connection.vendor}: imported in {time.perf_counter() - start:.1f} s ({report.summary()});"
          f" {Line.objects.count():,} lines")  # fmt: skip

    client, url, slow = Client(), reverse("episodes:search"), []
    for label, query in QUERIES.items():
        for _ in range(3):  # warm up: connection, templates, the engine's caches
            client.get(url, {"q": query})
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            response = client.get(url, {"q": query})
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results = search(query)
        median = statistics.median(times)
        slow += [label] if median >= TARGET_MS else []
        print(
            f"  {label:16} {query!r:20} median {median:6.1f} ms   p95 {percentile(times, 0.95):6.1f} ms"
            f"   ({results.episode_count} episodes, {results.line_count} lines)"
        )
    return 1 if slow else 0


def run_engine(database_url, archive, runs):
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, __file__, str(archive), "--runs", str(runs), "--child"], env=env).returncode


def on_sqlite(archive, runs):
    folder = tempfile.mkdtemp(prefix="search-bench-")
    try:
        return run_engine(f"sqlite:///{folder}/bench.sqlite3", archive, runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def on_postgres(archive, runs):
    import psycopg

    name = f"search_bench_{os.getpid()}"
    try:
        admin = psycopg.connect(POSTGRES_URL, dbname="postgres", autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        print(f"postgresql: skipped, no server at {POSTGRES_URL.rsplit('@', 1)[-1]} ({error})".strip())
        return 0
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return run_engine(urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}")), archive, runs)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archive", nargs="?", default=str(DEFAULT_ARCHIVE))
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    archive = Path(args.archive)
    if not archive.is_dir():
        sys.exit(f"no archive at {archive}")
    if args.child:
        return measure(archive, args.runs)
    print(f"/search/ server time, {args.runs} requests per query (target: median under {TARGET_MS} ms)")
    return max(on_sqlite(archive, args.runs), on_postgres(archive, args.runs))


if __name__ == "__main__":
    sys.exit(main())
