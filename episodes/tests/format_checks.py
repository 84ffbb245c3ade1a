"""Strict structure checks for the transcript and chapter files, independent of the code that writes them.

Each check raises AssertionError naming the block and the rule broken, and returns
what it read, so tests can compare contents too.
"""

import html
import re
from dataclasses import dataclass

from django.test import RequestFactory

from episodes import media_urls

VTT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
SRT_TIME = r"(\d{2}):([0-5]\d):([0-5]\d),(\d{3})"
VTT_TIMING_RE = re.compile(rf"^{VTT_TIME} --> {VTT_TIME}$")
SRT_TIMING_RE = re.compile(rf"^{SRT_TIME} --> {SRT_TIME}$")
# What a cue payload may hold: text, character references, and voice spans.
VTT_REFERENCE_RE = re.compile(r"&(amp|lt|gt|nbsp|lrm|rlm|#\d+|#x[0-9a-fA-F]+);")
VTT_VOICE_RE = re.compile(r"^<v(?:\.[^\s>]+)*[ \t]([^>]+)>(.*)$")


@dataclass
class ReadCue:
    identifier: str
    start_ms: int
    end_ms: int
    lines: list  # VTT: [(voice or "", text)], text unescaped; SRT: [text]


def _ms(groups):
    hours, minutes, seconds, millis = (int(value) for value in groups)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def _check_timeline(cues, where):
    for number, cue in enumerate(cues, 1):
        assert cue.start_ms < cue.end_ms, f"{where} cue {number}: starts at {cue.start_ms} ms, ends at {cue.end_ms}"
        if number > 1:
            before = cues[number - 2]
            assert cue.start_ms > before.start_ms, f"{where} cue {number}: start does not come after cue {number - 1}'s"
            assert cue.start_ms >= before.end_ms, f"{where} cue {number}: overlaps cue {number - 1}"


def _unescape_vtt(text, where):
    stripped = VTT_REFERENCE_RE.sub("", text)
    assert "&" not in stripped, f"{where}: a bare '&' in {text!r}"
    assert "<" not in stripped and ">" not in stripped, f"{where}: a bare '<' or '>' in {text!r}"
    return html.unescape(text)


def read_vtt(text):
    """The cues of a WebVTT file, after checking its structure; raises AssertionError on any fault."""
    assert "\r" not in text, "WebVTT: carriage returns"
    assert text.endswith("\n"), "WebVTT: no final newline"
    blocks = text[:-1].split("\n\n")
    header = blocks[0].split("\n")
    assert header[0] == "WEBVTT" or re.match(r"^WEBVTT[ \t][^\n]*$", header[0]), f"WebVTT header: {header[0]!r}"
    assert all("-->" not in line for line in header), "WebVTT header holds '-->'"
    cues = []
    for number, block in enumerate(blocks[1:], 1):
        where = f"WebVTT block {number}"
        lines = block.split("\n")
        assert all(line.strip() for line in lines), f"{where}: an empty line inside ({block!r})"
        identifier = ""
        if not VTT_TIMING_RE.match(lines[0]):
            identifier = lines.pop(0)
            assert "-->" not in identifier, f"{where}: identifier holds '-->'"
        match = VTT_TIMING_RE.match(lines[0]) if lines else None
        assert match, f"{where}: no timing line 'HH:MM:SS.mmm --> HH:MM:SS.mmm' ({block!r})"
        payload = lines[1:]
        assert payload, f"{where}: no text"
        read = []
        for line in payload:
            assert "-->" not in line, f"{where}: '-->' in the text"
            voice = VTT_VOICE_RE.match(line)
            if voice:
                read.append((_unescape_vtt(voice.group(1), where), _unescape_vtt(voice.group(2), where)))
            else:
                read.append(("", _unescape_vtt(line, where)))
        cues.append(ReadCue(identifier, _ms(match.groups()[:4]), _ms(match.groups()[4:]), read))
    _check_timeline(cues, "WebVTT")
    return cues


def read_srt(text):
    """The cues of an SRT file, after checking its structure (numbering from 1, timings, blank-line separation)."""
    assert "\r" not in text, "SRT: carriage returns"
    if text == "":
        return []
    assert text.endswith("\n") and not text.endswith("\n\n"), "SRT: must end with exactly one newline"
    cues = []
    for number, block in enumerate(text[:-1].split("\n\n"), 1):
        where = f"SRT block {number}"
        lines = block.split("\n")
        assert len(lines) >= 3, f"{where}: needs a number, a timing and text ({block!r})"
        assert lines[0] == str(number), f"{where}: numbered {lines[0]!r}"
        match = SRT_TIMING_RE.match(lines[1])
        assert match, f"{where}: no timing line 'HH:MM:SS,mmm --> HH:MM:SS,mmm' ({lines[1]!r})"
        for line in lines[2:]:
            assert line.strip(), f"{where}: an empty text line"
            assert "-->" not in line, f"{where}: '-->' in the text"
        cues.append(ReadCue(lines[0], _ms(match.groups()[:4]), _ms(match.groups()[4:]), lines[2:]))
    _check_timeline(cues, "SRT")
    return cues


def check_transcript_json(data):
    """A Podcasting 2.0 JSON transcript (already parsed with json): returns its segments."""
    assert isinstance(data, dict) and data.get("version") == "1.0.0", "transcript JSON: version 1.0.0"
    segments = data["segments"]
    assert isinstance(segments, list)
    previous_start = -1
    for number, segment in enumerate(segments, 1):
        where = f"segment {number}"
        assert set(segment) <= {"speaker", "startTime", "endTime", "body"}, f"{where}: unknown keys {set(segment)}"
        assert isinstance(segment["body"], str) and segment["body"].strip(), f"{where}: empty body"
        assert isinstance(segment.get("speaker", ""), str)
        start, end = segment["startTime"], segment["endTime"]
        assert isinstance(start, int | float) and isinstance(end, int | float), f"{where}: times must be numbers"
        assert 0 <= start < end, f"{where}: {start} to {end}"
        assert start >= previous_start, f"{where}: starts before the segment before it"
        previous_start = start
    return segments


def check_chapters_json(data):
    """Podcasting 2.0 JSON chapters (already parsed): returns the chapters."""
    assert isinstance(data, dict) and data.get("version") == "1.2.0", "chapters JSON: version 1.2.0"
    chapters = data["chapters"]
    assert isinstance(chapters, list)
    previous = -1
    for number, chapter in enumerate(chapters, 1):
        where = f"chapter {number}"
        assert set(chapter) <= {"startTime", "title", "url"}, f"{where}: unknown keys {set(chapter)}"
        assert isinstance(chapter["startTime"], int | float) and chapter["startTime"] >= 0, where
        assert chapter["startTime"] > previous, f"{where}: does not start after the chapter before it"
        assert isinstance(chapter["title"], str) and chapter["title"].strip(), f"{where}: no title"
        previous = chapter["startTime"]
    return chapters


def shared_image(instance):
    """The absolute URL the outside world gets for a cover or picture (episodes.media_urls), which must exist."""
    url = media_urls.share_image(RequestFactory().get("/"), instance)[0]
    assert url.startswith("http://testserver/media/")
    return url
