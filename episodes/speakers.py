"""Who said it: linking transcript speakers (Line.speaker, the file's ``who``) to people.

A ``who`` is matched against the episode's guests and the hosts, in tiers; the
first tier that finds anyone decides:

1. the full name ("Juan Pablo");
2. the first name or the person's slug ("Raphaël", "Alexey.", "Theo:" once
   normalised: punctuation, case and accents do not count);
3. editors' aliases (SpeakerAlias): they name a person explicitly, so they apply
   even where that person is not listed on the episode ("Johanna" on an episode
   whose file forgot her). They come after the names the episode itself gives,
   so an alias "Daniel" added for one episode cannot take over every other
   guest called Daniel;
4. other names a person goes by: middle words of the name ("Swyx" in
   "Shawn Swyx Wang") and the small NICKNAMES table ("Chris" for Krzysztof);
5. the transcription glitch that repeats the tail of a name ("Alexeylexey",
   "Adityaitya", "Ruslanan", "Andreyy").

A tier that finds two people (two guests called Chris) is ambiguous: then only
an alias can decide, otherwise the line stays unlinked. A ``who`` of more than
MAX_NAME_WORDS words is a sentence put there by mistake and never matches.
Unmatched speakers keep their text (Line.speaker never changes); the
``unmatched_speakers`` command lists them so editors can add aliases.

Hosts are the people marked Guest.is_host; they are candidates in every
episode. The people import marks the slugs in settings.PODCAST_HOSTS as hosts
when it creates a person or updates them from a changed profile file, and never
unmarks anyone: an editor's change in the admin stands until that person's file
changes (unchanged files are not rewritten), and to stop someone being a host
for good, take them out of PODCAST_HOSTS too.

Matching runs on import and when aliases, hosts or guests change (relink_*),
never on page views. The rules are pure functions over ``Person`` values; the
functions at the bottom load people from the database and write Line.person.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from .models import Appearance, Guest, Line, SpeakerAlias

MAX_NAME_WORDS = 5

# First names that stand for each other, as found in the real archive (and the
# host's own). Keep it short: one-off typos belong in SpeakerAlias instead.
NICKNAMES = [
    {"alex", "alexey", "alexei", "aleksey", "alexander", "aleksander", "aleksandr"},
    {"chris", "christopher", "christoph", "krzysztof"},
    {"katya", "ekaterina", "jekaterina"},
    {"theo", "theofilos"},
    {"michael", "micheal", "mike"},
    {"elena", "eleni"},
]

# Letters that Unicode does not decompose into a base letter plus an accent.
_LETTERS = str.maketrans({"ı": "i", "ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe"})
_WORD_RE = re.compile(r"\w+(?:['’-]\w+)*")


@dataclass(frozen=True)
class Person:
    """What matching needs to know about a guest or host."""

    pk: int
    name: str
    slug: str


def normalise_speaker(text):
    """The words of ``text``, lower case, without accents or punctuation: "Raphaël:" -> "raphael"."""
    text = unicodedata.normalize("NFKD", text.casefold()).translate(_LETTERS)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Cf"))
    return " ".join(_WORD_RE.findall(text))


def _nicknames(first_name):
    return {name for group in NICKNAMES if first_name in group for name in group} - {first_name}


def _repeats_own_tail(key, name):
    """True for ``name`` followed by a repeated end of itself: ("alexeylexey", "alexey")."""
    tail = key[len(name) :]
    return key.startswith(name) and 0 < len(tail) < len(name) and name.endswith(tail)


class SpeakerMatcher:
    """Matches the ``who`` values of one episode, given its candidates (guests and hosts) and the aliases."""

    def __init__(self, candidates: Iterable[Person], aliases: Mapping[str, Person] | None = None):
        self.full_names = defaultdict(set)
        self.first_names = defaultdict(set)
        self.other_names = defaultdict(set)
        self.aliases = defaultdict(set)
        for person in set(candidates):
            words = normalise_speaker(person.name).split() or [normalise_speaker(person.slug)]
            self.full_names[" ".join(words)].add(person)
            self.first_names[words[0]].add(person)
            self.first_names[normalise_speaker(person.slug)].add(person)
            for name in {*words[1:-1], *_nicknames(words[0])}:
                self.other_names[name].add(person)
        for name, person in (aliases or {}).items():
            self.aliases[normalise_speaker(name)].add(person)
        # In the order of the module docstring: the first tier that finds anyone decides.
        self._tiers = [self.full_names.get, self.first_names.get, self.aliases.get, self.other_names.get, self._glitch]
        self._cache = {}

    def match(self, who) -> Person | None:
        if who not in self._cache:
            self._cache[who] = self._match(normalise_speaker(who))
        return self._cache[who]

    def person_id(self, who):
        person = self.match(who)
        return person.pk if person else None

    def _match(self, key):
        if not key or len(key.split()) > MAX_NAME_WORDS:
            return None
        for tier in self._tiers:
            found = tier(key)
            if found:
                # Ambiguous (two people share the name): only an editor's alias can decide.
                return _only(found) or _only(self.aliases.get(key))
        return None

    def _glitch(self, key):
        if " " in key:
            return set()
        return {
            person for name, people in self.first_names.items() if _repeats_own_tail(key, name) for person in people
        }


def _only(people):
    return next(iter(people)) if people and len(people) == 1 else None


def is_configured_host(slug):
    """Whether the people import should mark this person as a host (settings.PODCAST_HOSTS)."""
    return slug in settings.PODCAST_HOSTS


# --- Database ---------------------------------------------------------------


def _people(guests):
    return [Person(*row) for row in guests.values_list("pk", "name", "slug")]


def _aliases():
    return {
        name: Person(pk, guest_name, slug)
        for name, pk, guest_name, slug in SpeakerAlias.objects.values_list(
            "name", "guest_id", "guest__name", "guest__slug"
        )
    }


def matcher_for_guests():
    """A function guests -> SpeakerMatcher, with the hosts and aliases read once (for an import's many episodes)."""
    hosts, aliases = _people(Guest.objects.filter(is_host=True)), _aliases()
    return lambda guests: SpeakerMatcher(
        [*hosts, *(Person(guest.pk, guest.name, guest.slug) for guest in guests)], aliases
    )


def relink_episode(episode) -> int:
    """Recompute Line.person for ``episode``'s lines; returns how many lines changed."""
    return _relink(Line.objects.filter(section__episode=episode), Appearance.objects.filter(episode=episode))


def relink_all() -> int:
    """Recompute Line.person for every line (after an alias, a host or a name changed)."""
    return _relink(Line.objects.all(), Appearance.objects.all())


@transaction.atomic
def _relink(lines, appearances):
    hosts, aliases = _people(Guest.objects.filter(is_host=True)), _aliases()
    guests = defaultdict(list)
    for episode_id, *person in appearances.values_list("episode_id", "guest_id", "guest__name", "guest__slug"):
        guests[episode_id].append(Person(*person))
    matchers = {}

    current = defaultdict(set)  # (episode, speaker) -> the people its lines link to now
    for episode_id, speaker, person_id in lines.values_list("section__episode_id", "speaker", "person_id").distinct():
        current[(episode_id, speaker)].add(person_id)

    changed = 0
    for (episode_id, speaker), person_ids in current.items():
        if episode_id not in matchers:
            matchers[episode_id] = SpeakerMatcher([*guests[episode_id], *hosts], aliases)
        target = matchers[episode_id].person_id(speaker)
        if person_ids != {target}:
            # One UPDATE per speaker of an episode, whatever its number of lines.
            same_speaker = lines.filter(section__episode_id=episode_id, speaker=speaker)
            changed += same_speaker.exclude(person_id=target).update(person_id=target)
    return changed


def unmatched_speakers(episode=None) -> list[tuple[str, int]]:
    """Speakers (as written) whose lines link to no one, with their line counts, most frequent first.

    Lines without a speaker are not listed: there is no one to match.
    """
    lines = Line.objects.filter(person__isnull=True).exclude(speaker="")
    if episode is not None:
        lines = lines.filter(section__episode=episode)
    rows = lines.values("speaker").annotate(count=Count("pk")).order_by("-count", "speaker")
    return [(row["speaker"], row["count"]) for row in rows]
