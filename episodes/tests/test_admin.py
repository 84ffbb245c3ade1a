"""The editors' admin: lists, the per-section transcript editor, guests, topics and speaker aliases."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from episodes.forms import TimestampField
from episodes.models import Appearance, Episode, Guest, Line, Section, SpeakerAlias, Topic
from episodes.speakers import unmatched_speakers

from .conftest import LONGEST_SLUG

pytestmark = pytest.mark.django_db

# Queries of a change page (content types cached), whatever the length of the transcript. The episode
# page: session, user, episode, appearances with their guests, clips, sections with line counts, topics
# twice (the form's value, the autocomplete's labels) and one per guest (its autocomplete's label; the
# longest episode has one guest). The section page: session, user, section with its episode, lines
# with their matched people.
EPISODE_PAGE_MAX_QUERIES = 9
SECTION_PAGE_MAX_QUERIES = 4


# --- helpers ------------------------------------------------------------


def admin_url(model, view, *args):
    return reverse(f"admin:episodes_{model._meta.model_name}_{view}", args=args)


def form_data(response):
    """POST data for an admin change page as it stands: every form and inline form with its current values."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            value = field.prepare_value(form[name].value())
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(item) for item in value]
            else:
                data[form.add_prefix(name)] = "on" if value is True else str(value)
    return data


def line_forms(response):
    (formset,) = [
        inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.model is Line
    ]
    return formset


def transcript(episode):
    return list(
        Line.objects.filter(section__episode=episode)
        .order_by("section__position", "position")
        .values_list("pk", "section_id", "position", "speaker", "person_id", "sec", "text")
    )


def biggest_section(episode):
    return episode.sections.annotate(n=Count("lines")).order_by("-n", "position").first()


def assert_saved(response):
    """A successful admin save redirects; on a form error, say which errors."""
    if response.status_code != 302:
        context = response.context
        errors = [
            context["adminform"].form.errors,
            *[inline.formset.errors for inline in context["inline_admin_formsets"]],
        ]
        errors += [inline.formset.non_form_errors() for inline in context["inline_admin_formsets"]]
        pytest.fail(f"not saved ({response.status_code}): {errors}")


@pytest.fixture
def longest(fixture_archive):
    return Episode.objects.get(slug=LONGEST_SLUG)


@pytest.fixture
def section(longest):
    return biggest_section(longest)


# --- episode list ---------------------------------------------------------


def test_episode_changelist_shows_the_columns(admin_client, longest):
    response = admin_client.get(admin_url(Episode, "changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    for column in ["column-season", "column-number", "column-title", "column-guest_names", "column-state"]:
        assert column in content
    assert "column-published_on" in content
    result_list = content[content.index('id="result_list"') :]
    assert escape(longest.title) in result_list
    assert "Will Russell" in result_list
    assert "Jessi Ashdown, Uri Gilad" in result_list  # both guests, in the file's order


def test_episode_changelist_filters_by_status_season_and_topic(admin_client, longest):
    Episode.objects.filter(slug="cloud-data-governance").update(status=Episode.Status.DRAFT)
    changelist = admin_url(Episode, "changelist")

    drafts = admin_client.get(changelist, {"status__exact": "draft"}).context["cl"].result_list
    season_20 = admin_client.get(changelist, {"season": "20"}).context["cl"].result_list
    topic = Topic.objects.get(name="computer vision")
    by_topic = admin_client.get(changelist, {"topics__id__exact": topic.pk}).context["cl"].result_list

    assert [episode.slug for episode in drafts] == ["cloud-data-governance"]
    assert list(season_20) == [longest]
    assert list(by_topic) == list(topic.episodes.all()) == [longest]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Developer Advocacy", LONGEST_SLUG),  # title
        ("Uri Gilad", "cloud-data-governance"),  # guest name
        ("christophmolnar", "interpretable-machine-learning"),  # guest slug
    ],
)
def test_episode_changelist_search(admin_client, fixture_archive, query, expected):
    response = admin_client.get(admin_url(Episode, "changelist"), {"q": query})

    assert [episode.slug for episode in response.context["cl"].result_list] == [expected]


