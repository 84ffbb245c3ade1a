"""The reader's query language, parsed into terms the engines never see raw.

What a reader may type:

* words: every one must match (``data engineering``);
* ``"quoted phrases"``: the words, next to each other, in this order;
* ``-word`` or ``-"a phrase"``: leave out what contains it;
* the last word matches as a prefix (``kube`` finds Kubernetes), so results
  appear while a word is still being typed.

Everything else is text: quotes that do not close, parentheses, ``AND``,
``OR``, ``NEAR``, ``*``, ``:``, emoji and control characters are never
operators. A word is a run of letters or digits, the way both engines split
text, so ``a:b`` or ``data-driven`` is a two-word phrase, as it is in the
transcripts. The engines get their own syntax built from these words only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# More terms than a reader needs would only make the engines work harder.
MAX_TERMS = 10
# A one-letter prefix matches most of the transcript and tells the reader nothing.
MIN_PREFIX_LENGTH = 2

# A phrase in quotes (the closing quote may be missing), or a run of anything else but spaces and quotes.
_TOKEN_RE = re.compile(r'(?P<minus>-*)"(?P<phrase>[^"]*)"?|(?P<bare>[^\s"]+)')


@dataclass(frozen=True)
class Term:
    """One thing to look for: a word, or several words in a row (a phrase)."""

    words: tuple[str, ...]
    quoted: bool = False
    prefix: bool = False  # the last word may continue (``kube`` → ``kubernetes``)

    @property
    def is_phrase(self):
        return self.quoted or len(self.words) > 1

    def __str__(self):
        text = " ".join(self.words)
        return f'"{text}"' if self.is_phrase else text


@dataclass(frozen=True)
class ParsedQuery:
    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    truncated: bool = False  # some terms were left out (over MAX_TERMS)

    @property
    def is_empty(self):
        return not self.include and not self.exclude

    @property
    def has_phrases(self):
        return any(term.is_phrase for term in self.include)

    def __str__(self):
        return " ".join([*map(str, self.include), *(f"-{term}" for term in self.exclude)])

    def without_exclusions(self):
        return ParsedQuery(self.include)

    def without_last_term(self):
        """Fewer words to match (nothing left when there was one)."""
        return ParsedQuery(self.include[:-1], self.exclude if len(self.include) > 1 else ())

    def without_quotes(self):
        """The same words, each matched anywhere (a phrase that found nothing may still find its words)."""
        words = dict.fromkeys(word for term in self.include for word in term.words)
        return ParsedQuery(tuple(Term((word,)) for word in words), self.exclude)


def words_of(text):
    """Runs of letters or digits, lower-cased: what both engines index as words."""
    cleaned = "".join(char if char.isalpha() or char.isdecimal() else " " for char in text)
    return tuple(cleaned.lower().split())


def parse_query(text):
    """``ParsedQuery`` for anything a reader may type; it never raises."""
    terms = []  # (term, excluded) in the order typed
    for match in _TOKEN_RE.finditer(text or ""):
        if match["bare"] is not None:
            excluded = match["bare"].startswith("-")
            words, quoted = words_of(match["bare"]), False
        else:
            excluded = bool(match["minus"])
            words, quoted = words_of(match["phrase"]), True
        if words:
            terms.append((Term(words, quoted), excluded))

    if terms and not terms[-1][1] and not terms[-1][0].quoted and len(terms[-1][0].words[-1]) >= MIN_PREFIX_LENGTH:
        last, _ = terms[-1]
        terms[-1] = (Term(last.words, prefix=True), False)

    unique = list(dict.fromkeys(terms))
    kept = unique[:MAX_TERMS]
    return ParsedQuery(
        include=tuple(term for term, excluded in kept if not excluded),
        exclude=tuple(term for term, excluded in kept if excluded),
        truncated=len(unique) > MAX_TERMS,
    )
