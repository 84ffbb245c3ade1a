"""Server time of /search/ on the real archive: median and 95th percentile per query, on each engine.

    .venv/bin/python bench/search_speed.py [ARCHIVE/_podcast] [--runs N]

Imports the archive (~27,400 transcript lines) into a temporary SQLite database
and, when a PostgreSQL server answers at TEST_DATABASE_URL_POSTGRES (default
postgres://postgres@127.0.0.1:5432/postgres), into a temporary database created
there and dropped afterwards. Then requests /search/ through Django's test
Client (the full request: middleware, view, template) N times per query, each
time as a search never asked before (the page cache on, as in production, but
missing). Target: every median under 50 ms.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from engines import DEFAULT_ARCHIVE, import_archive, percentile, run_on_each_engine

TARGET_MS = 50

QUERIES = {
    "one word": "kubernetes",
    "one common word": "data",
    "two words": "machine learning",
    "quoted phrase": '"feature store"',
}


def measure(archive, runs):
    """In a process whose DATABASE_URL is set: migrate, import, then time the requests."""
    report, seconds = import_archive(archive)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from episodes.models import Line
    from episodes.search import search

    print(f"{connection.vendor}: imported in {seconds:.1f} s ({report.summary()}); {Line.objects.count():,} lines")
    # The cache on, as in production (the test settings turn it off); every request below is a search
    # never asked before (the page ignores the `_` parameter), so the page cache misses as for a reader's
    # new search, while the filters' lists of people and topics stay cached, as on the site.
    settings.PODCAST_PAGE_CACHE_SECONDS = 3600

    client, url, slow = Client(), reverse("episodes:search"), []
    for label, query in QUERIES.items():
        for n in range(3):  # warm up: connection, templates, the engine's caches
            client.get(url, {"q": query, "_": f"warm{n}"})
        times = []
        for n in range(runs):
            start = time.perf_counter()
            response = client.get(url, {"q": query, "_": n})
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
    return run_on_each_engine(__file__, [str(archive), "--runs", str(args.runs)], "search-bench")


if __name__ == "__main__":
    sys.exit(main())
