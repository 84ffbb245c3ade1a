"""Which database errors stop an import (the database is at fault) and which fail one file (its data is)."""

import sqlite3

import psycopg
import pytest
from django.db import DataError, IntegrityError, OperationalError, ProgrammingError

from episodes.database_faults import ImportStopped, database_fault, stop_on_database_fault


def django_error(django_class, cause):
    """As Django raises it: its own class, the driver's error as the cause."""
    try:
        raise django_class(str(cause)) from cause
    except django_class as error:
        return error


def sqlite_error(code, message, cls=sqlite3.OperationalError):
    error = cls(message)
    error.sqlite_errorcode = code
    return error


def postgres_error(sqlstate):
    return psycopg.errors.lookup(sqlstate)("the server's message")


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (sqlite_error(sqlite3.SQLITE_FULL, "database or disk is full"), "the database is full"),
        (sqlite_error(sqlite3.SQLITE_IOERR | (3 << 8), "disk I/O error"), "the disk failed"),  # an extended code
        (sqlite_error(sqlite3.SQLITE_READONLY, "attempt to write a readonly database"), "the database is read-only"),
        (sqlite_error(sqlite3.SQLITE_BUSY, "database is locked"), "the database is locked"),
        (sqlite_error(sqlite3.SQLITE_ERROR, "no such table: episodes_episode"), "run `manage.py migrate` first"),
        (postgres_error("53100"), "the database server's disk is full"),
        (postgres_error("53200"), "out of resources"),
        (postgres_error("57P01"), "stopped or cancelled"),
        (postgres_error("25006"), "the database is read-only"),
        (postgres_error("42P01"), "run `manage.py migrate` first"),
        (psycopg.OperationalError("connection failed: Connection refused"), "the connection to the database"),
    ],
)
def test_the_database_at_fault_stops_the_import(error, fault):
    wrapped = django_error(OperationalError, error)

    assert fault in database_fault(wrapped)
    with pytest.raises(ImportStopped) as stopped:
        stop_on_database_fault("some/file.md", wrapped)
    assert stopped.value.path == "some/file.md"
    assert stopped.value.error is wrapped


@pytest.mark.parametrize(
    ("django_class", "error"),
    [
        (IntegrityError, sqlite_error(sqlite3.SQLITE_CONSTRAINT, "UNIQUE constraint failed", sqlite3.IntegrityError)),
        (DataError, sqlite_error(sqlite3.SQLITE_TOOBIG, "string or blob too big", sqlite3.DataError)),
        (IntegrityError, postgres_error("23505")),  # unique_violation
        (DataError, postgres_error("22001")),  # string_data_right_truncation
        (OperationalError, postgres_error("54000")),  # program_limit_exceeded: a text too long to index
        (ProgrammingError, postgres_error("42601")),  # syntax_error
    ],
)
def test_a_files_bad_data_fails_that_file_alone(django_class, error):
    wrapped = django_error(django_class, error)

    assert database_fault(wrapped) is None
    stop_on_database_fault("some/file.md", wrapped)  # returns: the importer records the file as failed


def test_errors_that_are_not_database_errors_are_never_faults():
    assert database_fault(OSError("No such file or directory")) is None
    assert database_fault(ValueError("bad")) is None
