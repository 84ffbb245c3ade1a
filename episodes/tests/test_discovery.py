"""/sitemap.xml and /robots.txt: what search engines are told, read back with an XML parser."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from episodes.models import Episode, Guest, Topic

from .visibility import HIDDEN_STATES, hide

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
AB_TESTING = "ab-testing-and-product-experimentation"  # the only episode of jakobgraff


def read_sitemap(client):
    response = client.get(reverse("episodes:sitemap"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own output)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    return {
        url.findtext("sm:loc", namespaces=SITEMAP_NS): url.findtext("sm:lastmod", namespaces=SITEMAP_NS) for url in root
    }


def absolute(path):
    return f"http://testserver{path}"


def test_sitemap_lists_published_episodes_guests_topics_and_the_lists(client, fixture_archive):
    urls = read_sitemap(client)
    episodes = {absolute(episode.get_absolute_url()) for episode in Episode.objects.published()}
    guests = {absolute(guest.get_absolute_url()) for guest in Guest.objects.filter(appearances__isnull=False)}
    topics = {absolute(topic.get_absolute_url()) for topic in Topic.objects.all()}
    pages = {absolute(reverse(f"episodes:{name}")) for name in ("home", "episode_list", "guest_list", "topic_list")}
    assert set(urls) == episodes | guests | topics | pages
    assert len(episodes) == 9 and len(guests) == 10  # the host is in no episode's guest list
    for url in urls:
        assert client.get(url.removeprefix("http://testserver")).status_code == 200, url


def test_lastmod_is_when_the_page_last_changed(client, fixture_archive):
    old = timezone.make_aware(datetime.datetime(2024, 3, 1, 12))
    newer = timezone.make_aware(datetime.datetime(2025, 1, 2, 12))
    Episode.objects.update(updated_at=old)
    Episode.objects.filter(slug=AB_TESTING).update(updated_at=newer)
    Guest.objects.filter(slug="jakobgraff").update(updated_at=newer)
    urls = read_sitemap(client)
    assert urls[absolute(reverse("episodes:episode_detail", args=[AB_TESTING]))] == "2025-01-02"
    assert urls[absolute(reverse("episodes:episode_detail", args=["cloud-data-governance"]))] == "2024-03-01"
    assert urls[absolute(reverse("episodes:guest_detail", args=["jakobgraff"]))] == "2025-01-02"
    # A topic changes with its latest episode: data-science has AB_TESTING, cloud has not.
    assert urls[absolute(reverse("episodes:topic_detail", args=["data-science"]))] == "2025-01-02"
    assert urls[absolute(reverse("episodes:topic_detail", args=["cloud"]))] == "2024-03-01"


@pytest.mark.parametrize("how", HIDDEN_STATES)
def test_hidden_episodes_and_what_only_they_have_are_not_in_the_sitemap(client, fixture_archive, how):
    newer = timezone.make_aware(datetime.datetime(2030, 1, 1))
    Episode.objects.filter(slug=AB_TESTING).update(updated_at=newer)
    Episode.objects.get(slug=AB_TESTING).topics.add(Topic.objects.create(name="only here", slug="only-here"))
    hide(AB_TESTING, how)
    urls = read_sitemap(client)
    assert absolute(reverse("episodes:episode_detail", args=[AB_TESTING])) not in urls
    assert absolute(reverse("episodes:guest_detail", args=["jakobgraff"])) not in urls
    assert absolute(reverse("episodes:topic_detail", args=["only-here"])) not in urls
    # A hidden episode's change does not date a topic it shares with published ones.
    assert urls[absolute(reverse("episodes:topic_detail", args=["data-science"]))] != "2030-01-01"


def test_sitemap_takes_a_fixed_number_of_queries(client, fixture_archive, django_assert_num_queries):
    with django_assert_num_queries(6):  # a count and a page for each of episodes, guests, topics
        read_sitemap(client)


def test_robots_names_the_sitemap_and_keeps_crawlers_out_of_the_admin(client, db, settings):
    settings.ALLOWED_HOSTS = ["testserver", "podcast.example.org"]
    response = client.get(reverse("episodes:robots"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /admin/" in lines
    assert "Disallow: /search/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    secure = client.get(reverse("episodes:robots"), secure=True, headers={"host": "podcast.example.org"})
    assert "Sitemap: https://podcast.example.org/sitemap.xml" in secure.content.decode().splitlines()
