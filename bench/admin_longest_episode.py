"""Server time of the admin pages that edit the longest episode.

    .venv/bin/python bench/admin_longest_episode.py [--rounds N]

Imports fixtures/_podcast into a fresh SQLite database, logs a superuser in,
and GETs the change page of the longest episode and of its biggest section
(the one with most lines) N times each, then every page of the transcript
editor (episodes/admin_transcript.py) on a line in the middle of that section,
then submits each editor action N times, each followed by the action that
undoes it (add/delete, split/merge, move back/move on, shift +5/-5 seconds,
rename/rename back), so every round acts on the same transcript. Prints the
median and the worst time and the number of queries. The target is well under
a second for each.
"""

import argparse
import atexit
import os
import shutil
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


def report(label, times, queries):
    median, worst = statistics.median(times), max(times)
    print(f"  {label:45} {median * 1000:6.1f} ms  (worst {worst * 1000:6.1f} ms, {queries} queries)")


def timed_post(client, url, data):
    """(seconds, queries) of POST ``url``, which must succeed (redirect)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.post(url, data)
        elapsed = time.perf_counter() - start
    if response.status_code != 302:
        errors = response.context["form"].errors if response.context else ""
        sys.exit(f"POST {url} answered {response.status_code} {errors}")
    return elapsed, len(queries)


def time_editor(client, episode, section, rounds):
    """Every page and action of the transcript editor on ``section`` (a line in its middle)."""
    from django.urls import reverse

    from episodes.models import Line

    def line_url(action, line):
        return reverse(f"admin:episodes_section_{action}_line", args=[line.section_id, line.pk])

    def lines():
        return list(Line.objects.filter(section=section).order_by("position"))

    def middle():
        current = lines()
        return current[(len(current) - 1) // 2]

    rename = reverse("admin:episodes_episode_rename_speaker", args=[episode.pk])
    line = middle()
    print(f"editor pages on line {line.position} of that section:")
    for label, url in [
        ("add a line after it", line_url("add", line)),
        ("split it", line_url("split", line)),
        ("merge it with the next", line_url("merge", line)),
        ("move the first line", line_url("move", lines()[0])),
        ("shift times from it", line_url("shift", line)),
        ("delete it (confirmation)", line_url("delete", line)),
        ("rename a speaker", rename),
    ]:
        median, worst, queries = timed_get(client, url, rounds)
        print(f"  {label:45} {median * 1000:6.1f} ms  (worst {worst * 1000:6.1f} ms, {queries} queries)")

    times, queries = {}, {}

    def act(label, url, data):
        elapsed, count = timed_post(client, url, data)
        times.setdefault(label, []).append(elapsed)
        queries[label] = count

    for _ in range(rounds):
        line = middle()
        act("add a line", line_url("add", line), {"speaker": "Will", "sec": "1:00", "text": "A bench line."})
        added = Line.objects.get(section=section, text="A bench line.")
        act("delete a line", line_url("delete", added), {})
        line = middle()
        cut = line.text.find(" ", len(line.text) // 2)
        parts = {"first": line.text[:cut], "second": line.text[cut:], "speaker": line.speaker, "sec": line.timestamp}
        act("split a line", line_url("split", line), parts)
        act("merge it back", line_url("merge", line), {})
        first = lines()[0]
        act("move the first line back", line_url("move", first), {"direction": "previous"})
        act("move it on again", line_url("move", Line.objects.get(pk=first.pk)), {"direction": "next"})
        line = middle()
        act("shift times by +5 s", line_url("shift", line), {"seconds": "5"})
        act("shift times by -5 s", line_url("shift", line), {"seconds": "-5"})
        act("rename a speaker (on every line)", rename, {"speaker": "Will", "new": "Will R."})
        act("rename it back", rename, {"speaker": "Will R.", "new": "Will"})
    print(f"editor actions, median and worst of {rounds} POSTs each:")
    for label, measured in times.items():
        report(label, measured, queries[label])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    # The bench never serves static files, so whitenoise's "no STATIC_ROOT yet" warning is noise here.
    warnings.filterwarnings("ignore", message="No directory at")
    workdir = tempfile.mkdtemp(prefix="podcast-bench-admin-")
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["PODCAST_MEDIA_ROOT"] = f"{workdir}/media"  # the fixtures' covers, not into the project's media/
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
    time_editor(client, episode, section, args.rounds)


if __name__ == "__main__":
    main()
