"""The search index, kept by the database itself.

Three things are indexed: each episode's title, guest names and description
(one document per episode, its title kept apart so that a match in the title
alone can be told), each section heading and each transcript line. The
database keeps them in sync on every write (imports' bulk_create, queryset
update and delete, admin edits, raw SQL), so no Python code has to remember to:

* SQLite: FTS5 tables. Headings and lines are external-content indexes over
  their tables, fed by triggers; the episode document is its own small FTS5
  table, rewritten by triggers on episodes, appearances and guest names.
* PostgreSQL: a ``search_vector`` tsvector column with a GIN index on each of
  the three tables: generated columns for headings and lines, and a column
  that triggers fill for the episode document (it reads other tables).

None of this is in Django's model state (migration 0002 runs ``install``), so
``makemigrations`` never sees it. On SQLite, a later migration that rebuilds
one of these tables (AlterField, or a NOT NULL AddField: Django copies the
table) drops its triggers; such a migration must end with
``RunPython(install_index)`` like 0002. ``install`` drops and recreates
the whole index, then indexes every row, so running it again is always safe.
"""

# ruff: noqa: S608 - the SQL here is built from this module's constant names only; it holds no input.

import logging
import string

from django.db import DatabaseError, transaction

logger = logging.getLogger(__name__)

# Both engines split text into runs of letters and digits, case and accents
# folded, without stemming or stop words: what a reader types is what is found,
# prefixes work on whole words, and the two engines agree (see
# episodes.search.query).
SQLITE_TOKENIZER = "unicode61 remove_diacritics 2"
POSTGRES_CONFIG = "episodes_search"  # "simple" (no stemming, no stop words), accents folded

LINE_INDEX = "episodes_line_fts"
SECTION_INDEX = "episodes_section_fts"
EPISODE_INDEX = "episodes_episode_fts"
VECTOR_COLUMN = "search_vector"

_EPISODE_GUESTS = (
    "(SELECT group_concat(g.name, ' ') FROM episodes_appearance a"
    " JOIN episodes_guest g ON g.id = a.guest_id WHERE a.episode_id = {episode_id})"
)


def _sqlite_external_index(index, table, column):
    """An FTS5 index over one text column of ``table``, kept in sync by triggers."""
    delete = f"INSERT INTO {index}({index}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
    insert = f"INSERT INTO {index}(rowid, {column}) VALUES (new.id, new.{column});"
    return [
        f"CREATE VIRTUAL TABLE {index} USING fts5({column}, content='{table}', content_rowid='id',"
        f" tokenize='{SQLITE_TOKENIZER}')",
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF id, {column} ON {table} BEGIN {delete} {insert} END",
        f"INSERT INTO {index}({index}) VALUES ('rebuild')",
    ]


def _sqlite_refresh_guests(where):
    guests = _EPISODE_GUESTS.format(episode_id=f"{EPISODE_INDEX}.rowid")
    return f"UPDATE {EPISODE_INDEX} SET guests = coalesce({guests}, '') WHERE {where};"


_SQLITE_EPISODE_INSERT = (
    f"INSERT INTO {EPISODE_INDEX}(rowid, title, guests, description)"
    f" SELECT e.id, e.title, coalesce({_EPISODE_GUESTS.format(episode_id='e.id')}, ''), e.description"
    " FROM episodes_episode e"
)


