"""The data-quality report: what in the archive needs an editor's attention.

``build_report()`` reads the whole archive in a fixed number of queries
(episodes, people, appearances, hosts, aliases, transcript lines, clips), never
one per episode, and returns a ``Report`` of plain ``Finding`` values, each with
its kind, severity, a message and the admin page where it is fixed. The admin
page (``quality_admin``) and ``manage.py check_archive`` only filter and show it.

Every kind of finding and its severity is in ``KINDS``: an *error* is data that
is certainly wrong (a reader is sent to the wrong moment, or sees the same
thing twice); a *warning* is something missing or suspicious that an editor
should look at but that may be right.
"""

from __future__ import annotations

import enum
import functools
import json
import posixpath
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from itertools import groupby
from urllib.parse import urlencode, urlsplit

from django.core.exceptions import SuspiciousFileOperation
from django.db.models import Exists, F, OuterRef, TextField
from django.db.models.functions import Cast
from django.urls import reverse

from .models import Appearance, Clip, Episode, Guest, Line, episode_code
from .source_layout import decode
from .speakers import MAX_NAME_WORDS, Person, matcher_for_guests, normalise_speaker
from .timecodes import format_timestamp, parse_timestamp


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Kind:
    code: str
    severity: Severity
    label: str


# The one table of what the report looks for, in the order it lists them. The README repeats it.
KINDS = {
    kind.code: kind
    for kind in [
        Kind("seconds-backwards", Severity.ERROR, "Seconds go backwards"),
        Kind("duplicate-transcript", Severity.ERROR, "Same transcript as another episode"),
        Kind("clip-after-end", Severity.ERROR, "Clip ends after the episode"),
        Kind("duplicate-person", Severity.ERROR, "Same person twice (same LinkedIn)"),
        Kind("missing-second", Severity.WARNING, "Line without a second"),
        Kind("missing-speaker", Severity.WARNING, "Line without a speaker"),
        Kind("time-mismatch", Severity.WARNING, "time disagrees with sec"),
        Kind("unmatched-speaker", Severity.WARNING, "Speaker matches no guest or host"),
        Kind("repeated-line", Severity.WARNING, "Same line twice in a row"),
        Kind("name-only-line", Severity.WARNING, "Line that is only a speaker's name"),
        Kind("timestamp-in-text", Severity.WARNING, "Line starting with a timestamp"),
        Kind("missing-image", Severity.WARNING, "Missing image"),
        Kind("placeholder-link", Severity.WARNING, "Placeholder link"),
        Kind("guest-without-profile", Severity.WARNING, "Guest without a profile"),
        Kind("same-name", Severity.WARNING, "Two people with the same name"),
    ]
}
_KIND_ORDER = {code: index for index, code in enumerate(KINDS)}

# Platforms a published episode should link to. Anchor is left out: it became Spotify's, and
# newer episodes no longer have it.
EXPECTED_PLATFORMS = ("youtube_url", "spotify_url", "apple_url")
EPISODE_LINKS = (*EXPECTED_PLATFORMS, "anchor_url")
# A transcript this short (a greeting) may well be the same in two episodes.
MIN_DUPLICATE_TRANSCRIPT_LINES = 3

_TIMESTAMP_START_RE = re.compile(r"^\s*(?:\d{1,2}:)?\d{1,2}:\d{2}(?!\d)")
GUEST_LINKS = {"website_url": "web", "github_url": "github", "twitter_url": "twitter", "linkedin_url": "linkedin"}
_WEB_ADDRESS_RE = re.compile(r"^https?://", re.IGNORECASE)
_PLACEHOLDER_WORD_RE = re.compile(r"\b(?:TODO|TBD|FIXME|XXX)\b")
_PLACEHOLDER_HOSTS = {"example.com", "example.org", "example.net", "localhost", "127.0.0.1"}
_PLACEHOLDER_TLDS = (".example", ".invalid", ".test", ".localhost")
_SNIPPET_LENGTH = 80
_NAME_LENGTH = 80  # longer text is not a name


@functools.lru_cache(maxsize=4096)
def _speaker_key(speaker):
    """normalise_speaker for the few speakers said on thousands of lines (pure, hence cached)."""
    return normalise_speaker(speaker)


# --- values ---------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeRef:
    pk: int
    season: int
    number: int
    slug: str
    title: str

    @property
    def code(self):
        return episode_code(self.season, self.number)

    @property
    def admin_url(self):
        return reverse("admin:episodes_episode_change", args=[self.pk])

    def __str__(self):
        return f"{self.code} {self.title}"


