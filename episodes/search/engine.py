"""Running a search: the same steps on both engines, the engine-specific work in a backend.

An episode matches when its title, guests or description, one of its section
headings, or one of its transcript lines holds every included term and no
excluded one (each of these is judged on its own). Episodes are ranked by
where they match; see ``relevance``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.utils.module_loading import import_string

from ..models import Episode, Guest, Line, Section
from .highlight import excerpt, has_match, marked_html
from .query import MAX_TERMS, parse_query
from .results import EpisodeMatch, HeadingMatch, LineMatch, SearchResults

BACKENDS = {
    "sqlite": "episodes.search.sqlite.SqliteBackend",
    "postgresql": "episodes.search.postgres.PostgresBackend",
}
PER_PAGE = 10
LINES_PER_EPISODE = 3  # the most relevant ones, shown in transcript order
HEADINGS_PER_EPISODE = 3  # the first ones

# A match in the title counts most, then a section heading, then guests or
# description; transcript lines add up slowly (log2), so an episode about a
# subject outranks one that mentions it in passing, even several times.
TITLE_WEIGHT = 8
HEADING_WEIGHT = 4
EPISODE_TEXT_WEIGHT = 2

EMPTY_QUERY = "Type words to find in titles, descriptions, guests, chapter headings and every transcript line."
ONLY_EXCLUSIONS = "A minus sign leaves results out; add at least one word to look for."
NOTHING_FOUND = "Nothing matches your search."
TRUNCATED = f"Only the first {MAX_TERMS} terms of your search were used."


@dataclass
class SearchFilters:
    """What narrows a search besides the query (``filters.SearchFilterSet`` makes one from the request)."""

    episodes: QuerySet | None = None  # episodes to search in (only the published ones are ever searched)
    speaker: Guest | None = None  # only what this person said

    def published_episodes(self):
        episodes = self.episodes if self.episodes is not None else Episode.objects.all()
        return episodes.published()

    @property
    def searches_episode_text(self):
        """Titles, descriptions, guests and headings are nobody's words: a speaker filter leaves them out."""
        return self.speaker is None


@dataclass
class _Tally:
    """Where one episode matches."""

    episode_id: int
    title: bool = False
    episode_text: bool = False  # title, guests or description
    headings: int = 0
    lines: int = 0


def relevance(tally):
    return (
        TITLE_WEIGHT * tally.title
        + HEADING_WEIGHT * bool(tally.headings)
        + EPISODE_TEXT_WEIGHT * tally.episode_text
        + math.log2(1 + tally.lines)
    )


def backend_for(parsed):
    try:
        backend = BACKENDS[connection.vendor]
    except KeyError:
        raise NotImplementedError(f"search supports SQLite and PostgreSQL, not {connection.vendor}") from None
    return import_string(backend)(parsed)


def search(query, filters=None, page=1, per_page=PER_PAGE):
    """Search published episodes for ``query`` (any text); returns ``SearchResults``, never raises for input."""
    filters = filters or SearchFilters()
    parsed = parse_query(query)
    results = SearchResults(query=query, parsed=parsed)
    if parsed.truncated:
        results.notices.append(TRUNCATED)
    if not parsed.include:
        results.message = ONLY_EXCLUSIONS if parsed.exclude else EMPTY_QUERY
        return results

    backend = backend_for(parsed)
    tallies = _ranked_tallies(backend, filters)
    results.episode_count = len(tallies)
    results.line_count = sum(tally.lines for tally in tallies)
    results.page = Paginator(tallies, per_page).get_page(page)
    results.page.object_list = _episode_matches(backend, filters, results.page.object_list)
    if not tallies:
        results.message = NOTHING_FOUND
        results.suggestions = suggestions(parsed)
    return results


def _ranked_tallies(backend, filters):
    episodes = filters.published_episodes()
    tallies = {}

    def tally(pk):
        return tallies.setdefault(pk, _Tally(pk))

    if filters.searches_episode_text:
        for pk, title in backend.episode_matches(episodes).items():
            tally(pk).episode_text, tally(pk).title = True, title
        for pk, count in backend.heading_counts(episodes).items():
            tally(pk).headings = count
    for pk, count in backend.line_counts(episodes, filters.speaker).items():
        tally(pk).lines = count

    # Equally relevant episodes: the newest first.
    numbers = Episode.objects.filter(pk__in=tallies).values_list("pk", "season", "number")
    newest = {pk: (-season, -number) for pk, season, number in numbers}
    return sorted(tallies.values(), key=lambda tally: (-relevance(tally), newest[tally.episode_id]))


def _episode_matches(backend, filters, tallies):
    """The page's episodes with their snippets, in a fixed number of queries."""
    if not tallies:
        return []
    ids = [tally.episode_id for tally in tallies]
    episodes = Episode.objects.with_listing_data().in_bulk(ids)
    matches = {
        tally.episode_id: EpisodeMatch(episodes[tally.episode_id], relevance(tally), tally.lines) for tally in tallies
    }
    if filters.searches_episode_text:
        _add_titles(backend, matches)
        _add_headings(backend, matches)
    _add_lines(backend, matches, filters.speaker)
    return [matches[pk] for pk in ids]


def _add_titles(backend, matches):
    for pk, (title, description) in backend.episode_highlights(list(matches)).items():
        matches[pk].title_html = marked_html(title) if has_match(title) else ""
        matches[pk].description_html = marked_html(excerpt(description)) if has_match(description) else ""


def _add_headings(backend, matches):
    headings = backend.heading_highlights(list(matches))
    for section in Section.objects.filter(pk__in=headings).order_by("position"):
        match = matches[section.episode_id]
        section.episode = match.episode
        if len(match.headings) < HEADINGS_PER_EPISODE:
            match.headings.append(HeadingMatch(section, marked_html(headings[section.pk])))


def _add_lines(backend, matches, speaker):
    lines = backend.line_highlights(list(matches), LINES_PER_EPISODE, speaker)
    for line in Line.objects.filter(pk__in=lines).select_related("section").order_by("section__position", "position"):
        match = matches[line.section.episode_id]
        line.section.episode = match.episode
        match.lines.append(LineMatch(line, marked_html(excerpt(lines[line.pk]))))


def suggestions(parsed):
    """Broader queries to try when ``parsed`` found nothing: without exclusions, without quotes, one term fewer."""
    candidates = [parsed.without_exclusions(), parsed.without_quotes(), parsed.without_last_term()]
    current = str(parsed)
    return [text for text in dict.fromkeys(map(str, candidates)) if text and text != current]
