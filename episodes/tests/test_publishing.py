"""Publishing: drafts and scheduled episodes appear nowhere public; staff preview them; the admin shows the state."""

import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from episodes import publishing
from episodes.models import Episode, Guest, Line, Topic

from .conftest import run_import

pytestmark = pytest.mark.django_db

AB_TESTING = "ab-testing-and-product-experimentation"  # S07E06, Jakob Graff's only episode, topic data-science
GOVERNANCE = "cloud-data-governance"  # S03E10, 2021, two guests
HIDDEN_WORD = "Causality"  # in AB_TESTING's title only


def today():
    return timezone.localdate()


def make_draft(slug):
    Episode.objects.filter(slug=slug).update(status=Episode.Status.DRAFT)
    return Episode.objects.get(slug=slug)


def make_scheduled(slug, days=10):
    Episode.objects.filter(slug=slug).update(
        status=Episode.Status.PUBLISHED, published_on=today() + datetime.timedelta(days=days)
    )
    return Episode.objects.get(slug=slug)


HIDE = {"draft": make_draft, "scheduled": make_scheduled}


def html_of(client, name, *args, **params):
    response = client.get(reverse(f"episodes:{name}", args=args), params)
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


def topic_of_its_own(slug):
    """A topic that only this episode has."""
    topic = Topic.objects.create(name="causal inference", slug="causal-inference")
    topic.episodes.add(Episode.objects.get(slug=slug))
    return topic


def public_places(client):
    """Everything the public sees that could name AB_TESTING, Jakob Graff or its topics."""
    return {
        "home": html_of(client, "home"),
        "list": html_of(client, "episode_list"),
        "guests": html_of(client, "guest_list"),
        "topics": html_of(client, "topic_list"),
        "search": html_of(client, "search", q=HIDDEN_WORD),
        "search by guest": html_of(client, "search", q="data", guest="jakobgraff"),
        "topic data-science": html_of(client, "topic_detail", "data-science"),
        "guest jakobgraff": html_of(client, "guest_detail", "jakobgraff"),
    }


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "days", "expected"),
    [
        (Episode.Status.DRAFT, None, publishing.State.DRAFT),
        (Episode.Status.DRAFT, -5, publishing.State.DRAFT),
        (Episode.Status.DRAFT, 5, publishing.State.DRAFT),
        (Episode.Status.PUBLISHED, None, publishing.State.PUBLISHED),
        (Episode.Status.PUBLISHED, -5, publishing.State.PUBLISHED),
        (Episode.Status.PUBLISHED, 0, publishing.State.PUBLISHED),  # goes public on the day itself
        (Episode.Status.PUBLISHED, 1, publishing.State.SCHEDULED),
    ],
)
def test_state_agrees_with_the_published_queryset(status, days, expected):
    published_on = None if days is None else today() + datetime.timedelta(days=days)
    episode = Episode.objects.create(season=1, number=1, slug="e", title="E", status=status, published_on=published_on)

    assert publishing.state(episode) == expected
    assert Episode.objects.published().filter(pk=episode.pk).exists() == (expected == publishing.State.PUBLISHED)
    assert list(publishing.in_state(Episode.objects.all(), expected)) == [episode]
    assert publishing.state_label(episode) == (
        f"Scheduled for {episode.published_on.day} {episode.published_on:%B %Y}"
        if expected == publishing.State.SCHEDULED
        else expected.label
    )


def test_a_scheduled_episode_goes_public_on_its_date(client, fixture_archive):
    episode = make_scheduled(AB_TESTING, days=1)
    assert client.get(episode.get_absolute_url()).status_code == 404
    Episode.objects.filter(pk=episode.pk).update(published_on=today())  # the day has come
    assert client.get(episode.get_absolute_url()).status_code == 200


# --- nowhere public ----------------------------------------------------------------------------


