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
import statistics
import sys
import time
from pathlib import Path

from engines import DEFAULT_ARCHIVE, import_archive, run_on_each_engine

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
    report, _ = import_archive(archive)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from episodes.models import Line
    from episodes.quality import build_report

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
    return run_on_each_engine(__file__, [str(archive), "--rounds", str(args.rounds)], "quality-bench")


if __name__ == "__main__":
    sys.exit(main())
