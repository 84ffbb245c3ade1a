"""Load while the archive is imported: gunicorn for real (gunicorn.conf.py) on a scratch database, 2,000 requests
from 8 concurrent clients over the public pages, while full imports of a changed archive run one after another.

The page cache is on, as in production (the test settings turn it off): each import that commits makes every
page render again from the database, and one request in four carries a query parameter no page reads, so it
misses the cache and reads the database while the import writes."""

import http.client
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from episodes.tests import processes
from episodes.tests.conftest import LONGEST_SLUG
from episodes.tests.processes import (
    end_process_group,
    free_port,
    import_is_writing,
    make_scratch_archive,
    manage,
    start_manage,
    wait_until,
    wal_size,
)

pytestmark = pytest.mark.processes

scratch_database = processes.scratch_database

CLIENTS = 8
REQUESTS = 2000


def page_mix(archive):
    """The paths the clients cycle through: every kind of public page, the filters and the search."""
    slugs = sorted(archive.versions)
    episodes = [LONGEST_SLUG, *slugs[:: max(1, len(slugs) // 6)]]
    return [
        reverse("episodes:home"),
        reverse("episodes:episode_list"),
        reverse("episodes:episode_list") + "?" + urlencode({"season": 20}),
        reverse("episodes:episode_list") + "?" + urlencode({"topic": "mlops", "year": 2023}),
        reverse("episodes:episode_list") + "?" + urlencode({"page": 2}),
        *(reverse("episodes:episode_detail", args=[slug]) for slug in episodes),
        reverse("episodes:transcript", kwargs={"slug": LONGEST_SLUG, "fmt": "txt"}),
        reverse("episodes:transcript", kwargs={"slug": episodes[1], "fmt": "vtt"}),
        reverse("episodes:guest_list"),
        reverse("episodes:guest_detail", args=["alexeygrigorev"]),
        reverse("episodes:guest_detail", args=["tanyabergerwolf"]),
        reverse("episodes:topic_list"),
        reverse("episodes:topic_detail", args=["mlops"]),
        reverse("episodes:search") + "?" + urlencode({"q": "kubernetes"}),
        reverse("episodes:search") + "?" + urlencode({"q": '"feature store"'}),
        reverse("episodes:search") + "?" + urlencode({"q": "data engineer", "season": 20}),
    ]


SERVED_SETTINGS = """
import os

from podcast_site.cache_config import caches_from_environment
from podcast_site.test_settings import *  # noqa: F403

# As in production: the page cache on, and the content version in a store that every process of the
# machine shares (this test's PODCAST_CACHE_DIR), so that a change made by another process shows.
CACHES = caches_from_environment(os.environ, BASE_DIR)  # noqa: F405
PODCAST_PAGE_CACHE_SECONDS = 3600
"""


def served_settings(workdir):
    """The environment of a process with the settings gunicorn serves here (SERVED_SETTINGS)."""
    (workdir / "served_settings.py").write_text(SERVED_SETTINGS)
    return {"DJANGO_SETTINGS_MODULE": "served_settings", "PYTHONPATH": f"{workdir}{os.pathsep}{processes.BASE_DIR}"}


class Gunicorn:
    """gunicorn -c gunicorn.conf.py on a free port, as `make serve-prod` starts it (less collectstatic), with
    the test settings plus the page cache and the shared version store (SERVED_SETTINGS)."""

    def __init__(self, database, workdir):
        self.port = free_port()
        self.log = workdir / "gunicorn.log"
        env = processes.process_env(
            database, GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_ACCESS_LOG="", **served_settings(workdir)
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(processes.BASE_DIR / "gunicorn.conf.py")],
            env=env,
            cwd=processes.BASE_DIR,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self.answers, 60, interval=0.2, message=f"gunicorn to answer (log: {self.log})")

    def answers(self):
        assert self.process.poll() is None, self.log.read_text()
        try:
            return self.get(reverse("episodes:home"))[0] == 200
        except OSError:
            return False

    def get(self, path, connection=None):
        own = connection is None
        connection = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            if own:
                connection.close()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        finally:
            end_process_group(self.process)


def client(server, paths, number, outcomes):
    """One reader: its share of the requests over ``paths`` on a keep-alive connection (reconnecting when it
    breaks); every fourth request misses the page cache."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    for index in range(REQUESTS // CLIENTS):
        path = paths[(number * 3 + index) % len(paths)]
        if index % 4 == 0:
            path += ("&" if "?" in path else "?") + f"uncached={number}-{index}"
        try:
            status, body = server.get(path, connection)
            outcomes.append((path, status, len(body)))
        except (OSError, http.client.HTTPException) as error:
            outcomes.append((path, type(error).__name__, 0))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.close()


class ImportLoop(threading.Thread):
    """Full imports, each of the other version of every file, one after another until stopped."""

    def __init__(self, database, archive):
        super().__init__(daemon=True)
        self.database, self.archive = database, archive
        self.runs = []  # (version, started, ended, status, stdout, stderr)
        self.current = None
        self.stopping = threading.Event()

    def run(self):
        version = "new"
        while not self.stopping.is_set():
            self.archive.write(version)
            started = time.monotonic()
            self.current = start_manage(self.database, "import_episodes", self.archive.podcast, capture=True)
            out, err = self.current.communicate(timeout=300)
            self.runs.append((version, started, time.monotonic(), self.current.returncode, out, err))
            version = "old" if version == "new" else "new"


@pytest.mark.corpus
def test_pages_answer_while_the_archive_is_imported(corpus, scratch_database, tmp_path):
    archive = make_scratch_archive(corpus, tmp_path / "archive")
    assert manage(scratch_database, "migrate", "--noinput", "-v", "0").returncode == 0
    first = manage(scratch_database, "import_episodes", archive.podcast)
    assert first.returncode == 0, first.stderr
    if scratch_database.vendor == "postgresql":
        # What autovacuum does soon after a bulk import in production; the CI server runs without it, and
        # without statistics the planner picks plans that take a minute on this archive.
        scratch_database.execute("ANALYZE")
    server = Gunicorn(scratch_database, tmp_path)
    paths = page_mix(archive)
    outcomes = []
    imports = ImportLoop(scratch_database, archive)
    baseline = wal_size(scratch_database)
    try:
        imports.start()
        # The readers start once the first import is writing.
        wait_until(lambda: import_is_writing(scratch_database, baseline), 60, message="the import to write")
        load_started = time.monotonic()
        clients = [threading.Thread(target=client, args=(server, paths, number, outcomes)) for number in range(CLIENTS)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        load_ended = time.monotonic()
        imports.stopping.set()
        imports.join()
    finally:
        imports.stopping.set()
        server.stop()
        imports.join(timeout=300)  # the import under way finishes

    assert len(outcomes) == REQUESTS
    failures = Counter((path, status) for path, status, _size in outcomes if status != 200)
    assert failures == Counter(), f"requests that did not answer 200: {failures}"
    assert all(size > 1000 for _path, _status, size in outcomes)
    assert {path.split("uncached=")[0].rstrip("?&") for path, _status, _size in outcomes} == set(paths)
    # An import ran the whole time, and every one of them imported every changed file.
    assert imports.runs[0][1] < load_started and imports.runs[-1][2] > load_ended
    assert all(later[1] - earlier[2] < 1 for earlier, later in zip(imports.runs, imports.runs[1:], strict=False))
    changing = sum(versions["old"].digest != versions["new"].digest for versions in archive.versions.values())
    for version, _started, _ended, status, out, err in imports.runs:
        assert status == 0, err
        assert f"updated {changing}, unchanged {len(archive.versions) - changing}," in out, (version, out)
    log = server.log.read_text()
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log


EDIT_TITLE = """
from episodes.models import Episode
episode = Episode.objects.get(slug={slug!r})
episode.title = {title!r}
episode.save()
"""


def test_an_edit_by_another_process_is_served_on_the_next_request(scratch_database, tmp_path):
    assert manage(scratch_database, "migrate", "--noinput", "-v", "0").returncode == 0
    assert manage(scratch_database, "import_episodes", processes.BASE_DIR / "fixtures" / "_podcast").returncode == 0
    server = Gunicorn(scratch_database, tmp_path)
    slug = "from-math-graduate-to-data-analytics"
    page = reverse("episodes:episode_detail", args=[slug])
    # Kept-alive connections spread over the workers: each renders the page and keeps it in its memory.
    connections = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=30) for _ in range(CLIENTS)]
    try:
        for _round in range(3):
            assert {server.get(page, connection)[0] for connection in connections} == {200}

        edit = manage(
            scratch_database,
            "shell",
            "-c",
            EDIT_TITLE.format(slug=slug, title="Edited in the admin"),
            **served_settings(tmp_path),
        )
        assert edit.returncode == 0, edit.stderr

        bodies = [server.get(page, connection)[1].decode() for connection in connections]
    finally:
        for connection in connections:
            connection.close()
        server.stop()
    assert all("Edited in the admin" in body for body in bodies)
    log = server.log.read_text()
    assert "Traceback" not in log, log
