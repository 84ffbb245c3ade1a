"""What a search returns: episode groups, each with its matching headings and lines as snippets."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page

from ..models import Episode, Line, Section
from .query import ParsedQuery


@dataclass
class LineMatch:
    line: Line  # with line.section.episode loaded, for line.get_absolute_url()
    html: str  # escaped text, matches in <mark>


@dataclass
class HeadingMatch:
    section: Section  # with section.episode loaded
    html: str


@dataclass
class EpisodeMatch:
    episode: Episode
    score: float
    line_count: int  # all matching lines of the episode, not only those shown
    title_html: str = ""  # the title with its matches marked; "" when the title has none
    description_html: str = ""  # an excerpt of the description around its first match, or ""
    headings: list[HeadingMatch] = field(default_factory=list)
    lines: list[LineMatch] = field(default_factory=list)

    @property
    def more_lines(self):
        return self.line_count - len(self.lines)


@dataclass
class SearchResults:
    query: str
    parsed: ParsedQuery
    page: Page | None = None  # of EpisodeMatch; None when nothing was searched
    episode_count: int = 0
    line_count: int = 0
    message: str = ""  # why there is nothing to show, when there is nothing
    suggestions: list[str] = field(default_factory=list)  # other queries to try when nothing matched
    notices: list[str] = field(default_factory=list)  # what was changed in the query

    @property
    def searched(self):
        return self.page is not None
