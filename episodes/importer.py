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

from . import image_import, images, old_links
from .bulk_insert import insert_rows
from .cache import content_changed, signals_muted
from .database_faults import stop_on_database_fault
from .models import Appearance, Clip, Episode, Guest, Line, Section, Topic
from .parsing import EPISODE_SUFFIXES, ParseError, is_draft_filename, parse_person
from .parsing_pool import parse_in_background, parse_job
from .source_layout import record_stored
from .speakers import is_configured_host, matcher_for_guests, relink_all, relink_episode

CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED = "created", "updated", "unchanged", "skipped", "failed"
# An episode changed in the admin since its last import, which a changed file did not overwrite.
CONFLICT = "conflict"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, SKIPPED, CONFLICT, FAILED)


class ImportFailure(Exception):
    """A file that cannot be written; the message says why."""


class EditConflict(ImportFailure):
    """The file's episode was edited in the admin since its last import; the file is not written."""


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
    def conflicts(self):
        return [result for result in self.episodes if result.outcome == CONFLICT]

    @property
    def ok(self):
        """No file failed and none was held back by an editor's change (the command exits 1 otherwise)."""
        return not self.failures and not self.conflicts


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


def topic_slug(name):
    """The topic a name in a file's ``topics`` stands for: "MLOps" and "mlops" are one topic."""
    return slugify(name) or name.lower()


def content_hash(raw):
    return hashlib.sha256(raw).hexdigest()


