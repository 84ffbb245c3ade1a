"""Server time of the admin pages that edit the longest episode.

    .venv/bin/python bench/admin_longest_episode.py [--rounds N]

Imports fixtures/_podcast into a fresh SQLite database, logs a superuser in,
and GETs the change page of the longest episode and of its biggest section
(the one with most lines) N times each. Prints the median and the worst time
and the number of queries. The target is well under a second for each.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LONGEST_SLUG = "practical-devrel-demofirst-education-and-open-source"


def timed_get(client, url, rounds):
    """(median seconds, worst seconds, queries of the last request) of GET ``url``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches and templates; the first request is not what editors wait for
    times = []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}")
    return statistics.median(times), max(times), len(queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    # The bench never serves static files, so whitenoise's "no STATIC_ROOT yet" warning is noise here.
    warnings.filterwarnings("ignore", message="No directory at")
    workdir = tempfile.mkdtemp(prefix="podcast-bench-admin-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcast_site.test_settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from episodes.importer import Importer
    from episodes.models import Episode, Line

    call_command("migrate", verbosity=0)
    report = Importer().run([ROOT / "fixtures" / "_podcast"])
    if not report.ok:
        sys.exit(f"import failed: {report.failures}")
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "unused-password")
    client = Client()
    client.force_login(user)

    episode = Episode.objects.get(slug=LONGEST_SLUG)
    section = episode.sections.annotate(line_count=Count("lines")).order_by("-line_count").first()
    lines = Line.objects.filter(section__episode=episode).count()
    pages = [
        (f"episode {episode.code} ({episode.sections.count()} sections, {lines} lines)", "episode", episode.pk),
        (f"its biggest section ({section.line_count} lines)", "section", section.pk),
    ]
    print(f"median and worst of {args.rounds} GETs (server time, test client, SQLite):")
    for label, model, pk in pages:
        url = reverse(f"admin:episodes_{model}_change", args=[pk])
        median, worst, queries = timed_get(client, url, args.rounds)
        print(f"  {label:45} {median * 1000:6.1f} ms  (worst {worst * 1000:6.1f} ms, {queries} queries)")


if __name__ == "__main__":
    main()
