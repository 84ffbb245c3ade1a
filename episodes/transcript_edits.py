"""Editing a transcript beyond one line's fields: insert, split, merge, move, delete, rename, shift.

Each function is one transaction that:

* records the change on the episode first (``Episode.mark_edited``, so a
  re-import leaves the episode alone). That UPDATE also locks the episode's
  row, so two editors' changes to one transcript run one after the other, and
  each function reads the line again after it, never acting on a stale copy;
* keeps positions unique within a section: a line that needs a place that is
  taken first moves the lines from there on one place down, through a free
  range of positions (``_make_room``), as the unique (section, position)
  constraint is checked row by row. Removing a line leaves a gap instead of
  renumbering, so the permalinks (``#s3-l12``) of the lines after it still work;
* keeps each section's ``start_sec`` following its first timed line, where it
  did before the change (an editor's own start for a section is left alone);
* matches speakers again where a speaker changed or a line appeared.

``Line.raw`` (the item as the file wrote it) is left as it is: the export
writes it only while it still gives the line's current values
(``episodes.source_layout``).

Invalid requests raise ``TranscriptEditError`` with a message for the editor,
and leave the database as it was. The number of queries does not depend on the
length of the transcript.
"""

from django.db import transaction
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery

from . import speakers
from .models import Line, Section
from .timecodes import format_timestamp

EXCERPT_CHARS = 60
SAME = object()  # split_line's default: the new line has the same speaker or time as the line split