# How a file uploaded in the admin is recorded as its episode's source (episodes.uploads): "upload:name.md".
UPLOAD_PREFIX = "upload:"


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

    def __init__(
        self,
        *,
        include_drafts=False,
        dry_run=False,
        overwrite_edits=False,
        max_bytes=None,
        progress=None,
        source_key=source_key,
        parse_in_workers=True,
        images_root=None,
    ):
        self.include_drafts = include_drafts
        self.dry_run = dry_run
        # Without it, an episode edited in the admin since its last import keeps the edit (CONFLICT).
        self.overwrite_edits = overwrite_edits
        # What a file is recorded as (``source_path``); the admin's upload names files by their uploaded name.
        self.source_key = source_key
        # The admin's upload parses in its own process: forking a threaded web worker is not safe.
        self.parse_in_workers = parse_in_workers
        self.max_bytes = max_bytes or settings.PODCAST_MAX_FILE_BYTES
        self.progress = progress or (lambda done, total: None)
        self.now = timezone.now()
        self._speaker_matcher = None
        self._pictures = []  # (guest, picture as written, FileResult) of the people read, given at the end
        self._topics = self._guests = None  # {slug: row}, read once the people are in
        self._episode_keys = None  # (season, number) and slug of every episode written so far
        # Covers and pictures: read, checked and stored beside the writing (episodes/image_import.py).
        self.images = image_import.ImportImages(images_root=images_root, store=not dry_run, background=parse_in_workers)

    def run(self, paths, people_dirs=()):
        # The parsed archive is hundreds of thousands of small objects that live
        # until written and hold no reference cycles; the cyclic collector would
        # rescan them again and again for nothing (a third of the import time).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            # The run is one change to the public site, not one per row written (see episodes/cache.py).
            with signals_muted():
                report = self._run(paths, people_dirs)
        finally:
            self.images.close()
            if gc_was_enabled:
                gc.enable()
        if not self.dry_run and any(result.outcome in (CREATED, UPDATED) for result in report.people + report.episodes):
            content_changed()
        return report

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
            self._set_pictures(self._pictures)  # done by now, beside the episodes' writing
            if any(result.outcome in (CREATED, UPDATED) for result in report.people):
                relink_all()  # a changed name or host flag can change who said what in any episode
            # Covers and pictures replaced in the archive, named by files that did not change.
            image_import.refresh_replaced(report.people, Guest, self.source_key, self.images)
            image_import.refresh_replaced(report.episodes, Episode, self.source_key, self.images)
        return report

    @contextmanager
    def _outer_transaction(self):
        # One transaction for the run, one savepoint per file: a failed file rolls
        # back alone, a killed import leaves everything as it was, and SQLite's
        # search index flushes once instead of once per file. A dry run does all
        # the work and rolls it back.
        with transaction.atomic():
            yield
            if self.dry_run:
                transaction.set_rollback(True)

    def _read(self, path):
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise ImportFailure(f"file is {size:,} bytes, over the {self.max_bytes:,}-byte limit")
            return path.read_bytes()
        except FileNotFoundError as e:  # found when the run started, gone now
            raise ImportFailure("the file vanished during the import (moved or deleted); nothing was read") from e

    @staticmethod
    def _decode(raw):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ImportFailure(f"not UTF-8 text (byte {e.start})") from e

    # --- people ---------------------------------------------------------

    def import_people(self, folder):
        results, new, pictures = [], [], []
        guests = {guest.slug: guest for guest in Guest.objects.all()}
        known = {guest.source_path: guest.content_hash for guest in guests.values() if guest.source_path}
        known_content = {(_file_name(key), digest) for key, digest in known.items()}  # as for episodes
        for path in sorted(folder.glob("*.md")):
            if is_draft_filename(path.name):
                results.append(FileResult(path, SKIPPED, "draft or template"))
                continue
            try:
                raw = self._read(path)
                key, digest = self.source_key(path), content_hash(raw)
                if known.get(key) == digest or (path.name, digest) in known_content:
                    results.append(FileResult(path, UNCHANGED))
                    continue
                person = parse_person(self._decode(raw), path.name)
                self.images.submit(("guest", person.slug), person.picture, path, person.slug, "picture")
                guest = guests.get(person.slug)
                if guest is None:  # written below, with the other new people, in one statement
                    guests[person.slug] = guest = self._person_values(Guest(slug=person.slug), person, key, digest)
                    results.append(FileResult(path, CREATED, warnings=person.warnings))
                    new.append((guest, results[-1]))
                    pictures.append((guest, person.picture, results[-1]))
                    continue
                self._person_values(guest, person, key, digest).save()
                results.append(FileResult(path, UPDATED, warnings=person.warnings))
                pictures.append((guest, person.picture, results[-1]))
            except (ParseError, ImportFailure, DatabaseError, OSError) as e:
                stop_on_database_fault(path, e)  # a full or read-only database fails every file: stop
                results.append(FileResult(path, FAILED, str(e)))
        self._pictures.extend(pictures)
        self._create_people(new)
        return results

    def _set_pictures(self, people):
        """Give the people read in this run their pictures, in one statement.

        The pictures are read and stored while the episodes are written (episodes/image_import.py),
        so the people are written without them first.
        """
        changed = []
        for guest, picture, result in people:
            picture_changed = image_import.apply(
                guest, self.images.result(("guest", guest.slug)), picture, result.warnings
            )
            # What the picture was stored as, so the export knows it unchanged (saved with the picture).
            if record_stored(guest.source_layout, "picture", guest.picture.name) or picture_changed:
                changed.append(guest)
        images.save_image_columns(Guest, [guest for guest in changed if guest.pk], ["source_layout"])

    @staticmethod
    def _create_people(new):
        """INSERT new people at once; should that fail, one by one, so only the faulty file fails."""
        try:
            with transaction.atomic():
                Guest.objects.bulk_create([guest for guest, _result in new])
            return
        except DatabaseError:
            pass
        for guest, result in new:
            try:
                with transaction.atomic():
                    guest.save()
            except DatabaseError as e:
                stop_on_database_fault(result.path, e)
                result.outcome, result.message = FAILED, str(e)

    def _person_values(self, guest, person, key, digest):
        """``guest`` with the profile's values, checked to fit (the caller saves it)."""
        values = dict(
            name=person.name,
            github_url=person.github_url,
            twitter_url=person.twitter_url,
            linkedin_url=person.linkedin_url,
            website_url=person.website_url,
            extra=person.extra,
            source_layout=person.layout,
            is_host=guest.is_host or is_configured_host(person.slug),
            is_placeholder=False,
            source_path=key,
            content_hash=digest,
            imported_at=self.now,
        )
        _check_lengths(Guest, [("slug", person.slug), *values.items()])
        _assign(guest, **values)
        guest.set_bio(person.bio, person.bio_html)  # bulk_create skips save(): the HTML is set here
        return guest

    # --- episodes -------------------------------------------------------

    def import_episodes(self, files):
        return self._write_episodes(self._prepare_episodes(files))

    def _prepare_episodes(self, files):
        """Read and hash every file; start parsing the new and changed ones in the background."""
        batch = _EpisodeBatch(files)
        # A file is unchanged when its content is what was last imported for its source path, or for a
        # file of the same name elsewhere (an admin upload of the archive's file, a moved checkout): the
        # parse reads only the name and the text, so the episode would come out the same.
        known, known_content = {}, {}
        for path, digest, season, number in Episode.objects.exclude(source_path="").values_list(
            "source_path", "content_hash", "season", "number"
        ):
            known[path] = (digest, (season, number))
            known_content[(_file_name(path), digest)] = (season, number)
        for path in files:
            if is_draft_filename(path.name) and not self.include_drafts:
                batch.results[path] = FileResult(path, SKIPPED, "draft (name starts with _); use --include-drafts")
                continue
            status = Episode.Status.DRAFT if is_draft_filename(path.name) else Episode.Status.PUBLISHED
            try:
                raw = self._read(path)
                key, digest = self.source_key(path), content_hash(raw)
                last_digest, claim = known.get(key, (None, None))
                if last_digest != digest:
                    claim = known_content.get((path.name, digest))
                if claim:
                    batch.results[path] = FileResult(path, UNCHANGED)
                    batch.claims[claim].append(path)
                    continue
                batch.candidates.append(_Candidate(path, key, digest, status, self._decode(raw)))
            except (ImportFailure, OSError) as e:
                batch.results[path] = FileResult(path, FAILED, str(e))
        jobs = [(c.path.name, c.text) for c in batch.candidates]
        batch.parsing = parse_in_background(jobs) if self.parse_in_workers else map(parse_job, jobs)
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
        # The covers of the files to write: read and stored by a worker while the rows are written.
        for candidate in batch.candidates:
            if candidate.path not in batch.results:
                data = candidate.data
                self.images.submit(("episode", candidate.key), data.image, candidate.path, data.slug, "image")
        self.images.start()  # the parsing is over: its core is free for the images

        for candidate in batch.candidates:
            done += 1
            self.progress(done, total)
            if candidate.path in batch.results:
                continue
            try:
                with transaction.atomic():
                    outcome = self._write_episode(candidate)
                batch.results[candidate.path] = FileResult(candidate.path, outcome, warnings=candidate.data.warnings)
            except EditConflict as e:
                batch.results[candidate.path] = FileResult(candidate.path, CONFLICT, str(e))
            except (ImportFailure, DatabaseError) as e:
                stop_on_database_fault(candidate.path, e)  # a full or read-only database fails every file: stop
                self._topics = self._guests = None  # the file may have created topics or guests, now rolled back
                batch.results[candidate.path] = FileResult(candidate.path, FAILED, str(e))
        self.progress(total, total)
        return [batch.results[path] for path in batch.files]

    def _write_episode(self, candidate):
        data = candidate.data
        episode = clash = None
        if self._episode_keys is None:  # what is taken, read once: most files of a first import need no lookup
            taken = Episode.objects.values_list("season", "number", "slug")
            self._episode_keys = {key for season, number, slug in taken for key in ((season, number), slug)}
        known = (data.season, data.number) in self._episode_keys or data.slug in self._episode_keys
        same = Q(season=data.season, number=data.number) | Q(slug=data.slug)
        for found in Episode.objects.filter(same) if known else []:
            if (found.season, found.number) == (data.season, data.number):
                episode = found
            else:
                clash = found
        if clash:
            raise ImportFailure(f"slug {data.slug!r} is already used by {clash} ({clash.source_path or 'no file'})")
        if episode and episode.edited_since_import and not self.overwrite_edits:
            raise EditConflict(_conflict_message(episode))
        outcome = UPDATED if episode else CREATED
        episode = episode or Episode(season=data.season, number=data.number)
        values = dict(
            slug=data.slug,
            title=data.title,
            short_title=data.short_title,
            description=data.description,
            intro=data.intro,
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
            source_layout=data.layout,
            source_path=candidate.key,
            content_hash=candidate.digest,
            imported_at=self.now,
        )
        _check_lengths(Episode, values.items())
        _check_lengths(Section, [("title", section.title) for section in data.sections], "a transcript header: ")
        _check_lengths(Clip, [("name", clip.name) for clip in data.clips], "a quotable clip: ")
        _check_lengths(Topic, [("name", topic) for topic in data.topics], "a topic: ")
        previous_slug = episode.slug
        _assign(episode, **values)
        image_import.apply(episode, self.images.result(("episode", candidate.key)), data.image, data.warnings)
        record_stored(episode.source_layout, "image", episode.image.name)  # so the export knows it is unchanged
        episode.set_show_notes(data.show_notes, data.show_notes_html)
        episode.save()
        self._episode_keys.update([(episode.season, episode.number), episode.slug])
        old_links.record_import(episode, candidate.path, previous_slug)  # old links to it keep working
        created = outcome == CREATED
        self._write_topics(episode, data.topics, created)
        guests, guests_changed = self._write_guests(episode, data, created)
        self._write_clips(episode, data.clips, created=outcome == CREATED)
        if not self._write_transcript(episode, data.sections, guests, created) and guests_changed:
            relink_episode(episode)  # same lines, other guests: who said what may differ
        return outcome

    def _write_topics(self, episode, names, created):
        if self._topics is None:
            self._topics = {topic.slug: topic for topic in Topic.objects.all()}
        by_slug = {topic_slug(name): name for name in names}
        for slug, name in by_slug.items():
            if slug not in self._topics:
                self._topics[slug] = Topic.objects.create(slug=slug, name=name)
        topics = [self._topics[slug] for slug in by_slug]
        if created:  # nothing to compare with: one INSERT
            insert_rows(Episode.topics.through, ("episode", "topic"), ((episode.pk, topic.pk) for topic in topics))
        else:
            episode.topics.set(topics)

    def _write_guests(self, episode, data, created):
        """Link the listed guests in order (placeholders for unknown slugs); returns them, and whether they changed."""
        if self._guests is None:
            self._guests = {guest.slug: guest for guest in Guest.objects.all()}
        guests = self._guests
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
            insert_rows(Appearance, ("episode", "guest", "position"), ((episode.pk, *pair) for pair in wanted))
        return [guests[slug] for slug in data.guests], current != wanted

    @staticmethod
    def _write_clips(episode, clips, created):
        if not created:
            episode.clips.all().delete()
        insert_rows(
            Clip,
            ("episode", "position", "name", "start_sec", "end_sec", "url"),
            (
                (episode.pk, position, clip.name, clip.start_sec, clip.end_sec, clip.url)
                for position, clip in enumerate(clips)
            ),
        )

    def _write_transcript(self, episode, sections, guests, created):
        if not created:
            current = _transcript_rows(episode)
            wanted = [
                (section.title, [(line.speaker, line.sec, line.text, line.raw) for line in section.lines])
                for section in sections
            ]
            if current == wanted:
                return False
            Line.objects.filter(section__episode=episode).delete()
            episode.sections.all().delete()
        section_ids = dict(
            insert_rows(
                Section,
                ("episode", "position", "title", "start_sec"),
                ((episode.pk, position, section.title, section.start_sec) for position, section in enumerate(sections)),
                returning=("position", "id"),
            )
        )
        if self._speaker_matcher is None:  # hosts and aliases, read once the people are in
            self._speaker_matcher = matcher_for_guests()
        person_id = self._speaker_matcher(guests).person_id
        insert_rows(
            Line,
            ("section", "position", "speaker", "person", "sec", "text", "raw"),
            (
                (
                    section_ids[section_position],
                    position,
                    line.speaker,
                    person_id(line.speaker),
                    line.sec,
                    line.text,
                    line.raw,
                )
                for section_position, section in enumerate(sections)
                for position, line in enumerate(section.lines)
            ),
        )
        return True