@dataclass(frozen=True)
class GuestRef:
    pk: int
    slug: str
    name: str

    @property
    def admin_url(self):
        return reverse("admin:episodes_guest_change", args=[self.pk])

    def __str__(self):
        return f"{self.name} ({self.slug})"


@dataclass(frozen=True)
class LineRef:
    """Where a line is: its section (position and title) and its own position, as the admin shows them."""

    section_id: int
    section: int
    section_title: str
    position: int
    speaker: str
    sec: int | None
    text: str

    def __str__(self):
        title = f" “{self.section_title}”" if self.section_title else ""
        time = f" at {format_timestamp(self.sec)}" if self.sec is not None else ""
        return f"Section {self.section}{title}, line {self.position}{time}"


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    admin_url: str
    episode: EpisodeRef | None = None
    guest: GuestRef | None = None
    line: LineRef | None = None
    fix: str = "Fix"  # what the admin link does ("Edit the section")

    @property
    def severity(self) -> Severity:
        return KINDS[self.kind].severity

    @property
    def label(self):
        return KINDS[self.kind].label

    @property
    def is_error(self):
        return self.severity == Severity.ERROR

    def as_dict(self):
        return {
            "kind": self.kind,
            "severity": str(self.severity),
            "message": self.message,
            "admin_url": self.admin_url,
            "episode": _episode_dict(self.episode),
            "guest": {"slug": self.guest.slug, "name": self.guest.name} if self.guest else None,
            "line": _line_dict(self.line),
        }

    def sort_key(self):
        line = (self.line.section, self.line.position) if self.line else (-1, -1)
        return (self.severity != Severity.ERROR, _KIND_ORDER[self.kind], line, self.message)


def _episode_dict(episode):
    if episode is None:
        return None
    return {"slug": episode.slug, "season": episode.season, "number": episode.number, "title": episode.title}


def _line_dict(line):
    if line is None:
        return None
    return {key: value for key, value in asdict(line).items() if key != "section_id"}


@dataclass
class Group:
    """The findings about one episode or one person."""

    episode: EpisodeRef | None
    guest: GuestRef | None
    findings: list[Finding]

    @property
    def subject(self):
        return self.episode or self.guest

    @property
    def errors(self):
        return sum(finding.is_error for finding in self.findings)

    @property
    def warnings(self):
        return len(self.findings) - self.errors


@dataclass
class Report:
    findings: list[Finding]
    # Every episode by slug, and the people on each: to select an episode (with its guests' findings).
    episodes: dict[str, EpisodeRef] = field(default_factory=dict)
    guests_by_episode: dict[int, set[int]] = field(default_factory=dict)

    @property
    def errors(self):
        return sum(finding.is_error for finding in self.findings)

    @property
    def warnings(self):
        return len(self.findings) - self.errors

    def counts_by_kind(self):
        """{kind code: number of findings}, for every kind (zero included), in the table's order."""
        counts = Counter(finding.kind for finding in self.findings)
        return {code: counts[code] for code in KINDS}

    def select(self, *, kinds=(), severity=None, episode=None):
        """The findings of the given kinds / severity / episode (a slug; its guests' findings included)."""
        findings = self.findings
        if kinds:
            kinds = set(kinds)
            findings = [finding for finding in findings if finding.kind in kinds]
        if severity:
            findings = [finding for finding in findings if finding.severity == severity]
        if episode is not None:
            ref = self.episodes[episode]
            guests = self.guests_by_episode.get(ref.pk, set())
            findings = [
                finding
                for finding in findings
                if (finding.episode and finding.episode.pk == ref.pk) or (finding.guest and finding.guest.pk in guests)
            ]
        return Report(findings, self.episodes, self.guests_by_episode)

    def groups(self):
        """Findings per episode (in season and number order), then per person (by name)."""
        by_subject = defaultdict(list)
        for finding in self.findings:
            by_subject[(finding.episode, finding.guest)].append(finding)

        def order(key):
            episode, guest = key
            if episode is not None:
                return (0, episode.season, episode.number, "", "")
            return (1, 0, 0, guest.name.casefold(), guest.slug)

        return [
            Group(episode, guest, sorted(findings, key=Finding.sort_key))
            for (episode, guest), findings in sorted(by_subject.items(), key=lambda item: order(item[0]))
        ]

    def as_dict(self):
        return {
            "summary": {
                "findings": len(self.findings),
                "errors": self.errors,
                "warnings": self.warnings,
                "by_kind": self.counts_by_kind(),
            },
            "kinds": {code: {"severity": str(kind.severity), "label": kind.label} for code, kind in KINDS.items()},
            "findings": [finding.as_dict() for group in self.groups() for finding in group.findings],
        }


