"""The real archive (../shared/corpus), imported once: every episode's files, feed, sitemap, old links, API."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from episodes.models import Episode, Guest, Line

from .conftest import run_import
from .format_checks import check_chapters_json, check_transcript_json, read_srt, read_vtt
from .test_format_views import db_lines

pytestmark = pytest.mark.corpus

PODCAST_NS = {"podcast": "https://podcastindex.org/namespace/1.0"}


def get(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response


def episodes_with_backward_seconds():
    secs_by_episode = {}
    for episode_id, sec in (
        Line.objects.exclude(sec=None)
        .order_by("section__episode", "section__position", "position")
        .values_list("section__episode", "sec")
    ):
        secs_by_episode.setdefault(episode_id, []).append(sec)
    return {
        episode_id
        for episode_id, secs in secs_by_episode.items()
        if any(b < a for a, b in zip(secs, secs[1:], strict=False))
    }


def test_every_real_episode_gives_valid_files_feed_sitemap_old_links_and_api(client, corpus, db):
    folder = corpus / "datatalksclub" / "_podcast"
    report = run_import(folder)
    assert report.summary().startswith("created 198,")
    episodes = list(Episode.objects.published().order_by("-season", "-number"))
    assert len(episodes) == 198
    backwards = episodes_with_backward_seconds()
    untimed = set(Line.objects.filter(sec=None).values_list("section__episode", flat=True))
    assert len(backwards) == 42 and len(untimed) == 32  # the 43rd backwards file is one of the S3E4 pair

    # Every episode's files parse strictly and hold every line, in order.
    for episode in episodes:
        base = f"/episodes/{episode.slug}/"
        cues = read_vtt(get(client, base + "transcript.vtt").content.decode())
        lines = db_lines(episode)
        assert [voiced for cue in cues for voiced in cue.lines] == lines, episode.slug
        srt = read_srt(get(client, base + "transcript.srt").content.decode())
        assert len(srt) == len(cues), episode.slug
        segments = check_transcript_json(json.loads(get(client, base + "transcript.json").content))
        assert len(segments) == len(lines), episode.slug
        assert get(client, base + "transcript.txt").content.decode().startswith(episode.title)
        check_chapters_json(json.loads(get(client, base + "chapters.json").content))

    # The feed: every published episode once, each with its four transcripts.
    channel = ET.fromstring(get(client, reverse("episodes:feed")).content).find("channel")  # noqa: S314 (our own output)
    items = channel.findall("item")
    assert [item.findtext("link") for item in items] == [
        f"http://testserver{episode.get_absolute_url()}" for episode in episodes
    ]
    with_lines = set(Line.objects.values_list("section__episode", flat=True))
    assert [len(item.findall("podcast:transcript", PODCAST_NS)) for item in items] == [
        4 if episode.pk in with_lines else 0 for episode in episodes
    ]
    assert all(item.find("enclosure") is None for item in items)

    # The sitemap: every episode, and every guest of one.
    sitemap = ET.fromstring(get(client, reverse("episodes:sitemap")).content)  # noqa: S314 (our own output)
    locations = {url[0].text for url in sitemap}
    assert {f"http://testserver{episode.get_absolute_url()}" for episode in episodes} <= locations
    guests = Guest.objects.filter(appearances__isnull=False).distinct()
    assert {f"http://testserver{guest.get_absolute_url()}" for guest in guests} <= locations

    # Old links: every file an episode was imported from, every person with a profile.
    imported = {episode.source_path: episode for episode in episodes}
    stems = 0
    for path in folder.iterdir():
        episode = imported.get(str(path.resolve()))
        if episode is None:
            continue
        for stem in {path.name.split(".", 1)[0], path.name.rsplit(".", 1)[0]}:
            response = get(client, f"/podcast/{stem}.html", status=301)
            assert response["Location"] == episode.get_absolute_url(), stem
            stems += 1
    assert stems == 198 + 2  # the two x.md.md files answer to x.md too
    for guest in Guest.objects.filter(is_placeholder=False):
        assert get(client, f"/people/{guest.slug}.html", status=301)["Location"] == guest.get_absolute_url()

    # The API walks every episode.
    seen, path = [], reverse("episodes:api_episode_list") + "?page_size=100"
    while path:
        data = get(client, path).json()
        seen += [item["slug"] for item in data["results"]]
        path = data["next"] and data["next"].removeprefix("http://testserver")
    assert seen == [episode.slug for episode in episodes]
