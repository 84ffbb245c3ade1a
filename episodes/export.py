"""Writing the archive back to files the importer reads: ``_podcast/<slug>.md`` and ``_people/<slug>.md``.

The static site is regenerated from what editors fixed in the CMS. For each
value the export writes what the file had (recorded on import, see
``episodes.source_layout``) if that still normalises to the field's current
value, else the field's current value in its canonical form. An untouched
episode therefore comes out as its source file's data, keys in the source's
order; an edited one carries the edits. Every file is parsed back with the
importer's own parser and compared with the database before anything is
written (``ExportFailure`` names the file and the field).

Drafts are written as ``_<slug>.md``: the importer reads a leading ``_`` as a
draft (``--include-drafts``). A Markdown file whose name still gives the
episode's slug keeps its name (``x.md.md``), so the static site's URLs stay. Placeholder guests (named by an episode, no
profile file) get no person file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from django.db.models import Prefetch

from .importer import topic_slug
from .models import Episode, Guest, Line, Section
from .parsing import (
    PLATFORMS,
    ClipData,
    EpisodeData,
    LineData,
    ParseError,
    PersonData,
    SectionData,
    _link,
    _parse_line,
    _plain,
    _text,
    episode_from_mapping,
    parse_episode,
    parse_person,
    person_from_mapping,
    profile_value,
    slug_from_filename,
)
from .source_layout import (
    ABSENT,
    EPISODE_ORDER,
    IDS_ORDER,
    LINKS_ORDER,
    PERSON_ORDER,
    canonical_episode,
    canonical_header,
    canonical_line,
    canonical_order,
    canonical_person,
    decode,
)

EPISODES_DIR = "_podcast"
PEOPLE_DIR = "_people"
DRAFT_PREFIX = "_"
# Where the archive keeps covers and pictures; an image uploaded in the CMS is exported there.
IMAGE_FOLDERS = {"image": "images/podcast", "picture": "images/authors"}


class ExportFailure(Exception):
    """A record that cannot be written faithfully; the message names the file and the field."""


@dataclass
class ExportFile:
    path: str  # relative to the export folder, e.g. "_podcast/mlops.md"
    text: str = ""
    data: bytes | None = None  # an image's bytes, for an image file

    @property
    def content(self):
        return self.data if self.data is not None else self.text.encode("utf-8")


@dataclass
class Export:
    episodes: list[ExportFile] = field(default_factory=list)
    people: list[ExportFile] = field(default_factory=list)
    images: list[ExportFile] = field(default_factory=list)  # covers and pictures editors uploaded
    failures: list[str] = field(default_factory=list)

    @property
    def files(self):
        return self.episodes + self.people + self.images


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # files in the folders that this export did not write


# --- YAML -----------------------------------------------------------------------


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Block style, unicode, keys in the given order; PyYAML quotes any text that would load as another type."""


def dump_yaml(mapping):
    # PyYAML's default width (80), as the archive's files were written: long text folds the same way.
    return yaml.dump(mapping, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def file_text(front_matter, body):
    """A Jekyll file: front matter between lines that are exactly ---, then the Markdown body."""
    text = f"---\n{dump_yaml(front_matter)}---\n"
    return f"{text}\n{body}\n" if body else text


# --- Reading what to export ----------------------------------------------------------


def episodes_to_export():
    """Every episode (drafts and scheduled ones too) with everything its file holds, in a fixed number of queries."""
    lines = Line.objects.order_by("position").only("section_id", "position", "speaker", "sec", "text", "raw")
    return Episode.objects.prefetch_related(
        "guests",
        "topics",
        "clips",
        Prefetch("sections", queryset=Section.objects.order_by("position")),
        Prefetch("sections__lines", queryset=lines),
    )


def episode_file_name(episode):
    """``<slug>.md`` (``_<slug>.md`` for a draft), or the Markdown file's own name while it still gives the slug.

    Keeping a name such as ``x.md.md`` keeps the static site's URL of the page (``/podcast/x.md.html``).
    """
    prefix = DRAFT_PREFIX if episode.status == Episode.Status.DRAFT else ""
    source = episode.source_path.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].lstrip(DRAFT_PREFIX)
    if source.lower().endswith(".md") and slug_from_filename(source) == episode.slug:
        return prefix + source
    return f"{prefix}{episode.slug}.md"


def stored_image_name(field_file):
    return field_file.name if field_file else ""


