"""Faults during an import, with real processes: SIGKILL at any moment, a database that cannot be written, a
full disk, a file that vanishes mid-run. Each ends with every episode whole (as before, or as in its file)."""

import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from episodes.tests import processes
from episodes.tests.conftest import EDGE_CASES, FIXTURE_EPISODES
from episodes.tests.processes import (
    check_every_episode_whole,
    end_process_group,
    episode_states,
    import_is_writing,
    make_scratch_archive,
    manage,
    start_manage,
    wait_until,
    wal_size,
)

pytestmark = pytest.mark.processes

scratch_database = processes.scratch_database

# A small wrapper around manage.py for faults the tests cannot cause from outside: it caps the SQLite file's
# size (the database is then full, exactly as on a full disk: SQLITE_FULL), or deletes a file after the
# import has found it and before it reads it. Nothing in the application knows about it.
FAULTY_MANAGE = """
import os, sys
from pathlib import Path

sys.path.insert(0, {base_dir!r})
import django

django.setup()

if os.environ.get("FAULT_MAX_PAGES"):
    from django.db.backends.signals import connection_created

    def cap_the_file(connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {{pages + int(os.environ['FAULT_MAX_PAGES'])}}")

    connection_created.connect(cap_the_file)

if os.environ.get("FAULT_VANISH"):
    from episodes import importer

    find_files = importer.find_files

    def find_then_lose_one(paths):
        found = find_files(paths)
        Path(os.environ["FAULT_VANISH"]).unlink()
        return found

    importer.find_files = find_then_lose_one

from django.core.management import execute_from_command_line

execute_from_command_line(["manage.py", *sys.argv[1:]])
"""


