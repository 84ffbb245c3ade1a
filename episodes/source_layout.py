"""How a file wrote its front matter, so that an export can write it back the same way. Pure Python.

The importer keeps normalised values (a guest's Twitter handle becomes a URL,
``duration: PT01H35S`` becomes seconds, an intro is sanitised). Each value
also has a *canonical* way to be written back (``canonical_episode``,
``canonical_person``, ``canonical_line``...). Where the file wrote a value
differently from the canonical form of its normalised value, the value as
written (the *raw* value) is recorded: in ``Episode.source_layout`` /
``Guest.source_layout`` for front matter keys and section headers, in
``Line.raw`` for transcript lines. The common case (a value written the
canonical way) records nothing.

An export writes, for each value, the raw one if normalising it still gives
the field's current value (nobody changed it), else the canonical form of the
current value (an editor changed it): ``episodes.export``.

Stored layouts are JSON. PostgreSQL's jsonb does not keep the order of an
object's keys, and YAML has dates and non-text keys, so raw values are
``encode``-d: a mapping becomes ``{"!map": [[key, value], ...]}``, a date
``{"!date": "2024-01-22"}``; ``decode`` turns them back.
"""

from __future__ import annotations

import datetime
import math

from .timecodes import format_timestamp

# Front matter keys in the order most files of the archive write them (and the export writes new keys).
EPISODE_ORDER = (
    "title", "short", "season", "episode", "slug", "guests", "image", "ids", "links",
    "description", "intro", "topics", "dateadded", "duration", "quotableClips", "transcript",
)  # fmt: skip
IDS_ORDER = ("anchor", "youtube")
LINKS_ORDER = ("anchor", "apple", "spotify", "youtube")
PERSON_ORDER = ("short", "title", "picture", "github", "twitter", "linkedin", "web")
LINE_KEYS = ("line", "sec", "time", "who")
CLIP_KEYS = ("name", "startOffset", "url", "endOffset")

# Recorded whatever they hold: the database does not keep the topics' order, and
# an image stored in media storage no longer has the path the file gave.
ALWAYS_RECORDED = {"topics", "image", "picture"}


class _Absent:
    """A key the file does not have (where the canonical form would write one)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "ABSENT"


ABSENT = _Absent()


# --- Raw values as JSON ------------------------------------------------------


def encode(value):
    """A YAML value as JSON that keeps mapping order and YAML's types (see the module's doc)."""
    kind = type(value)
    if value is None or kind in (str, bool, int):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"!float": repr(value)}
    if kind is list:
        return [encode(item) for item in value]
    if kind is dict:
        return {"!map": [[encode(key), encode(item)] for key, item in value.items()]}
    if kind is datetime.datetime:
        return {"!datetime": value.isoformat()}
    if kind is datetime.date:
        return {"!date": value.isoformat()}
    if value is ABSENT:
        return {"!absent": True}
    raise TypeError(f"cannot record a {kind.__name__} value")


def decode(value):
    """The YAML value ``encode`` made ``value`` from."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "!map" in value:
        return {decode(key): decode(item) for key, item in value["!map"]}
    if "!date" in value:
        return datetime.date.fromisoformat(value["!date"])
    if "!datetime" in value:
        return datetime.datetime.fromisoformat(value["!datetime"])
    if "!float" in value:
        return float(value["!float"])
    if "!absent" in value:
        return ABSENT
    raise ValueError(f"not a recorded value: {value!r}")