def image_path(stored_name, key):
    """The path an exported file gives for an image stored in the CMS (and where the export copies it)."""
    return f"{IMAGE_FOLDERS[key]}/{PurePosixPath(stored_name).name}" if stored_name else ABSENT


def _image_copy(field_file, written, key, where):
    """The image file to export beside the text files, when the file names one the CMS stored."""
    if not field_file or written != image_path(field_file.name, key):
        return None
    try:
        with field_file.storage.open(field_file.name, "rb") as stream:
            return ExportFile(written, data=stream.read())
    except OSError as e:
        raise ExportFailure(f"{where}: the {key} {field_file.name} cannot be read from media storage: {e}") from e


def episode_data(episode):
    """The episode as the parser would give it (EpisodeData), from the database."""
    links = {
        key: getattr(episode, f"{key}_url") for key in PLATFORMS if getattr(episode, f"{key}_url")
    }  # youtube_url, spotify_url, apple_url, anchor_url
    return EpisodeData(
        season=episode.season,
        number=episode.number,
        slug=episode.slug,
        title=episode.title,
        short_title=episode.short_title,
        description=episode.description,
        intro=episode.intro,
        show_notes=episode.show_notes,
        image=stored_image_name(episode.image),
        youtube_id=episode.youtube_id,
        anchor_id=episode.anchor_id,
        links=links,
        topics=[topic.name for topic in episode.topics.all()],
        published_on=episode.published_on,
        duration=episode.duration,
        guests=[guest.slug for guest in episode.guests.all()],
        sections=[
            SectionData(
                title=section.title,
                lines=[LineData(line.speaker, line.sec, line.text, line.raw) for line in section.lines.all()],
            )
            for section in episode.sections.all()
        ],
        clips=[ClipData(clip.name, clip.start_sec, clip.end_sec, clip.url) for clip in episode.clips.all()],
        extra=episode.extra,
    )


def person_data(guest):
    return PersonData(
        slug=guest.slug,
        name=guest.name,
        picture=stored_image_name(guest.picture),
        bio=guest.bio,
        github_url=guest.github_url,
        twitter_url=guest.twitter_url,
        linkedin_url=guest.linkedin_url,
        website_url=guest.website_url,
        extra=guest.extra,
    )


# --- Front matter -----------------------------------------------------------------


def _raw_values(layout):
    return {key: decode(value) for key, value in layout.get("raw", {}).items()}


def _overlay(base, raw):
    """``base`` with the raw values put in (a raw ABSENT removes the key)."""
    mapping = dict(base)
    for key, value in raw.items():
        if value is ABSENT:
            mapping.pop(key, None)
        else:
            mapping[key] = value
    return mapping


def _merge_mapping(raw, current, known_order, normalise):
    """A sub-mapping (``ids``, ``links``) value by value: raw where it still normalises to the current value.

    ``current`` maps every known key to its current value ("" when unset);
    keys the app does not know are kept as written.
    """
    merged = {}
    for key, value in raw.items() if isinstance(raw, dict) else ():
        if key not in current:
            merged[key] = value
            continue
        try:
            unchanged = normalise(key, value) == current[key]
        except ParseError:
            unchanged = False
        if unchanged:
            merged[key] = value
        elif current[key]:
            merged[key] = current[key]
    for key in known_order:
        if current[key] and key not in merged:
            merged[key] = current[key]
    if not merged and not any(current.values()):
        return raw  # written as the file had it: "ids: {}", "links:" (nothing)
    return merged


def _link_value(key, value):
    return _link(value, key, [])


def _id_value(key, value):
    return _text({key: value}, key)


def _ordered(values, layout, known_order):
    """``values`` in the file's key order; keys the file did not have go where the canonical order puts them."""
    if "order" not in layout:
        return {key: values[key] for key in canonical_order(values, known_order)}
    keys = [key for key in map(decode, layout["order"]) if key in values]
    rank = {key: index for index, key in enumerate(known_order)}
    for key in canonical_order(values, known_order):
        if key in keys:
            continue
        if type(key) is str and key in rank:  # after the last written key that comes before it
            earlier = [i for i, k in enumerate(keys) if type(k) is str and rank.get(k, len(rank)) < rank[key]]
            keys.insert(earlier[-1] + 1 if earlier else 0, key)
        else:
            keys.append(key)
    return {key: values[key] for key in keys}


