"""Server time of the longest episode page, uncached and cached: CPU and wall time, median and 95th percentile.

    .venv/bin/python bench/episode_page_speed.py [ARCHIVE/_podcast] [--runs N]

Imports the archive into a temporary SQLite database and requests the page through Django's test Client
(the full request: middleware, view, template) with the production settings, as from the TLS proxy.
Uncached: the page cache is emptied before each request. CPU time (this process's) is reported beside
wall time because it is the steadier figure on a machine that other work keeps busy.
bench/report.py gives the figures of record with every other target; this is the quick one to profile by.
"""

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from engines import DEFAULT_ARCHIVE, percentile

LONGEST_SLUG = "practical-devrel-demofirst-education-and-open-source"


def timed(client, url, runs, before=None):
    cpu, wall = [], []
    for _ in range(runs):
        if before:
            before()
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        response = client.get(url, secure=True)
        wall.append(time.perf_counter() - wall_start)
        cpu.append(time.process_time() - cpu_start)
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}")
    return cpu, wall, response


def show(label, cpu, wall):
    def ms(seconds):
        return f"{seconds * 1000:.1f} ms"

    print(
        f"{label}: CPU median {ms(statistics.median(cpu))}, p95 {ms(percentile(cpu, 0.95))}; "
        f"wall median {ms(statistics.median(wall))}, p95 {ms(percentile(wall, 0.95))}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", nargs="?", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    if not args.archive.is_dir():
        sys.exit(f"no archive at {args.archive}")

    workdir = Path(tempfile.mkdtemp(prefix="episode-page-bench-"))
    try:
        measure(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(args, workdir):
    os.environ.pop("DJANGO_DEBUG", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="podcast_site.settings",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="testserver",
        PODCAST_CACHE_DIR=str(workdir / "cache"),
        PODCAST_MEDIA_ROOT=str(args.archive.parent),
        DJANGO_LOG_LEVEL="ERROR",
    )
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from episodes.importer import Importer

    # Plain static storage: the page links static files by name, and no collectstatic ran here.
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": plain}
    call_command("migrate", verbosity=0)
    report = Importer().run([args.archive])
    print(f"imported {args.archive}: {report.summary()}")

    client = Client(headers={"X-Forwarded-Proto": "https"})
    url = reverse("episodes:episode_detail", args=[LONGEST_SLUG])
    for _ in range(3):  # templates compiled, connection open, content version set
        client.get(url, secure=True)
    pages = caches["default"]
    cpu, wall, response = timed(client, url, args.runs, before=pages.clear)
    with CaptureQueriesContext(connection) as queries:
        pages.clear()
        client.get(url, secure=True)
    print(f"{url}: {len(response.content):,} bytes, {len(queries)} queries, {args.runs} requests each")
    show("uncached", cpu, wall)
    cpu, wall, _ = timed(client, url, args.runs)
    show("cached", cpu, wall)


if __name__ == "__main__":
    main()
