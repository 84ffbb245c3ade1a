"""Helpers for the tests that run real processes (manage.py, gunicorn) on a scratch database.

The scratch database is of the engine the suite runs on: a file in a temporary folder on SQLite, a
database created for the test on PostgreSQL (and dropped after it). The test process reads it with
the plain driver (sqlite3, psycopg), never through Django's connection, so what it sees is what
another process committed.

The scratch archive is a copy of the real one in two versions of every episode file: "new" is the
file as published, "old" has an extra transcript chapter with one line at its start, so the two
differ in their number of sections and lines and an episode caught half-way between them shows.
"""

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from episodes.parsing import is_draft_filename, parse_episode

BASE_DIR = Path(settings.BASE_DIR)
OLD_CHAPTER = (
    "transcript:\n"
    "- header: An earlier version of this transcript\n"
    "- line: This chapter is only in the earlier version of the file.\n"
    "  sec: 0\n"
    "  who: Alexey\n"
)


# --- the scratch database ------------------------------------------------------------------------


@dataclass
class ScratchDatabase:
    url: str
    vendor: str  # "sqlite" or "postgresql"
    workdir: Path  # the processes' own cache folder goes here: nothing shared with other servers or tests
    path: Path | None = None  # the SQLite file

    def connect(self):
        if self.vendor == "sqlite":
            return sqlite3.connect(self.path, timeout=30)
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def execute(self, sql):
        connection = self.connect()
        try:
            connection.cursor().execute(sql)
            connection.commit()
        finally:
            connection.close()

    def rows(self, sql, params=()):
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            connection.close()


@pytest.fixture
def scratch_database(tmp_path):
    """An empty database of the suite's engine for subprocesses (not migrated)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3"):
        path = tmp_path / "scratch.sqlite3"
        yield ScratchDatabase(f"sqlite:///{path}", "sqlite", tmp_path, path)
        return
    import psycopg

    base = os.environ["DATABASE_URL"]
    name = f"{settings.DATABASES['default']['NAME']}_scratch_{os.getpid()}"[:63]
    with psycopg.connect(base, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield ScratchDatabase(urlunsplit(urlsplit(base)._replace(path=f"/{name}")), "postgresql", tmp_path)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def process_env(database, **extra):
    """The environment of a manage.py or gunicorn process on ``database``."""
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "DJANGO_SETTINGS_MODULE": "podcast_site.test_settings",
        "DJANGO_SECRET_KEY": "test-only-secret-key-for-the-process-tests-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PYTHONUNBUFFERED": "1",
        "PODCAST_CACHE_DIR": str(database.workdir / "cache"),
    }
    env.pop("DJANGO_DEBUG", None)
    return {**env, **extra}


def manage(database, *args, timeout=120, **env):
    """Runs manage.py to the end; returns the CompletedProcess (text output)."""
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *map(str, args)],
        env=process_env(database, **env),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_manage(database, *args, capture=False, **env):
    """Starts manage.py in its own process group (its parse workers too); stdout kept only with ``capture``."""
    return subprocess.Popen(
        [sys.executable, str(BASE_DIR / "manage.py"), *map(str, args)],
        env=process_env(database, **env),
        cwd=BASE_DIR,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def end_process_group(process):
    """SIGKILLs whatever is left of ``process``'s group (forked parse workers) and reaps it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the scratch archive -------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """What an episode file makes in the database: the file's hash and its number of each part."""

    digest: str
    sections: int
    lines: int
    clips: int
    guests: int


@dataclass
class ScratchArchive:
    root: Path  # holds _podcast and _people
    texts: dict  # file name -> {"old": text, "new": text}
    versions: dict  # slug -> {"old": Version, "new": Version}
    names: dict  # slug -> file name

    @property
    def podcast(self):
        return self.root / "_podcast"

    def all_in(self, which):
        """What check_every_episode_whole returns when every episode is in version ``which``."""
        return {slug: "new" if v["old"] == v["new"] else which for slug, v in self.versions.items()}

    def write(self, which):
        """Puts every episode file in version ``which`` ("old" or "new")."""
        for name, texts in self.texts.items():
            (self.podcast / name).write_text(texts[which], encoding="utf-8")


def _version(text, name):
    data = parse_episode(text, name)
    return data, Version(
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
        len(data.sections),
        data.line_count,
        len(data.clips),
        len(data.guests),
    )


def make_scratch_archive(corpus, root):
    """A copy of the real archive under ``root``, in both versions; episode files written as "old".

    The real archive has two files that claim the same season and episode (the importer rightly fails
    both); the copy leaves them out, so that a complete import of it succeeds.
    """
    source = corpus / "datatalksclub"
    shutil.copytree(source / "_people", root / "_people")
    (root / "_podcast").mkdir()
    parsed = {}
    for path in sorted((source / "_podcast").glob("*.md")):
        if is_draft_filename(path.name):
            continue
        new = path.read_text(encoding="utf-8")
        old = new.replace("\ntranscript:\n", "\n" + OLD_CHAPTER, 1)
        new_data, new_version = _version(new, path.name)
        _, old_version = _version(old, path.name)
        parsed[path.name] = (new_data, {"old": old, "new": new}, {"old": old_version, "new": new_version})
    claims = Counter((data.season, data.number) for data, _, _ in parsed.values())
    archive = ScratchArchive(root, {}, {}, {})
    for name, (data, texts, versions) in parsed.items():
        if claims[(data.season, data.number)] == 1:
            archive.texts[name], archive.versions[data.slug], archive.names[data.slug] = texts, versions, name
    archive.write("old")
    return archive


# --- what the database holds ---------------------------------------------------------------------

EPISODE_STATE_SQL = """
SELECT e.slug, e.content_hash,
  COALESCE(t.sections, 0), COALESCE(t.lines, 0), COALESCE(c.clips, 0), COALESCE(a.guests, 0)