def _extra_values(extra, layout):
    """Keys the app does not model, as written where the stored value is still what the file said."""
    raw_extra = {key: decode(value) for key, value in layout.get("extra", {}).items()}
    original_keys = {str(key): key for key in map(decode, layout.get("order", []))}  # keys YAML read as numbers...
    values = {}
    for name, value in extra.items():
        raw = raw_extra.get(name, ABSENT)
        values[original_keys.get(name, name)] = raw if raw is not ABSENT and _plain(raw) == value else value
    return values


def _topic_names(raw, parsed_names, topics, first_name_for):
    """The ``topics`` to write: as the file wrote them while they still name the episode's topics.

    A topic's name is the one the first file the importer reads gives it, so
    for the topics in ``first_name_for`` this file writes the current name.
    """
    by_slug = {topic.slug: topic for topic in topics}
    if isinstance(raw, list) and {topic_slug(name) for name in parsed_names} == set(by_slug):
        if not raw:
            return raw
        items = list(raw)
    else:
        kept = [name for name in parsed_names if topic_slug(name) in by_slug]
        covered = {topic_slug(name) for name in kept}
        added = [topic.name for topic in sorted(topics, key=_by_name) if topic.slug not in covered]
        items = kept + added
        if not items:
            return raw if raw is not ABSENT and not parsed_names else ABSENT
    # The name the importer takes from this file for a topic: the last of its spellings here.
    taken = {topic_slug(name): name for name in dict.fromkeys(str(item).strip() for item in items)}
    written = []
    for item in items:
        name = str(item).strip()
        topic = by_slug.get(topic_slug(name))
        rename = topic is not None and topic.slug in first_name_for and name == taken[topic.slug] != topic.name
        written.append(topic.name if rename else item)
    return written


def _by_name(topic):
    return topic.name.lower()


def episode_front_matter(episode, data, first_name_for=frozenset()):
    """The front matter mapping to write for ``episode`` (``data`` = ``episode_data(episode)``).

    ``first_name_for``: slugs of the topics this file is the first to name in
    the importer's reading order (see ``_topic_names``).
    """
    layout = episode.source_layout or {}
    raw = _raw_values(layout)
    canonical = canonical_episode(data)
    base = {"season": data.season, "episode": data.number, "title": data.title}
    try:  # the recorded values, normalised the importer's way
        parsed = episode_from_mapping(_overlay(base, raw), episode_file_name(episode))
    except ParseError:
        parsed = None  # a recorded value no longer reads: every value is written canonically
    current = {
        "title": data.title,
        "short": data.short_title,
        "season": data.season,
        "episode": data.number,
        "slug": data.slug,
        "guests": data.guests,
        "image": data.image,
        "description": data.description,
        "intro": data.intro,
        "dateadded": data.published_on,
        "duration": data.duration,
        "quotableClips": data.clips,
    }
    values = {}
    for key in EPISODE_ORDER:
        value = canonical.get(key, ABSENT)
        if key == "ids":
            if "ids" in raw:
                value = _merge_mapping(
                    raw["ids"], {"anchor": data.anchor_id, "youtube": data.youtube_id}, IDS_ORDER, _id_value
                )
        elif key == "links":
            if "links" in raw:
                platforms = {platform: data.links.get(platform, "") for platform in PLATFORMS}
                value = _merge_mapping(raw["links"], platforms, LINKS_ORDER, _link_value)
        elif key == "topics":
            names = parsed.topics if parsed is not None else []
            value = _topic_names(raw.get("topics", ABSENT), names, list(episode.topics.all()), first_name_for)
        elif key == "image":
            unchanged = "image" in raw and parsed is not None and _unchanged(parsed, key, data.image, layout)
            value = raw["image"] if unchanged else image_path(data.image, "image")
        elif key == "transcript":
            value = transcript_items(data.sections, layout.get("headers", {}))
            if value is ABSENT and "transcript" in raw:
                value = raw["transcript"]  # "transcript: []" and the like
        elif key in raw and parsed is not None and _unchanged(parsed, key, current[key], layout):
            value = raw[key]
        if value is not ABSENT:
            values[key] = value
    values.update(_extra_values(data.extra, layout))
    return _ordered(values, layout, EPISODE_ORDER)


_EPISODE_ATTRIBUTES = {
    "short": "short_title",
    "episode": "number",
    "dateadded": "published_on",
    "quotableClips": "clips",
}


def _parsed_value(parsed, key):
    return getattr(parsed, _EPISODE_ATTRIBUTES.get(key, key))


def _unchanged(parsed, key, current, layout):
    """Whether the file's recorded value of ``key`` still normalises to the field's current value."""
    written = _parsed_value(parsed, key)
    return _image_unchanged(written, current, layout, key) if key == "image" else written == current


