"""Search on SQLite: FTS5 MATCH expressions built from parsed terms, run in raw SQL.

FTS5 can only be asked through its own virtual tables, so this backend speaks
SQL; the match expression is always a query parameter, built from quoted words.

``+rowid IN (...)``: without the ``+``, SQLite hands each listed rowid to FTS5
as its own lookup, running the MATCH once per rowid (ten times slower for a
prefix such as ``data*``); with it, one MATCH and a filter.
"""

# ruff: noqa: S608 - table names are this package's constants; every value, the match expression included, is a parameter.

from django.db import connection

from .highlight import CLOSE, OPEN
from .schema import EPISODE_INDEX, LINE_INDEX, SECTION_INDEX

_LINES_FROM = (
    f"FROM {LINE_INDEX} JOIN episodes_line l ON l.id = {LINE_INDEX}.rowid"
    " JOIN episodes_section s ON s.id = l.section_id"
)
_SECTIONS_FROM = f"FROM {SECTION_INDEX} JOIN episodes_section s ON s.id = {SECTION_INDEX}.rowid"


def fts5_string(text):
    """An FTS5 string: always a word or phrase to find, never an operator."""
    return '"' + text.replace('"', '""') + '"'


def fts5_term(term):
    string = fts5_string(" ".join(term.words))
    return f"{string} *" if term.prefix else string


def fts5_query(parsed, column=None):
    """Every included term, none of the excluded ones; in one column only when ``column`` is given."""
    expression = "(" + " AND ".join(map(fts5_term, parsed.include)) + ")"
    for term in parsed.exclude:
        expression += f" NOT {fts5_term(term)}"
    return f"{column} : ({expression})" if column else expression


class SqliteBackend:
    def __init__(self, parsed):
        self.match = fts5_query(parsed)
        self.title_match = fts5_query(parsed, column="title")

    def episode_matches(self, episodes):
        """{episode id: whether the title alone matches} for the episodes whose title, guests or description match."""
        within, params = _subquery(episodes)
        sql = (
            f"SELECT rowid, rowid IN (SELECT rowid FROM {EPISODE_INDEX} WHERE {EPISODE_INDEX} MATCH %s)"
            f" FROM {EPISODE_INDEX} WHERE {EPISODE_INDEX} MATCH %s AND +rowid IN ({within})"
        )
        return {pk: bool(title) for pk, title in _rows(sql, [self.title_match, self.match, *params])}

    def heading_counts(self, episodes):
        """{episode id: number of matching section headings}."""
        within, params = _subquery(episodes)
        sql = (
            f"SELECT s.episode_id, count(*) {_SECTIONS_FROM}"
            f" WHERE {SECTION_INDEX} MATCH %s AND s.episode_id IN ({within}) GROUP BY s.episode_id"
        )
        return dict(_rows(sql, [self.match, *params]))

    def line_counts(self, episodes, speaker=None):
        """{episode id: number of matching transcript lines} (only ``speaker``'s lines when given)."""
        within, params = _subquery(episodes)
        speaker_sql, speaker_params = _speaker(speaker)
        sql = (
            f"SELECT s.episode_id, count(*) {_LINES_FROM}"
            f" WHERE {LINE_INDEX} MATCH %s AND s.episode_id IN ({within}){speaker_sql} GROUP BY s.episode_id"
        )
        return dict(_rows(sql, [self.match, *params, *speaker_params]))

    def line_highlights(self, episode_ids, per_episode, speaker=None):
        """{line id: highlighted text} for the ``per_episode`` most relevant lines of each episode."""
        speaker_sql, speaker_params = _speaker(speaker)
        ranked = (
            f"SELECT l.id, row_number() OVER (PARTITION BY s.episode_id ORDER BY {LINE_INDEX}.rank, l.id) AS n"
            f" {_LINES_FROM} WHERE {LINE_INDEX} MATCH %s AND s.episode_id IN ({_placeholders(episode_ids)})"
            f"{speaker_sql}"
        )
        sql = (
            f"SELECT rowid, highlight({LINE_INDEX}, 0, %s, %s) FROM {LINE_INDEX}"
            f" WHERE {LINE_INDEX} MATCH %s AND +rowid IN (SELECT id FROM ({ranked}) WHERE n <= %s)"
        )
        params = [OPEN, CLOSE, self.match, self.match, *episode_ids, *speaker_params, per_episode]
        return dict(_rows(sql, params))

    def heading_highlights(self, episode_ids):
        """{section id: highlighted title} for the matching headings of these episodes."""
        sql = (
            f"SELECT s.id, highlight({SECTION_INDEX}, 0, %s, %s) {_SECTIONS_FROM}"
            f" WHERE {SECTION_INDEX} MATCH %s AND s.episode_id IN ({_placeholders(episode_ids)})"
        )
        return dict(_rows(sql, [OPEN, CLOSE, self.match, *episode_ids]))

    def episode_highlights(self, episode_ids):
        """{episode id: (highlighted title, highlighted description)} for these episodes where they match."""
        sql = (
            f"SELECT rowid, highlight({EPISODE_INDEX}, 0, %s, %s), highlight({EPISODE_INDEX}, 2, %s, %s)"
            f" FROM {EPISODE_INDEX} WHERE {EPISODE_INDEX} MATCH %s AND +rowid IN ({_placeholders(episode_ids)})"
        )
        rows = _rows(sql, [OPEN, CLOSE, OPEN, CLOSE, self.match, *episode_ids])
        return {pk: (title, description) for pk, title, description in rows}


def _rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _subquery(queryset):
    """The SQL (and its parameters) of the ids in ``queryset``, to use inside ``IN (...)``."""
    return queryset.order_by().values("pk").query.sql_with_params()


def _placeholders(values):
    return ", ".join(["%s"] * len(values))


def _speaker(speaker):
    return (" AND l.person_id = %s", [speaker.pk]) if speaker else ("", [])