FROM episodes_episode e
LEFT JOIN (
  SELECT s.episode_id, COUNT(DISTINCT s.id) AS sections, COUNT(l.id) AS lines
  FROM episodes_section s LEFT JOIN episodes_line l ON l.section_id = s.id GROUP BY s.episode_id
) t ON t.episode_id = e.id
LEFT JOIN (SELECT episode_id, COUNT(*) AS clips FROM episodes_clip GROUP BY episode_id) c ON c.episode_id = e.id
LEFT JOIN (SELECT episode_id, COUNT(*) AS guests FROM episodes_appearance GROUP BY episode_id) a ON a.episode_id = e.id
"""


def episode_states(database):
    """slug -> Version as stored (content hash and counts), for every episode in ``database``."""
    return {slug: Version(*rest) for slug, *rest in database.rows(EPISODE_STATE_SQL)}


def check_every_episode_whole(database, archive):
    """Every episode in the database is wholly one version of its file; returns slug -> "old" or "new".

    A row whose hash is one version's but whose sections, lines, clips or guests are not that
    version's is an episode caught half-way, and fails the test.
    """
    found = {}
    for slug, stored in episode_states(database).items():
        versions = archive.versions[slug]
        matching = [which for which, version in versions.items() if version == stored]
        assert matching, f"{slug} is half-written: {stored} is neither version {versions}"
        found[slug] = matching[-1]  # "new" when both are the same (a file without a transcript)
    orphans = database.rows(
        "SELECT COUNT(*) FROM episodes_line l LEFT JOIN episodes_section s ON l.section_id = s.id WHERE s.id IS NULL"
    )
    assert orphans == [(0,)]
    return found


def import_is_writing(database, baseline):
    """True once the import has written rows it has not committed yet (and still holds its transaction).

    SQLite: another connection cannot take the write lock, and the write-ahead log has grown past its
    size when the import started (the uncommitted pages spill into it). PostgreSQL: a session on the
    database has a transaction id, which it gets with its first write.
    """
    if database.vendor == "postgresql":
        sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL"
        return database.rows(sql)[0][0] > 0
    wal = database.path.with_name(database.path.name + "-wal")
    if not wal.exists() or wal.stat().st_size <= baseline:
        return False
    probe = sqlite3.connect(database.path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    finally:
        probe.close()


def wal_size(database):
    if database.vendor != "sqlite":
        return 0
    wal = database.path.with_name(database.path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def wait_until(condition, timeout, interval=0.01, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")