def _sqlite_episode_triggers():
    """{name: (event, body)} of the triggers that keep the episode document up to date."""
    insert = _SQLITE_EPISODE_INSERT
    return {
        "insert": ("AFTER INSERT ON episodes_episode", f"{insert} WHERE e.id = new.id;"),
        "update": (
            "AFTER UPDATE OF id, title, description ON episodes_episode",
            f"DELETE FROM {EPISODE_INDEX} WHERE rowid = old.id; {insert} WHERE e.id = new.id;",
        ),
        "delete": ("AFTER DELETE ON episodes_episode", f"DELETE FROM {EPISODE_INDEX} WHERE rowid = old.id;"),
        "guest_added": ("AFTER INSERT ON episodes_appearance", _sqlite_refresh_guests("rowid = new.episode_id")),
        "guest_removed": ("AFTER DELETE ON episodes_appearance", _sqlite_refresh_guests("rowid = old.episode_id")),
        "guest_moved": (
            "AFTER UPDATE OF episode_id, guest_id ON episodes_appearance",
            _sqlite_refresh_guests("rowid IN (old.episode_id, new.episode_id)"),
        ),
        "guest_renamed": (
            "AFTER UPDATE OF name ON episodes_guest",
            _sqlite_refresh_guests("rowid IN (SELECT episode_id FROM episodes_appearance WHERE guest_id = new.id)"),
        ),
    }


_SQLITE_EPISODE_TRIGGERS = _sqlite_episode_triggers()


def _sqlite_episode_index():
    """One row per episode: title, guest names, description (its own small FTS5 table)."""
    return [
        f"CREATE VIRTUAL TABLE {EPISODE_INDEX} USING fts5(title, guests, description, tokenize='{SQLITE_TOKENIZER}')",
        _SQLITE_EPISODE_INSERT,
        *(
            f"CREATE TRIGGER {EPISODE_INDEX}_{name} {event} BEGIN {body} END"
            for name, (event, body) in _SQLITE_EPISODE_TRIGGERS.items()
        ),
    ]


SQLITE_INSTALL = [
    *_sqlite_external_index(LINE_INDEX, "episodes_line", "text"),
    *_sqlite_external_index(SECTION_INDEX, "episodes_section", "title"),
    *_sqlite_episode_index(),
]
SQLITE_UNINSTALL = [
    *(
        f"DROP TRIGGER IF EXISTS {index}_{event}"
        for index in (LINE_INDEX, SECTION_INDEX)
        for event in ("insert", "delete", "update")
    ),
    *(f"DROP TRIGGER IF EXISTS {EPISODE_INDEX}_{name}" for name in _SQLITE_EPISODE_TRIGGERS),
    *(f"DROP TABLE IF EXISTS {index}" for index in (LINE_INDEX, SECTION_INDEX, EPISODE_INDEX)),
]


# PostgreSQL's parser reads URLs, e-mail addresses, paths, version numbers and
# <tags> as single tokens, or skips them. Blanking ASCII punctuation first, one
# space per character so that nothing moves, leaves the plain words that SQLite
# sees (the same blanking is applied to the text ts_headline marks up).
PUNCTUATION = string.punctuation
_PG_PUNCTUATION = "'" + PUNCTUATION.replace("'", "''") + "'"
_PG_BLANKS = "'" + " " * len(PUNCTUATION) + "'"
_PG_WORD_KINDS = "asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart"


def _pg_tsvector(expression):
    return f"to_tsvector('{POSTGRES_CONFIG}'::regconfig, translate({expression}, {_PG_PUNCTUATION}, {_PG_BLANKS}))"


def _postgres_generated_vector(table, column):
    return [
        f"ALTER TABLE {table} ADD COLUMN {VECTOR_COLUMN} tsvector GENERATED ALWAYS AS ({_pg_tsvector(column)}) STORED",
        f"CREATE INDEX {table}_{VECTOR_COLUMN} ON {table} USING gin ({VECTOR_COLUMN})",
    ]


_PG_EPISODE_VECTOR = f"""
CREATE FUNCTION episodes_episode_search_vector(episode bigint, title_text text, description_text text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
  SELECT setweight({_pg_tsvector("coalesce(title_text, '')")}, 'A')
      || setweight({
    _pg_tsvector(
        "coalesce((SELECT string_agg(g.name, ' ') FROM episodes_appearance a"
        " JOIN episodes_guest g ON g.id = a.guest_id WHERE a.episode_id = episode), '')"
    )
}, 'B')
      || setweight({_pg_tsvector("coalesce(description_text, '')")}, 'C')
$$"""
_PG_REFRESH = (
    f"UPDATE episodes_episode e SET {VECTOR_COLUMN} = episodes_episode_search_vector(e.id, e.title, e.description)"
)