def faulty_manage(tmp_path, database, *args, **env):
    script = tmp_path / "faulty_manage.py"
    script.write_text(FAULTY_MANAGE.format(base_dir=str(processes.BASE_DIR)))
    return subprocess.run(
        [processes.sys.executable, str(script), *map(str, args)],
        env=processes.process_env(database, **env),
        cwd=processes.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def error_lines(result):
    """What the command wrote to stderr, without django-axes' start-up banner (its own, on every start)."""
    return [line for line in result.stderr.splitlines() if not line.startswith("AXES: ")]


def sqlite_database(path, workdir):
    return processes.ScratchDatabase(f"sqlite:///{path}", "sqlite", workdir, Path(path))


def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def table_counts(database):
    tables = ["episodes_episode", "episodes_section", "episodes_line", "episodes_guest", "episodes_topic"]
    return {table: database.rows(f"SELECT COUNT(*) FROM {table}")[0][0] for table in tables}  # noqa: S608


def migrated(database):
    result = manage(database, "migrate", "--noinput", "-v", "0")
    assert result.returncode == 0, result.stderr
    return database


# --- SIGKILL ---------------------------------------------------------------------------------------


def import_writing_for(database, archive):
    """Runs a full import to its end; returns the seconds from its first uncommitted write to its commit."""
    baseline = wal_size(database)
    process = start_manage(database, "import_episodes", archive.podcast)
    try:
        wait_until(lambda: process.poll() is not None or import_is_writing(database, baseline), 120)
        first_write = time.monotonic()
        wait_until(lambda: process.poll() is not None or not import_is_writing(database, baseline), 120)
        writing = time.monotonic() - first_write
        assert process.wait(timeout=120) == 0, process.stderr.read()
        return writing
    finally:
        end_process_group(process)


def kill_mid_write(database, archive, delay, redo):
    """Starts a full import and SIGKILLs it ``delay`` seconds after its first uncommitted write, checking just
    before that it is still writing. Should it have finished first (a busy machine is not a steady clock),
    ``redo()`` gives the next import work again and the kill is tried sooner."""
    for _attempt in range(4):
        baseline = wal_size(database)
        process = start_manage(database, "import_episodes", archive.podcast)
        try:
            wait_until(
                lambda: process.poll() is not None or import_is_writing(database, baseline),  # noqa: B023
                120,
                message="the first write",
            )
            assert process.poll() is None, f"the import ended before writing anything: {process.stderr.read()}"
            time.sleep(delay)
            if import_is_writing(database, baseline):
                process.send_signal(signal.SIGKILL)
                assert process.wait(timeout=30) == -signal.SIGKILL
                return
            assert process.wait(timeout=120) == 0, process.stderr.read()  # it committed before the kill
        finally:
            end_process_group(process)
        redo()
        delay /= 3
    pytest.fail("no kill landed while the import was writing")


@pytest.mark.corpus
def test_an_import_killed_at_any_moment_leaves_every_episode_whole(corpus, scratch_database, tmp_path):
    archive = make_scratch_archive(corpus, tmp_path / "archive")
    database = migrated(scratch_database)

    def empty_the_database():
        assert manage(database, "flush", "--noinput").returncode == 0

    # Killed while creating: the episodes are absent, or complete.
    kill_mid_write(database, archive, delay=0.2, redo=empty_the_database)
    assert set(check_every_episode_whole(database, archive).values()) <= {"old"}

    # The next import completes the job; how long it writes for places the kills below.
    writing = import_writing_for(database, archive)
    assert check_every_episode_whole(database, archive) == archive.all_in("old")

    # Every file changes; the import is killed early, half-way and late in its writing (replacing every
    # episode writes for longer than creating them did).
    archive.write("new")
    version = ["new"]

    def change_every_file_again():
        version[0] = "old" if version[0] == "new" else "new"
        archive.write(version[0])

    for fraction in (0.1, 0.5, 0.9):
        kill_mid_write(database, archive, delay=fraction * writing, redo=change_every_file_again)
        states = check_every_episode_whole(database, archive)
        assert set(states) == set(archive.versions)  # no episode lost

    archive.write("new")
    result = manage(database, "import_episodes", archive.podcast)
    assert result.returncode == 0, result.stderr
    assert check_every_episode_whole(database, archive) == archive.all_in("new")
    assert episode_states(database) == {slug: versions["new"] for slug, versions in archive.versions.items()}
    again = manage(database, "import_episodes", archive.podcast)
    assert again.returncode == 0, again.stderr
    assert f"unchanged {len(archive.versions)}," in again.stdout


# --- a database that cannot be written --------------------------------------------------------------


def test_a_database_in_a_folder_that_does_not_exist(tmp_path):
    database = sqlite_database(tmp_path / "no-such-folder" / "podcast.sqlite3", tmp_path)

    result = manage(database, "import_episodes", FIXTURE_EPISODES)

    assert result.returncode == 1
    assert error_lines(result) == [
        f"CommandError: cannot import: {database.path}: cannot open the database file (does its folder exist, "
        "and may this user write there?) (unable to open database file). Nothing was written."
    ]
    assert not database.path.parent.exists()


def test_a_database_path_that_is_a_folder(tmp_path):
    database = sqlite_database(tmp_path / "podcast.sqlite3", tmp_path)
    database.path.mkdir()

    result = manage(database, "import_episodes", FIXTURE_EPISODES)

    assert result.returncode == 1
    (message,) = error_lines(result)  # one line, no traceback
    assert "cannot open the database file" in message
    assert list(database.path.iterdir()) == []


def test_a_database_without_tables_says_to_migrate(tmp_path):
    database = sqlite_database(tmp_path / "podcast.sqlite3", tmp_path)

    result = manage(database, "import_episodes", FIXTURE_EPISODES)

    assert result.returncode == 1
    assert error_lines(result) == [
        f"CommandError: cannot import: {database.path}: the database has no tables for episodes yet: "
        "run `manage.py migrate` first (no such table: episodes_episode). Nothing was written."
    ]


class ReadOnly:
    """Makes a file read-only for this process: permissions, or the immutable flag for root (who ignores them)."""

    def __init__(self, *paths):
        self.paths = paths

    def __enter__(self):
        for path in self.paths:
            if os.geteuid() == 0:
                if not shutil.which("chattr"):
                    pytest.skip("running as root, and without chattr a file cannot be made read-only for root")
                flagged = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
                if flagged.returncode:
                    pytest.skip(f"running as root, and chattr +i failed here: {flagged.stderr.strip()}")
            else:
                path.chmod(0o444)
        return self

    def __exit__(self, *exc):
        for path in self.paths:
            if os.geteuid() == 0:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            else:
                path.chmod(0o644)


def test_a_read_only_database_is_left_as_it_was(tmp_path):
    database = migrated(sqlite_database(tmp_path / "podcast.sqlite3", tmp_path))
    assert manage(database, "import_episodes", EDGE_CASES / "sections.md").returncode == 0
    connection = processes.sqlite3.connect(database.path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
    connection.close()
    before = file_digest(database.path)

    with ReadOnly(database.path):
        result = manage(database, "import_episodes", FIXTURE_EPISODES)

    assert result.returncode == 1
    (message,) = error_lines(result)  # at the first write, whichever file it is for
    assert message.startswith("CommandError: ")
    assert (
        f": {database.path}: the database is read-only (check the permissions of the file and of its folder) "
        "(attempt to write a readonly database). Nothing"
    ) in message
    assert file_digest(database.path) == before


def test_a_postgresql_server_that_does_not_answer(tmp_path):
    database = processes.ScratchDatabase("postgres://postgres@127.0.0.1:1/podcast", "postgresql", tmp_path)

    result = manage(database, "import_episodes", FIXTURE_EPISODES)

    assert result.returncode == 1
    (message,) = error_lines(result)
    assert message.startswith(
        "CommandError: cannot import: PostgreSQL database 'podcast' on 127.0.0.1:1: "
        "the connection to the database server failed or was lost (connection failed:"
    )


# --- a full disk -------------------------------------------------------------------------------------


def test_a_full_disk_stops_the_import_and_keeps_nothing_of_it(tmp_path):
    # On SQLite whatever the suite's engine: the file's size is capped with max_page_count, which fails a write
    # exactly as a full disk does (SQLITE_FULL). PostgreSQL's disk is the server's, out of the test's reach.
    database = migrated(sqlite_database(tmp_path / "podcast.sqlite3", tmp_path))
    assert manage(database, "import_episodes", EDGE_CASES / "sections.md").returncode == 0
    before = table_counts(database)
    states_before = episode_states(database)

    # Room for the people and a few episodes (about 30 pages each), not for all nine.
    result = faulty_manage(tmp_path, database, "import_episodes", FIXTURE_EPISODES, FAULT_MAX_PAGES="150")

    assert result.returncode == 1
    (message,) = error_lines(result)
    assert message.startswith(f"CommandError: import stopped at {FIXTURE_EPISODES}/")
    assert message.endswith(
        f": {database.path}: the database is full (no space left on its disk, or its size limit is reached) "
        "(database or disk is full). Nothing from this run was kept."
    )
    assert table_counts(database) == before
    assert episode_states(database) == states_before

    # With room again, the same import completes.
    result = manage(database, "import_episodes", FIXTURE_EPISODES)
    assert result.returncode == 0, result.stderr
    assert table_counts(database)["episodes_episode"] == before["episodes_episode"] + 9


# --- a file that vanishes mid-run ------------------------------------------------------------------------


def test_a_file_that_vanishes_between_finding_and_reading(tmp_path, scratch_database):
    database = migrated(scratch_database)
    folder = tmp_path / "_podcast"
    shutil.copytree(FIXTURE_EPISODES, folder)
    assert manage(database, "import_episodes", folder).returncode == 0
    vanishing = folder / "interpretable-machine-learning.md"
    changed = folder / "cloud-data-governance.md"
    states_before = episode_states(database)
    # Both files change; one of them vanishes after the import has listed the folder.
    for path in (vanishing, changed):
        path.write_text(path.read_text().replace("\ntranscript:\n", "\n" + processes.OLD_CHAPTER, 1))

    result = faulty_manage(tmp_path, database, "import_episodes", folder, FAULT_VANISH=str(vanishing))

    assert result.returncode == 1
    assert error_lines(result) == [
        f"{vanishing}: the file vanished during the import (moved or deleted); nothing was read"
    ]
    assert "updated 1, unchanged 7" in result.stdout
    assert "failed 1" in result.stdout
    states = episode_states(database)
    slug_of = {path.stem for path in (vanishing, changed)}
    assert {slug: state for slug, state in states.items() if slug not in slug_of} == {
        slug: state for slug, state in states_before.items() if slug not in slug_of
    }
    assert states[vanishing.stem] == states_before[vanishing.stem]  # as before: not half-deleted, not changed
    assert states[changed.stem].sections == states_before[changed.stem].sections + 1
    assert states[changed.stem].lines == states_before[changed.stem].lines + 1
