"""Podcast feeds: RSS 2.0 with Podcasting 2.0 and iTunes tags, read back with an XML parser."""

import json
import uuid
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

import pytest
from django.urls import reverse

from episodes.models import Episode, Guest, Line, Topic

from .format_checks import check_chapters_json, check_transcript_json, read_srt, read_vtt, shared_image
from .visibility import HIDDEN_STATES, hide

pytestmark = pytest.mark.django_db

NS = {
    "podcast": "https://podcastindex.org/namespace/1.0",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "atom": "http://www.w3.org/2005/Atom",
}
AB_TESTING = "ab-testing-and-product-experimentation"  # S07E06, guest jakobgraff, topics data-science, practices
GOVERNANCE = "cloud-data-governance"  # S03E10, two guests
SEED = "s19e04-mlops-as-a-team"  # no date, no cover
TRANSCRIPT_TYPES = ["text/vtt", "application/x-subrip", "application/json", "text/plain"]


def read_feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    root = ET.fromstring(response.content)  # noqa: S314 (our own output)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.find("channel")


def items_by_slug(channel):
    return {item.findtext("link").rstrip("/").rsplit("/", 1)[1]: item for item in channel.findall("item")}


def local_path(url):
    assert url.startswith("http://testserver/"), url
    return url.removeprefix("http://testserver")


# --- the main feed ----------------------------------------------------------------------


def test_feed_lists_published_episodes_newest_first(client, fixture_archive):
    channel = read_feed(client, reverse("episodes:feed"))
    assert channel.findtext("title") == "DataTalks.Club Podcast"
    assert channel.findtext("link") == "http://testserver/"
    assert channel.find("atom:link", NS).attrib == {"href": "http://testserver/feed.xml", "rel": "self"}
    assert channel.findtext("language") == "en"
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"
    assert uuid.UUID(channel.findtext("podcast:guid", namespaces=NS)).version == 5
    codes = [
        (int(item.findtext("podcast:season", namespaces=NS)), int(item.findtext("podcast:episode", namespaces=NS)))
        for item in channel.findall("item")
    ]
    assert codes == list(Episode.objects.order_by("-season", "-number").values_list("season", "number"))


def test_feed_item_has_podcasting_and_itunes_tags_and_no_enclosure(client, fixture_archive):
    episode = Episode.objects.get(slug=AB_TESTING)
    item = items_by_slug(read_feed(client, reverse("episodes:feed")))[AB_TESTING]
    assert item.findtext("title") == episode.title
    assert item.findtext("link") == f"http://testserver/episodes/{AB_TESTING}/"
    assert item.findtext("description") == episode.description
    assert parsedate_to_datetime(item.findtext("pubDate")).date() == episode.published_on
    assert item.find("enclosure") is None
    assert item.findtext("itunes:season", namespaces=NS) == "7" == item.findtext("podcast:season", namespaces=NS)
    assert item.findtext("itunes:episode", namespaces=NS) == "6" == item.findtext("podcast:episode", namespaces=NS)
    assert item.findtext("itunes:duration", namespaces=NS) == str(episode.duration) == "3817"
    assert item.findtext("itunes:episodeType", namespaces=NS) == "full"
    assert item.find("itunes:image", NS).get("href") == shared_image(episode)
    assert sorted(category.text for category in item.findall("category")) == ["data science", "practices"]

    people = [
        (person.get("role"), person.text, person.get("href"), person.get("img"))
        for person in item.findall("podcast:person", NS)
    ]
    host, guest = Guest.objects.get(slug="alexeygrigorev"), Guest.objects.get(slug="jakobgraff")
    assert people == [
        ("host", host.name, "http://testserver/guests/alexeygrigorev/", shared_image(host)),
        ("guest", guest.name, "http://testserver/guests/jakobgraff/", shared_image(guest)),
    ]


def test_feed_transcripts_and_chapters_point_at_valid_files(client, fixture_archive):
    item = items_by_slug(read_feed(client, reverse("episodes:feed")))[AB_TESTING]
    transcripts = {tag.get("type"): tag.attrib for tag in item.findall("podcast:transcript", NS)}
    assert sorted(transcripts) == sorted(TRANSCRIPT_TYPES)
    assert transcripts["text/vtt"]["rel"] == transcripts["application/x-subrip"]["rel"] == "captions"
    assert all(attrs["language"] == "en" for attrs in transcripts.values())

    def body(url):
        response = client.get(local_path(url))
        assert response.status_code == 200
        return response.content.decode()

    read_vtt(body(transcripts["text/vtt"]["url"]))
    read_srt(body(transcripts["application/x-subrip"]["url"]))
    check_transcript_json(json.loads(body(transcripts["application/json"]["url"])))
    assert body(transcripts["text/plain"]["url"]).startswith(Episode.objects.get(slug=AB_TESTING).title)
    chapters = item.find("podcast:chapters", NS)
    assert chapters.get("type") == "application/json+chapters"
    assert check_chapters_json(json.loads(body(chapters.get("url"))))


def test_episode_without_transcript_or_date_or_cover_announces_none(client, fixture_archive):
    Line.objects.filter(section__episode__slug=AB_TESTING).delete()
    item = items_by_slug(read_feed(client, reverse("episodes:feed")))[AB_TESTING]
    assert item.findall("podcast:transcript", NS) == []
    assert item.find("podcast:chapters", NS) is not None  # the sections (chapters) are still there

    seed = items_by_slug(read_feed(client, reverse("episodes:feed")))[SEED]
    assert seed.find("pubDate") is None  # no date is invented
    assert seed.find("itunes:image", NS) is None
    assert seed.find("itunes:duration", NS) is None


