"""Search across every episode and transcript line: the app's one search interface.

    from episodes.search import SearchFilters, search
    results = search('kubernetes "feature store" -spark', SearchFilters(speaker=guest), page=2)

The backend (SQLite FTS5 or PostgreSQL full-text search) follows the database
in use; the index itself is kept by the database (see ``schema``).
"""

from .engine import SearchFilters, search
from .results import EpisodeMatch, HeadingMatch, LineMatch, SearchResults

__all__ = ["EpisodeMatch", "HeadingMatch", "LineMatch", "SearchFilters", "SearchResults", "search"]
