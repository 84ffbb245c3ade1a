"""The public site: what each page shows, what it hides, and how many queries it takes."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from episodes import views
from episodes.models import Episode, Guest, Line, Topic

from .conftest import LONGEST_SLUG

pytestmark = pytest.mark.django_db

MATH = "from-math-graduate-to-data-analytics"  # S07E09, 2022, has the "<an hourly amount>" line
AB_TESTING = "ab-testing-and-product-experimentation"  # S07E06, 2022, topic data-science
GOVERNANCE = "cloud-data-governance"  # S03E10, 2021, two guests, lines without times, {:target} in its notes
SEED = "s19e04-mlops-as-a-team"  # S19E04, no date, an untitled opening section
DEVREL = LONGEST_SLUG  # S20E08, the longest transcript


def get(client, name, *args, **params):
    return client.get(reverse(f"episodes:{name}", args=args), params)


def page_html(client, name, *args, **params):
    response = get(client, name, *args, **params)
    assert response.status_code == 200
    return response.content.decode()


def element(html, element_id):
    """The opening tag and content of the transcript line (a div) with this id."""
    match = re.search(rf'<div class="line[^"]*" id="{re.escape(element_id)}"[^>]*>.*?</div>', html, re.DOTALL)
    assert match, f"no line with id {element_id}"
    return match.group(0)


def episode_titles(response):
    return [episode.title for episode in response.context["page_obj"].object_list]


def unmatch_speakers():
    """Forget who said what (the import matches speakers), so a test sets exactly the people it checks."""
    Line.objects.update(person=None)


def make_draft(slug):
    Episode.objects.filter(slug=slug).update(status=Episode.Status.DRAFT)
    return Episode.objects.get(slug=slug)


# --- drafts never show ---------------------------------------------------------


def test_home_shows_newest_published_episodes_and_hides_drafts(client, fixture_archive):
    draft = make_draft(MATH)
    html = page_html(client, "home")
    assert escape(Episode.objects.get(slug=AB_TESTING).title) in html
    assert escape(draft.title) not in html
    newest = Episode.objects.published().first()
    assert html.index(escape(newest.title)) < html.index(escape(Episode.objects.get(slug=AB_TESTING).title))


def test_list_shows_every_published_episode_and_hides_drafts(client, fixture_archive):
    draft = make_draft(MATH)
    response = get(client, "episode_list")
    titles = episode_titles(response)
    assert len(titles) == Episode.objects.count() - 1
    assert draft.title not in titles
    assert escape(draft.title) not in response.content.decode()


def test_draft_episode_page_is_404(client, fixture_archive):
    make_draft(MATH)
    assert get(client, "episode_detail", MATH).status_code == 404
    assert get(client, "episode_detail", AB_TESTING).status_code == 200


def test_unknown_pages_are_404(client, fixture_archive):
    assert get(client, "episode_detail", "no-such-episode").status_code == 404
    assert get(client, "guest_detail", "nobody").status_code == 404
    assert get(client, "topic_detail", "nothing").status_code == 404


# --- the episode list: filters, pagination, grouping ---------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"season": "7"}, {MATH, AB_TESTING}),
        ({"guest": "jessiashdown"}, {GOVERNANCE}),
        (
            {"topic": "data-science"},
            {AB_TESTING, "interpretable-machine-learning", "open-source-ml-tools-strategy-and-business-models"},
        ),
        ({"year": "2022"}, {MATH, AB_TESTING}),
        ({"year": "2022", "topic": "data-science"}, {AB_TESTING}),
    ],
)
def test_each_filter_narrows_the_list(client, fixture_archive, params, expected):
    response = get(client, "episode_list", **params)
    assert response.status_code == 200
    assert {episode.slug for episode in response.context["page_obj"].object_list} == expected


def test_filters_offer_only_values_of_published_episodes(client, fixture_archive):
    make_draft(GOVERNANCE)  # the only 2021 episode, the only season 3, Jessi's only episode
    form = get(client, "episode_list").context["filter"].form
    assert "2021" not in [str(value) for value, _ in form.fields["year"].choices]
    assert "3" not in [str(value) for value, _ in form.fields["season"].choices]
    assert "jessiashdown" not in [str(value) for value, _ in form.fields["guest"].choices]
    assert "Season 7" in [label for _, label in form.fields["season"].choices]


@pytest.mark.parametrize(
    "query",
    [
        {"season": "abc"},
        {"year": "99999999999999999999"},
        {"guest": "<script>alert(1)</script>"},
        {"topic": "no-such-topic"},
        {"guest": "\x00"},
        {"season": "7", "guest": "<b>x</b>"},
    ],
)
def test_bad_filter_values_show_the_form_error_and_do_not_crash(client, fixture_archive, query):
    response = get(client, "episode_list", **query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errorlist"' in html
    assert "<script>alert(1)</script>" not in html
    assert "<b>x</b>" not in html


def test_an_invalid_filter_is_ignored_and_the_valid_ones_still_apply(client, fixture_archive):
    response = get(client, "episode_list", season="7", guest="nobody")
    assert {episode.slug for episode in response.context["page_obj"].object_list} == {MATH, AB_TESTING}


def test_list_is_paginated_and_keeps_the_filters_in_page_links(client, fixture_archive, monkeypatch):
    monkeypatch.setattr(views, "EPISODES_PER_PAGE", 4)
    first = get(client, "episode_list")
    second = get(client, "episode_list", page="2")
    third = get(client, "episode_list", page="3")
    assert len(episode_titles(first)) == 4
    assert set(episode_titles(first)).isdisjoint(episode_titles(second))
    assert len(episode_titles(first) + episode_titles(second) + episode_titles(third)) == Episode.objects.count()
    assert 'href="?page=2"' in first.content.decode()

    monkeypatch.setattr(views, "EPISODES_PER_PAGE", 2)
    filtered = get(client, "episode_list", topic="data-science")
    assert 'href="?topic=data-science&amp;page=2"' in filtered.content.decode()


@pytest.mark.parametrize("page", ["999", "-1", "0", "abc", "1.5"])
def test_out_of_range_or_malformed_page_is_404(client, fixture_archive, page):
    assert get(client, "episode_list", page=page).status_code == 404


def test_list_groups_episodes_by_season_newest_first(client, fixture_archive):
    html = page_html(client, "episode_list")
    headings = re.findall(r"<h2 id=\"season-(\d+)\">Season \1</h2>", html)
    assert headings == ["23", "20", "19", "18", "16", "7", "3"]
    season_7 = html.index('id="season-7"')
    season_3 = html.index('id="season-3"')
    for slug in (MATH, AB_TESTING):
        assert season_7 < html.index(Episode.objects.get(slug=slug).get_absolute_url()) < season_3
    math, ab_testing = (escape(Episode.objects.get(slug=slug).title) for slug in (MATH, AB_TESTING))
    assert html.index(math) < html.index(ab_testing)


# --- the episode page -----------------------------------------------------------


def test_episode_page_shows_the_episode(client, fixture_archive):
    episode = Episode.objects.get(slug=GOVERNANCE)
    response = get(client, "episode_detail", GOVERNANCE)
    html = response.content.decode()
    assert "Season 3, episode 10" in html and "S03E10" in html
    # The video comes from its own include (the player's markup is that include's business).
    assert "episodes/_player.html" in [template.name for template in response.templates]
    assert f'data-video-id="{episode.youtube_id}"' in html
    for guest in episode.guests.all():
        assert f'href="{guest.get_absolute_url()}"' in html
        assert f'src="{settings.MEDIA_URL}{guest.picture}"' in html
    assert "Jessi Ashdown is a Senior User Experience Researcher" in html  # the bio
    for label, url in episode.platform_links:
        assert f'href="{url}"' in html and label in html
    assert f'href="{Topic.objects.get(slug="data-governance").get_absolute_url()}"' in html


def test_absent_platform_links_are_hidden(client, fixture_archive):
    Episode.objects.filter(slug=GOVERNANCE).update(spotify_url="", apple_url="")
    html = page_html(client, "episode_detail", GOVERNANCE)
    assert "Spotify" not in html and "Apple Podcasts" not in html
    assert "YouTube" in html


def test_show_notes_html_is_rendered_without_jekyll_attributes(client, fixture_archive):
    html = page_html(client, "episode_detail", GOVERNANCE)
    assert '<a href="https://twitter.com/ugilad"' in html
    assert "{:target" not in html
    assert "{:" not in html


def test_transcript_text_is_escaped(client, fixture_archive):
    html = page_html(client, "episode_detail", MATH)
    assert "&lt;an hourly amount&gt;" in html
    assert "<an hourly amount>" not in html


def test_timestamps_link_to_the_video_at_that_second_and_lines_have_anchors(client, fixture_archive):
    episode = Episode.objects.get(slug=MATH)
    line = Line.objects.filter(section__episode=episode, sec__gt=0).select_related("section").first()
    html = page_html(client, "episode_detail", MATH)
    markup = element(html, line.anchor)
    assert f'data-sec="{line.sec}"' in markup
    assert f'<a class="ts" href="https://www.youtube.com/watch?v={episode.youtube_id}&amp;t={line.sec}s"' in markup
    assert '<time datetime="' in markup and f">{line.timestamp}</time>" in markup
    assert f'href="#{line.anchor}"' in markup  # the permalink
    assert html.count('class="line') == Line.objects.filter(section__episode=episode).count()
    assert '<section id="transcript" class="transcript" data-video-id="' + episode.youtube_id + '"' in html


def test_lines_without_a_time_have_no_timestamp_link(client, fixture_archive):
    line = Line.objects.filter(section__episode__slug=GOVERNANCE, sec=None).select_related("section").first()
    markup = element(page_html(client, "episode_detail", GOVERNANCE), line.anchor)
    assert 'class="ts"' not in markup
    assert "data-sec" not in markup


def test_table_of_contents_links_to_the_section_headings(client, fixture_archive):
    episode = Episode.objects.get(slug=SEED)
    html = page_html(client, "episode_detail", SEED)
    toc = html[html.index('class="toc"') : html.index('id="transcript"')]
    titled = [section for section in episode.sections.all() if section.title]
    assert titled and len(titled) < episode.sections.count()  # the opening is untitled
    for section in titled:
        assert f'href="#{section.anchor}"' in toc
        assert re.search(rf'<h3 id="{section.anchor}">{re.escape(section.title)}', html.replace("&quot;", '"'))
    assert 'href="#s0"' not in toc
    first = titled[0]
    assert f">{first.start_sec // 60}:{first.start_sec % 60:02d}</time>" in toc


def test_speaker_links_to_the_person_when_matched(client, fixture_archive):
    unmatch_speakers()
    guest = Guest.objects.get(slug="juanpablo")
    lines = Line.objects.filter(section__episode__slug=MATH, speaker="Juan Pablo").select_related("section")
    matched, unmatched = lines[0], lines[1]
    Line.objects.filter(pk=matched.pk).update(person=guest)
    html = page_html(client, "episode_detail", MATH)
    assert f'<a href="{guest.get_absolute_url()}">Juan Pablo</a>' in element(html, matched.anchor)
    assert guest.get_absolute_url() not in element(html, unmatched.anchor)
    assert "Juan Pablo" in element(html, unmatched.anchor)


def test_previous_and_next_follow_season_and_number_among_published(client, fixture_archive):
    response = get(client, "episode_detail", MATH)  # S07E09: before it S07E06, after it S16E07
    assert response.context["previous_episode"].slug == AB_TESTING
    assert response.context["next_episode"].slug == "interpretable-machine-learning"
    html = response.content.decode()
    assert f'rel="prev" href="{Episode.objects.get(slug=AB_TESTING).get_absolute_url()}"' in html

    make_draft(AB_TESTING)
    assert get(client, "episode_detail", MATH).context["previous_episode"].slug == GOVERNANCE

    newest = Episode.objects.published().first()
    assert get(client, "episode_detail", newest.slug).context["next_episode"] is None


def test_episode_image_only_when_set(client, fixture_archive):
    episode = Episode.objects.get(slug=MATH)
    assert f'src="{settings.MEDIA_URL}{episode.image}"' in page_html(client, "episode_list")
    Episode.objects.filter(pk=episode.pk).update(image="")
    html = page_html(client, "episode_list", season="7", year="2022")
    assert html.count('class="card__image"') == 1  # only the other season-7 episode


# --- guests and topics -------------------------------------------------------------


def test_guest_list_shows_guests_of_published_episodes_alphabetically(client, fixture_archive):
    make_draft(AB_TESTING)
    guests = list(get(client, "guest_list").context["page_obj"].object_list)
    names = [guest.name for guest in guests]
    assert names == sorted(names, key=str.lower)
    assert "Jakob Graff" not in names
    assert "Jessi Ashdown" in names and "Uri Gilad" in names


def test_guest_page_lists_published_episodes_and_what_they_said(client, fixture_archive):
    unmatch_speakers()
    guest = Guest.objects.get(slug="jessiashdown")
    said = list(
        Line.objects.filter(section__episode__slug=GOVERNANCE, speaker="Jessi", sec__isnull=False)
        .select_related("section__episode")
        .order_by("section__position", "position")[:3]
    )
    Line.objects.filter(pk__in=[line.pk for line in said]).update(person=guest)
    response = get(client, "guest_detail", "jessiashdown")
    html = response.content.decode()
    episode = Episode.objects.get(slug=GOVERNANCE)
    assert [e.slug for e in response.context["episodes"]] == [GOVERNANCE]
    assert "What Jessi Ashdown said" in html
    for line in said:
        assert f'href="{line.get_absolute_url()}"' in html
        assert f'href="{episode.video_url(line.sec)}"'.replace("&", "&amp;") in html
    assert html.count('<div class="line">') == 3
    assert html.count(f'id="said-{GOVERNANCE}"') == 1  # grouped under one episode heading


def test_guest_page_hides_draft_episodes_and_their_lines(client, fixture_archive):
    guest = Guest.objects.get(slug="jessiashdown")
    Line.objects.filter(section__episode__slug=GOVERNANCE, speaker="Jessi").update(person=guest)
    make_draft(GOVERNANCE)
    response = get(client, "guest_detail", "jessiashdown")
    assert response.status_code == 200  # the profile stays
    assert list(response.context["episodes"]) == []
    assert list(response.context["page_obj"].object_list) == []
    assert "What Jessi Ashdown said" not in response.content.decode()


def test_placeholder_guest_without_episodes_has_a_page(client, fixture_archive):
    Guest.objects.create(slug="someone-new", name="someone-new", is_placeholder=True)
    html = page_html(client, "guest_detail", "someone-new")
    assert "someone-new" in html
    assert "episodes/img/person.svg" in html


def test_topic_pages_list_published_episodes(client, fixture_archive):
    make_draft(AB_TESTING)
    topics = {topic.slug: topic.episode_count for topic in get(client, "topic_list").context["topics"]}
    assert topics["data-science"] == 2
    assert "practices" in topics  # interpretable-machine-learning is still published
    response = get(client, "topic_detail", "data-science")
    assert {e.slug for e in response.context["page_obj"].object_list} == {
        "interpretable-machine-learning",
        "open-source-ml-tools-strategy-and-business-models",
    }


# --- the layout ---------------------------------------------------------------------


def test_base_layout_is_accessible_and_names_the_site(client, fixture_archive, settings):
    settings.PODCAST_SITE_NAME = "Test <Cast>"
    html = page_html(client, "episode_detail", MATH)
    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert "<header" in html and "<nav" in html and "<footer" in html
    assert "Test &lt;Cast&gt;" in html and "Test <Cast>" not in html
    assert '<link rel="canonical" href="http://testserver/episodes/from-math-graduate-to-data-analytics/">' in html
    assert '<meta name="description" content="Discover data analytics' in html
    assert f'href="{reverse("episodes:episode_list")}" aria-current="page"' in html
    assert "/static/episodes/css/site.css" in html
    assert html.count("<h1") == 1


# --- query counts: fixed, whatever the size -----------------------------------------


def test_episode_page_query_count_does_not_grow_with_the_transcript(client, fixture_archive, django_assert_num_queries):
    # episode, guests, topics, clips, sections, lines (with their people), previous, next
    Line.objects.filter(speaker="Alexey").update(person=Guest.objects.get(slug="alexeygrigorev"))
    short = Episode.objects.get(slug=AB_TESTING)
    longest = Episode.objects.get(slug=DEVREL)
    assert (
        Line.objects.filter(section__episode=longest).count() > 2 * Line.objects.filter(section__episode=short).count()
    )
    for slug in (AB_TESTING, DEVREL):
        with django_assert_num_queries(8):
            assert get(client, "episode_detail", slug).status_code == 200


def test_list_pages_query_count_does_not_grow_with_the_episodes(client, fixture_archive, django_assert_num_queries):
    # episodes: seasons and years, count, page, guests, guest choices, topic choices
    with django_assert_num_queries(6):
        assert len(episode_titles(get(client, "episode_list"))) == 9
    with django_assert_num_queries(2):  # episodes, guests
        get(client, "home")
    with django_assert_num_queries(4):  # topic, count, episodes, guests
        get(client, "topic_detail", "data-science")
    with django_assert_num_queries(2):  # count, guests
        get(client, "guest_list")
    with django_assert_num_queries(1):
        get(client, "topic_list")

    for episode in Episode.objects.exclude(slug__in=[MATH, AB_TESTING, GOVERNANCE]):
        make_draft(episode.slug)
    with django_assert_num_queries(6):
        assert len(episode_titles(get(client, "episode_list"))) == 3
    with django_assert_num_queries(2):
        get(client, "home")
    with django_assert_num_queries(4):
        get(client, "topic_detail", "data-science")


def test_guest_page_query_count_does_not_grow_with_the_lines(client, fixture_archive, django_assert_num_queries):
    unmatch_speakers()
    # guest, episodes, their guests, count of lines, lines with their section and episode
    guest = Guest.objects.get(slug="jessiashdown")
    lines = Line.objects.filter(section__episode__slug=GOVERNANCE, speaker="Jessi")
    Line.objects.filter(pk=lines.first().pk).update(person=guest)
    with django_assert_num_queries(5):
        assert len(get(client, "guest_detail", "jessiashdown").context["page_obj"].object_list) == 1
    lines.update(person=guest)
    with django_assert_num_queries(5):
        assert len(get(client, "guest_detail", "jessiashdown").context["page_obj"].object_list) > 10
