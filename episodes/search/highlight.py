"""Turning an engine's highlighted text into safe HTML with ``<mark>``.

Both engines wrap the matched words in the two private-use characters below
(they cannot start or end a tag, and readers never type them); everything else
is escaped here, in one place. The markers are trusted only as far as they
balance: a stray one in the text can mark the wrong words, never break the
page.
"""

import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

OPEN, CLOSE = "\ue000", "\ue001"
ELLIPSIS = "…"
MARKERS_RE = re.compile(f"([{OPEN}{CLOSE}])")
_SPACES_RE = re.compile(r"\s+")

# An excerpt shows this many words around the first match; lines are often a long paragraph.
EXCERPT_WORDS = 40
WORDS_BEFORE_MATCH = 12


def marked_html(text):
    """Escaped ``text`` with the marked stretches in ``<mark>``."""
    parts, is_open = [], False
    for piece in MARKERS_RE.split(text or ""):
        if piece == OPEN:
            if not is_open:
                parts.append("<mark>")
            is_open = True
        elif piece == CLOSE:
            if is_open:
                parts.append("</mark>")
            is_open = False
        else:
            parts.append(escape(piece))
    if is_open:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # every piece of text above is escaped


def has_match(text):
    return OPEN in (text or "")


def excerpt(text, words=EXCERPT_WORDS):
    """About ``words`` words of highlighted ``text``, starting a little before its first match."""
    tokens = _SPACES_RE.split((text or "").strip())
    if len(tokens) <= words:
        return " ".join(tokens)
    first = next((i for i, token in enumerate(tokens) if OPEN in token), 0)
    start = max(0, min(first - WORDS_BEFORE_MATCH, len(tokens) - words))
    end = start + words
    # Cutting inside a marked phrase is fine: marked_html closes what is open and drops a stray close.
    return "".join([ELLIPSIS if start else "", " ".join(tokens[start:end]), ELLIPSIS if end < len(tokens) else ""])
