"""Telling a database that cannot take the import apart from a file that cannot be written.

A file's bad data fails that file alone (the importer reports it and goes on). A database that
cannot be opened, is read-only, is full, is locked by another writer or has lost its connection
fails every file after it the same way, so the import stops at the first such error, its
transaction rolls back, and the command prints one message that says what to fix.
"""

import sqlite3

from django.db import DatabaseError, connection

# SQLite result codes (the low byte of an extended code) that are about the database file or its disk.
_SQLITE_FAULTS = {
    sqlite3.SQLITE_CANTOPEN: "cannot open the database file (does its folder exist, and may this user write there?)",
    sqlite3.SQLITE_READONLY: "the database is read-only (check the permissions of the file and of its folder)",
    sqlite3.SQLITE_PERM: "the database refused access (check the permissions of the file and of its folder)",
    sqlite3.SQLITE_FULL: "the database is full (no space left on its disk, or its size limit is reached)",
    sqlite3.SQLITE_IOERR: "the disk failed to read or write the database",
    sqlite3.SQLITE_BUSY: "the database is locked by another process that is writing to it; try again when it is done",
    sqlite3.SQLITE_LOCKED: "the database is locked by another process that is writing to it; try again when it is done",
    sqlite3.SQLITE_CORRUPT: "the database file is damaged",
    sqlite3.SQLITE_NOTADB: "the file is not an SQLite database",
}

# PostgreSQL SQLSTATE classes and codes that are about the server, not the data sent to it.
_POSTGRES_FAULTS = {
    "08": "cannot reach the database server",
    "53100": "the database server's disk is full",
    "53": "the database server is out of resources (memory, connections or disk)",
    "57": "the database server stopped or cancelled the work",
    "58": "the database server had a system error (disk or file access)",
    "25006": "the database is read-only (a replica, or default_transaction_read_only is on)",
    "3D000": "the database does not exist",
    "28": "the database refused the login",
}

_MISSING_TABLES = "the database has no tables for episodes yet: run `manage.py migrate` first"


def database_fault(error):
    """What is wrong with the database itself, in words, when ``error`` is about it; else None."""
    if not isinstance(error, DatabaseError):
        return None
    cause = error.__cause__ or error
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:
        if "no such table" in str(cause):
            return _MISSING_TABLES
        return _SQLITE_FAULTS.get(code & 0xFF)
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == "42P01":  # undefined_table
        return _MISSING_TABLES
    if sqlstate:
        return _POSTGRES_FAULTS.get(sqlstate) or _POSTGRES_FAULTS.get(sqlstate[:2])
    if type(cause).__module__.startswith("psycopg") and type(cause).__name__ == "OperationalError":
        return "the connection to the database server failed or was lost"  # no SQLSTATE: never reached it
    return None


def database_label():
    """The database, as a person would find it: the SQLite file, or PostgreSQL's name on its host."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(settings["NAME"])
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"{connection.display_name} database {settings['NAME']!r} on {host}{port}"


def describe(error):
    """One line for the import command: which database, what is wrong with it, and the driver's words."""
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    what = database_fault(error) or "the database refused the import"
    return f"{database_label()}: {what} ({first_line})"


class ImportStopped(Exception):
    """The database failed while ``path`` was being written: the run stops, and its transaction rolls back."""

    def __init__(self, path, error):
        super().__init__(f"{path}: {error}")
        self.path = path
        self.error = error


def stop_on_database_fault(path, error):
    """Called by the importer for a file's database error: raises ImportStopped when the database is at fault."""
    if database_fault(error):
        raise ImportStopped(path, error) from error


def stopped_message(error):
    """The import command's message for an ImportStopped, or a database error before or after the files."""
    if isinstance(error, ImportStopped):
        return f"import stopped at {error.path}: {describe(error.error)}. Nothing from this run was kept."
    return f"cannot import: {describe(error)}. Nothing was written."