def _postgres_trigger(name, table, when, body):
    """A row trigger running ``body`` (PL/pgSQL)."""
    return [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$",
        f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


_PG_TRIGGERS = {
    # (name, table): (when, body)
    ("episodes_episode_search", "episodes_episode"): (
        "BEFORE INSERT OR UPDATE OF title, description",
        f"NEW.{VECTOR_COLUMN} := episodes_episode_search_vector(NEW.id, NEW.title, NEW.description); RETURN NEW;",
    ),
    ("episodes_appearance_search", "episodes_appearance"): (
        "AFTER INSERT OR UPDATE OF episode_id, guest_id OR DELETE",
        f"IF TG_OP <> 'INSERT' THEN {_PG_REFRESH} WHERE e.id = OLD.episode_id; END IF;"
        f" IF TG_OP <> 'DELETE' THEN {_PG_REFRESH} WHERE e.id = NEW.episode_id; END IF; RETURN NULL;",
    ),
    ("episodes_guest_search", "episodes_guest"): (
        "AFTER UPDATE OF name",
        f"{_PG_REFRESH} WHERE e.id IN (SELECT episode_id FROM episodes_appearance WHERE guest_id = NEW.id);"
        " RETURN NULL;",
    ),
}

POSTGRES_INSTALL = [
    *_postgres_generated_vector("episodes_line", "text"),
    *_postgres_generated_vector("episodes_section", "title"),
    f"ALTER TABLE episodes_episode ADD COLUMN {VECTOR_COLUMN} tsvector",
    _PG_EPISODE_VECTOR,
    *(sql for (name, table), spec in _PG_TRIGGERS.items() for sql in _postgres_trigger(name, table, *spec)),
    _PG_REFRESH,
    f"CREATE INDEX episodes_episode_{VECTOR_COLUMN} ON episodes_episode USING gin ({VECTOR_COLUMN})",
]
POSTGRES_UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in _PG_TRIGGERS),
    *(f"DROP FUNCTION IF EXISTS {name}()" for name, _ in _PG_TRIGGERS),
    "DROP FUNCTION IF EXISTS episodes_episode_search_vector(bigint, text, text)",
    *(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {VECTOR_COLUMN}"
      for table in ("episodes_line", "episodes_section", "episodes_episode")),
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {POSTGRES_CONFIG}",
]  # fmt: skip


def install(connection):
    """(Re)create the index from scratch and index every row already there."""
    uninstall(connection)
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_INSTALL)
    else:
        _run(connection, [f"CREATE TEXT SEARCH CONFIGURATION {POSTGRES_CONFIG} (COPY = simple)"])
        _postgres_fold_accents(connection)
        _run(connection, POSTGRES_INSTALL)


def uninstall(connection):
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_UNINSTALL)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_UNINSTALL)
    else:
        raise NotImplementedError(f"search supports SQLite and PostgreSQL, not {connection.vendor}")


def _postgres_fold_accents(connection):
    """Make "raphael" find "Raphaël", as on SQLite, where the unaccent extension is available."""
    try:
        with transaction.atomic(using=connection.alias):
            _run(
                connection,
                [
                    "CREATE EXTENSION IF NOT EXISTS unaccent",
                    f"ALTER TEXT SEARCH CONFIGURATION {POSTGRES_CONFIG} ALTER MAPPING FOR {_PG_WORD_KINDS}"
                    " WITH unaccent, simple",
                ],
            )
    except DatabaseError as error:
        logger.warning("search: accents are not folded (the unaccent extension is unavailable: %s)", error)


def _run(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_index(apps, schema_editor):
    """For RunPython in migrations."""
    install(schema_editor.connection)


def uninstall_index(apps, schema_editor):
    uninstall(schema_editor.connection)
