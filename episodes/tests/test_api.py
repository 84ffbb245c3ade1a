"""The read-only JSON API: contents, filters, pagination, errors that name the parameter, query counts."""

import pytest
from django.urls import reverse

from episodes.models import Episode, Guest, Line, Topic
from episodes.old_links import record_slug_change

from .conftest import LONGEST_SLUG
from .format_checks import shared_image
from .visibility import HIDDEN_STATES, hide

pytestmark = pytest.mark.django_db

AB_TESTING = "ab-testing-and-product-experimentation"  # S07E06, 2022, jakobgraff, data-science + practices
GOVERNANCE = "cloud-data-governance"  # S03E10, 2021, jessiashdown + urigilad


def get_json(client, name, *args, status=200, **params):
    response = client.get(reverse(f"episodes:{name}", args=args), params)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def slugs(data):
    return [item["slug"] for item in data["results"]]


# --- episodes -------------------------------------------------------------------------


def test_episode_list_has_every_published_episode_newest_first(client, fixture_archive):
    data = get_json(client, "api_episode_list")
    assert data["count"] == 9 and data["page"] == 1 and data["pages"] == 1
    assert data["next"] is None and data["previous"] is None
    assert slugs(data) == list(Episode.objects.order_by("-season", "-number").values_list("slug", flat=True))


def test_episode_summary_fields(client, fixture_archive):
    data = get_json(client, "api_episode_list", season=7)
    item = next(item for item in data["results"] if item["slug"] == AB_TESTING)
    episode = Episode.objects.get(slug=AB_TESTING)
    assert item["url"] == f"http://testserver/episodes/{AB_TESTING}/"
    assert item["api_url"] == f"http://testserver/api/episodes/{AB_TESTING}/"
    assert (item["season"], item["number"], item["code"]) == (7, 6, "S07E06")
    assert (item["title"], item["description"]) == (episode.title, episode.description)
    assert (item["published_on"], item["duration"]) == ("2022-02-27", 3817)
    assert item["image"] == shared_image(episode)
    assert item["links"]["youtube"] == episode.youtube_url
    assert [guest["slug"] for guest in item["guests"]] == ["jakobgraff"]
    assert item["guests"][0]["api_url"] == "http://testserver/api/guests/jakobgraff/"
    assert sorted(topic["slug"] for topic in item["topics"]) == ["data-science", "practices"]
    assert sorted(item["files"]) == ["chapters", "json", "srt", "txt", "vtt"]
    assert client.get(item["files"]["vtt"].removeprefix("http://testserver")).status_code == 200


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"season": "3"}, [GOVERNANCE]),
        ({"guest": "urigilad"}, [GOVERNANCE]),
        ({"topic": "data-governance"}, [GOVERNANCE]),
        ({"year": "2021"}, [GOVERNANCE]),
        ({"year": "2022", "topic": "data-science"}, [AB_TESTING]),
        ({"season": "", "guest": ""}, None),  # empty values filter nothing, as on the list page
    ],
)
def test_episode_list_filters_like_the_list_page(client, fixture_archive, params, expected):
    data = get_json(client, "api_episode_list", **params)
    if expected is None:
        assert data["count"] == 9
    else:
        assert slugs(data) == expected and data["count"] == len(expected)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"season": "99"}, "season"),
        ({"season": "abc"}, "season"),
        ({"year": "1999"}, "year"),
        ({"guest": "nobody"}, "guest"),
        ({"topic": "' OR 1=1 --"}, "topic"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "2"}, "page"),  # only one page
        ({"page": "9" * 40}, "page"),
        ({"page": "１"}, "page"),  # a full-width digit is not a page number
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "-5"}, "page_size"),
        ({"sort": "title"}, "sort"),
        ({"season\x00": "1"}, "season\x00"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, fixture_archive, params, parameter):
    data = get_json(client, "api_episode_list", status=400, **params)
    assert data["parameter"] == parameter
    assert data["error"].startswith(f"{parameter}: ")


def test_pages_link_to_each_other(client, fixture_archive):
    first = get_json(client, "api_episode_list", page_size=4, topic="data-science")
    assert (first["count"], first["pages"], len(first["results"])) == (3, 1, 3)
    first = get_json(client, "api_episode_list", page_size=4)
    assert (first["count"], first["pages"], first["previous"]) == (9, 3, None)
    seen = slugs(first)
    data = first
    while data["next"]:
        data = client.get(data["next"].removeprefix("http://testserver")).json()
        seen += slugs(data)
    assert data["page"] == 3 and len(data["results"]) == 1
    assert data["previous"] == "http://testserver/api/episodes/?page_size=4&page=2"
    assert seen == slugs(get_json(client, "api_episode_list"))


