"""Transcript and chapter files over HTTP: every fixture episode, headers, query counts, who may see them."""

import json

import pytest
from django.db import models
from django.urls import reverse
from django.utils.html import escape

from episodes.format_views import TRANSCRIPT_FORMATS, transcript_data
from episodes.models import Episode, Line, Section
from episodes.old_links import record_slug_change
from episodes.transcript_formats import one_line

from .conftest import LONGEST_SLUG
from .format_checks import check_chapters_json, check_transcript_json, read_srt, read_vtt
from .visibility import HIDDEN_STATES, hide

pytestmark = pytest.mark.django_db

AB_TESTING = "ab-testing-and-product-experimentation"  # a second that goes backwards (2866, then 2864)
GOVERNANCE = "cloud-data-governance"  # 49 of its 121 lines have no time
CONTENT_TYPES = {
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
}


def file_url(slug, fmt):
    if fmt == "chapters":
        return reverse("episodes:chapters", kwargs={"slug": slug})
    return reverse("episodes:transcript", kwargs={"slug": slug, "fmt": fmt})


def fetch(client, slug, fmt):
    response = client.get(file_url(slug, fmt))
    assert response.status_code == 200, (slug, fmt, response.status_code)
    assert response["Access-Control-Allow-Origin"] == "*"
    return response


def db_lines(episode):
    """(speaker, text) of every line in transcript order, as the files write them."""
    rows = Line.objects.filter(section__episode=episode).order_by("section__position", "position")
    return [(one_line(speaker), one_line(text)) for speaker, text in rows.values_list("speaker", "text")]


def check_episode_files(client, episode):
    """Every file of ``episode`` parses strictly and holds every line; returns the VTT cues."""
    lines = db_lines(episode)
    vtt = fetch(client, episode.slug, "vtt")
    assert vtt["Content-Type"] == CONTENT_TYPES["vtt"]
    cues = read_vtt(vtt.content.decode())
    assert [voiced for cue in cues for voiced in cue.lines] == lines

    srt = read_srt(fetch(client, episode.slug, "srt").content.decode())
    assert [(cue.start_ms, cue.end_ms) for cue in srt] == [(cue.start_ms, cue.end_ms) for cue in cues]

    segments = check_transcript_json(json.loads(fetch(client, episode.slug, "json").content))
    assert [(segment.get("speaker", ""), segment["body"]) for segment in segments] == lines

    text = fetch(client, episode.slug, "txt").content.decode()
    assert text.startswith(f"{episode.title}\n")
    for title in episode.sections.exclude(title="").values_list("title", flat=True):
        assert f"\n{title}" in text

    chapters = check_chapters_json(json.loads(fetch(client, episode.slug, "chapters").content))
    titled = list(episode.sections.exclude(title="").values_list("title", flat=True))
    assert chapters and {chapter["title"] for chapter in chapters} <= set(titled)
    assert all(chapter["url"].startswith(f"http://testserver/episodes/{episode.slug}/#s") for chapter in chapters)
    return cues


def test_every_fixture_episode_gives_valid_files_with_every_line(client, fixture_archive):
    for episode in Episode.objects.published():
        cues = check_episode_files(client, episode)
        if episode.duration and cues[-1].start_ms < episode.duration * 1000:
            assert cues[-1].end_ms == episode.duration * 1000  # the last cue ends with the episode


def test_lines_without_times_are_spread_between_their_neighbours(client, fixture_archive):
    episode = Episode.objects.get(slug=GOVERNANCE)
    secs = list(
        Line.objects.filter(section__episode=episode)
        .order_by("section__position", "position")
        .values_list("sec", flat=True)
    )
    cues = read_vtt(fetch(client, GOVERNANCE, "vtt").content.decode())
    assert len(cues) == len(secs) == 121 and secs.count(None) == 49
    previous = None
    for cue, sec in zip(cues, secs, strict=True):
        if sec is not None and sec != previous:
            assert cue.start_ms == sec * 1000  # the given times are kept exactly
        elif sec is not None:
            assert cue.start_ms > sec * 1000  # the same second again: later within it
        previous = sec if sec is not None else previous


def test_a_second_that_goes_backwards_is_replaced_between_its_neighbours(client, fixture_archive):
    episode = Episode.objects.get(slug=AB_TESTING)
    secs = list(
        Line.objects.filter(section__episode=episode)
        .order_by("section__position", "position")
        .values_list("sec", flat=True)
    )
    back = next(index for index in range(1, len(secs)) if secs[index] < secs[index - 1])
    assert secs[back - 2 : back + 2] == [2864, 2866, 2864, 2892]
    cues = read_vtt(fetch(client, AB_TESTING, "vtt").content.decode())
    # The longest rising run of seconds keeps 2864, 2864, 2892: the 2866 loses its time, and the
    # lines of that stretch share it in order.
    assert cues[back - 2].start_ms == 2_864_000
    assert 2_864_000 < cues[back - 1].start_ms < cues[back].start_ms < cues[back + 1].start_ms == 2_892_000


def test_file_headers_name_the_episode(client, fixture_archive):
    for fmt in TRANSCRIPT_FORMATS:
        response = fetch(client, AB_TESTING, fmt)
        assert response["Content-Type"] == CONTENT_TYPES[fmt]
        assert response["Content-Disposition"] == f'inline; filename="{AB_TESTING}.{fmt}"'
    chapters = fetch(client, AB_TESTING, "chapters")
    assert chapters["Content-Disposition"] == f'inline; filename="{AB_TESTING}.chapters.json"'
    assert client.head(file_url(AB_TESTING, "vtt")).status_code == 200
    assert client.post(file_url(AB_TESTING, "vtt")).status_code == 405


