"""Reading episode and person files into plain, validated data.

Pure Python (no Django): everything here works on text and returns dataclasses,
so it is tested in milliseconds. Writing the data to the database is
``episodes.importer``'s job.

Two file shapes are read:

* a YAML document between ``---`` lines (the seed episode: ``.yaml``, ``.yml``,
  ``.txt``); its closing ``---`` opens an empty second document;
* Jekyll Markdown (``.md``): front matter between lines that are exactly
  ``---``, then a Markdown body (the show notes, or a person's bio).

Front matter is split on lines that are exactly ``---``, never on the
substring: Anchor ids contain ``---``.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import yaml

from .source_layout import record_episode, record_header, record_line, record_person
from .text import render_markdown, sanitize_intro
from .timecodes import parse_duration, parse_timestamp
from .yaml_loader import ArchiveLoader

YAML_SUFFIXES = {".yaml", ".yml", ".txt"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
EPISODE_SUFFIXES = YAML_SUFFIXES | MARKDOWN_SUFFIXES

PLATFORMS = ("youtube", "spotify", "apple", "anchor")
ABSENT_LINK_VALUES = {"", "TODO"}
MAX_SPEAKER_LENGTH = 1000

# Front matter keys the app models; anything else is kept in ``extra``.
EPISODE_KEYS = {
    "title", "short", "season", "episode", "slug", "guests", "image", "ids", "links",
    "description", "intro", "topics", "dateadded", "duration", "quotableClips", "transcript",
}  # fmt: skip
PERSON_KEYS = {"short", "title", "picture", "github", "twitter", "linkedin", "web"}

# A Liquid tag where a value starts (`title: "{{ title }}"`, `guests: [{{ guest }}]`) marks a
# template; inside transcript text ("you write {{ ref('x') }} in dbt") it is only text.
_LIQUID_RE = re.compile(r"""^[ \t]*(?:-|[\w-]+:)[ \t]+["'\[]?(?P<tag>\{\{.*?\}\}|\{%.*?%\})""", re.MULTILINE)
_SLUG_JUNK_RE = re.compile(r"[^a-z0-9_-]+")


class ParseError(Exception):
    """A file that cannot be imported; the message says where and why."""

    def __init__(self, message, line=None, column=None):
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self):
        if self.line is not None and self.column is not None:
            return f"line {self.line}, column {self.column}: {self.message}"
        if self.line is not None:
            return f"line {self.line}: {self.message}"
        return self.message


@dataclass
class LineData:
    speaker: str
    sec: int | None
    text: str
    raw: object = None  # the item as written, where the fields would not give it back (source_layout)


@dataclass
class SectionData:
    title: str
    lines: list[LineData] = field(default_factory=list)
    raw: object = None  # the header item as written, where ``header: <title>`` would not give it back

    @property
    def start_sec(self):
        return next((line.sec for line in self.lines if line.sec is not None), None)


@dataclass
class ClipData:
    name: str
    start_sec: int
    end_sec: int
    url: str


@dataclass
class EpisodeData:
    season: int
    number: int
    slug: str
    title: str
    short_title: str = ""
    description: str = ""
    intro: str = ""
    show_notes: str = ""
    show_notes_html: str = ""  # rendered here, in the import's worker processes
    image: str = ""
    youtube_id: str = ""
    anchor_id: str = ""
    links: dict[str, str] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    published_on: datetime.date | None = None
    duration: int | None = None
    guests: list[str] = field(default_factory=list)
    sections: list[SectionData] = field(default_factory=list)
    clips: list[ClipData] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    layout: dict = field(default_factory=dict)  # how the file wrote its front matter (source_layout)

    @property
    def line_count(self):
        return sum(len(section.lines) for section in self.sections)


@dataclass
class PersonData:
    slug: str
    name: str
    picture: str = ""
    bio: str = ""
    bio_html: str = ""
    github_url: str = ""
    twitter_url: str = ""
    linkedin_url: str = ""
    website_url: str = ""
    extra: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    layout: dict = field(default_factory=dict)  # how the file wrote its front matter (source_layout)


# --- File shapes -----------------------------------------------------------


