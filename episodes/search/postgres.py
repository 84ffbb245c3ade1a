"""Search on PostgreSQL: stored tsvectors (GIN-indexed) and django.contrib.postgres.search.

The tsquery is built from parsed terms, each word quoted, and passed as a
parameter to ``to_tsquery`` (``SearchQuery(search_type="raw")``).
"""

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
)
from django.db.models import Count, Expression, F, Func, TextField, Value, Window
from django.db.models.functions import RowNumber

from ..models import Episode, Line, Section
from .highlight import CLOSE, MARKERS_RE, OPEN
from .schema import POSTGRES_CONFIG, PUNCTUATION, VECTOR_COLUMN


class StoredVector(Expression):
    """The ``search_vector`` column migration 0002 adds to the indexed tables (not a model field)."""

    output_field = SearchVectorField()

    def __init__(self, alias=None):
        super().__init__()
        self.alias = alias

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.alias = query.get_initial_alias()
        return clone

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name(VECTOR_COLUMN)}", []


def tsquery_lexeme(word, prefix=False, weight=""):
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    label = ("*" if prefix else "") + weight
    return f"{quoted}:{label}" if label else quoted


def tsquery_term(term, weight=""):
    last = len(term.words) - 1
    lexemes = [tsquery_lexeme(word, term.prefix and i == last, weight) for i, word in enumerate(term.words)]
    return "(" + " <-> ".join(lexemes) + ")"


def tsquery_text(parsed, weight=""):
    """Every included term, none of the excluded ones; only in lexemes of ``weight`` when given ('A': titles)."""
    terms = [tsquery_term(term, weight) for term in parsed.include]
    terms += [f"!{tsquery_term(term, weight)}" for term in parsed.exclude]
    return " & ".join(terms)


def _blanked(field):
    """The text the way it was indexed: ASCII punctuation blanked, one space each (see schema)."""
    return Func(
        F(field), Value(PUNCTUATION), Value(" " * len(PUNCTUATION)), function="translate", output_field=TextField()
    )


def restore_punctuation(marked, original):
    """``original`` with the markers that ts_headline put into its blanked copy."""
    pieces, start = [], 0
    for piece in MARKERS_RE.split(marked):
        if piece in (OPEN, CLOSE):
            pieces.append(piece)
        else:
            pieces.append(original[start : start + len(piece)])
            start += len(piece)
    return "".join(pieces) if start == len(original) else original  # not the text we gave: unmarked, not wrong


class PostgresBackend:
    def __init__(self, parsed):
        self.query = self._search_query(tsquery_text(parsed))
        self.title_query = self._search_query(tsquery_text(parsed, weight="A"))

    @staticmethod
    def _search_query(text):
        return SearchQuery(text, search_type="raw", config=POSTGRES_CONFIG)

    def matching(self, queryset):
        """The rows of ``queryset`` whose stored vector matches the query."""
        return queryset.alias(search_vector=StoredVector()).filter(search_vector=self.query).order_by()

    def _highlights(self, queryset, *fields):
        """[(pk, highlighted field, ...)]: each field whole, its matches between the markers."""
        headlines = [
            SearchHeadline(
                _blanked(field), self.query, config=POSTGRES_CONFIG, start_sel=OPEN, stop_sel=CLOSE, highlight_all=True
            )
            for field in fields
        ]
        rows = queryset.order_by().values_list("pk", *fields, *headlines)
        count = len(fields)
        return [
            (pk, *(restore_punctuation(marked, text) for text, marked in zip(row[:count], row[count:], strict=True)))
            for pk, *row in rows
        ]

    def episode_matches(self, episodes):
        """{episode id: whether the title alone matches} for the episodes whose title, guests or description match."""
        title_match = SearchVectorExact(StoredVector(), self.title_query)
        return dict(self.matching(episodes).annotate(title_match=title_match).values_list("pk", "title_match"))

    def heading_counts(self, episodes):
        """{episode id: number of matching section headings}."""
        matching = self.matching(Section.objects.filter(episode__in=episodes))
        return dict(matching.values("episode_id").annotate(n=Count("pk")).values_list("episode_id", "n"))

    def line_counts(self, episodes, speaker=None):
        """{episode id: number of matching transcript lines} (only ``speaker``'s lines when given)."""
        matching = self.matching(_lines(speaker).filter(section__episode__in=episodes))
        counts = matching.values("section__episode_id").annotate(n=Count("pk"))
        return dict(counts.values_list("section__episode_id", "n"))

    def line_highlights(self, episode_ids, per_episode, speaker=None):
        """{line id: highlighted text} for the ``per_episode`` most relevant lines of each episode."""
        rank = SearchRank(StoredVector(), self.query)
        ranked = self.matching(_lines(speaker).filter(section__episode__in=episode_ids)).annotate(
            n=Window(RowNumber(), partition_by=F("section__episode_id"), order_by=[rank.desc(), F("pk").asc()])
        )
        best = ranked.filter(n__lte=per_episode).values("pk")
        return dict(self._highlights(Line.objects.filter(pk__in=best), "text"))

    def heading_highlights(self, episode_ids):
        """{section id: highlighted title} for the matching headings of these episodes."""
        return dict(self._highlights(self.matching(Section.objects.filter(episode__in=episode_ids)), "title"))

    def episode_highlights(self, episode_ids):
        """{episode id: (highlighted title, highlighted description)} for these episodes where they match."""
        matching = self.matching(Episode.objects.filter(pk__in=episode_ids))
        return {
            pk: (title, description) for pk, title, description in self._highlights(matching, "title", "description")
        }


def _lines(speaker):
    return Line.objects.filter(person=speaker) if speaker else Line.objects.all()
