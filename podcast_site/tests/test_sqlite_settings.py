"""SQLite tuned for a web app: each setting checked on a real connection to a database file, opened by
the production settings in a separate process (the test database may be PostgreSQL or in memory)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

# Run in a process of its own with the production settings and a database file.
PROBE = """
import json, sqlite3, threading, time
from django.db import connection, transaction
from django.db.utils import OperationalError

cursor = connection.cursor()
facts = {
    "journal_mode": cursor.execute("PRAGMA journal_mode").fetchone()[0],
    "synchronous": cursor.execute("PRAGMA synchronous").fetchone()[0],
    "busy_timeout_ms": cursor.execute("PRAGMA busy_timeout").fetchone()[0],
}
cursor.execute("CREATE TABLE probe (n INTEGER)")
cursor.execute("INSERT INTO probe VALUES (1)")

# Another process's connection, one that gives up at once when the database is busy.
other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None, check_same_thread=False)
with transaction.atomic():
    # Nothing written yet, but BEGIN IMMEDIATE already holds the write lock...
    try:
        other.execute("INSERT INTO probe VALUES (2)")
        facts["other_writer"] = "wrote"
    except sqlite3.OperationalError as error:
        facts["other_writer"] = str(error)
    # ... and with WAL a reader is not blocked by it.
    facts["reader_sees"] = other.execute("SELECT count(*) FROM probe").fetchone()[0]
    cursor.execute("INSERT INTO probe VALUES (3)")

# A writer that finds the lock taken waits for it (up to the busy timeout) instead of failing.
locked = threading.Event()
def hold_the_lock():
    other.execute("BEGIN IMMEDIATE")
    locked.set()
    time.sleep(0.5)
    other.execute("COMMIT")
holder = threading.Thread(target=hold_the_lock)
holder.start()
assert locked.wait(10)
started = time.monotonic()
try:
    with transaction.atomic():
        cursor.execute("INSERT INTO probe VALUES (4)")
    facts["waiting_writer"] = "wrote"
except OperationalError as error:
    facts["waiting_writer"] = str(error)
facts["waited_seconds"] = round(time.monotonic() - started, 2)
holder.join()
print(json.dumps(facts))
"""


@pytest.fixture(scope="module")
def sqlite_facts(tmp_path_factory):
    database = tmp_path_factory.mktemp("sqlite") / "site.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env.update(DJANGO_SETTINGS_MODULE="podcast_site.settings", DATABASE_URL=f"sqlite:///{database}")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_write_ahead_log(sqlite_facts):
    assert sqlite_facts["journal_mode"] == "wal"


def test_synchronous_normal(sqlite_facts):
    assert sqlite_facts["synchronous"] == 1  # NORMAL: safe with WAL, no fsync per commit


def test_a_busy_timeout(sqlite_facts):
    assert sqlite_facts["busy_timeout_ms"] == 20_000


def test_transactions_take_the_write_lock_when_they_begin(sqlite_facts):
    # A second writer is refused while the first transaction has written nothing yet...
    assert sqlite_facts["other_writer"] == "database is locked"
    # ... and a reader still reads.
    assert sqlite_facts["reader_sees"] == 1


def test_a_writer_waits_for_the_lock_instead_of_failing(sqlite_facts):
    assert sqlite_facts["waiting_writer"] == "wrote"
    assert sqlite_facts["waited_seconds"] >= 0.3
