"""Server time of the feeds, transcript files, sitemap, old links and JSON API on the real archive.

    .venv/bin/python bench/open_formats_speed.py [ARCHIVE/_podcast] [--runs N]

Imports the archive into a temporary SQLite database, then requests each URL
through Django's test Client (the full request: middleware, view, rendering)
N times, and prints the median, the 95th percentile, the queries and the size.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from engines import DEFAULT_ARCHIVE, import_archive, percentile

LONGEST = "practical-devrel-demofirst-education-and-open-source"  # 28 sections, 279 lines


def measure(archive, runs):
    report, _ = import_archive(archive)
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from episodes.models import Episode

    print(f"imported: {report.summary()}; {Episode.objects.published().count()} published episodes")

    urls = {
        "feed of every episode": "/feed.xml",
        "guest feed": "/guests/alexeygrigorev/feed.xml",
        "topic feed": "/topics/machine-learning/feed.xml",
        **{f"longest episode .{fmt}": f"/episodes/{LONGEST}/transcript.{fmt}" for fmt in ("vtt", "srt", "json", "txt")},
        "longest episode chapters": f"/episodes/{LONGEST}/chapters.json",
        "sitemap": "/sitemap.xml",
        "old link /podcast/<stem>.html": f"/podcast/{LONGEST}.html",
        "API episode list (100)": "/api/episodes/?page_size=100",
        "API longest episode": f"/api/episodes/{LONGEST}/",
        "API guest list (100)": "/api/guests/?page_size=100",
    }
    client = Client()
    for label, url in urls.items():
        for _ in range(2):  # warm up
            response = client.get(url)
            assert response.status_code in (200, 301), (url, response.status_code)
        reset_queries()  # the request would, after the context noted where the log ended
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries)  # now: the next request empties the log it reads
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        print(
            f"  {label:32} median {statistics.median(times):7.1f} ms   p95 {percentile(times, 0.95):7.1f} ms"
            f"   {query_count:2} queries   {len(response.content) / 1024:7.1f} KiB"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archive", nargs="?", default=str(DEFAULT_ARCHIVE))
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    archive = Path(args.archive)
    if not archive.is_dir():
        sys.exit(f"no archive at {archive}")
    folder = tempfile.mkdtemp(prefix="open-formats-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["PODCAST_MEDIA_ROOT"] = f"{folder}/media"  # the archive's covers, not into the project's media/
    try:
        print(f"Open formats, server time over {args.runs} requests each (SQLite)")
        measure(archive, args.runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