def test_episode_changelist_searches_descriptions(admin_client, longest):
    longest.description = "A conversation about zebrafish lighting rigs."
    longest.save()

    response = admin_client.get(admin_url(Episode, "changelist"), {"q": "zebrafish"})

    assert list(response.context["cl"].result_list) == [longest]


def test_episode_changelist_queries_do_not_grow_with_episodes(admin_client, fixture_archive):
    url = admin_url(Episode, "changelist")
    admin_client.get(url)  # warm caches (content types) so both counts measure the page alone
    with CaptureQueriesContext(connection) as before:
        admin_client.get(url)
    topic = Topic.objects.create(name="Extra", slug="extra")
    for number in range(1, 6):
        episode = Episode.objects.create(season=90, number=number, slug=f"extra-{number}", title=f"Extra {number}")
        episode.topics.add(topic)
        for position in range(2):
            guest = Guest.objects.create(slug=f"extra-{number}-{position}", name=f"Extra Guest {number}.{position}")
            Appearance.objects.create(episode=episode, guest=guest, position=position)

    with CaptureQueriesContext(connection) as after:
        response = admin_client.get(url)

    assert "Extra Guest 5.1" in response.content.decode()
    assert len(after) == len(before)


def test_publish_and_unpublish_actions(admin_client, fixture_archive):
    chosen = list(Episode.objects.filter(season__in=[3, 7]).values_list("pk", flat=True))
    url = admin_url(Episode, "changelist")

    admin_client.post(url, {"action": "unpublish", "_selected_action": chosen})
    assert set(Episode.objects.filter(status=Episode.Status.DRAFT).values_list("pk", flat=True)) == set(chosen)

    admin_client.post(url, {"action": "publish", "_selected_action": chosen[:1]})
    assert set(Episode.objects.filter(status=Episode.Status.DRAFT).values_list("pk", flat=True)) == set(chosen[1:])


# --- episode change page ------------------------------------------------------


def test_episode_page_links_to_its_sections_instead_of_holding_the_lines(admin_client, longest):
    response = admin_client.get(admin_url(Episode, "change", longest.pk))

    assert response.status_code == 200
    content = response.content.decode()
    sections = list(longest.sections.annotate(n=Count("lines")))
    assert len(sections) == 28
    for section in sections:
        assert admin_url(Section, "change", section.pk) in content
    last_line = Line.objects.filter(section=sections[-1]).last()
    assert last_line.text not in content
    assert 'name="lines-' not in content


def test_episode_page_links_to_the_public_page(admin_client, longest):
    response = admin_client.get(admin_url(Episode, "change", longest.pk))

    view_on_site = reverse("admin:view_on_site", args=[response.context["content_type_id"], longest.pk])
    assert view_on_site in response.content.decode()
    assert admin_client.get(view_on_site).url.endswith(longest.get_absolute_url())


def test_episode_page_shows_line_counts_per_section(admin_client, longest):
    response = admin_client.get(admin_url(Episode, "change", longest.pk))

    section = biggest_section(longest)
    row = response.content.decode().split(admin_url(Section, "change", section.pk))[1].split("</tr>")[0]
    assert f"<td>{section.n}</td>" in row


def test_longest_episode_page_runs_few_queries(admin_client, django_assert_max_num_queries, longest):
    url = admin_url(Episode, "change", longest.pk)
    admin_client.get(url)  # warm caches (content types)
    with django_assert_max_num_queries(EPISODE_PAGE_MAX_QUERIES):
        response = admin_client.get(url)
    assert response.status_code == 200