class TranscriptEditError(ValueError):
    """An edit that cannot be made; ``field`` names the form field it concerns, if any."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


# --- describing lines (for messages and the admin history) -------------------


def excerpt(text, limit=EXCERPT_CHARS):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def describe_line(line):
    """ "Will at 12:34: “So the camera…”": who, when and the start of what, as an editor knows a line."""
    who = line.speaker or "(no speaker)"
    when = f" at {format_timestamp(line.sec)}" if line.sec is not None else ""
    return f"{who}{when}: “{excerpt(line.text)}”"


def describe_section(section):
    return f"section {section.position} “{section}”"


def format_seconds(seconds):
    return f"{seconds:+d} second{'' if abs(seconds) == 1 else 's'}"


# --- helpers --------------------------------------------------------------------


def _begin(line):
    """Marks the episode edited (locking its row) and returns the line as it is now, with section and episode."""
    episode = line.section.episode
    episode.mark_edited()
    try:
        fresh = Line.objects.select_related("section__episode").get(pk=line.pk)
    except Line.DoesNotExist:
        raise TranscriptEditError("This line no longer exists: someone else has just removed it.") from None
    fresh.section.episode = episode  # the caller's episode object, with edited_at set
    return fresh


def _first_timed_sec(section_id):
    return Line.objects.filter(section_id=section_id, sec__isnull=False).order_by("position").values("sec")[:1]


def _start_follows_lines(section):
    """Whether the section's start is its first timed line's time (as the import sets it), before a change."""
    first = _first_timed_sec(section.pk).first()
    return section.start_sec == (first["sec"] if first else None)


def _restart(section):
    """Sets the section's start to its first timed line's time (None without one), in one UPDATE."""
    Section.objects.filter(pk=section.pk).update(start_sec=Subquery(_first_timed_sec(OuterRef("pk"))))


def _make_room(section_id, position):
    """Frees ``position`` in the section, moving the lines at and after it one place down if it is taken.

    Two UPDATEs: first to a range above both the positions in use and the ones
    wanted (past ``top + 1``), then to one place below where each line was. The
    database checks uniqueness row by row in any order, so no range may overlap
    the next one.
    """
    lines = Line.objects.filter(section_id=section_id)
    state = lines.aggregate(top=Max("position"), taken=Count("pk", filter=Q(position=position)))
    if not state["taken"]:
        return
    offset = state["top"] + 2  # the lines at position..top go to position+top+2.., beyond top + 1
    lines.filter(position__gte=position).update(position=F("position") + offset)
    lines.filter(position__gte=position + offset).update(position=F("position") - offset + 1)


def neighbour(section, direction):
    """The section before or after ``section`` in its episode (``direction``: "previous" or "next"), or None."""
    sections = Section.objects.filter(episode_id=section.episode_id)
    if direction == "previous":
        return sections.filter(position__lt=section.position).order_by("-position").first()
    return sections.filter(position__gt=section.position).order_by("position").first()


def _clean_speaker(speaker, field="speaker"):
    speaker = (speaker or "").strip()
    if not speaker:
        raise TranscriptEditError("Enter who says this line: a speaker cannot be empty.", field)
    return speaker


def _clean_sec(sec, field="sec"):
    if sec is not None and (not isinstance(sec, int) or sec < 0):
        raise TranscriptEditError("A time must be a whole number of seconds, 0 or more.", field)
    return sec


def _clean_text(text, field="text"):
    text = (text or "").strip()
    if not text:
        raise TranscriptEditError("A line needs some text.", field)
    return text


# --- the edits ------------------------------------------------------------------


@transaction.atomic
def insert_line(section, after, *, speaker, sec, text):
    """Adds a line to ``section`` right after the line ``after`` (or first, when ``after`` is None)."""
    speaker, sec, text = _clean_speaker(speaker), _clean_sec(sec), _clean_text(text)
    if after is not None:
        after = _begin(after)
        if after.section_id != section.pk:
            raise TranscriptEditError("That line has moved to another section; open the section again.")
        section, position = after.section, after.position + 1
    else:
        episode = section.episode
        episode.mark_edited()
        section = Section.objects.get(pk=section.pk)
        section.episode = episode
        lowest = Line.objects.filter(section=section).aggregate(low=Min("position"))["low"]
        position = 0 if lowest is None else max(lowest - 1, 0)
    follows = _start_follows_lines(section)
    _make_room(section.pk, position)
    line = Line.objects.create(section=section, position=position, speaker=speaker, sec=sec, text=text)
    if follows:
        _restart(section)
    speakers.relink_episode(section.episode)
    line.refresh_from_db(fields=["person"])
    return line


@transaction.atomic
def split_line(line, at, *, speaker=SAME, sec=SAME):
    """Splits the line's text at character ``at``: the line keeps the first part, a new line after it the rest.

    The new line is said by ``speaker`` at ``sec`` (by default the same as the line's).
    Returns (line, new line).
    """
    line = _begin(line)
    first, second = (line.text[:at].strip(), line.text[at:].strip()) if isinstance(at, int) else ("", "")
    if not isinstance(at, int) or not 0 < at < len(line.text) or not first or not second:
        raise TranscriptEditError("Split the line where both parts keep some text.", "at")
    speaker = line.speaker if speaker is SAME else _clean_speaker(speaker)
    sec = line.sec if sec is SAME else _clean_sec(sec)
    follows = _start_follows_lines(line.section)
    _make_room(line.section_id, line.position + 1)
    line.text = first
    line.save(update_fields=["text"])
    new = Line.objects.create(
        section=line.section,
        position=line.position + 1,
        speaker=speaker,
        person_id=line.person_id if speaker == line.speaker else None,
        sec=sec,
        text=second,
    )
    if follows:
        _restart(line.section)
    if speaker != line.speaker:
        speakers.relink_episode(line.section.episode)
        new.refresh_from_db(fields=["person"])
    return line, new


def next_line(line):
    """The line after ``line`` in its section, or None."""
    return Line.objects.filter(section_id=line.section_id, position__gt=line.position).order_by("position").first()


def joined_text(line, following):
    """The text of two lines merged into one."""
    return f"{line.text.strip()} {following.text.strip()}".strip()


@transaction.atomic
def merge_lines(line):
    """Joins the line with the next one in its section: texts joined by a space, the first line's speaker and time.

    The first line's time is kept; only when it has none does the merged line take the second's.
    Returns (merged line, the removed line as it was).
    """
    line = _begin(line)
    following = next_line(line)
    if following is None:
        raise TranscriptEditError("This is the last line of its section: there is no next line to merge it with.")
    line.text = joined_text(line, following)
    line.sec = line.sec if line.sec is not None else following.sec
    following.delete()
    line.save(update_fields=["text", "sec"])
    # The section's first timed line keeps its time: the merged line is timed where either was.
    return line, following


def possible_moves(line):
    """[(direction, section)]: where ``move_line`` can take this line (the first line back, the last line on)."""
    siblings = Line.objects.filter(section_id=line.section_id).aggregate(
        earlier=Count("pk", filter=Q(position__lt=line.position)),
        later=Count("pk", filter=Q(position__gt=line.position)),
    )
    moves = []
    for direction, blocked in [("previous", siblings["earlier"]), ("next", siblings["later"])]:
        target = None if blocked else neighbour(line.section, direction)
        if target is not None:
            moves.append((direction, target))
    return moves


@transaction.atomic
def move_line(line, direction):
    """Moves the first line of a section to the end of the previous one, or the last line to the start of the next.

    ``direction`` is "previous" or "next". Returns (line, the section it is now in).
    """
    if direction not in ("previous", "next"):
        raise ValueError(f"direction must be 'previous' or 'next', not {direction!r}")
    line = _begin(line)
    source = line.section
    siblings = Line.objects.filter(section=source)
    if direction == "previous" and siblings.filter(position__lt=line.position).exists():
        raise TranscriptEditError("Only the first line of a section can move to the previous section.")
    if direction == "next" and siblings.filter(position__gt=line.position).exists():
        raise TranscriptEditError("Only the last line of a section can move to the next section.")
    target = neighbour(source, direction)
    if target is None:
        raise TranscriptEditError(
            f"This is the {'first' if direction == 'previous' else 'last'} section of the episode."
        )
    source_follows, target_follows = _start_follows_lines(source), _start_follows_lines(target)
    target_lines = Line.objects.filter(section=target)
    if direction == "previous":
        top = target_lines.aggregate(top=Max("position"))["top"]
        position = 0 if top is None else top + 1
    else:
        low = target_lines.aggregate(low=Min("position"))["low"]
        position = 0 if low is None else max(low - 1, 0)
        _make_room(target.pk, position)
    Line.objects.filter(pk=line.pk).update(section=target, position=position)
    line.section, line.position = target, position
    for section, follows in [(source, source_follows), (target, target_follows)]:
        if follows:
            _restart(section)
    return line, target


@transaction.atomic
def delete_line(line):
    """Removes the line. Returns it as it was."""
    line = _begin(line)
    follows = _start_follows_lines(line.section)
    Line.objects.filter(pk=line.pk).delete()
    if follows:
        _restart(line.section)
    return line


def speaker_counts(episode):
    """[(speaker, number of lines, the person it is matched to or None)] of the episode's named speakers.

    Most lines first, in one query.
    """
    rows = (
        Line.objects.filter(section__episode=episode)
        .exclude(speaker="")
        .values_list("speaker", "person__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "speaker")
    )
    counts, people = {}, {}
    for speaker, person, count in rows:
        # Matching links every line of a speaker to the same person; until it runs again, the most frequent wins.
        counts[speaker] = counts.get(speaker, 0) + count
        people.setdefault(speaker, person)
    return [(speaker, count, people[speaker]) for speaker, count in counts.items()]


@transaction.atomic
def rename_speaker(episode, old, new):
    """Renames the speaker ``old`` (exact, case-sensitive) to ``new`` on every line of the episode.

    Returns the number of lines renamed; speakers are matched to people again.
    """
    new = _clean_speaker(new, "new")
    if new == old:
        raise TranscriptEditError("The new name is the same as the old one.", "new")
    episode.mark_edited()
    count = Line.objects.filter(section__episode=episode, speaker=old).update(speaker=new)
    if not count:
        raise TranscriptEditError(f"No line of this episode is said by “{old}”.", "speaker")
    speakers.relink_episode(episode)
    return count


@transaction.atomic
def shift_times(line, seconds):
    """Adds ``seconds`` (negative: earlier) to the time of this line and of every timed line after it.

    Later sections' starts move with them, and so does this section's when no
    timed line comes before this one in it (its start belongs to the part that
    moves). No time may end up below 0:00: the error names the first line (or
    section start) that would, and how far back the lines can go. Returns the
    number of lines shifted.
    """
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise TranscriptEditError("Enter a whole number of seconds.", "seconds")
    if seconds == 0:
        raise TranscriptEditError("Shifting by 0 seconds changes nothing; enter a number of seconds.", "seconds")
    line = _begin(line)
    section = line.section
    earlier_timed = Line.objects.filter(section=section, position__lt=line.position, sec__isnull=False)
    later_sections = Q(episode_id=section.episode_id, position__gt=section.position)
    sections = Section.objects.filter(later_sections if earlier_timed.exists() else later_sections | Q(pk=section.pk))
    lines = Line.objects.filter(
        Q(section=section, position__gte=line.position)
        | Q(section__episode_id=section.episode_id, section__position__gt=section.position),
        sec__isnull=False,
    )
    if seconds < 0:
        _check_shift_back(lines, sections, -seconds)
    count = lines.update(sec=F("sec") + seconds)
    sections.filter(start_sec__isnull=False).update(start_sec=F("start_sec") + seconds)
    return count


def _check_shift_back(lines, sections, back):
    """Raises if moving these lines and section starts ``back`` seconds earlier takes any below 0:00."""
    early_line = lines.filter(sec__lt=back).select_related("section").order_by("section__position", "position").first()
    early_section = sections.filter(start_sec__lt=back).order_by("position").first()
    if early_line is None and early_section is None:
        return
    lowest = min(
        low
        for low in [lines.aggregate(low=Min("sec"))["low"], sections.aggregate(low=Min("start_sec"))["low"]]
        if low is not None
    )
    if early_line is not None:
        what = f"Line {early_line.position} of {describe_section(early_line.section)} ({describe_line(early_line)})"
    else:
        what = f"The start of {describe_section(early_section)} ({format_timestamp(early_section.start_sec)})"
    raise TranscriptEditError(
        f"{what} would come before 0:00. These times can move back by {lowest} seconds at most.", "seconds"
    )
