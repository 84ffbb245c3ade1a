"""Transcript and chapter files from plain data: WebVTT, SRT, Podcasting 2.0 JSON, plain text, chapters.

Pure Python: ``format_views`` loads an episode into the dataclasses below.

Timing. The files' seconds are not always usable: some lines have none, some go
backwards (a typo such as ``37:567`` jumps ahead, a restart jumps back), several
lines share a second. A cue file needs rising start times and cues that last, so:

- the seconds kept are the longest non-decreasing run of them, so one wrong time
  costs that line its time, not every line after it;
- the other lines share the gap they fall in, in proportion to their length;
- a cue ends where the next one starts; the last one at the episode's duration,
  or, when that is unknown or earlier, after the time it takes to say it.

Lines whose shares would round to the same millisecond share one cue.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass

from .timecodes import format_timestamp

TRANSCRIPT_JSON_VERSION = "1.0.0"
CHAPTERS_JSON_VERSION = "1.2.0"

# How long a last cue lasts when the duration says nothing: 150 words a minute.
WORDS_PER_SECOND = 2.5
# Characters added to every line's length when sharing out a gap: even "Yes." takes a moment.
LENGTH_BONUS = 20

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str
    sec: int | None
    text: str
    anchor: str = ""  # the line's id on the episode page, e.g. "s3-l12"


@dataclass(frozen=True)
class TranscriptSection:
    title: str
    start_sec: int | None = None
    anchor: str = ""  # e.g. "s3"
    lines: tuple[TranscriptLine, ...] = ()


@dataclass(frozen=True)
class Transcript:
    title: str
    code: str = ""  # "S19E04"
    duration: int | None = None
    sections: tuple[TranscriptSection, ...] = ()
    url: str = ""  # the episode page (absolute), for chapter links and the text file's header


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[TranscriptLine, ...]  # one, unless lines could not get a millisecond of their own


# --- timing ------------------------------------------------------------------


def one_line(text):
    """``text`` on one line: control characters dropped, runs of whitespace (newlines too) made one space."""
    return _SPACE_RE.sub(" ", _CONTROL_RE.sub("", text)).strip()


def _kept_times(secs):
    """Indices of the longest non-decreasing run of the given seconds (None is skipped)."""
    tail_indices, tail_values, previous = [], [], {}
    for index, sec in enumerate(secs):
        if sec is None:
            continue
        length = bisect_right(tail_values, sec)
        previous[index] = tail_indices[length - 1] if length else None
        if length == len(tail_indices):
            tail_indices.append(index)
            tail_values.append(sec)
        else:
            tail_indices[length] = index
            tail_values[length] = sec
    kept, index = set(), tail_indices[-1] if tail_indices else None
    while index is not None:
        kept.add(index)
        index = previous[index]
    return kept


def _speaking_ms(lines):
    words = sum(len(line.text.split()) for line in lines)
    return max(1000, math.ceil(words / WORDS_PER_SECOND) * 1000)


def _timed_lines(transcript):
    """[(section index, line, start ms)] and the end of the last line, in ms."""
    items = [
        (section_index, line)
        for section_index, section in enumerate(transcript.sections)
        for line in section.lines
        if one_line(line.text)
    ]
    if not items:
        return [], 0
    kept = _kept_times([line.sec for _, line in items])
    # Groups of lines that share a gap: each opens at a kept time later than the group before.
    groups, start, members = [], 0, []
    for index, (_, line) in enumerate(items):
        if index in kept and line.sec > start:
            if members:
                groups.append((start * 1000, members))
            start, members = line.sec, []
        members.append(index)
    groups.append((start * 1000, members))

    timed = []
    for number, (start_ms, members) in enumerate(groups):
        if number + 1 < len(groups):
            end_ms = groups[number + 1][0]
        elif transcript.duration and transcript.duration * 1000 > start_ms:
            end_ms = transcript.duration * 1000
        else:
            end_ms = start_ms + _speaking_ms([items[index][1] for index in members])
        weights = [len(items[index][1].text) + LENGTH_BONUS for index in members]
        total, before = sum(weights), 0
        for index, weight in zip(members, weights, strict=True):
            timed.append((*items[index], start_ms + (end_ms - start_ms) * before // total))
            before += weight
    return timed, end_ms


def cues(transcript):
    """The transcript's cues: starts strictly rising, each lasting at least a millisecond."""
    timed, end_ms = _timed_lines(transcript)
    found = []
    for _, line, start_ms in timed:
        if found and found[-1][0] == start_ms:
            found[-1][1].append(line)
        else:
            found.append((start_ms, [line]))
    return [
        Cue(start_ms, found[number + 1][0] if number + 1 < len(found) else end_ms, tuple(lines))
        for number, (start_ms, lines) in enumerate(found)
    ]