# --- reading the archive ----------------------------------------------------


@dataclass(slots=True)
class _LineRow:
    episode_id: int
    section_id: int
    section: int
    section_title: str
    position: int
    speaker: str
    person_id: int | None
    sec: int | None
    text: str
    raw: str | None  # Line.raw as JSON text (decoded only where there is one: most lines have none)
    row: int = 0  # its place among its section's lines (0, 1, 2...), which positions need not be

    def ref(self):
        return LineRef(
            self.section_id,
            self.section,
            self.section_title,
            self.position,
            self.speaker,
            self.sec,
            _snippet(self.text),
        )


@dataclass
class _Archive:
    episodes: dict[int, EpisodeRef]
    episode_rows: list[dict]
    guests: dict[int, GuestRef]
    guest_rows: list[dict]
    appearances: dict[int, list[int]]
    lines: list[_LineRow]
    late_clips: list[tuple]


# What the source file wrote (Episode/Guest.source_layout, see source_layout.py), where the report needs it.
_RAW_IMAGE, _RAW_LINKS, _RAW_PERSON = "source_layout__raw__image", "source_layout__raw__links", "source_layout__raw"


def _load():
    published = Episode.objects.published().filter(pk=OuterRef("pk"))
    episode_rows = list(
        Episode.objects.annotate(is_public=Exists(published)).values(
            "pk", "season", "number", "slug", "title", "image", *EPISODE_LINKS, "is_public", _RAW_IMAGE, _RAW_LINKS
        )
    )
    guest_rows = list(
        Guest.objects.values("pk", "slug", "name", "picture", *GUEST_LINKS, "is_placeholder", _RAW_PERSON)
    )
    appearances = defaultdict(list)
    for episode_id, guest_id in Appearance.objects.order_by("episode_id", "position").values_list(
        "episode_id", "guest_id"
    ):
        appearances[episode_id].append(guest_id)
    lines = [
        _LineRow(*row)
        for row in Line.objects.order_by("section__episode_id", "section__position", "position").values_list(
            "section__episode_id",
            "section_id",
            "section__position",
            "section__title",
            "position",
            "speaker",
            "person_id",
            "sec",
            "text",
            Cast("raw", output_field=TextField()),
        )
    ]
    late_clips = list(
        Clip.objects.filter(episode__duration__isnull=False, end_sec__gt=F("episode__duration"))
        .order_by("episode_id", "position")
        .values_list("episode_id", "position", "name", "end_sec", "episode__duration")
    )
    return _Archive(
        episodes={
            row["pk"]: EpisodeRef(row["pk"], row["season"], row["number"], row["slug"], row["title"])
            for row in episode_rows
        },
        episode_rows=episode_rows,
        guests={row["pk"]: GuestRef(row["pk"], row["slug"], row["name"]) for row in guest_rows},
        guest_rows=guest_rows,
        appearances=appearances,
        lines=lines,
        late_clips=late_clips,
    )


def build_report() -> Report:
    """Every finding in the archive (see the module docstring)."""
    archive = _load()
    findings = [
        *_transcript_findings(archive),
        *_duplicate_transcripts(archive),
        *_clip_findings(archive),
        *_image_findings(archive),
        *_link_findings(archive),
        *_people_findings(archive),
    ]
    episodes = {ref.slug: ref for ref in archive.episodes.values()}
    guests_by_episode = {episode_id: set(guest_ids) for episode_id, guest_ids in archive.appearances.items()}
    return Report(findings, episodes, guests_by_episode)


# --- transcripts --------------------------------------------------------------


def _transcript_findings(archive):
    make_matcher = matcher_for_guests()  # hosts and aliases, read once
    section_urls = _SectionURLs()
    for episode_id, rows in groupby(archive.lines, key=lambda row: row.episode_id):
        episode = archive.episodes[episode_id]
        guests = [archive.guests[pk] for pk in archive.appearances.get(episode_id, [])]
        matcher = make_matcher([Person(guest.pk, guest.name, guest.slug) for guest in guests])
        yield from _episode_lines(episode, list(rows), matcher, section_urls)


