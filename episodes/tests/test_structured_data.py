"""JSON-LD (schema.org) and the meta tags of every public page: read back with a real HTML parser and ``json``."""

import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from episodes import views
from episodes.media_urls import share_image
from episodes.models import Clip, Episode, Guest, Topic

AB_TESTING = "ab-testing-and-product-experimentation"  # has quotable clips
CLOUD = "cloud-data-governance"  # two guests


class HeadParser(HTMLParser):
    """The <title>, <meta>, <link rel=canonical> and JSON-LD scripts of a page."""

    def __init__(self):
        super().__init__()
        self.title, self.meta, self.links, self.json_ld = "", {}, {}, []
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("name" in attrs or "property" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content")
        elif tag == "link" and "rel" in attrs:
            self.links[attrs["rel"]] = attrs.get("href")
        elif tag == "title" or (tag == "script" and attrs.get("type") == "application/ld+json"):
            self._in = tag
            if tag == "script":
                self.json_ld.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.json_ld[-1] += data


def read_page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parser = HeadParser()
    html = response.content.decode()
    parser.feed(html)
    parser.html = html
    parser.graphs = [json.loads(text) for text in parser.json_ld]
    return parser


def nodes(page):
    """Every JSON-LD node of the page by @type (a list per type)."""
    found = {}
    for graph in page.graphs:
        assert graph["@context"] == "https://schema.org"
        for node in graph["@graph"]:
            found.setdefault(node["@type"], []).append(node)
    return found


def iso(sec):
    hours, rest = divmod(sec, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{seconds}S" if hours else f"PT{minutes}M{seconds}S"


def absolute(url):
    return f"http://testserver{url}"


# --- episode pages --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_episode_page_has_podcast_episode_season_series_video_clips_people_and_breadcrumbs(client, fixture_archive):
    episode = Episode.objects.get(slug=AB_TESTING)
    page = read_page(client, episode.get_absolute_url())
    found = nodes(page)
    assert {"PodcastSeries", "PodcastSeason", "PodcastEpisode", "VideoObject", "BreadcrumbList", "Person"} <= set(found)

    (podcast_episode,) = found["PodcastEpisode"]
    assert podcast_episode["name"] == episode.title
    assert podcast_episode["url"] == absolute(episode.get_absolute_url())
    assert podcast_episode["episodeNumber"] == episode.number
    assert podcast_episode["datePublished"] == episode.published_on.isoformat() == "2022-02-27"
    assert podcast_episode["duration"] == iso(episode.duration) == "PT1H3M37S"
    assert podcast_episode["description"] == episode.description
    assert podcast_episode["image"] == share_image(page_request(), episode)[0]
    assert podcast_episode["keywords"] == ", ".join(topic.name for topic in episode.topics.all())

    (season,) = found["PodcastSeason"]
    assert season["seasonNumber"] == episode.season == 7
    assert podcast_episode["partOfSeason"] == {"@id": season["@id"]}
    (series,) = found["PodcastSeries"]
    assert podcast_episode["partOfSeries"] == {"@id": series["@id"]} == season["partOfSeries"]
    assert series["webFeed"] == absolute(reverse("episodes:feed"))

    (video,) = found["VideoObject"]
    assert video["embedUrl"] == f"https://www.youtube.com/embed/{episode.youtube_id}"
    assert video["uploadDate"] == "2022-02-27" and video["duration"] == "PT1H3M37S"
    clips = list(Clip.objects.filter(episode=episode).order_by("position"))
    assert len(clips) > 3
    assert [(c["@type"], c["name"], c["startOffset"], c["endOffset"]) for c in video["hasPart"]] == [
        ("Clip", clip.name, clip.start_sec, clip.end_sec) for clip in clips
    ]
    assert video["hasPart"][1]["url"] == clips[1].url

    (guest,) = episode.guests.all()
    (person,) = found["Person"]
    assert person["name"] == guest.name and person["url"] == absolute(guest.get_absolute_url())
    assert person["sameAs"] == [url for _label, url in guest.profile_links]
    assert "https://www.linkedin.com/in/jakob-graff-a6113a3a" in person["sameAs"]  # from "linkedin:" in the file
    assert podcast_episode["actor"] == [{"@id": person["@id"]}]

    (crumbs,) = found["BreadcrumbList"]
    items = crumbs["itemListElement"]
    assert [item["position"] for item in items] == [1, 2, 3, 4]
    assert items[-1] == {"@type": "ListItem", "position": 4, "name": episode.title, "item": podcast_episode["url"]}
    assert items[2]["item"] == absolute(reverse("episodes:episode_list")) + "?season=7"


def page_request():
    from django.test import RequestFactory

    return RequestFactory().get("/")


@pytest.mark.django_db
def test_every_guest_is_a_person_with_their_profiles(client, fixture_archive):
    episode = Episode.objects.get(slug=CLOUD)
    people = nodes(read_page(client, episode.get_absolute_url()))["Person"]
    guests = list(episode.guests.all())
    assert [p["name"] for p in people] == [g.name for g in guests] and len(guests) == 2
    for person, guest in zip(people, guests, strict=True):
        assert person.get("sameAs", []) == [url for _label, url in guest.profile_links]


@pytest.mark.django_db
def test_values_the_episode_does_not_have_are_left_out_not_invented(client, fixture_archive):
    Episode.objects.filter(slug=AB_TESTING).update(published_on=None, duration=None, youtube_id="", youtube_url="")
    Clip.objects.filter(episode__slug=AB_TESTING).delete()
    found = nodes(read_page(client, reverse("episodes:episode_detail", args=[AB_TESTING])))
    (podcast_episode,) = found["PodcastEpisode"]
    assert "datePublished" not in podcast_episode and "duration" not in podcast_episode
    assert "video" not in podcast_episode and "VideoObject" not in found
    text = json.dumps(found)
    assert "None" not in text and "null" not in text and '""' not in text


@pytest.mark.django_db
def test_a_title_that_closes_the_script_is_escaped(client, fixture_archive):
    title = 'Breaking </script><script>alert("x")</script> & <!-- out'
    Episode.objects.filter(slug=AB_TESTING).update(title=title)
    page = read_page(client, reverse("episodes:episode_detail", args=[AB_TESTING]))
    assert "<script>alert" not in page.html
    raw = page.json_ld[0]
    assert "</script" not in raw and "<!--" not in raw and "\\u003C/script\\u003E" in raw and "\\u0026" in raw
    assert nodes(page)["PodcastEpisode"][0]["name"] == title


# --- guests, lists, home ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_guest_page_is_a_profile_page_of_a_person(client, fixture_archive):
    guest = Guest.objects.get(slug="jakobgraff")
    found = nodes(read_page(client, guest.get_absolute_url()))
    (profile,) = found["ProfilePage"]
    (person,) = found["Person"]
    assert profile["mainEntity"] == {"@id": person["@id"]}
    assert person["sameAs"] == [url for _label, url in guest.profile_links]
    assert person["image"] == share_image(page_request(), guest)[0]
    assert [e["url"] for e in person["subjectOf"]] == [
        absolute(e.get_absolute_url()) for e in Episode.objects.published().filter(guests=guest)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["episode_list", "guest_list", "topic_list"])
def test_list_pages_are_collection_pages_with_an_item_list(client, fixture_archive, url_name):
    page = read_page(client, reverse(f"episodes:{url_name}"))
    (collection,) = nodes(page)["CollectionPage"]
    assert collection["url"] == page.links["canonical"]
    item_list = collection["mainEntity"]
    assert item_list["@type"] == "ItemList"
    elements = item_list["itemListElement"]
    assert elements and [e["position"] for e in elements] == list(range(1, len(elements) + 1))
    assert item_list["numberOfItems"] == len(elements)
    for element in elements:
        assert element["url"].startswith("http://testserver/") and element["name"]
        assert client.get(element["url"].removeprefix("http://testserver")).status_code == 200


@pytest.mark.django_db
def test_a_later_page_numbers_its_items_on_from_the_earlier_pages(client, fixture_archive, monkeypatch):
    monkeypatch.setattr(views, "EPISODES_PER_PAGE", 4)
    page = read_page(client, reverse("episodes:episode_list") + "?page=2&utm_source=newsletter")
    item_list = nodes(page)["CollectionPage"][0]["mainEntity"]
    assert [e["position"] for e in item_list["itemListElement"]] == [5, 6, 7, 8]
    assert item_list["numberOfItems"] == Episode.objects.published().count()
    assert page.links["canonical"] == absolute(reverse("episodes:episode_list")) + "?page=2"


@pytest.mark.django_db
def test_topic_page_lists_its_episodes(client, fixture_archive):
    topic = Topic.objects.with_published_episodes().first()
    item_list = nodes(read_page(client, topic.get_absolute_url()))["CollectionPage"][0]["mainEntity"]
    assert {e["url"] for e in item_list["itemListElement"]} == {
        absolute(e.get_absolute_url()) for e in Episode.objects.published().filter(topics=topic)
    }


@pytest.mark.django_db
def test_home_is_a_website_with_a_search_action(client, fixture_archive):
    found = nodes(read_page(client, reverse("episodes:home")))
    (website,) = found["WebSite"]
    action = website["potentialAction"]
    assert action["@type"] == "SearchAction"
    template = action["target"]["urlTemplate"]
    assert template == absolute(reverse("episodes:search")) + "?q={search_term_string}"
    assert action["query-input"] == "required name=search_term_string"
    assert (
        client.get(template.replace("{search_term_string}", "mlops").removeprefix("http://testserver")).status_code
        == 200
    )
    assert found["PodcastSeries"][0]["name"] == website["name"]


# --- meta tags on every page ---------------------------------------------------------------------------


def public_urls():
    episode = Episode.objects.get(slug=AB_TESTING)
    guest = Guest.objects.get(slug="jakobgraff")
    topic = Topic.objects.with_published_episodes().first()
    return [
        reverse("episodes:home"),
        reverse("episodes:episode_list"),
        episode.get_absolute_url(),
        reverse("episodes:guest_list"),
        guest.get_absolute_url(),
        reverse("episodes:topic_list"),
        topic.get_absolute_url(),
        reverse("episodes:search") + "?q=testing",
    ]


@pytest.mark.django_db
def test_every_public_page_has_title_description_canonical_open_graph_and_twitter_tags(client, fixture_archive):
    for url in public_urls():
        page = read_page(client, url + ("&" if "?" in url else "?") + "utm_campaign=x&fbclid=y")
        assert page.title.strip(), url
        assert page.meta["description"].strip(), url
        canonical = page.links["canonical"]
        assert canonical.startswith("http://testserver/") and "utm_" not in canonical and "fbclid" not in canonical
        assert page.meta["og:url"] == canonical
        for name in ("og:title", "og:description", "og:type", "og:site_name", "twitter:card", "twitter:title"):
            assert page.meta.get(name, "").strip(), f"{url}: {name}"
        assert page.meta["og:title"] == page.meta["twitter:title"] == " ".join(page.title.split())
        assert page.meta["og:description"] == page.meta["description"] == page.meta["twitter:description"]


@pytest.mark.django_db
def test_episode_and_guest_pages_share_their_image(client, fixture_archive, settings):
    episode = Episode.objects.get(slug=AB_TESTING)
    page = read_page(client, episode.get_absolute_url())
    url, width, height = share_image(page_request(), episode)
    assert page.meta["og:image"] == page.meta["twitter:image"] == url
    stored = url.removeprefix("http://testserver" + settings.MEDIA_URL)
    assert stored != url and (settings.MEDIA_ROOT / stored).is_file()  # an absolute URL of a stored file
    assert (page.meta["og:image:width"], page.meta["og:image:height"]) == (str(width), str(height))
    assert page.meta["twitter:card"] == "summary_large_image" and page.meta["og:type"] == "video.episode"
    guest_page = read_page(client, Guest.objects.get(slug="jakobgraff").get_absolute_url())
    assert guest_page.meta["og:type"] == "profile" and guest_page.meta["og:image"].startswith("http://testserver/")
    lists = read_page(client, reverse("episodes:topic_list"))
    assert "og:image" not in lists.meta and lists.meta["twitter:card"] == "summary"


@pytest.mark.django_db
def test_canonical_keeps_what_chooses_the_list_and_drops_the_rest(client, fixture_archive):
    url = reverse("episodes:episode_list")
    page = read_page(client, f"{url}?utm_source=x&topic=nonexistent&season=7&ref=abc")
    assert page.links["canonical"] == absolute(url) + "?season=7"  # an invalid filter is ignored, so not kept
    search = read_page(client, reverse("episodes:search") + "?q=a+%3Cb%3E&utm_medium=mail")
    assert search.links["canonical"] == absolute(reverse("episodes:search")) + "?q=a+%3Cb%3E"