def _image_unchanged(written, current, layout, key):
    """Whether the image the file names is the one the field holds (media storage renames what it stores)."""
    stored = layout.get("stored", {})
    if key in stored:
        return stored[key] == (current or "")
    return written == current


def transcript_items(sections, headers):
    """The ``transcript`` list: a header item opens each titled section, then its lines."""
    items = []
    for position, section in enumerate(sections):
        if section.title:
            raw = headers.get(str(position))
            item = decode(raw) if raw is not None else None
            if item is None or not isinstance(item, dict) or _header_title(item) != section.title:
                item = canonical_header(section.title)
            items.append(item)
        for line in section.lines:
            items.append(_line_item(line))
    return items or ABSENT


def _header_title(item):
    try:
        return _text(item, "header", required=True)
    except ParseError:
        return None


def _line_item(line):
    if line.raw is not None:
        item = decode(line.raw)
        try:
            parsed = _parse_line(item, "", [])
        except (ParseError, TypeError, AttributeError):
            parsed = None
        if parsed is not None and (parsed.speaker, parsed.sec, parsed.text) == (line.speaker, line.sec, line.text):
            return item
    return canonical_line(line.speaker, line.sec, line.text)


def person_front_matter(guest, data):
    """The front matter mapping to write for ``guest`` (``data`` = ``person_data(guest)``)."""
    layout = guest.source_layout or {}
    raw = _raw_values(layout)
    canonical = canonical_person(data, profile_value)
    try:  # the recorded values, normalised the importer's way
        parsed = person_from_mapping(_overlay({"short": data.slug, "title": data.name}, raw), f"{guest.slug}.md")
    except ParseError:
        parsed = None
    normalised = {
        "short": ("slug", data.slug),
        "title": ("name", data.name),
        "picture": ("picture", data.picture),
        "github": ("github_url", data.github_url),
        "twitter": ("twitter_url", data.twitter_url),
        "linkedin": ("linkedin_url", data.linkedin_url),
        "web": ("website_url", data.website_url),
    }
    values = {}
    for key in PERSON_ORDER:
        value = image_path(data.picture, "picture") if key == "picture" else canonical[key]
        if key in raw and parsed is not None:
            attribute, current = normalised[key]
            written = getattr(parsed, attribute)
            if _image_unchanged(written, current, layout, key) if key == "picture" else written == current:
                value = raw[key]
        if value is not ABSENT:
            values[key] = value
    values.update(_extra_values(data.extra, layout))
    return _ordered(values, layout, PERSON_ORDER)


# --- Checking and building ---------------------------------------------------------


def _episode_differences(parsed, data, expected_image):
    checks = [
        ("season", parsed.season, data.season),
        ("episode", parsed.number, data.number),
        ("slug", parsed.slug, data.slug),
        ("title", parsed.title, data.title),
        ("short", parsed.short_title, data.short_title),
        ("description", parsed.description, data.description),
        ("intro", parsed.intro, data.intro),
        ("show notes", parsed.show_notes, data.show_notes),
        ("image", parsed.image, expected_image),
        ("ids.youtube", parsed.youtube_id, data.youtube_id),
        ("ids.anchor", parsed.anchor_id, data.anchor_id),
        ("links", parsed.links, data.links),
        ("topics", {topic_slug(name) for name in parsed.topics}, {topic_slug(name) for name in data.topics}),
        ("dateadded", parsed.published_on, data.published_on),
        ("duration", parsed.duration, data.duration),
        ("guests", parsed.guests, data.guests),
        ("quotableClips", parsed.clips, data.clips),
        ("extra", _as_json(parsed.extra), data.extra),
        ("transcript", _transcript_rows(parsed.sections), _transcript_rows(data.sections)),
    ]
    return [name for name, got, want in checks if got != want]


def _as_json(value):
    """``value`` as the database's JSON gives it back (keys YAML read as numbers become text)."""
    return json.loads(json.dumps(value))


def _transcript_rows(sections):
    return [(s.title, [(line.speaker, line.sec, line.text) for line in s.lines]) for s in sections]


def _person_differences(parsed, data, expected_picture):
    checks = [
        ("short", parsed.slug, data.slug),
        ("title", parsed.name, data.name),
        ("picture", parsed.picture, expected_picture),
        ("bio", parsed.bio, data.bio),
        ("github", parsed.github_url, data.github_url),
        ("twitter", parsed.twitter_url, data.twitter_url),
        ("linkedin", parsed.linkedin_url, data.linkedin_url),
        ("web", parsed.website_url, data.website_url),
        ("extra", _as_json(parsed.extra), data.extra),
    ]
    return [name for name, got, want in checks if got != want]