def _episode_lines(episode, rows, matcher, section_urls):
    speakers = {_speaker_key(row.speaker) for row in rows} - {""}
    unmatched = defaultdict(list)  # speaker as written -> its lines
    last_timed = previous = None
    for row in rows:
        row.row = previous.row + 1 if previous is not None and previous.section_id == row.section_id else 0
        for kind, message in _line_problems(row, previous, last_timed, speakers, matcher):
            # A line is fixed on its section's page, which holds the section's lines.
            ref = row.ref()
            url = _line_url(section_urls, row)
            yield Finding(kind, f"{ref}: {message}", url, episode=episode, line=ref, fix="Edit the section")
        if row.speaker and row.person_id is None:
            unmatched[row.speaker].append(row)
        if row.sec is not None:
            last_timed = row
        previous = row

    for speaker, lines in unmatched.items():
        first = lines[0]
        count = f"{len(lines)} line{'s' if len(lines) != 1 else ''}"
        message = f"Speaker “{_snippet(speaker)}” matches no guest or host ({count}; first: {first.ref()})."
        if len(_speaker_key(speaker).split()) > MAX_NAME_WORDS:
            # A sentence in "who" is no one's name: fix the line, an alias would not help.
            url, fix = _line_url(section_urls, first), "Edit the section"
        else:
            url, fix = f"{reverse('admin:episodes_speakeralias_add')}?{urlencode({'name': speaker})}", "Add an alias"
        yield Finding("unmatched-speaker", message, url, episode=episode, line=first.ref(), fix=fix)


def _line_problems(row, previous, last_timed, speakers, matcher):
    """(kind, message) for what is wrong with one line, given the line before it and the last one with a time."""
    if row.sec is None:
        yield "missing-second", "no second (no timestamp)."
    elif last_timed is not None and row.sec < last_timed.sec:
        yield (
            "seconds-backwards",
            f"{format_timestamp(row.sec)} comes after {format_timestamp(last_timed.sec)} "
            f"(section {last_timed.section}, line {last_timed.position}).",
        )
    if not row.speaker:
        yield "missing-speaker", "no speaker."
    mismatch = _time_mismatch(row)
    if mismatch:
        yield "time-mismatch", mismatch
    if previous is not None and _same_line(previous, row):
        yield "repeated-line", f"the same as the line before: “{_snippet(row.text)}”."
    if _is_only_a_name(row.text, speakers, matcher):
        yield "name-only-line", f"the text is only a name: “{_snippet(row.text)}”."
    elif _TIMESTAMP_START_RE.match(row.text):
        yield "timestamp-in-text", f"the text starts with a timestamp: “{_snippet(row.text)}”."


def _is_only_a_name(text, speakers, matcher):
    """Whether ``text`` is a speaker of the episode or a name of one of its people ("Dan", "Alexey…")."""
    # Most lines are sentences: normalising every one would be slow.
    if len(text) > _NAME_LENGTH or len(text.split()) > MAX_NAME_WORDS:
        return False
    key = normalise_speaker(text)
    if not key or len(key.split()) > MAX_NAME_WORDS:
        return False
    return key in speakers or matcher.match(text) is not None


def _time_mismatch(row):
    """What is wrong with the file's ``time`` (kept in Line.raw when it differs from ``sec``), or None."""
    item = decode(json.loads(row.raw)) if row.raw is not None else None
    if not isinstance(item, dict) or item.get("time") in (None, ""):
        return None
    time = item["time"]
    # YAML 1.1 reads an unquoted 1:18 as the base-60 number 78.
    time_sec = time if isinstance(time, int) and not isinstance(time, bool) else parse_timestamp(str(time))
    if time_sec is None:
        return f"the file's time {str(time)!r} is not M:SS or H:MM:SS{_sec_note(row)}."
    if row.sec is not None and time_sec != row.sec:
        return f"the file's time {str(time)!r} disagrees with its sec {row.sec} ({format_timestamp(row.sec)})."
    return None


def _sec_note(row):
    return f"; its sec is {row.sec} ({format_timestamp(row.sec)})" if row.sec is not None else ""


def _same_line(a, b):
    """Same text (ignoring case and surrounding spaces) from the same speaker."""
    text_a, text_b = a.text.strip(), b.text.strip()
    same_text = text_a == text_b or (len(text_a) == len(text_b) and text_a.casefold() == text_b.casefold())
    return bool(text_b) and same_text and _speaker_key(a.speaker) == _speaker_key(b.speaker)


