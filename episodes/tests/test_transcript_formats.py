"""The transcript and chapter formats as pure functions: timing rules, escaping, and strict structure."""

import json

from episodes import transcript_formats as formats
from episodes.transcript_formats import Transcript, TranscriptLine, TranscriptSection

from .format_checks import check_chapters_json, check_transcript_json, read_srt, read_vtt


def line(sec, text="Something said.", speaker="Alexey", anchor=""):
    return TranscriptLine(speaker=speaker, sec=sec, text=text, anchor=anchor)


def transcript(*lines, duration=None, sections=None, title="An episode"):
    if sections is None:
        sections = (TranscriptSection(title="", lines=tuple(lines)),)
    return Transcript(title=title, code="S01E02", duration=duration, sections=tuple(sections))


def starts(data):
    return [cue.start_ms for cue in formats.cues(data)]


def check_all(data):
    """Every format of ``data`` passes the strict checks; returns the VTT cues read back."""
    vtt = read_vtt(formats.to_vtt(data))
    srt = read_srt(formats.to_srt(data))
    segments = check_transcript_json(json.loads(json.dumps(formats.to_json(data))))
    check_chapters_json(json.loads(json.dumps(formats.to_chapters(data))))
    assert [(cue.start_ms, cue.end_ms) for cue in vtt] == [(cue.start_ms, cue.end_ms) for cue in srt]
    assert len(segments) == sum(len(cue.lines) for cue in vtt)
    return vtt


# --- timing ----------------------------------------------------------------------


def test_a_cue_ends_where_the_next_starts_and_the_last_at_the_duration():
    data = transcript(line(0), line(12), line(30), duration=95)
    cues = check_all(data)
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(0, 12_000), (12_000, 30_000), (30_000, 95_000)]


def test_without_a_usable_duration_the_last_cue_lasts_as_long_as_it_takes_to_say():
    words = " ".join(["word"] * 25)  # 25 words at 2.5 words a second: 10 s
    for duration in (None, 30, 12):  # unknown, equal to the last start, before it
        cues = check_all(transcript(line(0), line(30, words), duration=duration))
        assert (cues[-1].start_ms, cues[-1].end_ms) == (30_000, 40_000)
    one_word = check_all(transcript(line(5, "Yes."), duration=None))
    assert (one_word[-1].start_ms, one_word[-1].end_ms) == (5_000, 6_000)


def test_lines_without_a_second_share_the_gap_they_fall_in_by_length():
    short, long = "Yes.", "A much longer answer that takes a good while to say out loud, surely. " * 3
    data = transcript(line(10, short), line(None, long), line(None, short), line(40), duration=60)
    cues = check_all(data)
    assert [cue.lines[0][1] for cue in cues] == [short, long.strip(), short, "Something said."]
    first, middle, last = (cue.end_ms - cue.start_ms for cue in cues[:3])
    assert first + middle + last == 30_000
    assert middle > 5 * first and abs(first - last) <= 1  # rounded to the millisecond


def test_lines_before_the_first_second_start_at_zero():
    cues = check_all(transcript(line(None, "Hello."), line(None, "Hi."), line(20), duration=30))
    assert cues[0].start_ms == 0 and cues[1].end_ms == 20_000
    assert check_all(transcript(line(None), line(None), duration=None))[0].start_ms == 0