def test_episode_page_has_guest_topic_autocomplete_and_clips(admin_client, longest):
    response = admin_client.get(admin_url(Episode, "change", longest.pk))

    content = response.content.decode()
    assert 'name="appearances-0-guest"' in content
    # Both pickers are autocompletes (select2 fed by the admin's autocomplete view).
    assert 'data-model-name="appearance" data-field-name="guest"' in content
    assert 'data-model-name="episode" data-field-name="topics"' in content
    assert f'name="clips-{longest.clips.count() - 1}-name"' in content


def test_saving_an_episode_sanitises_the_intro(admin_client, longest):
    url = admin_url(Episode, "change", longest.pk)
    data = form_data(admin_client.get(url))
    data["intro"] = 'Hello <script>alert("x")</script><a href="javascript:alert(1)">link</a> <em>world</em>'

    assert_saved(admin_client.post(url, data))

    longest.refresh_from_db()
    assert "<script" not in longest.intro
    assert "javascript:" not in longest.intro
    assert "<em>world</em>" in longest.intro


def test_saving_an_episode_keeps_its_guests_topics_and_clips(admin_client, longest):
    url = admin_url(Episode, "change", longest.pk)
    before = (list(longest.guests.all()), list(longest.topics.all()), list(longest.clips.values_list()))

    assert_saved(admin_client.post(url, form_data(admin_client.get(url))))

    assert (list(longest.guests.all()), list(longest.topics.all()), list(longest.clips.values_list())) == before


def test_adding_a_guest_to_an_episode_links_their_lines(admin_client, longest):
    """Saving the episode matches speakers again with the new guest list."""
    guest = Guest.objects.create(slug="zed-newcomer", name="Zed Newcomer")
    line = Line.objects.filter(section__episode=longest).first()
    Line.objects.filter(pk=line.pk).update(speaker="Zed", person=None)
    url = admin_url(Episode, "change", longest.pk)
    data = form_data(admin_client.get(url))
    data.update({"appearances-TOTAL_FORMS": "2", "appearances-1-guest": str(guest.pk), "appearances-1-position": "1"})

    assert_saved(admin_client.post(url, data))

    assert list(longest.guests.all()) == [Guest.objects.get(slug="willrussell"), guest]
    line.refresh_from_db()
    assert line.person == guest


def test_clip_that_ends_before_it_starts_is_a_form_error(admin_client, longest):
    url = admin_url(Episode, "change", longest.pk)
    data = form_data(admin_client.get(url))
    data.update({"clips-0-start_sec": "10:00", "clips-0-end_sec": "9:00"})

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "A clip must end after it starts." in response.content.decode()


def test_clips_can_swap_positions(admin_client, longest):
    first, second = longest.clips.order_by("position")[:2]
    url = admin_url(Episode, "change", longest.pk)
    data = form_data(admin_client.get(url))
    data.update({"clips-0-position": "1", "clips-1-position": "0"})

    assert_saved(admin_client.post(url, data))

    assert list(longest.clips.order_by("position")[:2]) == [second, first]


# --- section (transcript) editor ----------------------------------------------


def test_biggest_section_page_runs_as_many_queries_as_the_smallest(
    admin_client, django_assert_max_num_queries, longest
):
    """No query per line: the section with most lines costs what the one with fewest does."""
    sections = longest.sections.annotate(n=Count("lines")).order_by("n")
    smallest, biggest = sections.first(), sections.last()
    assert biggest.n > 5 * smallest.n
    counts = []
    for section in [smallest, smallest, biggest]:  # the first request warms caches (content types)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(admin_url(Section, "change", section.pk))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[1] == counts[2] <= SECTION_PAGE_MAX_QUERIES

    with django_assert_max_num_queries(SECTION_PAGE_MAX_QUERIES):
        admin_client.get(admin_url(Section, "change", biggest.pk))