def test_episode_detail_has_sections_and_lines(client, fixture_archive):
    episode = Episode.objects.get(slug=LONGEST_SLUG)
    data = get_json(client, "api_episode_detail", LONGEST_SLUG)
    assert data["title"] == episode.title and data["show_notes"] == episode.show_notes
    assert [section["title"] for section in data["sections"]] == list(
        episode.sections.order_by("position").values_list("title", flat=True)
    )
    lines = [line for section in data["sections"] for line in section["lines"]]
    stored = Line.objects.filter(section__episode=episode).order_by("section__position", "position")
    assert [(line["speaker"], line["sec"], line["text"]) for line in lines] == list(
        stored.values_list("speaker", "sec", "text")
    )
    assert len(lines) == 279
    assert {line["person"] for line in lines} == {"alexeygrigorev", "willrussell"}
    assert lines[0]["url"] == f"http://testserver/episodes/{LONGEST_SLUG}/#s{stored[0].section.position}-l0"
    assert [clip["name"] for clip in data["clips"]] == list(episode.clips.values_list("name", flat=True))


def test_episode_detail_of_a_former_slug_redirects(client, fixture_archive):
    episode = Episode.objects.get(slug=AB_TESTING)
    episode.slug = "ab-tests"
    episode.save()
    record_slug_change(episode, AB_TESTING)
    response = client.get(reverse("episodes:api_episode_detail", args=[AB_TESTING]))
    assert response.status_code == 301 and response["Location"] == "/api/episodes/ab-tests/"


@pytest.mark.parametrize("how", HIDDEN_STATES)
def test_hidden_episodes_are_nowhere_in_the_api(client, fixture_archive, how):
    hide(AB_TESTING, how)
    assert AB_TESTING not in slugs(get_json(client, "api_episode_list", page_size=100))
    assert get_json(client, "api_episode_detail", AB_TESTING, status=404) == {"error": "Not found."}
    # jakobgraff's only episode: not a public guest any more.
    assert "jakobgraff" not in slugs(get_json(client, "api_guest_list", page_size=100))
    get_json(client, "api_guest_detail", "jakobgraff", status=404)
    data_science = get_json(client, "api_episode_list", topic="data-science")
    assert AB_TESTING not in slugs(data_science) and data_science["count"] == 2


# --- guests ------------------------------------------------------------------------------


def test_guest_list_has_guests_of_published_episodes_with_counts(client, fixture_archive):
    Guest.objects.create(slug="zz-no-episodes", name="Zed")
    data = get_json(client, "api_guest_list")
    expected = Guest.objects.filter(appearances__isnull=False).distinct().order_by("name")
    assert slugs(data) == list(expected.values_list("slug", flat=True)) and data["count"] == 10
    uri = next(item for item in data["results"] if item["slug"] == "urigilad")
    assert uri["episode_count"] == 1
    assert uri["url"] == "http://testserver/guests/urigilad/"
    assert uri["picture"] == shared_image(Guest.objects.get(slug="urigilad"))
    page = get_json(client, "api_guest_list", page_size=3, page=4)
    assert (page["pages"], len(page["results"])) == (4, 1)
    assert get_json(client, "api_guest_list", status=400, page=5)["parameter"] == "page"
    assert get_json(client, "api_guest_list", status=400, season=3)["parameter"] == "season"


def test_guest_detail_has_profile_and_published_episodes(client, fixture_archive):
    data = get_json(client, "api_guest_detail", "urigilad")
    guest = Guest.objects.get(slug="urigilad")
    assert (data["name"], data["bio"], data["bio_html"]) == (guest.name, guest.bio, guest.bio_html)
    assert data["links"] == {
        key: value
        for key, value in {
            "website": guest.website_url,
            "github": guest.github_url,
            "twitter": guest.twitter_url,
            "linkedin": guest.linkedin_url,
        }.items()
        if value
    }
    assert [episode["slug"] for episode in data["episodes"]] == [GOVERNANCE]
    get_json(client, "api_guest_detail", "nobody", status=404)
    Guest.objects.create(slug="zz-no-episodes", name="Zed")
    get_json(client, "api_guest_detail", "zz-no-episodes", status=404)


# --- the API as a whole -------------------------------------------------------------------------


def test_only_get_and_head(client, fixture_archive):
    for name, args in [("api_episode_list", []), ("api_episode_detail", [AB_TESTING]), ("api_guest_list", [])]:
        response = client.post(reverse(f"episodes:{name}", args=args))
        assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
        assert "read-only" in response.json()["error"]
        assert client.head(reverse(f"episodes:{name}", args=args)).status_code == 200


def test_queries_do_not_grow_with_the_data(client, fixture_archive, django_assert_num_queries):
    # choices of the season and year filters, count, page, guests, topics
    with django_assert_num_queries(5):
        get_json(client, "api_episode_list")
    with django_assert_num_queries(7):  # and the guest and topic named, each checked once
        get_json(client, "api_episode_list", guest="urigilad", topic="cloud")
    # episode, sections, lines with their people, guests, topics, clips
    for slug in (LONGEST_SLUG, GOVERNANCE):
        with django_assert_num_queries(6):
            get_json(client, "api_episode_detail", slug)
    with django_assert_num_queries(2):  # count, page
        get_json(client, "api_guest_list")
    with django_assert_num_queries(4):  # guest, episodes, their guests, their topics
        get_json(client, "api_guest_detail", "urigilad")
    Episode.objects.filter(guests__slug="urigilad").get().topics.add(*Topic.objects.all())
    with django_assert_num_queries(4):
        get_json(client, "api_guest_detail", "urigilad")