def _duplicate_transcripts(archive):
    by_text = defaultdict(list)  # the transcript's text, line by line -> the episodes that have it
    guest_lines = Counter()  # episode -> lines its own guests speak
    for episode_id, rows in groupby(archive.lines, key=lambda row: row.episode_id):
        rows = list(rows)
        if len(rows) >= MIN_DUPLICATE_TRANSCRIPT_LINES:
            by_text[tuple(row.text for row in rows)].append(episode_id)
        guests = set(archive.appearances.get(episode_id, []))
        guest_lines[episode_id] = sum(row.person_id in guests for row in rows)

    for episode_ids in by_text.values():
        if len(episode_ids) < 2:
            continue
        # The episode whose guests speak in the transcript owns it; the others most likely carry a copy.
        owners = [pk for pk in episode_ids if guest_lines[pk]]
        for episode_id in episode_ids:
            episode = archive.episodes[episode_id]
            others = [archive.episodes[pk] for pk in episode_ids if pk != episode_id]
            names = ", ".join(f"{other.code}'s ({other.slug})" for other in others)
            if len(owners) == 1 and episode_id != owners[0]:
                owner = archive.episodes[owners[0]]
                message = (
                    f"Its transcript is the same as {names}; none of its guests speaks in it, "
                    f"so it probably carries {owner.code}'s transcript."
                )
            elif len(owners) == 1:
                message = f"Its transcript is the same as {names}; those probably carry this episode's transcript."
            else:
                message = f"Its transcript is the same as {names}."
            yield _about_episode("duplicate-transcript", message, episode)


# --- clips, images and links --------------------------------------------------


def _clip_findings(archive):
    for episode_id, position, name, end_sec, duration in archive.late_clips:
        message = (
            f"Clip {position} “{_snippet(name)}” ends at {format_timestamp(end_sec)}, after the episode's end "
            f"(its duration is {format_timestamp(duration)})."
        )
        yield _about_episode("clip-after-end", message, archive.episodes[episode_id])


def _image_findings(archive):
    covers = _missing_files(Episode._meta.get_field("image").storage, [row["image"] for row in archive.episode_rows])
    pictures = _missing_files(Guest._meta.get_field("picture").storage, [row["picture"] for row in archive.guest_rows])
    for row in archive.episode_rows:
        problem = _image_problem("cover image", row["image"], row[_RAW_IMAGE], covers)
        if problem:
            yield _about_episode("missing-image", problem, archive.episodes[row["pk"]])
    for row in archive.guest_rows:
        problem = _image_problem("picture", row["picture"], _person_as_written(row).get("picture"), pictures)
        if problem:
            yield _about_guest("missing-image", problem, archive.guests[row["pk"]])


def _image_problem(label, name, raw, missing):
    """What is wrong with a cover or picture: none, not imported (the file named one), or gone from storage."""
    if name:
        return f"The {label} file {name!r} is not in storage." if name in missing else ""
    if isinstance(raw, str) and raw.strip():
        return f"No {label}: the source file names {raw!r}, which could not be imported (missing or not an image)."
    return f"No {label}."


def _missing_files(storage, names):
    """The names that ``storage`` does not hold: one listing per folder rather than one request per file."""
    by_folder = defaultdict(set)
    for name in filter(None, names):
        by_folder[posixpath.dirname(name)].add(name)
    missing = set()
    for folder, wanted in by_folder.items():
        try:
            present = {posixpath.join(folder, name) for name in storage.listdir(folder)[1]}
        except (FileNotFoundError, NotADirectoryError, SuspiciousFileOperation):
            present = set()  # no such folder (or one outside the storage): none of its files is there
        except (NotImplementedError, OSError):
            present = {name for name in wanted if _exists(storage, name)}  # a storage that cannot list
        missing |= wanted - present
    return missing


def _exists(storage, name):
    try:
        return storage.exists(name)
    except SuspiciousFileOperation:
        return False