def slug_from_filename(name):
    """``x.md.md`` gives ``x``; a leading ``_`` (Jekyll's draft mark) is dropped."""
    stem = name.split(".", 1)[0].lstrip("_")
    return normalise_slug(stem)


def normalise_slug(value):
    return _SLUG_JUNK_RE.sub("-", value.strip().lower()).strip("-")


def is_draft_filename(name):
    return name.startswith("_")


def split_front_matter(text, suffix):
    """Return (front matter, body, line number where the front matter starts).

    Only lines that are exactly ``---`` delimit; a trailing newline or
    carriage return after them is ignored.
    """
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    is_yaml = suffix in YAML_SUFFIXES
    if not lines or lines[0].rstrip() != "---":
        if is_yaml:  # a bare YAML document without markers
            return text, "", 1
        raise ParseError("no front matter: the file must start with a line that is exactly ---", line=1)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == "---")
    except StopIteration:
        if is_yaml:
            return "\n".join(lines[1:]), "", 2
        raise ParseError("front matter is not closed: no second line that is exactly ---") from None
    front_matter = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :])
    if is_yaml and body.strip():
        raise ParseError(
            "unexpected content after the closing --- (a YAML episode file holds one document)", line=end + 2
        )
    return front_matter, body.strip("\n"), 2


