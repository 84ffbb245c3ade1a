"""Writing episode and person files to the database.

``parsing`` turns a file into plain data; this module decides what to do with
each file (skip, create, update, fail) and writes it. Each file is written in
its own transaction, so a file that fails leaves its episode exactly as it was
and the other files still import.
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from .models import Appearance, Clip, Episode, Guest, Line, Section, Topic
from .parsing import EPISODE_SUFFIXES, ParseError, is_draft_filename, parse_person
from .parsing_pool import parse_in_background
from .speakers import is_configured_host, matcher_for_guests, relink_all, relink_episode

CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED = "created", "updated", "unchanged", "skipped", "failed"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED)


class ImportFailure(Exception):
    """A file that cannot be written; the message says why."""


@dataclass
class FileResult:
    path: Path
    outcome: str
    message: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    episodes: list[FileResult] = field(default_factory=list)
    people: list[FileResult] = field(default_factory=list)

    def count(self, outcome, kind="episodes"):
        return sum(1 for result in getattr(self, kind) if result.outcome == outcome)

    def summary(self, kind="episodes"):
        return ", ".join(f"{outcome} {self.count(outcome, kind)}" for outcome in OUTCOMES)

    @property
    def failures(self):
        return [result for result in self.people + self.episodes if result.outcome == FAILED]

    @property
    def ok(self):
        return not self.failures


@dataclass
class _Candidate:
    path: Path
    key: str
    digest: str
    status: str
    text: str
    data: object = None


@dataclass
class _EpisodeBatch:
    files: list[Path]
    results: dict = field(default_factory=dict)  # path -> FileResult, once decided
    claims: dict = field(default_factory=lambda: defaultdict(list))  # (season, number) -> paths claiming it
    candidates: list[_Candidate] = field(default_factory=list)  # new or changed files, in order
    parsing: object = None  # iterator of EpisodeData or ParseError, one per candidate


def content_hash(raw):
    return hashlib.sha256(raw).hexdigest()


def source_key(path):
    return str(Path(path).resolve())


def find_files(paths):
    """Episode files and people folders under ``paths`` (files or folders, recursive).

    A folder named ``_people`` holds person profiles, not episodes; the
    ``_people`` folder beside an imported ``_podcast`` folder is read too.
    Returns (episode files, people folders, missing paths).
    """
    episode_files, people_dirs, missing = [], [], []
    for path in map(Path, paths):
        if path.is_file():
            episode_files.append(path)
        elif path.is_dir() and path.resolve().name == "_people":
            people_dirs.append(path)
        elif path.is_dir():
            for folder in [path, *sorted(p for p in path.rglob("*") if p.is_dir())]:
                if folder.name == "_people":
                    people_dirs.append(folder)
                elif folder.name == "_podcast" and (folder.parent / "_people").is_dir():
                    people_dirs.append(folder.parent / "_people")
            episode_files.extend(
                file
                for file in sorted(path.rglob("*"))
                if file.is_file()
                and file.suffix.lower() in EPISODE_SUFFIXES
                and not file.name.lower().startswith("readme")
                and not any(part == "_people" or part.startswith(".") for part in file.relative_to(path).parts[:-1])
            )
        else:
            missing.append(path)
    return list(dict.fromkeys(episode_files)), list(dict.fromkeys(people_dirs)), missing


class Importer:
    """Imports files; ``run`` returns an ImportReport and never raises for a bad file."""

    def __init__(self, *, include_drafts=False, dry_run=False, max_bytes=None, progress=None):
        self.include_drafts = include_drafts
        self.dry_run = dry_run
        self.max_bytes = max_bytes or settings.PODCAST_MAX_FILE_BYTES
        self.progress = progress or (lambda done, total: None)
        self.now = timezone.now()
        self._speaker_matcher = None

    def run(self, paths, people_dirs=()):
        # The parsed archive is hundreds of thousands of small objects that live
        # until written and hold no reference cycles; the cyclic collector would
        # rescan them again and again for nothing (a third of the import time).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(paths, people_dirs)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _run(self, paths, people_dirs):
        report = ImportReport()
        episode_files, found_people_dirs, missing = find_files(paths)
        for path in missing:
            report.episodes.append(FileResult(path, FAILED, "no such file or folder"))
        with self._outer_transaction():
            batch = self._prepare_episodes(episode_files)
            # People are written while the episode files parse in worker processes.
            for folder in dict.fromkeys([*map(Path, people_dirs), *found_people_dirs]):
                report.people.extend(self.import_people(folder))
            report.episodes.extend(self._write_episodes(batch))
            if any(result.outcome in (CREATED, UPDATED) for result in report.people):
                relink_all()  # a changed name or host flag can change who said what in any episode
        return report

    @contextmanager
    def _outer_transaction(self):
        # A dry run does all the work, inside one transaction that is rolled back.
        if not self.dry_run:
            yield
            return
        with transaction.atomic():
            yield
            transaction.set_rollback(True)

    def _read(self, path):
        size = path.stat().st_size
        if size > self.max_bytes:
            raise ImportFailure(f"file is {size:,} bytes, over the {self.max_bytes:,}-byte limit")
        return path.read_bytes()

    @staticmethod
    def _decode(raw):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ImportFailure(f"not UTF-8 text (byte {e.start})") from e

    # --- people ---------------------------------------------------------

    def import_people(self, folder):
        results = []
        guests = {guest.slug: guest for guest in Guest.objects.all()}
        known = {guest.source_path: guest.content_hash for guest in guests.values() if guest.source_path}
        for path in sorted(folder.glob("*.md")):
            if is_draft_filename(path.name):
                results.append(FileResult(path, SKIPPED, "draft or template"))
                continue
            try:
                raw = self._read(path)
                key, digest = source_key(path), content_hash(raw)
                if known.get(key) == digest:
                    results.append(FileResult(path, UNCHANGED))
                    continue
                person = parse_person(self._decode(raw), path.name)
                guest = guests.get(person.slug)
                outcome = UPDATED if guest else CREATED
                guests[person.slug] = self._write_person(guest or Guest(slug=person.slug), person, key, digest)
                results.append(FileResult(path, outcome, warnings=person.warnings))
            except (ParseError, ImportFailure, DatabaseError, OSError) as e:
                results.append(FileResult(path, FAILED, str(e)))
        return results

    def _write_person(self, guest, person, key, digest):
        """Save ``guest`` with the profile's values (one statement, so atomic by itself)."""
        values = dict(
            name=person.name,
            picture=person.picture,
            bio=person.bio,
            github_url=person.github_url,
            twitter_url=person.twitter_url,
            linkedin_url=person.linkedin_url,
            website_url=person.website_url,
            extra=person.extra,
            is_host=guest.is_host or is_configured_host(person.slug),
            is_placeholder=False,
            source_path=key,
            content_hash=digest,
            imported_at=self.now,
        )
        _check_lengths(Guest, [("slug", person.slug), *values.items()])
        _assign(guest, **values)
        guest.save()
        return guest

    # --- episodes -------------------------------------------------------

    def import_episodes(self, files):
        return self._write_episodes(self._prepare_episodes(files))

    def _prepare_episodes(self, files):
        """Read and hash every file; start parsing the new and changed ones in the background."""
        batch = _EpisodeBatch(files)
        known = {
            path: (digest, (season, number))
            for path, digest, season, number in Episode.objects.exclude(source_path="").values_list(
                "source_path", "content_hash", "season", "number"
            )
        }
        for path in files:
            if is_draft_filename(path.name) and not self.include_drafts:
                batch.results[path] = FileResult(path, SKIPPED, "draft (name starts with _); use --include-drafts")
                continue
            status = Episode.Status.DRAFT if is_draft_filename(path.name) else Episode.Status.PUBLISHED
            try:
                raw = self._read(path)
                key, digest = source_key(path), content_hash(raw)
                if key in known and known[key][0] == digest:
                    batch.results[path] = FileResult(path, UNCHANGED)
                    batch.claims[known[key][1]].append(path)
                    continue
                batch.candidates.append(_Candidate(path, key, digest, status, self._decode(raw)))
            except (ImportFailure, OSError) as e:
                batch.results[path] = FileResult(path, FAILED, str(e))
        batch.parsing = parse_in_background([(c.path.name, c.text) for c in batch.candidates])
        return batch

    def _write_episodes(self, batch):
        total, done = len(batch.files) + len(batch.candidates), len(batch.results)
        for candidate, parsed in zip(batch.candidates, batch.parsing, strict=True):
            done += 1
            self.progress(done, total)
            if isinstance(parsed, ParseError):
                batch.results[candidate.path] = FileResult(candidate.path, FAILED, str(parsed))
                continue
            candidate.data = parsed
            batch.claims[(parsed.season, parsed.number)].append(candidate.path)

        for (season, number), paths in batch.claims.items():
            if len(paths) > 1:
                for path in paths:
                    others = ", ".join(str(other) for other in paths if other != path)
                    batch.results[path] = FileResult(
                        path, FAILED, f"season {season} episode {number} is also claimed by {others}"
                    )

        for candidate in batch.candidates:
            done += 1
            self.progress(done, total)
            if candidate.path in batch.results:
                continue
            try:
                with transaction.atomic():
                    outcome = self._write_episode(candidate)
                batch.results[candidate.path] = FileResult(candidate.path, outcome, warnings=candidate.data.warnings)
            except (ImportFailure, DatabaseError) as e:
                batch.results[candidate.path] = FileResult(candidate.path, FAILED, str(e))
        self.progress(total, total)
        return [batch.results[path] for path in batch.files]

    def _write_episode(self, candidate):
        data = candidate.data
        episode = clash = None
        for found in Episode.objects.filter(Q(season=data.season, number=data.number) | Q(slug=data.slug)):
            if (found.season, found.number) == (data.season, data.number):
                episode = found
            else:
                clash = found
        if clash:
            raise ImportFailure(f"slug {data.slug!r} is already used by {clash} ({clash.source_path or 'no file'})")
        outcome = UPDATED if episode else CREATED
        episode = episode or Episode(season=data.season, number=data.number)
        values = dict(
            slug=data.slug,
            title=data.title,
            short_title=data.short_title,
            description=data.description,
            intro=data.intro,
            show_notes=data.show_notes,
            image=data.image,
            youtube_id=data.youtube_id,
            anchor_id=data.anchor_id,
            youtube_url=data.links.get("youtube", ""),
            spotify_url=data.links.get("spotify", ""),
            apple_url=data.links.get("apple", ""),
            anchor_url=data.links.get("anchor", ""),
            published_on=data.published_on,
            duration=data.duration,
            status=candidate.status,
            extra=data.extra,
            source_path=candidate.key,
            content_hash=candidate.digest,
            imported_at=self.now,
        )
        _check_lengths(Episode, values.items())
        _check_lengths(Section, [("title", section.title) for section in data.sections], "a transcript header: ")
        _check_lengths(Clip, [("name", clip.name) for clip in data.clips], "a quotable clip: ")
        _check_lengths(Topic, [("name", topic) for topic in data.topics], "a topic: ")
        _assign(episode, **values)
        episode.save()
        created = outcome == CREATED
        self._write_topics(episode, data.topics, created)
        guests, guests_changed = self._write_guests(episode, data, created)
        self._write_clips(episode, data.clips, created=outcome == CREATED)
        if not self._write_transcript(episode, data.sections, guests, created) and guests_changed:
            relink_episode(episode)  # same lines, other guests: who said what may differ
        return outcome

    @staticmethod
    def _write_topics(episode, names, created):
        by_slug = {slugify(name) or name.lower(): name for name in names}
        topics = {topic.slug: topic for topic in Topic.objects.filter(slug__in=by_slug)}
        for slug, name in by_slug.items():
            if slug not in topics:
                topics[slug] = Topic.objects.create(slug=slug, name=name)
        if created:  # nothing to compare with: one INSERT
            Episode.topics.through.objects.bulk_create(
                Episode.topics.through(episode=episode, topic=topic) for topic in topics.values()
            )
        else:
            episode.topics.set(topics.values())

    @staticmethod
    def _write_guests(episode, data, created):
        """Link the listed guests in order (placeholders for unknown slugs); returns them, and whether they changed."""
        guests = {guest.slug: guest for guest in Guest.objects.filter(slug__in=data.guests)}
        for slug in data.guests:
            if slug not in guests:
                guests[slug] = Guest.objects.create(slug=slug, name=slug, is_placeholder=True)
            if guests[slug].is_placeholder:  # every file naming such a guest says so, not only the first
                data.warnings.append(f"guest {slug!r} has no profile in _people; it is a placeholder")
        wanted = [(guests[slug].pk, position) for position, slug in enumerate(data.guests)]
        current = [] if created else list(episode.appearances.values_list("guest_id", "position"))
        if current != wanted:
            if current:
                episode.appearances.all().delete()
            Appearance.objects.bulk_create(
                Appearance(episode=episode, guest_id=guest_id, position=position) for guest_id, position in wanted
            )
        return [guests[slug] for slug in data.guests], current != wanted

    @staticmethod
    def _write_clips(episode, clips, created):
        if not created:
            episode.clips.all().delete()
        Clip.objects.bulk_create(
            Clip(
                episode=episode,
                position=position,
                name=clip.name,
                start_sec=clip.start_sec,
                end_sec=clip.end_sec,
                url=clip.url,
            )
            for position, clip in enumerate(clips)
        )

    def _write_transcript(self, episode, sections, guests, created):
        if not created:
            current = _transcript_rows(episode)
            wanted = [
                (section.title, [(line.speaker, line.sec, line.text) for line in section.lines]) for section in sections
            ]
            if current == wanted:
                return False
            Line.objects.filter(section__episode=episode).delete()
            episode.sections.all().delete()
        section_objs = Section.objects.bulk_create(
            Section(episode=episode, position=position, title=section.title, start_sec=section.start_sec)
            for position, section in enumerate(sections)
        )
        if self._speaker_matcher is None:  # hosts and aliases, read once the people are in
            self._speaker_matcher = matcher_for_guests()
        person_id = self._speaker_matcher(guests).person_id
        Line.objects.bulk_create(
            (
                Line(
                    section_id=section_obj.pk,
                    position=position,
                    speaker=line.speaker,
                    person_id=person_id(line.speaker),
                    sec=line.sec,
                    text=line.text,
                )
                for section_obj, section in zip(section_objs, sections, strict=True)
                for position, line in enumerate(section.lines)
            ),
            batch_size=2000,
        )
        return True


def _transcript_rows(episode):
    """The stored transcript as [(title, [(speaker, sec, text), ...]), ...] in two queries."""
    sections = {pk: (title, []) for pk, title in episode.sections.order_by("position").values_list("pk", "title")}
    for section_id, speaker, sec, text in (
        Line.objects.filter(section__episode=episode)
        .order_by("position")
        .values_list("section_id", "speaker", "sec", "text")
    ):
        sections[section_id][1].append((speaker, sec, text))
    return list(sections.values())


# Model fields whose name differs from the file's key, for error messages.
_FILE_KEYS = {
    "short_title": "short",
    "published_on": "dateadded",
    "youtube_id": "ids.youtube",
    "anchor_id": "ids.anchor",
}


def _check_lengths(model, pairs, where=""):
    """Refuse text longer than its column, naming the field (PostgreSQL would fail less clearly)."""
    for name, value in pairs:
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise ImportFailure(
                f"{where}'{_FILE_KEYS.get(name, name)}' is {len(value):,} characters long; {limit:,} fit"
            )


def _assign(instance, **values):
    """Copy the file's values onto the model instance (the caller saves it)."""
    for name, value in values.items():
        setattr(instance, name, value)