@pytest.mark.parametrize("hide", ["draft", "scheduled"])
def test_a_hidden_episode_is_absent_from_every_public_place(client, fixture_archive, hide):
    episode = Episode.objects.get(slug=AB_TESTING)
    jakob = Guest.objects.get(slug="jakobgraff")
    Line.objects.filter(section__episode=episode, speaker__startswith="Jakob").update(person=jakob)
    own_topics = [topic_of_its_own(AB_TESTING)]
    link = f'href="{episode.get_absolute_url()}'  # search results mark the matched words in the title

    before = public_places(client)
    # Everything is there while the episode is public: the assertions below are not vacuous.
    for place in ["home", "list", "search", "search by guest", "topic data-science", "guest jakobgraff"]:
        assert link in before[place], place
    assert "Jakob Graff" in before["guests"]
    assert all(escape(topic.name.capitalize()) in before["topics"] for topic in own_topics)
    assert "What Jakob Graff said" in before["guest jakobgraff"]
    topic_counts = {topic.slug: topic.episode_count for topic in Topic.objects.with_published_episodes()}

    HIDE[hide](AB_TESTING)

    after = public_places(client)
    for place, html in after.items():
        assert link not in html, place
        assert escape(episode.title) not in html, place
    assert "Jakob Graff" not in after["guests"]
    assert "What Jakob Graff said" not in after["guest jakobgraff"]  # the profile stays, the lines go
    assert 'value="jakobgraff"' not in after["list"]  # not offered as a filter either
    for topic in own_topics:
        assert escape(topic.name.capitalize()) not in after["topics"]
        assert client.get(topic.get_absolute_url()).status_code == 404
    counts = {topic.slug: topic.episode_count for topic in Topic.objects.with_published_episodes()}
    assert counts["data-science"] == topic_counts["data-science"] - 1
    assert client.get(episode.get_absolute_url()).status_code == 404
    assert Episode.objects.published().count() == Episode.objects.count() - 1


@pytest.mark.parametrize("hide", ["draft", "scheduled"])
def test_filter_choices_leave_out_what_only_a_hidden_episode_has(client, fixture_archive, hide):
    HIDE[hide](GOVERNANCE)  # the only season-3 and the only 2021 episode
    form = client.get(reverse("episodes:episode_list")).context["filter"].form
    assert "3" not in [str(value) for value, _ in form.fields["season"].choices]
    assert "2021" not in [str(value) for value, _ in form.fields["year"].choices]
    # An invalid choice is ignored (the form says so): the list still leaves the episode out.
    listed = client.get(reverse("episodes:episode_list"), {"season": "3"}).context["page_obj"].object_list
    assert GOVERNANCE not in [episode.slug for episode in listed]


def test_guests_of_a_scheduled_episode_are_not_listed(fixture_archive):
    make_scheduled(AB_TESTING)
    assert not Guest.objects.with_published_episodes().filter(slug="jakobgraff").exists()
    assert Guest.objects.with_published_episodes().filter(slug="jessiashdown").exists()


@pytest.mark.corpus
def test_drafts_and_scheduled_episodes_of_the_real_archive_stay_private(client, corpus, db):
    run_import(corpus / "datatalksclub" / "_podcast")
    published = Episode.objects.published().count()
    draft, scheduled = Episode.objects.published().order_by("-season", "-number")[:2]
    make_draft(draft.slug)
    make_scheduled(scheduled.slug)

    listed = client.get(reverse("episodes:episode_list")).context["page_obj"].paginator.count
    home = html_of(client, "home")
    searched = html_of(client, "search", q=f'"{draft.title.split(":")[0]}"')

    assert listed == published - 2
    for episode in (draft, scheduled):
        assert escape(episode.title) not in home
        assert client.get(episode.get_absolute_url()).status_code == 404
    assert escape(draft.title) not in searched


# --- preview --------------------------------------------------------------------------------------


def staff_user(*permissions):
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    return user