def test_seconds_that_go_backwards_lose_their_time_not_the_lines_after_them():
    # 37:567 read as 2787 twice, then the real times go on (the bioinformatics episode).
    data = transcript(line(2261), line(2275), line(2787), line(2787), line(2320), line(2348), duration=3537)
    cues = check_all(data)
    assert starts(data)[:2] == [2_261_000, 2_275_000]
    assert 2_275_000 < cues[2].start_ms < cues[3].start_ms < 2_320_000 == cues[4].start_ms
    # A restart at 0 in the middle (s24e03): the second 0 is spread between its neighbours.
    restart = transcript(line(0), line(33), line(50), line(0), line(88), duration=100)
    assert [ms // 1000 for ms in starts(restart)][:3] == [0, 33, 50]
    assert 50_000 < starts(restart)[3] < 88_000 == starts(restart)[4]
    check_all(restart)


def test_lines_at_the_same_second_never_give_a_zero_length_cue():
    data = transcript(line(7), line(7), line(7), line(8), duration=8)
    cues = check_all(data)
    assert len(cues) == 4 and cues[0].start_ms == 7_000 and cues[3].start_ms == 8_000
    assert all(cue.end_ms > cue.start_ms for cue in cues)
    # The same second as the duration: the last cue still lasts.
    assert check_all(transcript(line(8), line(8), duration=8))[-1].end_ms > 8_000


def test_lines_too_short_for_a_millisecond_of_their_own_share_a_cue():
    huge = "x" * 40_000  # one second shared by "a" and 40,000 characters: "a" gets less than 1 ms
    data = transcript(line(1, "a", speaker="Ann"), line(None, huge, speaker="Bob"), line(2), duration=3)
    cues = check_all(data)
    assert cues[0].lines == [("Ann", "a"), ("Bob", huge)]
    segments = formats.to_json(data)["segments"]
    assert [segment["speaker"] for segment in segments] == ["Ann", "Bob", "Alexey"]


def test_blank_lines_are_left_out_and_an_empty_transcript_is_still_a_valid_file():
    data = transcript(line(1, "   "), line(2, "Said."), duration=5)
    assert [cue.lines for cue in check_all(data)] == [[("Alexey", "Said.")]]
    empty = transcript()
    assert formats.to_vtt(empty) == "WEBVTT\n"
    assert formats.to_srt(empty) == ""
    assert formats.to_json(empty) == {"version": "1.0.0", "segments": []}
    check_all(empty)


# --- escaping -----------------------------------------------------------------------


def test_vtt_escapes_ampersands_angle_brackets_and_arrows():
    text = "R&D pays <an hourly amount> --> more\n\nthan <b>that</b> &amp; so on"
    data = transcript(line(0, text, speaker="Q&A <host>"), duration=10)
    vtt = formats.to_vtt(data)
    payload = vtt.split("\n")[3]
    assert payload == (
        "<v Q&amp;A &lt;host&gt;>R&amp;D pays &lt;an hourly amount&gt; --&gt; more than "
        "&lt;b&gt;that&lt;/b&gt; &amp;amp; so on"
    )
    [cue] = read_vtt(vtt)
    assert cue.lines == [("Q&A <host>", "R&D pays <an hourly amount> --> more than <b>that</b> &amp; so on")]


def test_srt_text_is_one_line_and_never_holds_an_arrow():
    data = transcript(line(0, "first --> second\n\nthird\r\n4", speaker="Bo"), duration=10)
    [cue] = read_srt(formats.to_srt(data))
    assert cue.lines == ["Bo: first → second third 4"]


def test_control_characters_and_speakerless_lines():
    data = transcript(line(0, "bell\x07 and\x00 null", speaker=""), duration=5)
    [cue] = read_vtt(formats.to_vtt(data))
    assert cue.lines == [("", "bell and null")]
    assert read_srt(formats.to_srt(data))[0].lines == ["bell and null"]
    assert formats.to_json(data)["segments"] == [{"startTime": 0.0, "endTime": 5.0, "body": "bell and null"}]


def test_vtt_cue_identifiers_are_the_line_anchors():
    data = transcript(line(0, anchor="s0-l0"), line(5, anchor="s0-l1"), line(9, anchor="bad --> id"), duration=12)
    assert [cue.identifier for cue in read_vtt(formats.to_vtt(data))] == ["s0-l0", "s0-l1", ""]


# --- JSON, chapters, text -------------------------------------------------------------


def test_json_segments_carry_speaker_times_and_body():
    data = transcript(line(0, "Hi.", speaker="Alexey"), line(4, "Hello.", speaker="Jakob"), duration=9)
    assert formats.to_json(data) == {
        "version": "1.0.0",
        "segments": [
            {"speaker": "Alexey", "startTime": 0.0, "endTime": 4.0, "body": "Hi."},
            {"speaker": "Jakob", "startTime": 4.0, "endTime": 9.0, "body": "Hello."},
        ],
    }


def section(title, *lines, anchor=""):
    return TranscriptSection(
        title=title, start_sec=next((x.sec for x in lines if x.sec is not None), None), anchor=anchor, lines=lines
    )


def test_chapters_start_at_their_first_line_and_skip_what_has_no_time():
    sections = [
        section("Podcast Introduction", anchor="s0"),  # empty opening: starts at 0
        section("Background", line(63), line(80), anchor="s1"),
        section("", line(100), line(110)),  # untitled: not a chapter
        section("Nothing here", anchor="s3"),  # empty, mid-episode: no time to give it
        section("Backwards header", line(90), line(None), anchor="s4"),  # its time went back: spread after 110
        section("Last", line(300), anchor="s5"),
    ]
    data = Transcript(title="T", duration=400, sections=tuple(sections), url="https://example.org/episodes/t/")
    chapters = check_chapters_json(formats.to_chapters(data))
    assert [(chapter["title"], chapter["startTime"]) for chapter in chapters][:2] == [
        ("Podcast Introduction", 0.0),
        ("Background", 63.0),
    ]
    assert [chapter["title"] for chapter in chapters] == [
        "Podcast Introduction",
        "Background",
        "Backwards header",
        "Last",
    ]
    assert 110 < chapters[2]["startTime"] < 300 == chapters[3]["startTime"]
    assert chapters[1]["url"] == "https://example.org/episodes/t/#s1"


def test_an_empty_opening_chapter_gives_way_to_one_starting_at_the_same_time():
    # A real file repeats a header: the empty copy and the one with lines both start at 0.
    sections = [section("Opening", anchor="s0"), section("Opening", line(0), anchor="s1"), section("Next", line(9))]
    chapters = formats.to_chapters(Transcript(title="T", duration=20, sections=tuple(sections)))["chapters"]
    assert chapters == [{"startTime": 0.0, "title": "Opening"}, {"startTime": 9.0, "title": "Next"}]
    only_headers = Transcript(title="T", sections=(section("One"), section("Two")))
    assert formats.to_chapters(only_headers)["chapters"] == [{"startTime": 0.0, "title": "One"}]


def test_text_has_the_title_section_headings_times_and_speakers():
    sections = [
        section("", line(None, "Before any header.", speaker="")),
        section("Guest background", line(63, "Welcome, Jakob."), line(None, "Thanks!", speaker="Jakob")),
    ]
    data = Transcript(title="A/B tests", code="S07E06", sections=tuple(sections), url="https://example.org/e/")
    assert formats.to_text(data) == (
        "A/B tests\n=========\nS07E06\nhttps://example.org/e/\n\n"
        "Before any header.\n\n"
        "Guest background (1:03)\n-----------------------\n\n"
        "[1:03] Alexey: Welcome, Jakob.\n\n"
        "Jakob: Thanks!\n"
    )
