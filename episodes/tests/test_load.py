"""Load while the archive is imported: gunicorn for real (gunicorn.conf.py) on a scratch database, 2,000 requests
from 8 concurrent clients over the public pages, while full imports of a changed archive run one after another."""

import http.client
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
from episodes.tests.processes import end_process_group, free_port, make_scratch_archive, manage, wait_until

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
        reverse("episodes:guest_list"),
        reverse("episodes:guest_detail", args=["alexeygrigorev"]),
        reverse("episodes:guest_detail", args=["tanyabergerwolf"]),
        reverse("episodes:topic_list"),
        reverse("episodes:topic_detail", args=["mlops"]),
        reverse("episodes:search") + "?" + urlencode({"q": "kubernetes"}),
        reverse("episodes:search") + "?" + urlencode({"q": '"feature store"'}),
        reverse("episodes:search") + "?" + urlencode({"q": "data engineer", "season": 20}),
    ]


class Gunicorn:
    """gunicorn -c gunicorn.conf.py on a free port, as `make serve-prod` starts it (less collectstatic)."""

    def __init__(self, database, log):
        self.port = free_port()
        self.log = log
        env = processes.process_env(database, GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_ACCESS_LOG="")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(processes.BASE_DIR / "gunicorn.conf.py")],
            env=env,
            cwd=processes.BASE_DIR,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self.answers, 60, interval=0.2, message=f"gunicorn to answer (log: {log})")

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


def client(server, paths, offset, count, outcomes):
    """One reader: ``count`` requests over ``paths`` on a keep-alive connection, reconnecting when it closes."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    for index in range(count):
        path = paths[(offset + index) % len(paths)]
        try:
            status, body = server.get(path, connection)
            outcomes.append((path, status, len(body)))
        except (OSError, http.client.HTTPException) as error:
            outcomes.append((path, type(error).__name__, 0))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.close()


@pytest.mark.corpus
def test_pages_answer_while_the_archive_is_imported(corpus, scratch_database, tmp_path):
    archive = make_scratch_archive(corpus, tmp_path / "archive")
    assert manage(scratch_database, "migrate", "--noinput", "-v", "0").returncode == 0
    first = manage(scratch_database, "import_episodes", archive.podcast)
    assert first.returncode == 0, first.stderr
    server = Gunicorn(scratch_database, tmp_path / "gunicorn.log")
    paths = page_mix(archive)
    outcomes, imports, loading = [], [], threading.Event()

    def import_all_the_while():
        """Full imports, each of the other version of every file, for as long as the clients run."""
        version = "new"
        while loading.is_set():
            archive.write(version)
            started = time.monotonic()
            result = manage(scratch_database, "import_episodes", archive.podcast)
            imports.append((version, result.returncode, result.stdout, result.stderr, time.monotonic() - started))
            version = "old" if version == "new" else "new"

    try:
        loading.set()
        importer = threading.Thread(target=import_all_the_while)
        importer.start()
        clients = [
            threading.Thread(target=client, args=(server, paths, number * 3, REQUESTS // CLIENTS, outcomes))
            for number in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        imports_during_load = len(imports) + 1  # the one still running counts: the clients overlapped it
        loading.clear()
        importer.join()
    finally:
        server.stop()

    assert len(outcomes) == REQUESTS
    failures = Counter((path, status) for path, status, _size in outcomes if status != 200)
    assert failures == Counter(), f"requests that did not answer 200: {failures}"
    assert all(size > 1000 for _path, _status, size in outcomes)
    assert Counter(path for path, _status, _size in outcomes).keys() == set(paths)
    # The clients ran while at least one full import wrote every episode, and every import succeeded.
    assert imports_during_load >= 2, imports
    changing = sum(versions["old"].digest != versions["new"].digest for versions in archive.versions.values())
    for version, status, out, err, _seconds in imports:
        assert status == 0, err
        assert f"updated {changing}, unchanged {len(archive.versions) - changing}," in out, (version, out)
    log = server.log.read_text()
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log