@pytest.mark.parametrize(
    ("hide", "banner"),
    [("draft", "Not public: draft"), ("scheduled", "Not public: scheduled for {date}")],
)
def test_staff_preview_a_hidden_episode_at_its_public_url_with_a_banner(client, fixture_archive, hide, banner):
    episode = HIDE[hide](AB_TESTING)
    client.force_login(staff_user("view_episode"))

    response = client.get(episode.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    date = f"{episode.published_on.day} {episode.published_on:%B %Y}" if episode.published_on else ""
    assert banner.format(date=date) in html
    assert 'class="preview-banner"' in html
    assert reverse("admin:episodes_episode_change", args=[episode.pk]) in html
    assert escape(episode.title) in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert "public" not in cache_control


def test_a_public_episode_has_no_banner_for_staff(client, fixture_archive):
    client.force_login(staff_user("view_episode"))
    response = client.get(Episode.objects.get(slug=AB_TESTING).get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "preview-banner" not in html and "Not public" not in html
    assert 'name="robots"' not in html
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("who", ["anonymous", "not staff", "staff without view permission", "inactive staff"])
def test_nobody_else_can_see_a_hidden_episode(client, fixture_archive, who):
    episode = make_draft(AB_TESTING)
    if who == "not staff":
        client.force_login(User.objects.create_user("reader", password="pw"))
    elif who == "staff without view permission":
        client.force_login(staff_user("view_guest"))
    elif who == "inactive staff":
        user = staff_user("view_episode")
        client.force_login(user)
        User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(episode.get_absolute_url())
    assert response.status_code == 404
    assert escape(episode.title) not in response.content.decode()


def test_a_superuser_previews_too(admin_client, fixture_archive):
    episode = make_scheduled(AB_TESTING)
    assert "Not public: scheduled for" in admin_client.get(episode.get_absolute_url()).content.decode()


# --- the admin --------------------------------------------------------------------------------------


def changelist(admin_client, **params):
    return admin_client.get(reverse("admin:episodes_episode_changelist"), params)


def test_the_changelist_shows_each_state_and_filters_by_it(admin_client, fixture_archive):
    draft = make_draft(AB_TESTING)
    scheduled = make_scheduled(GOVERNANCE)

    html = changelist(admin_client).content.decode()
    result_list = html[html.index('id="result_list"') :]
    date = f"{scheduled.published_on.day} {scheduled.published_on:%B %Y}"
    assert f"Scheduled for {date}" in result_list
    assert '<td class="field-state">Draft</td>' in result_list
    assert result_list.count('<td class="field-state">Published</td>') == Episode.objects.count() - 2

    def slugs(state):
        return {episode.slug for episode in changelist(admin_client, state=state).context["cl"].result_list}

    assert slugs("draft") == {draft.slug}
    assert slugs("scheduled") == {scheduled.slug}
    assert slugs("published") == set(Episode.objects.published().values_list("slug", flat=True))
    assert "?state=scheduled" in html  # offered in the sidebar


def test_an_unknown_state_in_the_query_string_is_ignored(admin_client, fixture_archive):
    response = changelist(admin_client, state="<script>")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == Episode.objects.count()


def test_the_change_page_explains_scheduling_and_links_a_preview(admin_client, fixture_archive):
    episode = make_scheduled(AB_TESTING)
    html = admin_client.get(reverse("admin:episodes_episode_change", args=[episode.pk])).content.decode()
    assert "To schedule an episode, choose Published and set a publish date in the future" in html
    assert "A date in the future schedules a published episode" in html
    assert "Not public: scheduled for" in html
    assert f'href="{episode.get_absolute_url()}" target="_blank" rel="noopener">Preview</a>' in html

    public = Episode.objects.get(slug=GOVERNANCE)
    html = admin_client.get(reverse("admin:episodes_episode_change", args=[public.pk])).content.decode()
    assert f'href="{public.get_absolute_url()}" target="_blank" rel="noopener">View on site</a>' in html


def test_an_editor_schedules_an_episode_through_the_change_form(admin_client, fixture_archive):
    from .test_admin import assert_saved, form_data

    episode = make_draft(AB_TESTING)
    url = reverse("admin:episodes_episode_change", args=[episode.pk])
    data = form_data(admin_client.get(url))
    future = today() + datetime.timedelta(days=30)
    data.update(status="published", published_on=future.isoformat())

    assert_saved(admin_client.post(url, data))

    episode.refresh_from_db()
    assert publishing.state(episode) == publishing.State.SCHEDULED
    assert not Episode.objects.published().filter(pk=episode.pk).exists()


def test_publishing_episodes_with_a_future_date_says_they_are_scheduled(admin_client, fixture_archive):
    Episode.objects.filter(slug__in=[AB_TESTING, GOVERNANCE]).update(status=Episode.Status.DRAFT)
    Episode.objects.filter(slug=AB_TESTING).update(published_on=today() + datetime.timedelta(days=3))
    chosen = list(Episode.objects.filter(slug__in=[AB_TESTING, GOVERNANCE]).values_list("pk", flat=True))

    response = admin_client.post(
        reverse("admin:episodes_episode_changelist"), {"action": "publish", "_selected_action": chosen}, follow=True
    )

    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["2 episode(s) set to published; 1 of them are scheduled and go public on their publish date."]
    assert publishing.state(Episode.objects.get(slug=AB_TESTING)) == publishing.State.SCHEDULED
    assert publishing.state(Episode.objects.get(slug=GOVERNANCE)) == publishing.State.PUBLISHED