def _link_findings(archive):
    for row in archive.episode_rows:
        episode = archive.episodes[row["pk"]]
        written = decode(row[_RAW_LINKS]) if row[_RAW_LINKS] is not None else {}
        written = written if isinstance(written, dict) else {}
        for name in EPISODE_LINKS:
            label = Episode._meta.get_field(name).verbose_name
            as_written = written.get(name.removesuffix("_url"))
            problem = placeholder_url(row[name])
            if problem:
                yield _about_episode("placeholder-link", f"The {label} link {row[name]!r} is {problem}.", episode)
            elif row[name]:
                continue
            elif isinstance(as_written, str) and as_written.strip() and not _WEB_ADDRESS_RE.match(as_written.strip()):
                # The import drops a link that is not a web address ("TODO"); the file still says it.
                message = f"No {label} link: the source file says {as_written!r}, a placeholder."
                yield _about_episode("placeholder-link", message, episode)
            elif name in EXPECTED_PLATFORMS and row["is_public"]:
                yield _about_episode("placeholder-link", f"No {label} link, though the episode is published.", episode)
    for row in archive.guest_rows:
        written = _person_as_written(row)
        for name, key in GUEST_LINKS.items():
            label = Guest._meta.get_field(name).verbose_name
            problem = placeholder_url(row[name])
            if problem:
                message = f"The {label} link {row[name]!r} is {problem}."
            elif not row[name] and _is_placeholder_text(written.get(key)):
                message = f"No {label} link: the source file says {written[key]!r}, a placeholder."
            else:
                continue
            yield _about_guest("placeholder-link", message, archive.guests[row["pk"]])


def _person_as_written(row):
    """The person file's values as written, where they differ from what the fields give (source_layout)."""
    raw = row[_RAW_PERSON]
    return {key: decode(value) for key, value in raw.items()} if isinstance(raw, dict) else {}


def _is_placeholder_text(value):
    return isinstance(value, str) and bool(_PLACEHOLDER_WORD_RE.search(value))


def placeholder_url(url):
    """Why ``url`` is a placeholder ("an example address"), or "" when it looks real."""
    if not url:
        return ""
    if _PLACEHOLDER_WORD_RE.search(url):
        return "a placeholder (TODO)"
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    if host in _PLACEHOLDER_HOSTS or host.endswith(_PLACEHOLDER_TLDS) or host.endswith(".example.com"):
        return "an example address"
    return ""


# --- people -------------------------------------------------------------------


def _people_findings(archive):
    for row in archive.guest_rows:
        if row["is_placeholder"]:
            message = "No profile: the import created this guest for an episode, but _people has no file for it."
            yield _about_guest("guest-without-profile", message, archive.guests[row["pk"]])

    by_linkedin, by_name = defaultdict(set), defaultdict(set)
    for row in archive.guest_rows:
        by_linkedin[linkedin_key(row["linkedin_url"])].add(row["pk"])
        by_name[normalise_speaker(row["name"])].add(row["pk"])
    by_linkedin.pop("", None)
    by_name.pop("", None)

    same_person = defaultdict(set)  # guest -> the others with the same LinkedIn
    for pks in by_linkedin.values():
        for pk in pks:
            same_person[pk] = pks - {pk}
            if same_person[pk]:
                message = (
                    f"Same LinkedIn profile as {_names(archive, same_person[pk])}: one person entered twice. "
                    "Keep one and move the other's episodes to it."
                )
                yield _about_guest("duplicate-person", message, archive.guests[pk])
    for pks in by_name.values():
        for pk in pks:
            namesakes = pks - {pk} - same_person[pk]
            if namesakes:
                message = f"Same name as {_names(archive, namesakes)}: one person entered twice, or namesakes?"
                yield _about_guest("same-name", message, archive.guests[pk])


def _names(archive, pks):
    return ", ".join(str(archive.guests[pk]) for pk in sorted(pks, key=lambda pk: archive.guests[pk].slug))


def linkedin_key(url):
    """A LinkedIn URL reduced to what identifies the profile: linkedin.com/in/NAME, lower case."""
    if not url:
        return ""
    parts = urlsplit(url if "//" in url else f"https://{url}")
    host = (parts.hostname or "").lower()
    host = host[host.index("linkedin.com") :] if "linkedin.com" in host else host
    return f"{host}{parts.path.rstrip('/').lower()}"


# --- helpers ------------------------------------------------------------------


def _about_episode(kind, message, episode):
    return Finding(kind, message, episode.admin_url, episode=episode, fix="Edit the episode")


def _about_guest(kind, message, guest):
    return Finding(kind, message, guest.admin_url, guest=guest, fix="Edit the person")


def _snippet(text):
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET_LENGTH else text[: _SNIPPET_LENGTH - 1] + "…"


def _line_url(section_urls, row):
    # The section page's line forms are rows "lines-0", "lines-1"... in order: land on the line's.
    return f"{section_urls[row.section_id]}#lines-{row.row}"


class _SectionURLs(dict):
    """Admin change URLs of sections, each reversed once (reverse() per line finding adds up)."""

    def __missing__(self, section_id):
        self[section_id] = url = reverse("admin:episodes_section_change", args=[section_id])
        return url