def test_section_page_lists_its_lines_with_times_and_matched_people(admin_client, section):
    response = admin_client.get(admin_url(Section, "change", section.pk))

    formset = line_forms(response)
    assert len(formset.initial_forms) == section.lines.count()
    line = section.lines.exclude(sec=None).select_related("person").first()
    content = response.content.decode()
    assert f'value="{line.timestamp}"' in content
    assert admin_url(Guest, "change", line.person.pk) in content  # the matched person, read-only


def test_editing_one_line_saves_exactly_that_change(admin_client, section, client):
    url = admin_url(Section, "change", section.pk)
    formset = line_forms(admin_client.get(url))
    data = form_data(admin_client.get(url))
    edited = formset.initial_forms[3]
    old_text = edited.instance.text
    data[edited.add_prefix("text")] = "A freshly edited line about demo-first teaching."
    before = transcript(section.episode)

    assert_saved(admin_client.post(url, data))

    after = transcript(section.episode)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert len(changed) == 1
    (old, new) = changed[0]
    assert new[0] == edited.instance.pk
    assert new[:6] == old[:6]
    assert new[6] == "A freshly edited line about demo-first teaching."

    public = client.get(section.episode.get_absolute_url()).content.decode()
    assert "A freshly edited line about demo-first teaching." in public
    assert old_text not in public


def test_duplicate_line_positions_are_a_form_error(admin_client, section):
    url = admin_url(Section, "change", section.pk)
    data = form_data(admin_client.get(url))
    data["lines-1-position"] = data["lines-0-position"]
    before = transcript(section.episode)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Two lines have the same position; give each its own number." in response.content.decode()
    assert transcript(section.episode) == before


def test_lines_can_be_reordered(admin_client, section):
    url = admin_url(Section, "change", section.pk)
    data = form_data(admin_client.get(url))
    first, second, third = section.lines.order_by("position")[:3]
    # A rotation: each line takes a position another line holds until the save.
    data.update({"lines-0-position": "2", "lines-1-position": "0", "lines-2-position": "1"})

    assert_saved(admin_client.post(url, data))

    assert list(section.lines.order_by("position")[:3]) == [second, third, first]


def test_a_line_can_be_deleted_and_its_place_reused(admin_client, section):
    """Deleting is its own confirmed action (episodes.admin_transcript); the freed position can be taken."""
    url = admin_url(Section, "change", section.pk)
    first, second = section.lines.order_by("position")[:2]
    count = section.lines.count()
    assert 'name="lines-0-DELETE"' not in admin_client.get(url).content.decode()
    delete = reverse("admin:episodes_section_delete_line", args=[section.pk, first.pk])
    assert admin_client.post(delete).status_code == 302
    data = form_data(admin_client.get(url))
    data["lines-0-position"] = str(first.position)

    assert_saved(admin_client.post(url, data))

    assert not Line.objects.filter(pk=first.pk).exists()
    assert section.lines.count() == count - 1
    assert section.lines.order_by("position").first() == second
    assert section.lines.get(pk=second.pk).position == first.position


def test_a_line_can_be_added_and_its_speaker_is_matched(admin_client, section):
    url = admin_url(Section, "change", section.pk)
    formset = line_forms(admin_client.get(url))
    data = form_data(admin_client.get(url))
    new = formset.total_form_count() - 1  # the blank extra form
    top = section.lines.order_by("-position").first().position
    data.update(
        {
            f"lines-{new}-position": str(top + 1),
            f"lines-{new}-speaker": "Will",
            f"lines-{new}-sec": "1:02:03",
            f"lines-{new}-text": "One more thing about lighting.",
        }
    )

    assert_saved(admin_client.post(url, data))

    line = section.lines.get(position=top + 1)
    assert (line.text, line.sec, line.person.slug) == ("One more thing about lighting.", 3723, "willrussell")


def test_a_malformed_time_is_a_form_error(admin_client, section):
    url = admin_url(Section, "change", section.pk)
    data = form_data(admin_client.get(url))
    data["lines-0-sec"] = "12:75"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Enter a time as M:SS or H:MM:SS" in response.content.decode()


