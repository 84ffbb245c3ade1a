"""Writing episode and person files to the database.

``parsing`` turns a file into plain data; this module decides what to do with
each file (skip, create, update, fail) and writes it. Each file is written in
its own transaction, so a file that fails leaves its episode exactly as it was
and the other files still import.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import Appearance, Clip, Episode, Guest, Line, Section, Topic
from .parsing import (
    EPISODE_SUFFIXES,
    ParseError,
    is_draft_filename,
    parse_episode,
    parse_person,
)

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
    data: object = None


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

    def run(self, paths, people_dirs=()):
        report = ImportReport()
        episode_files, found_people_dirs, missing = find_files(paths)
        for path in missing:
            report.episodes.append(FileResult(path, FAILED, "no such file or folder"))
        with self._outer_transaction():
            for folder in dict.fromkeys([*map(Path, people_dirs), *found_people_dirs]):
                report.people.extend(self.import_people(folder))
            report.episodes.extend(self.import_episodes(episode_files))
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
        known = dict(Guest.objects.exclude(source_path="").values_list("source_path", "content_hash"))
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
                with transaction.atomic():
                    outcome = self._write_person(person, key, digest)
                results.append(FileResult(path, outcome, warnings=person.warnings))
            except (ParseError, ImportFailure, DatabaseError, OSError) as e:
                results.append(FileResult(path, FAILED, str(e)))
        return results

    def _write_person(self, person, key, digest):
        guest = Guest.objects.filter(slug=person.slug).first()
        outcome = UPDATED if guest else CREATED
        guest = guest or Guest(slug=person.slug)
        _assign(
            guest,
            name=person.name,
            picture=person.picture,
            bio=person.bio,
            github_url=person.github_url,
            twitter_url=person.twitter_url,
            linkedin_url=person.linkedin_url,
            website_url=person.website_url,
            extra=person.extra,
            is_placeholder=False,
            source_path=key,
            content_hash=digest,
            imported_at=self.now,
        )
        guest.save()
        return outcome

    # --- episodes -------------------------------------------------------

    def import_episodes(self, files):
        results = {}
        known = {
            path: (digest, (season, number))
            for path, digest, season, number in Episode.objects.exclude(source_path="").values_list(
                "source_path", "content_hash", "season", "number"
            )
        }
        claims = defaultdict(list)  # (season, number) -> files of this run that claim it
        candidates = []
        for done, path in enumerate(files, 1):
            self.progress(done, len(files) * 2)
            if is_draft_filename(path.name) and not self.include_drafts:
                results[path] = FileResult(path, SKIPPED, "draft (name starts with _); use --include-drafts")
                continue
            status = Episode.Status.DRAFT if is_draft_filename(path.name) else Episode.Status.PUBLISHED
            try:
                raw = self._read(path)
                key, digest = source_key(path), content_hash(raw)
                if key in known and known[key][0] == digest:
                    results[path] = FileResult(path, UNCHANGED)
                    claims[known[key][1]].append(path)
                    continue
                data = parse_episode(self._decode(raw), path.name)
            except (ParseError, ImportFailure, OSError) as e:
                results[path] = FileResult(path, FAILED, str(e))
                continue
            claims[(data.season, data.number)].append(path)
            candidates.append(_Candidate(path, key, digest, status, data))

        for (season, number), paths in claims.items():
            if len(paths) > 1:
                for path in paths:
                    others = ", ".join(str(other) for other in paths if other != path)
                    results[path] = FileResult(
                        path, FAILED, f"season {season} episode {number} is also claimed by {others}"
                    )

        total = len(files) * 2
        for done, candidate in enumerate(candidates, len(files) + 1):
            self.progress(done, total)
            if candidate.path in results:
                continue
            try:
                with transaction.atomic():
                    outcome = self._write_episode(candidate)
                results[candidate.path] = FileResult(candidate.path, outcome, warnings=candidate.data.warnings)
            except (ImportFailure, DatabaseError) as e:
                results[candidate.path] = FileResult(candidate.path, FAILED, str(e))
        self.progress(total, total)
        return [results[path] for path in files]

    def _write_episode(self, candidate):
        data = candidate.data
        episode = Episode.objects.filter(season=data.season, number=data.number).first()
        clash = Episode.objects.filter(slug=data.slug).exclude(season=data.season, number=data.number).first()
        if clash:
            raise ImportFailure(f"slug {data.slug!r} is already used by {clash} ({clash.source_path or 'no file'})")
        outcome = UPDATED if episode else CREATED
        episode = episode or Episode(season=data.season, number=data.number)
        _assign(
            episode,
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
        episode.save()
        episode.topics.set(self._topics(data.topics))
        self._write_guests(episode, data)
        self._write_clips(episode, data.clips, created=outcome == CREATED)
        self._write_transcript(episode, data.sections, created=outcome == CREATED)
        return outcome

    @staticmethod
    def _topics(names):
        by_slug = {slugify(name) or name.lower(): name for name in names}
        existing = {topic.slug: topic for topic in Topic.objects.filter(slug__in=by_slug)}
        missing = [Topic(slug=slug, name=name) for slug, name in by_slug.items() if slug not in existing]
        for topic in missing:
            topic.save()
        return [*existing.values(), *missing]

    @staticmethod
    def _write_guests(episode, data):
        guests = {guest.slug: guest for guest in Guest.objects.filter(slug__in=data.guests)}
        for slug in data.guests:
            if slug not in guests:
                data.warnings.append(f"guest {slug!r} has no profile in _people; created a placeholder")
                guests[slug] = Guest.objects.create(slug=slug, name=slug, is_placeholder=True)
        wanted = [(guests[slug].pk, position) for position, slug in enumerate(data.guests)]
        current = list(episode.appearances.values_list("guest_id", "position"))
        if current != wanted:
            episode.appearances.all().delete()
            Appearance.objects.bulk_create(
                Appearance(episode=episode, guest_id=guest_id, position=position) for guest_id, position in wanted
            )

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

    @staticmethod
    def _write_transcript(episode, sections, created):
        if not created:
            current = _transcript_rows(episode)
            wanted = [
                (section.title, [(line.speaker, line.sec, line.text) for line in section.lines]) for section in sections
            ]
            if current == wanted:
                return
            Line.objects.filter(section__episode=episode).delete()
            episode.sections.all().delete()
        section_objs = Section.objects.bulk_create(
            Section(episode=episode, position=position, title=section.title, start_sec=section.start_sec)
            for position, section in enumerate(sections)
        )
        Line.objects.bulk_create(
            (
                Line(section=section_obj, position=position, speaker=line.speaker, sec=line.sec, text=line.text)
                for section_obj, section in zip(section_objs, sections, strict=True)
                for position, line in enumerate(section.lines)
            ),
            batch_size=2000,
        )


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


def _assign(instance, **values):
    """Set only the fields whose value differs; return the names that changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    return changed