def same(a, b):
    """Equal as YAML data, types and mapping order included (``1``, ``1.0`` and ``True`` differ)."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return len(a) == len(b) and all(
            same(key_a, key_b) and same(item_a, item_b)
            for (key_a, item_a), (key_b, item_b) in zip(a.items(), b.items(), strict=True)
        )
    if kind is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if kind is float and math.isnan(a):
        return math.isnan(b)
    return a == b


def canonical_order(keys, known_order):
    """Known keys in ``known_order``, then the others sorted (the database does not keep their order)."""
    rank = {key: index for index, key in enumerate(known_order)}
    known = sorted((key for key in keys if type(key) is str and key in rank), key=rank.__getitem__)
    others = sorted(
        (key for key in keys if not (type(key) is str and key in rank)), key=lambda key: (str(key), repr(key))
    )
    return known + others


# --- Canonical forms -------------------------------------------------------------


def canonical_duration(sec):
    """Seconds as the archive writes durations (PT01H03M37S, PT00H57M48S), zero minutes or seconds left out."""
    if sec is None:
        return ABSENT
    hours, rest = divmod(sec, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{value:02d}{unit}" for value, unit in ((minutes, "M"), (seconds, "S")) if value]
    return f"PT{hours:02d}H" + "".join(parts)


def canonical_line(speaker, sec, text):
    item = {"line": text}
    if sec is not None:
        item["sec"] = sec
        item["time"] = format_timestamp(sec)
    if speaker:
        item["who"] = speaker
    return item


def line_is_canonical(item, speaker, sec, text):
    """Whether ``canonical_line`` gives back ``item`` (runs for every transcript line: kept cheap)."""
    if sec is None:
        keys = ("line", "who") if speaker else ("line",)
    else:
        keys = LINE_KEYS if speaker else LINE_KEYS[:3]
        value = item.get("sec")
        if type(value) is not int or value != sec or item.get("time") != format_timestamp(sec):
            return False
    if tuple(item) != keys:
        return False
    value = item["line"]
    if type(value) is not str or value != text:
        return False
    if speaker:
        value = item["who"]
        return type(value) is str and value == speaker
    return True


def canonical_header(title):
    return {"header": title}


def canonical_clip(clip):
    item = {"name": clip.name, "startOffset": clip.start_sec}
    if clip.url:
        item["url"] = clip.url
    item["endOffset"] = clip.end_sec
    return item


def _nonempty(value):
    return value if value not in ("", None, [], {}) else ABSENT


def canonical_episode(data):
    """The front matter keys (transcript aside) as the canonical writer gives them for ``data`` (an EpisodeData).

    ``slug`` is never written: the exported file is named after it.
    """
    ids = {key: value for key, value in (("anchor", data.anchor_id), ("youtube", data.youtube_id)) if value}
    links = {key: data.links[key] for key in LINKS_ORDER if data.links.get(key)}
    return {
        "title": data.title,
        "short": _nonempty(data.short_title),
        "season": data.season,
        "episode": data.number,
        "slug": ABSENT,
        "guests": _nonempty(list(data.guests)),
        "image": _nonempty(data.image),
        "ids": _nonempty(ids),
        "links": _nonempty(links),
        "description": _nonempty(data.description),
        "intro": _nonempty(data.intro),
        "topics": _nonempty(list(data.topics)),
        "dateadded": data.published_on if data.published_on is not None else ABSENT,
        "duration": canonical_duration(data.duration),
        "quotableClips": _nonempty([canonical_clip(clip) for clip in data.clips]),
    }


def canonical_person(data, profile_value):
    """A person's front matter keys, canonically; ``profile_value(kind, url)`` writes a profile URL back."""
    return {
        "short": data.slug,
        "title": data.name,
        "picture": _nonempty(data.picture),
        "github": _nonempty(profile_value("github", data.github_url)),
        "twitter": _nonempty(profile_value("twitter", data.twitter_url)),
        "linkedin": _nonempty(profile_value("linkedin", data.linkedin_url)),
        "web": _nonempty(profile_value("web", data.website_url)),
    }


# --- Recording -------------------------------------------------------------------


def _record(source, canonical, known_order, skip=()):
    """The layout of one front matter mapping: key order and raw values, only where they are not canonical."""
    layout = {}
    keys = list(source)
    # Text keys only in the common case: the JSON that keeps values unordered keeps only text keys.
    if not same(keys, canonical_order(keys, known_order)) or any(type(key) is not str for key in keys):
        layout["order"] = [encode(key) for key in keys]
    raw = {}
    for key, want in canonical.items():
        if key in skip:
            continue
        value = source.get(key, ABSENT)
        if key in ALWAYS_RECORDED and value is not ABSENT or not same(value, want):
            raw[key] = encode(value)
    if raw:
        layout["raw"] = raw
    extra = {key: encode(value) for key, value in source.items() if key not in canonical and _needs_raw(value, key)}
    if extra:
        layout["extra"] = {str(key): value for key, value in extra.items()}
    return layout


def _needs_raw(value, key):
    """Keys the app does not model are kept in ``extra`` (JSON): record what JSON would not keep."""
    if type(key) is not str:
        return True
    kind = type(value)
    if kind in (str, int, bool) or value is None:
        return False
    if kind is float:
        return not math.isfinite(value)
    if kind is list:
        return any(_needs_raw(item, "") for item in value)
    return True  # dates, and mappings (jsonb forgets their order)


def record_episode(source, data):
    """The layout of an episode file's front matter ``source`` (a mapping), parsed to ``data`` (EpisodeData)."""
    canonical = canonical_episode(data)
    canonical["transcript"] = ABSENT  # recorded item by item below, unless the file's transcript is empty
    items = source.get("transcript")
    skip = ("transcript",) if items else ()
    layout = _record(source, canonical, EPISODE_ORDER, skip)
    headers = {str(position): section.raw for position, section in enumerate(data.sections) if section.raw is not None}
    if headers:
        layout["headers"] = headers
    return layout


def record_person(source, data, profile_value):
    return _record(source, canonical_person(data, profile_value), PERSON_ORDER)


def record_stored(layout, key, name):
    """Remember what media storage stored the file's ``image``/``picture`` as; True if recorded.

    The export writes the path the file gave while the field still holds that stored file.
    """
    if key not in layout.get("raw", {}):
        return False
    layout["stored"] = {**layout.get("stored", {}), key: name or ""}
    return True


def record_line(item, speaker, sec, text):
    """``Line.raw``: None when the canonical form gives the item back."""
    return None if line_is_canonical(item, speaker, sec, text) else encode(item)


def record_header(item, title):
    """A header item's raw form, None when it is just ``header: <title>``."""
    if len(item) == 1 and type(item.get("header")) is str and item["header"] == title:
        return None
    return encode(item)