def test_section_position_taken_in_its_episode_is_a_form_error(admin_client, section):
    url = admin_url(Section, "change", section.pk)
    data = form_data(admin_client.get(url))
    data["position"] = "0"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "already has a section at position 0" in response.content.decode()


def test_add_section_from_the_episode_page_offers_the_next_position(admin_client, longest):
    response = admin_client.get(admin_url(Section, "add"), {"episode": longest.pk})

    assert response.status_code == 200
    assert response.context["adminform"].form.initial["position"] == longest.sections.count()
    episode_page = admin_client.get(admin_url(Episode, "change", longest.pk)).content.decode()
    assert f"{admin_url(Section, 'add')}?episode={longest.pk}" in episode_page


def test_section_changelist(admin_client, section):
    response = admin_client.get(admin_url(Section, "changelist"), {"q": section.title})

    assert list(response.context["cl"].result_list) == [section]
    content = response.content.decode()
    assert f'<td class="field-episode nowrap">{escape(section.episode)}</td>' in content
    assert f'<td class="field-line_count">{section.lines.count()}</td>' in content


# --- guests, topics, aliases --------------------------------------------------


def test_guest_page_lists_their_episodes(admin_client, fixture_archive):
    guest = Guest.objects.get(slug="jessiashdown")

    response = admin_client.get(admin_url(Guest, "change", guest.pk))

    assert response.status_code == 200
    episode = Episode.objects.get(slug="cloud-data-governance")
    assert admin_url(Episode, "change", episode.pk) in response.content.decode()


def test_guest_changelist_and_search(admin_client, fixture_archive):
    response = admin_client.get(admin_url(Guest, "changelist"), {"q": "grigorev"})

    assert [guest.slug for guest in response.context["cl"].result_list] == ["alexeygrigorev"]
    assert "column-is_host" in response.content.decode()
    assert "column-is_placeholder" in response.content.decode()


def test_making_someone_a_host_links_their_lines_everywhere(admin_client, fixture_archive):
    guest = Guest.objects.get(slug="vincentwarmerdam")
    elsewhere = Line.objects.filter(section__episode__slug=LONGEST_SLUG).first()
    Line.objects.filter(pk=elsewhere.pk).update(speaker="Vincent", person=None)
    url = admin_url(Guest, "change", guest.pk)
    data = form_data(admin_client.get(url))
    data["is_host"] = "on"

    assert_saved(admin_client.post(url, data))

    elsewhere.refresh_from_db()
    assert elsewhere.person == guest


def test_topic_admin_prepopulates_the_slug_and_searches(admin_client, fixture_archive):
    add_page = admin_client.get(admin_url(Topic, "add"))
    search = admin_client.get(admin_url(Topic, "changelist"), {"q": "governance"})

    assert add_page.context["adminform"].prepopulated_fields[0]["field"].name == "slug"
    assert [topic.name for topic in search.context["cl"].result_list] == ["data governance"]


def test_guest_autocomplete_for_the_episode_form(admin_client, fixture_archive):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "uri", "app_label": "episodes", "model_name": "appearance", "field_name": "guest"},
    )

    assert [result["text"] for result in response.json()["results"]] == ["Uri Gilad"]


def unmatched_page(admin_client):
    return admin_client.get(reverse("admin:episodes_speakeralias_unmatched"))


def test_unmatched_speakers_page_lists_counts_and_add_links(admin_client, section):
    section.lines.filter(position__in=[0, 1]).update(speaker="Narrator Nemo", person=None)
    section.lines.filter(position=2).update(speaker="Wil R", person=None)

    response = unmatched_page(admin_client)

    assert response.status_code == 200
    assert response.context["speakers"] == unmatched_speakers() == [("Narrator Nemo", 2), ("Wil R", 1)]
    content = response.content.decode()
    assert "<td>Narrator Nemo</td>\n        <td>2</td>" in content
    assert f"{admin_url(SpeakerAlias, 'add')}?name=Narrator%20Nemo" in content
    assert (
        reverse("admin:episodes_speakeralias_unmatched")
        in admin_client.get(admin_url(SpeakerAlias, "changelist")).content.decode()
    )