def _clock(ms, separator):
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _seconds(ms):
    return ms / 1000


def speaker_name(line):
    return one_line(line.speaker)


# --- WebVTT ------------------------------------------------------------------


def vtt_escape(text):
    """Text safe inside a WebVTT cue: ``&``, ``<`` and ``>`` as character references (so no ``-->`` either)."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_line(line):
    speaker = speaker_name(line)
    text = vtt_escape(line.text)
    return f"<v {vtt_escape(speaker)}>{text}" if speaker else text


def to_vtt(transcript):
    blocks = ["WEBVTT"]
    for cue in cues(transcript):
        identifier = one_line(cue.lines[0].anchor)
        head = [identifier] if identifier and "-->" not in identifier else []
        timing = f"{_clock(cue.start_ms, '.')} --> {_clock(cue.end_ms, '.')}"
        blocks.append("\n".join([*head, timing, *map(_vtt_line, cue.lines)]))
    return "\n\n".join(blocks) + "\n"


# --- SRT -----------------------------------------------------------------------


def srt_text(text):
    """Text for an SRT cue: one line, and never ``-->`` (SRT has no escapes; an arrow reads the same)."""
    return one_line(text).replace("-->", "→")


def _srt_line(line):
    speaker = speaker_name(line)
    return srt_text(f"{speaker}: {line.text}" if speaker else line.text)


def to_srt(transcript):
    blocks = []
    for number, cue in enumerate(cues(transcript), 1):
        timing = f"{_clock(cue.start_ms, ',')} --> {_clock(cue.end_ms, ',')}"
        blocks.append("\n".join([str(number), timing, *map(_srt_line, cue.lines)]))
    return "\n\n".join(blocks) + "\n" if blocks else ""


# --- Podcasting 2.0 JSON -------------------------------------------------------


def to_json(transcript):
    """The Podcasting 2.0 JSON transcript: one segment per line."""
    segments = []
    for cue in cues(transcript):
        for line in cue.lines:
            segment = {
                "startTime": _seconds(cue.start_ms),
                "endTime": _seconds(cue.end_ms),
                "body": one_line(line.text),
            }
            if speaker := speaker_name(line):
                segment = {"speaker": speaker, **segment}
            segments.append(segment)
    return {"version": TRANSCRIPT_JSON_VERSION, "segments": segments}


def to_chapters(transcript):
    """Podcasting 2.0 JSON chapters: a titled section starts at its first line's cue.

    A titled section without lines is a chapter only when it opens the episode
    (it starts at 0); elsewhere its time is unknown and it is left out.
    """
    timed, _ = _timed_lines(transcript)
    first_start = {}
    for section_index, _, start_ms in timed:
        first_start.setdefault(section_index, start_ms)
    chapters, last_start, last_empty = [], None, False
    for section_index, section in enumerate(transcript.sections):
        title = one_line(section.title)
        if not title:
            continue
        start_ms = first_start.get(section_index)
        empty = start_ms is None
        if empty:
            if timed and timed[0][0] < section_index:
                continue
            start_ms = 0
        if last_start is not None and start_ms <= last_start:
            if empty or not last_empty:
                continue
            chapters.pop()  # an empty opening section gives way to the chapter that starts at the same time
        chapter = {"startTime": _seconds(start_ms), "title": title}
        if transcript.url and section.anchor:
            chapter["url"] = f"{transcript.url}#{section.anchor}"
        chapters.append(chapter)
        last_start, last_empty = start_ms, empty
    return {"version": CHAPTERS_JSON_VERSION, "chapters": chapters}


# --- plain text ------------------------------------------------------------------


def _heading(text, underline):
    return f"{text}\n{underline * len(text)}"


def to_text(transcript):
    """The transcript as plain text: the title, then each section's heading and its lines with their times."""
    title = one_line(transcript.title)
    head = [_heading(title, "=")] if title else []
    about = [one_line(value) for value in (transcript.code, transcript.url) if one_line(value)]
    blocks = ["\n".join(head + about)] if head or about else []
    for section in transcript.sections:
        if one_line(section.title):
            heading = one_line(section.title)
            if section.start_sec is not None:
                heading += f" ({format_timestamp(section.start_sec)})"
            blocks.append(_heading(heading, "-"))
        for line in section.lines:
            text = _CONTROL_RE.sub("", line.text).strip()
            if not text:
                continue
            time = f"[{format_timestamp(line.sec)}] " if line.sec is not None else ""
            speaker = f"{speaker_name(line)}: " if speaker_name(line) else ""
            blocks.append(f"{time}{speaker}{text}")
    return "\n\n".join(blocks) + "\n" if blocks else ""