def test_guid_stays_when_the_slug_changes(client, fixture_archive):
    guid = items_by_slug(read_feed(client, reverse("episodes:feed")))[AB_TESTING].findtext("guid")
    Episode.objects.filter(slug=AB_TESTING).update(slug="ab-testing")
    item = items_by_slug(read_feed(client, reverse("episodes:feed")))["ab-testing"]
    assert item.findtext("guid") == guid and item.find("guid").get("isPermaLink") == "false"
    guids = [item.findtext("guid") for item in read_feed(client, reverse("episodes:feed")).findall("item")]
    assert len(set(guids)) == len(guids)


def test_channel_names_the_host(client, fixture_archive):
    channel = read_feed(client, reverse("episodes:feed"))
    [host] = channel.findall("podcast:person", NS)
    assert (host.get("role"), host.text) == ("host", "Alexey Grigorev")
    assert channel.findtext("itunes:author", namespaces=NS) == "DataTalks.Club Podcast"


def test_text_that_xml_cannot_carry_does_not_break_the_feed(client, fixture_archive):
    Episode.objects.filter(slug=AB_TESTING).update(title="A/B \x0btests & <friends>", description="\x01ok")
    item = items_by_slug(read_feed(client, reverse("episodes:feed")))[AB_TESTING]
    assert item.findtext("title") == "A/B tests & <friends>"
    assert item.findtext("description") == "ok"


# --- per guest and per topic ---------------------------------------------------------------------


def test_guest_feed_has_only_their_episodes(client, fixture_archive):
    channel = read_feed(client, reverse("episodes:guest_feed", args=["urigilad"]))
    assert list(items_by_slug(channel)) == [GOVERNANCE]
    assert channel.findtext("title") == "Uri Gilad on the DataTalks.Club Podcast"
    assert channel.findtext("link") == "http://testserver/guests/urigilad/"
    assert channel.find("atom:link", NS).get("href") == "http://testserver/guests/urigilad/feed.xml"
    guid = channel.findtext("podcast:guid", namespaces=NS)
    assert guid == read_feed(client, reverse("episodes:feed")).findtext("podcast:guid", namespaces=NS)


def test_topic_feed_has_only_its_episodes(client, fixture_archive):
    topic = Topic.objects.get(slug="data-science")
    channel = read_feed(client, reverse("episodes:topic_feed", args=[topic.slug]))
    expected = Episode.objects.filter(topics=topic).order_by("-season", "-number").values_list("slug", flat=True)
    assert list(items_by_slug(channel)) == list(expected) and len(expected) == 3
    assert channel.findtext("title") == "Data science · DataTalks.Club Podcast"


def test_unknown_or_unpublished_guest_and_topic_feeds_are_404(client, fixture_archive):
    assert client.get(reverse("episodes:guest_feed", args=["nobody"])).status_code == 404
    assert client.get(reverse("episodes:topic_feed", args=["nothing"])).status_code == 404
    Topic.objects.create(name="unused", slug="unused")
    assert client.get(reverse("episodes:topic_feed", args=["unused"])).status_code == 404


@pytest.mark.parametrize("how", HIDDEN_STATES)
def test_hidden_episodes_are_in_no_feed(client, fixture_archive, how):
    Episode.objects.get(slug=AB_TESTING).topics.add(Topic.objects.create(name="only here", slug="only-here"))
    assert client.get(reverse("episodes:topic_feed", args=["only-here"])).status_code == 200
    hide(AB_TESTING, how)
    assert AB_TESTING not in items_by_slug(read_feed(client, reverse("episodes:feed")))
    assert GOVERNANCE in items_by_slug(read_feed(client, reverse("episodes:feed")))
    # jakobgraff's only episode: their feed is gone; the topic feed goes on without it.
    assert client.get(reverse("episodes:guest_feed", args=["jakobgraff"])).status_code == 404
    topic_items = items_by_slug(read_feed(client, reverse("episodes:topic_feed", args=["data-science"])))
    assert AB_TESTING not in topic_items and len(topic_items) == 2
    assert client.get(reverse("episodes:topic_feed", args=["only-here"])).status_code == 404


def test_feeds_take_a_fixed_number_of_queries(client, fixture_archive, django_assert_num_queries):
    with django_assert_num_queries(4):  # hosts, episodes (with file flags), their guests, their topics
        read_feed(client, reverse("episodes:feed"))
    with django_assert_num_queries(5):  # and the guest
        read_feed(client, reverse("episodes:guest_feed", args=["urigilad"]))
    with django_assert_num_queries(5):  # and the topic
        read_feed(client, reverse("episodes:topic_feed", args=["data-science"]))


def test_pages_link_their_feeds(client, fixture_archive):
    home = client.get(reverse("episodes:home")).content.decode()
    assert '<link rel="alternate" type="application/rss+xml" title="DataTalks.Club Podcast" href="/feed.xml">' in home
    guest = client.get(reverse("episodes:guest_detail", args=["urigilad"])).content.decode()
    assert 'href="/guests/urigilad/feed.xml"' in guest
    topic = client.get(reverse("episodes:topic_detail", args=["data-science"])).content.decode()
    assert 'href="/topics/data-science/feed.xml"' in topic


def test_feed_readers_polling_get_304_until_an_episode_changes(client, fixture_archive):
    url = reverse("episodes:feed")
    etag = client.get(url)["ETag"]
    unchanged = client.get(url, headers={"if-none-match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    episode = Episode.objects.get(slug=AB_TESTING)
    episode.title = "A/B tests, retitled"
    episode.save()
    changed = client.get(url, headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert items_by_slug(read_feed(client, url))[AB_TESTING].findtext("title") == "A/B tests, retitled"