def _first_files_per_topic(episodes):
    """{episode pk: slugs of the topics it is the first file to name}, in the importer's reading order.

    The importer reads a folder's files in name order and a new topic takes
    the name the first file gives it; drafts are read only with
    --include-drafts, so the first published file counts too.
    """
    firsts, seen_any, seen_published = {}, set(), set()
    for episode in sorted(episodes, key=episode_file_name):
        slugs = {topic.slug for topic in episode.topics.all()}
        mine = slugs - seen_any
        if episode.status != Episode.Status.DRAFT:
            mine |= slugs - seen_published
            seen_published |= slugs
        seen_any |= slugs
        firsts[episode.pk] = frozenset(mine)
    return firsts


def export_episode(episode, first_name_for=frozenset()):
    """The file for one episode (and its cover, if uploaded in the CMS), read back and checked; raises ExportFailure."""
    name = episode_file_name(episode)
    data = episode_data(episode)
    front_matter = episode_front_matter(episode, data, first_name_for)
    text = file_text(front_matter, data.show_notes)
    try:
        parsed = parse_episode(text, name)
    except ParseError as e:
        raise ExportFailure(f"{EPISODES_DIR}/{name}: the exported file does not read back: {e}") from e
    where = f"{EPISODES_DIR}/{name}"
    # The image the file names: as the file had it (unchanged), or where the export copies the CMS's one.
    differences = _episode_differences(parsed, data, _text(front_matter, "image"))
    if differences:
        raise ExportFailure(f"{where}: reads back different from the database: {', '.join(differences)}")
    return ExportFile(where, text), _image_copy(episode.image, front_matter.get("image"), "image", where)


def export_person(guest):
    name = f"{guest.slug}.md"
    data = person_data(guest)
    front_matter = person_front_matter(guest, data)
    text = file_text(front_matter, data.bio)
    try:
        parsed = parse_person(text, name)
    except ParseError as e:
        raise ExportFailure(f"{PEOPLE_DIR}/{name}: the exported file does not read back: {e}") from e
    where = f"{PEOPLE_DIR}/{name}"
    written = front_matter.get("picture", "")
    differences = _person_differences(parsed, data, person_from_mapping({"picture": written}, name).picture)
    if differences:
        raise ExportFailure(f"{where}: reads back different from the database: {', '.join(differences)}")
    return ExportFile(where, text), _image_copy(guest.picture, written, "picture", where)


def build_export():
    """Every episode and every profiled guest as files (nothing written yet), and what could not be exported."""
    export = Export()
    episodes = list(episodes_to_export())
    firsts = _first_files_per_topic(episodes)
    for episode in sorted(episodes, key=episode_file_name):
        try:
            file, image = export_episode(episode, firsts[episode.pk])
        except ExportFailure as e:
            export.failures.append(str(e))
            continue
        export.episodes.append(file)
        export.images.extend([image] if image else [])
    for guest in Guest.objects.filter(is_placeholder=False).order_by("slug"):
        try:
            file, image = export_person(guest)
        except ExportFailure as e:
            export.failures.append(str(e))
            continue
        export.people.append(file)
        export.images.extend([image] if image else [])
    return export


# --- Writing ---------------------------------------------------------------------------


def check_writable(directory):
    """Create the export folders and prove a file can be written in each; raises OSError."""
    for sub in (EPISODES_DIR, PEOPLE_DIR):
        folder = Path(directory) / sub
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".export-check-"):
            pass


def write_export(export, directory, *, dry_run=False):
    """Write the files (each atomically: a temporary file renamed over the old one); unchanged files are left alone."""
    directory = Path(directory)
    report = WriteReport()
    wanted = {file.path for file in export.files}
    for file in export.files:
        target = directory / file.path
        data = file.content
        try:
            if target.read_bytes() == data:
                report.unchanged.append(file.path)
                continue
        except FileNotFoundError:
            pass
        if not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(target, data)
        report.written.append(file.path)
    for sub in (EPISODES_DIR, PEOPLE_DIR):
        folder = directory / sub
        if folder.is_dir():
            report.stale.extend(
                f"{sub}/{path.name}" for path in sorted(folder.glob("*.md")) if f"{sub}/{path.name}" not in wanted
            )
    return report


def _write_atomically(target, data):
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