def load_yaml(source, first_line=1):
    """Parse YAML with the C parser, refusing aliases; errors carry file line and column."""
    liquid = _LIQUID_RE.search(source)
    if liquid:
        line = source.count("\n", 0, liquid.start()) + first_line
        raise ParseError(f"this is a Liquid template ({liquid.group('tag')!r}), not an episode", line=line)
    loader = ArchiveLoader(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        data = loader.construct_plain(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        if mark is None:
            raise ParseError(f"not valid YAML: {problem}") from e
        raise ParseError(f"not valid YAML: {problem}", line=mark.line + first_line, column=mark.column + 1) from e
    except yaml.YAMLError as e:
        raise ParseError(f"not valid YAML: {e}") from e
    except RecursionError as e:
        raise ParseError("not valid YAML: nested too deeply") from e
    finally:
        loader.dispose()
    return data, node


def _item_lines(root, key, first_line):
    """File line numbers of the items of the sequence under ``key`` (for error messages)."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key_node, value_node in root.value:
        if key_node.value == key and isinstance(value_node, yaml.SequenceNode):
            return [item.start_mark.line + first_line for item in value_node.value]
    return []


# --- Field checks ----------------------------------------------------------

_TYPE_NAMES = {
    bool: "true/false",
    int: "a number",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "a mapping",
    datetime.date: "a date",
    type(None): "nothing",
}


def _type_name(value):
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _text(data, key, required=False, where=""):
    value = data.get(key)
    if value is None:
        if required:
            raise ParseError(f"{where}missing required field '{key}'")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ParseError(f"{where}'{key}' must be text, not {_type_name(value)}")
    value = str(value).strip()
    if required and not value:
        raise ParseError(f"{where}'{key}' must not be empty")
    return value


def _int(data, key, required=False):
    value = data.get(key)
    if value is None:
        if required:
            raise ParseError(f"missing required field '{key}'")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise ParseError(f"'{key}' must be a whole number, not {_type_name(value)} ({value!r})")
    if value < 0:
        raise ParseError(f"'{key}' must not be negative ({value})")
    return value


def _mapping(data, key):
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParseError(f"'{key}' must be a mapping, not {_type_name(value)}")
    return value


def _list(data, key):
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"'{key}' must be a list, not {_type_name(value)}")
    return value


def _text_list(data, key):
    items = _list(data, key)
    for index, item in enumerate(items, 1):
        if isinstance(item, bool) or not isinstance(item, str | int) or not str(item).strip():
            raise ParseError(f"'{key}' item {index} must be text, not {_type_name(item)}")
    return [str(item).strip() for item in items]


def _date(data, key):
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ParseError(f"'{key}' must be a date like 2024-01-22, not {value!r}")


def _link(value, key, warnings):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(f"'links.{key}' must be text, not {_type_name(value)}")
    value = value.strip()
    if value in ABSENT_LINK_VALUES:
        return ""
    if not re.match(r"^https?://\S+$", value):
        warnings.append(f"links.{key}: {value!r} is not a web address; ignored")
        return ""
    return value


# --- Episodes --------------------------------------------------------------


def parse_episode(text, filename):
    """Parse one episode file's text; ``filename`` gives the shape and the default slug."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    front_matter, body, first_line = split_front_matter(text, suffix)
    data, root = load_yaml(front_matter, first_line)
    if data is None:
        raise ParseError("the front matter is empty")
    if not isinstance(data, dict):
        raise ParseError(f"the front matter must be a mapping of fields, not {_type_name(data)}")
    episode = episode_from_mapping(data, filename, body, _item_lines(root, "transcript", first_line))
    episode.layout = record_episode(data, episode)
    return episode


def episode_from_mapping(data, filename, body="", item_lines=()):
    """An episode's values from its front matter mapping (the export normalises what it writes with this too)."""
    warnings = []

    season = _int(data, "season", required=True)
    number = _int(data, "episode", required=True)
    title = _text(data, "title", required=True)
    slug = normalise_slug(_text(data, "slug")) if data.get("slug") else slug_from_filename(filename)
    if not slug:
        raise ParseError(f"cannot make a slug from the file name {filename!r}; add a 'slug' field")

    ids = _mapping(data, "ids")
    links_in = _mapping(data, "links")
    links = {key: _link(links_in.get(key), key, warnings) for key in PLATFORMS}
    for key in links_in.keys() - set(PLATFORMS):
        warnings.append(f"links.{key}: unknown platform; ignored")

    duration = None
    if data.get("duration") not in (None, ""):
        raw_duration = _text(data, "duration")
        duration = parse_duration(raw_duration)
        if duration is None:
            raise ParseError(f"'duration' must be an ISO 8601 duration like PT1H03M37S, not {raw_duration!r}")

    return EpisodeData(
        season=season,
        number=number,
        slug=slug,
        title=title,
        short_title=_text(data, "short"),
        description=_text(data, "description"),
        intro=sanitize_intro(_text(data, "intro")),
        show_notes=body.strip(),
        show_notes_html=render_markdown(body.strip()),
        image=_text(data, "image"),
        youtube_id=_text(ids, "youtube", where="ids: "),
        anchor_id=_text(ids, "anchor", where="ids: "),
        links={key: value for key, value in links.items() if value},
        topics=list(dict.fromkeys(_text_list(data, "topics"))),
        published_on=_date(data, "dateadded"),
        duration=duration,
        guests=list(dict.fromkeys(_text_list(data, "guests"))),
        sections=_parse_transcript(_list(data, "transcript"), item_lines, warnings),
        clips=_parse_clips(_list(data, "quotableClips")),
        extra={key: _plain(value) for key, value in data.items() if key not in EPISODE_KEYS},
        warnings=warnings,
    )


def _plain(value):
    """Values YAML gives as dates become ISO strings, so ``extra`` stays JSON."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _parse_transcript(items, item_lines, warnings):
    sections = [SectionData(title="")]
    for index, item in enumerate(items):
        line_no = item_lines[index] if index < len(item_lines) else None
        where = f"transcript item {index + 1}"
        if not isinstance(item, dict):
            raise ParseError(f"{where} must be a mapping with 'header' or 'line', not {_type_name(item)}", line=line_no)
        try:
            if "header" in item:
                if "line" in item:
                    raise ParseError(f"{where} has both 'header' and 'line'")
                title = _text(item, "header", required=True, where=f"{where}: ")
                sections.append(SectionData(title=title, raw=record_header(item, title)))
            elif "line" in item:
                sections[-1].lines.append(_parse_line(item, where, warnings))
            else:
                keys = ", ".join(map(str, item)) or "nothing"
                raise ParseError(f"{where} is neither a header nor a line (it has {keys})")
        except ParseError as e:
            if e.line is None:
                e.line = line_no
            raise
    if not sections[0].lines:
        sections.pop(0)  # no lines before the first header: no opening section
    return sections


def _parse_line(item, where, warnings):
    text = _text(item, "line", where=f"{where}: ")
    speaker = _text(item, "who", where=f"{where}: ")
    if len(speaker) > MAX_SPEAKER_LENGTH:
        raise ParseError(f"{where}: 'who' is longer than {MAX_SPEAKER_LENGTH} characters")
    sec = item.get("sec")
    if sec is not None and (isinstance(sec, bool) or not isinstance(sec, int) or sec < 0):
        if isinstance(sec, float) and sec >= 0:
            sec = int(sec)
        else:
            raise ParseError(f"{where}: 'sec' must be a whole number of seconds, not {sec!r}")
    time = item.get("time")
    time_sec = None
    if isinstance(time, int) and not isinstance(time, bool):
        time_sec = time  # YAML 1.1 reads an unquoted 1:18 as the base-60 number 78
    elif isinstance(time, str) and time.strip():
        time_sec = parse_timestamp(time)
    if time not in (None, "") and time_sec is None:
        fallback = f"using sec {sec}" if sec is not None else "no time for this line"
        warnings.append(f"{where}: time {time!r} is not M:SS or H:MM:SS; {fallback}")
    if sec is None:
        sec = time_sec
    elif time_sec is not None and time_sec != sec:
        warnings.append(f"{where}: time {time!r} disagrees with sec {sec}; using sec")
    return LineData(speaker=speaker, sec=sec, text=text, raw=record_line(item, speaker, sec, text))


def _parse_clips(items):
    clips = []
    for index, item in enumerate(items, 1):
        where = f"quotableClips item {index}: "
        if not isinstance(item, dict):
            raise ParseError(f"{where}must be a mapping, not {_type_name(item)}")
        start = _int(item, "startOffset", required=True)
        end = _int(item, "endOffset", required=True)
        if end < start:
            raise ParseError(f"{where}endOffset {end} is before startOffset {start}")
        clips.append(
            ClipData(
                name=_text(item, "name", required=True, where=where),
                start_sec=start,
                end_sec=end,
                url=_text(item, "url", where=where),
            )
        )
    return clips


# --- People ----------------------------------------------------------------

_PROFILE_BASES = {
    "github": "https://github.com/",
    "twitter": "https://x.com/",
    "linkedin": "https://www.linkedin.com/in/",
}


def profile_url(kind, value):
    """A full URL from what the files hold: a handle, ``name/``, ``@name``, ``www.x.com`` or a URL."""
    value = (value or "").strip()
    if not value or value in ABSENT_LINK_VALUES:
        return ""
    if re.match(r"^https?://", value, re.IGNORECASE):
        return value
    if kind == "web" or value.lower().startswith("www.") or kind not in _PROFILE_BASES:
        return "https://" + value
    return _PROFILE_BASES[kind] + value.lstrip("@").strip("/")


def profile_value(kind, url):
    """What a person file writes for a profile URL: the bare handle where ``profile_url`` makes the URL of it."""
    base = _PROFILE_BASES.get(kind)
    if base and url.startswith(base):
        handle = url[len(base) :]
        if handle and profile_url(kind, handle) == url:
            return handle
    return url


def parse_person(text, filename):
    front_matter, body, first_line = split_front_matter(text, ".md")
    data, _root = load_yaml(front_matter, first_line)
    if not isinstance(data, dict):
        raise ParseError(f"the front matter must be a mapping of fields, not {_type_name(data)}")
    person = person_from_mapping(data, filename, body)
    person.layout = record_person(data, person, profile_value)
    return person


def person_from_mapping(data, filename, body=""):
    """A person's values from their front matter mapping (the export normalises what it writes with this too)."""
    slug = normalise_slug(_text(data, "short")) or slug_from_filename(filename)
    # As written: the real "images/authors/ aashishnair.jpg" names a file whose name starts with a
    # blank; finding the file (with or without it) is the image import's business.
    picture = _text(data, "picture")
    return PersonData(
        slug=slug,
        name=_text(data, "title") or slug,
        picture=picture,
        bio=body.strip(),
        bio_html=render_markdown(body.strip()),
        github_url=profile_url("github", _text(data, "github")),
        twitter_url=profile_url("twitter", _text(data, "twitter")),
        linkedin_url=profile_url("linkedin", _text(data, "linkedin")),
        website_url=profile_url("web", _text(data, "web")),
        extra={key: _plain(value) for key, value in data.items() if key not in PERSON_KEYS},
    )