def test_unmatched_speakers_page_needs_staff(client, fixture_archive):
    response = client.get(reverse("admin:episodes_speakeralias_unmatched"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_adding_an_alias_links_the_speaker_and_clears_it_from_unmatched(admin_client, section):
    section.lines.filter(position__in=[0, 1]).update(speaker="Wil R", person=None)
    guest = Guest.objects.get(slug="willrussell")
    add_url = admin_url(SpeakerAlias, "add")
    assert admin_client.get(add_url, {"name": "Wil R"}).context["adminform"].form.initial["name"] == "Wil R"

    assert_saved(admin_client.post(add_url, {"name": "Wil R", "guest": guest.pk}))

    assert SpeakerAlias.objects.get().guest == guest
    assert set(section.lines.filter(speaker="Wil R").values_list("person", flat=True)) == {guest.pk}
    assert unmatched_page(admin_client).context["speakers"] == []


def test_deleting_an_alias_unlinks_the_speaker(admin_client, section):
    section.lines.filter(position=0).update(speaker="Wil R", person=None)
    guest = Guest.objects.get(slug="willrussell")
    assert_saved(admin_client.post(admin_url(SpeakerAlias, "add"), {"name": "Wil R", "guest": guest.pk}))
    alias = SpeakerAlias.objects.get()
    assert section.lines.get(position=0).person == guest

    response = admin_client.post(admin_url(SpeakerAlias, "delete", alias.pk), {"post": "yes"})

    assert response.status_code == 302
    assert section.lines.get(position=0).person is None


def test_an_alias_that_differs_only_in_case_is_a_form_error(admin_client, fixture_archive):
    guest = Guest.objects.get(slug="willrussell")
    SpeakerAlias.objects.create(name="Wil R", guest=guest)

    response = admin_client.post(admin_url(SpeakerAlias, "add"), {"name": "wil r", "guest": guest.pk})

    assert response.status_code == 200
    assert "is already an alias of Will Russell" in response.content.decode()
    assert SpeakerAlias.objects.count() == 1


# --- the time field -------------------------------------------------------------


@pytest.mark.parametrize("typed, seconds", [("12:34", 754), ("1:02:03", 3723), ("75", 75), (" 0:05 ", 5), ("", None)])
def test_timestamp_field_reads_times(typed, seconds):
    assert TimestampField(required=False).clean(typed) == seconds


@pytest.mark.parametrize("typed", ["12:75", "1:2", "soon", "-5"])
def test_timestamp_field_rejects_malformed_times(typed):
    with pytest.raises(ValidationError, match="Enter a time"):
        TimestampField(required=False).clean(typed)


def test_timestamp_field_shows_seconds_as_a_time():
    field = TimestampField()
    assert field.prepare_value(3723) == "1:02:03"
    assert not field.has_changed(754, "12:34")
    assert field.has_changed(754, "12:35")


def test_a_line_edited_in_the_admin_is_found_by_its_new_words_only(admin_client, section, client):
    url = admin_url(Section, "change", section.pk)
    response = admin_client.get(url)
    data = form_data(response)
    edited = line_forms(response).initial_forms[0]
    anchor = f"#{edited.instance.anchor}"
    old_phrase = {"q": f'"{edited.instance.text[:60]}"'}
    assert anchor in client.get(reverse("episodes:search"), old_phrase).content.decode()
    data[edited.add_prefix("text")] = "Zanzibarian quokkas"

    assert_saved(admin_client.post(url, data))

    assert anchor in client.get(reverse("episodes:search"), {"q": "zanzibarian quokkas"}).content.decode()
    assert anchor not in client.get(reverse("episodes:search"), old_phrase).content.decode()