def _transcript_rows(episode):
    """The stored transcript as [(title, [(speaker, sec, text, raw), ...]), ...] in two queries."""
    sections = {pk: (title, []) for pk, title in episode.sections.order_by("position").values_list("pk", "title")}
    for section_id, speaker, sec, text, raw in (
        Line.objects.filter(section__episode=episode)
        .order_by("position")
        .values_list("section_id", "speaker", "sec", "text", "raw")
    ):
        sections[section_id][1].append((speaker, sec, text, raw))
    return list(sections.values())


# Model fields whose name differs from the file's key, for error messages.
_FILE_KEYS = {
    "short_title": "short",
    "published_on": "dateadded",
    "youtube_id": "ids.youtube",
    "anchor_id": "ids.anchor",
}


def _file_name(key):
    """The file name in a source key: a path, or an admin upload's "upload:name.md" / "upload:a.zip/dir/name.md"."""
    return key.replace("\\", "/").rsplit("/", 1)[-1].removeprefix(UPLOAD_PREFIX)


def _conflict_message(episode):
    edited = timezone.localtime(episode.edited_at).strftime("%Y-%m-%d %H:%M")
    return (
        f"conflict: {episode} was edited in the admin ({edited}) since its last import; "
        "it keeps the editor's version (--overwrite-edits takes the file's)"
    )


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