@pytest.mark.parametrize("fmt", [*TRANSCRIPT_FORMATS, "chapters"])
def test_a_file_takes_three_queries_however_long_the_transcript(
    client, fixture_archive, django_assert_num_queries, fmt
):
    for slug in (LONGEST_SLUG, "s19e04-mlops-as-a-team"):
        with django_assert_num_queries(3):  # the episode, its sections, their lines with who said them
            fetch(client, slug, fmt)


@pytest.mark.parametrize("how", HIDDEN_STATES)
def test_drafts_and_scheduled_episodes_have_no_files(client, fixture_archive, how):
    hide(AB_TESTING, how)
    for fmt in [*TRANSCRIPT_FORMATS, "chapters"]:
        assert client.get(file_url(AB_TESTING, fmt)).status_code == 404
    page = client.get(reverse("episodes:episode_detail", args=[GOVERNANCE])).content.decode()
    assert file_url(GOVERNANCE, "vtt") in page
    assert file_url(AB_TESTING, "vtt") not in page


def test_unknown_episode_or_format_is_404(client, fixture_archive):
    assert client.get(file_url("no-such-episode", "vtt")).status_code == 404
    assert client.get(file_url(AB_TESTING, "docx")).status_code == 404
    assert client.get(f"/episodes/{AB_TESTING}/transcript.").status_code == 404


def test_a_former_slug_redirects_to_the_file_under_the_new_one(client, fixture_archive, django_assert_num_queries):
    episode = Episode.objects.get(slug=AB_TESTING)
    episode.slug = "ab-testing"
    episode.save()
    record_slug_change(episode, AB_TESTING)
    with django_assert_num_queries(2):  # not found, then the slug history
        response = client.get(file_url(AB_TESTING, "srt"))
    assert response.status_code == 301
    assert response["Location"] == file_url("ab-testing", "srt")
    assert client.get(file_url(AB_TESTING, "chapters"))["Location"] == file_url("ab-testing", "chapters")
    read_srt(fetch(client, "ab-testing", "srt").content.decode())


def test_episode_page_offers_the_files_for_download(client, fixture_archive):
    html = client.get(reverse("episodes:episode_detail", args=[AB_TESTING])).content.decode()
    assert "Transcript files" in html
    for fmt in TRANSCRIPT_FORMATS:
        assert f'<a href="{escape(file_url(AB_TESTING, fmt))}" download="{AB_TESTING}.{fmt}">' in html
    assert f'<a href="{escape(file_url(AB_TESTING, "chapters"))}" download="{AB_TESTING}.chapters.json">' in html


def test_episode_without_transcript_offers_no_files_and_serves_empty_valid_ones(client, fixture_archive):
    Line.objects.filter(section__episode__slug=AB_TESTING).delete()
    Section.objects.filter(episode__slug=AB_TESTING).update(title="")
    html = client.get(reverse("episodes:episode_detail", args=[AB_TESTING])).content.decode()
    assert "Transcript files" not in html
    assert read_vtt(fetch(client, AB_TESTING, "vtt").content.decode()) == []
    assert fetch(client, AB_TESTING, "srt").content == b""
    assert json.loads(fetch(client, AB_TESTING, "chapters").content) == {"version": "1.2.0", "chapters": []}


def test_hostile_text_in_the_database_stays_text_in_every_file(client, fixture_archive):
    line = Line.objects.filter(section__episode__slug=AB_TESTING).order_by("section__position", "position").first()
    line.speaker = "Eve <script>"
    line.text = "a --> b & <c>\n\nd\x0b"
    line.save()
    cue = read_vtt(fetch(client, AB_TESTING, "vtt").content.decode())[0]
    assert cue.lines == [("Eve <script>", "a --> b & <c> d")]
    assert read_srt(fetch(client, AB_TESTING, "srt").content.decode())[0].lines == ["Eve <script>: a → b & <c> d"]
    assert check_transcript_json(json.loads(fetch(client, AB_TESTING, "json").content))[0]["body"] == "a --> b & <c> d"


def replace_sections(episode):
    """What an import that commits does to an episode whose file changed: its sections are new rows."""
    old = list(episode.sections.order_by("position"))
    Section.objects.filter(episode=episode).update(position=models.F("position") + 10_000)
    for section in old:
        new = Section.objects.create(
            episode=episode, position=section.position, title=section.title, start_sec=section.start_sec
        )
        Line.objects.filter(section_id=section.pk).update(section=new)
    Section.objects.filter(pk__in=[section.pk for section in old]).delete()


def test_a_transcript_read_while_an_import_commits_is_read_again(fixture_archive, monkeypatch):
    before = transcript_data(Episode.objects.get(slug=LONGEST_SLUG))
    read_lines, reads = Episode.page_lines, []

    def an_import_commits_first(episode):
        if not reads:  # between the sections' query and the lines' one
            replace_sections(episode)
        reads.append(episode.pk)
        return read_lines(episode)

    monkeypatch.setattr(Episode, "page_lines", an_import_commits_first)

    during = transcript_data(Episode.objects.get(slug=LONGEST_SLUG))

    assert len(reads) == 2
    assert during == before and sum(len(section.lines) for section in during.sections) > 100
