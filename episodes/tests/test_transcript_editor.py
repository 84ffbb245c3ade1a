"""The transcript editor's actions through the admin: add, split, merge, move, delete, rename a speaker, shift times.

Each action is driven as an editor does it (Django test client, a logged-in staff user, the action's form),
and checked for its result in the database, its validation, its admin history entry, the episode's
edited_at, the search index and its query count, which must not grow with the transcript.
"""

import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from episodes.models import Episode, Guest, Line, Section
from episodes.search import search
from episodes.timecodes import format_timestamp

from .conftest import LONGEST_SLUG, run_import
from .test_admin import form_data

pytestmark = pytest.mark.django_db

# Queries of each editor page (GET) and action (POST), whatever the length of the section or transcript.
# A page: session, user, the line with its section and episode, and what the page shows (the next line,
# the neighbouring sections, the number of lines a shift moves, the episode's speakers). An action: session,
# user, the line, marking the episode edited, reading the line again, the edit's own reads and writes, matching
# speakers again where it adds a line or changes a speaker (five), the admin history entry. Adding a line, with
# room made for it and speakers matched, is the most.
PAGE_MAX_QUERIES = 5
ACTION_MAX_QUERIES = 22


# --- helpers ------------------------------------------------------------------------


def action_url(action, line):
    return reverse(f"admin:episodes_section_{action}_line", args=[line.section_id, line.pk])


def section_page(section):
    return reverse("admin:episodes_section_change", args=[section.pk])


def rename_url(episode, **query):
    url = reverse("admin:episodes_episode_rename_speaker", args=[episode.pk])
    return url if not query else f"{url}?{'&'.join(f'{key}={value}' for key, value in query.items())}"


def transcript(episode):
    """[(section position, line position, speaker, sec, text)] in reading order."""
    return list(
        Line.objects.filter(section__episode=episode)
        .order_by("section__position", "position")
        .values_list("section__position", "position", "speaker", "sec", "text")
    )


def texts(section):
    return list(section.lines.order_by("position").values_list("text", flat=True))


def lines_of(section):
    return list(section.lines.order_by("position"))


def section_at(episode, position):
    return episode.sections.get(position=position)


def last_log():
    entry = LogEntry.objects.order_by("-pk").first()
    assert entry is not None, "nothing was written to the admin history"
    return entry


def assert_logged(entry, user, obj, *fragments):
    assert entry.user_id == user.pk
    assert entry.action_flag == CHANGE
    assert entry.content_type_id == ContentType.objects.get_for_model(obj).pk
    assert entry.object_id == str(obj.pk)
    message = entry.get_change_message()
    for fragment in fragments:
        assert fragment in message, message


def errors(response):
    """The form's errors on a page that did not redirect: {field or "__all__": [messages]}."""
    assert response.status_code == 200, response.status_code
    return {field: list(messages) for field, messages in response.context["form"].errors.items()}


def assert_unchanged(episode, before):
    episode.refresh_from_db()
    assert transcript(episode) == before
    assert episode.edited_at is None
    assert not LogEntry.objects.exists()


def found(query):
    """Anchors (#s3-l12) of the lines a search finds."""
    return {line.anchor for line in Line.objects.filter(pk__in=search_line_ids(query)).select_related("section")}


def search_line_ids(query):
    results = search(query)
    return [match.line.pk for group in results.page for match in group.lines] if results.page else []


@pytest.fixture
def longest(fixture_archive):
    return Episode.objects.get(slug=LONGEST_SLUG)


@pytest.fixture
def sections(longest):
    """The longest episode's sections, each with ``n``: its number of lines."""
    return list(longest.sections.annotate(n=Count("lines")).order_by("position"))


@pytest.fixture
def section(sections):
    """The section with most lines (not the first nor the last of the episode)."""
    return max(sections, key=lambda section: section.n)


@pytest.fixture
def staff(db):
    return User.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})[0]


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff)
    return client


def editor_with(*codenames):
    """A staff user with exactly these permissions of the episodes app."""
    user = User.objects.create_user("limited", password="unused-pass-12345", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="episodes", codename__in=codenames))
    return user


# --- the section page --------------------------------------------------------------


def test_section_page_links_every_line_to_its_actions(editor_client, longest, section, sections):
    response = editor_client.get(section_page(section))

    content = response.content.decode()
    lines = lines_of(section)
    for line in lines:
        for action in ["add", "split", "shift", "delete"]:
            assert f'href="{action_url(action, line)}"' in content
        assert f'id="line-{line.pk}"' in content
    merges = [line for line in lines if f'href="{action_url("merge", line)}"' in content]
    moves = [line for line in lines if f'href="{action_url("move", line)}"' in content]
    assert merges == lines[:-1]  # the last line has no next line in its section
    assert moves == [lines[0], lines[-1]]  # first back, last on
    assert 'Split<span class="visually-hidden"> (line 0)</span>' in content
    # Deleting goes through its own confirmation page, never a checkbox of the save.
    assert 'name="lines-0-DELETE"' not in content


def test_section_page_links_to_the_neighbouring_sections(editor_client, sections):
    first, second, third = sections[:3]

    content = editor_client.get(section_page(second)).content.decode()
    opening = editor_client.get(section_page(first)).content.decode()

    assert f'href="{section_page(first)}" rel="prev"' in content
    assert f'href="{section_page(third)}" rel="next"' in content
    assert 'rel="prev"' not in opening
    first_line = lines_of(first)[0]
    assert f'href="{action_url("move", first_line)}"' not in opening  # no section before the first


def test_the_episode_page_links_to_renaming_a_speaker(editor_client, longest):
    content = editor_client.get(reverse("admin:episodes_episode_change", args=[longest.pk])).content.decode()

    assert rename_url(longest) in content


@pytest.mark.parametrize(
    "action, button",
    [
        ("add", 'value="Add the line"'),
        ("split", 'value="Split the line"'),
        ("merge", 'value="Merge the two lines"'),
        ("shift", 'value="Shift the times"'),
        ("delete", 'value="Yes, delete this line"'),
    ],
)
def test_each_action_page_has_one_form_with_a_button_named_for_it(editor_client, section, action, button):
    line = lines_of(section)[1]

    content = editor_client.get(action_url(action, line)).content.decode()

    form = content[
        content.index('<form method="post"') : content.index("</form>", content.index('<form method="post"'))
    ]
    assert button in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert not re.search(r"<script(?![^>]*\bsrc=)", content)  # no inline script (the CSP forbids them)
    for field in ["speaker", "sec", "text", "first", "second", "seconds"]:
        if f'name="{field}"' in form:
            assert f'<label for="id_{field}"' in form  # every field has its label


# --- editing lines in place (the section's own form) -------------------------------------


def test_editing_a_line_in_place_is_recorded_with_who_and_what(editor_client, staff, longest, section):
    url = section_page(section)
    page = editor_client.get(url)
    data = form_data(page)
    data["lines-2-text"] = "Corrected in place."

    assert editor_client.post(url, data).status_code == 302

    assert texts(section)[2] == "Corrected in place."
    entry = last_log()
    assert (entry.user_id, entry.object_id) == (staff.pk, str(section.pk))
    assert "Changed Text for line" in entry.get_change_message()


def test_a_speaker_cannot_be_cleared_in_place_but_a_line_without_one_still_saves(editor_client, longest, section):
    url = section_page(section)
    speakerless = lines_of(section)[4]
    Line.objects.filter(pk=speakerless.pk).update(speaker="", person=None)  # as 449 imported lines are
    data = form_data(editor_client.get(url))
    data["lines-4-text"] = "Edited, still without a speaker."
    assert editor_client.post(url, data).status_code == 302

    data = form_data(editor_client.get(url))
    data["lines-1-speaker"] = "  "
    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert "Enter who says this line." in response.content.decode()
    assert lines_of(section)[1].speaker == "Will"


# --- add ---------------------------------------------------------------------------


def test_add_a_line_after_another(editor_client, staff, longest, section):
    before = lines_of(section)
    after = before[3]
    url = action_url("add", after)
    assert editor_client.get(url).status_code == 200

    response = editor_client.post(url, {"speaker": "Will", "sec": "12:34", "text": "A sentence the transcript missed."})

    line = section.lines.get(text="A sentence the transcript missed.")
    assert response.status_code == 302
    assert response.url == f"{section_page(section)}#line-{line.pk}"
    assert (line.position, line.speaker, line.sec, line.person.slug) == (after.position + 1, "Will", 754, "willrussell")
    assert [(old.pk, old.text) for old in before] == [
        (kept.pk, kept.text) for kept in lines_of(section) if kept.pk != line.pk
    ]
    assert lines_of(section).index(line) == 4
    assert_logged(last_log(), staff, section, "Added line", f"after line {after.position}", "A sentence the transcript")
    longest.refresh_from_db()
    assert longest.edited_since_import


def test_add_a_line_at_the_start_of_a_section(editor_client, longest, section):
    url = reverse("admin:episodes_section_add_first_line", args=[section.pk])

    response = editor_client.post(url, {"speaker": "Alexey", "sec": "", "text": "Welcome back."})

    assert response.status_code == 302
    assert texts(section)[0] == "Welcome back."
    assert section.lines.get(text="Welcome back.").sec is None


def test_adding_at_the_start_takes_a_free_position_and_keeps_the_other_lines_permalinks(editor_client, section):
    first = lines_of(section)[0]
    editor_client.post(action_url("delete", first), {})  # leaves position 0 free
    before = [(line.pk, line.position) for line in lines_of(section)]
    url = reverse("admin:episodes_section_add_first_line", args=[section.pk])

    editor_client.post(url, {"speaker": "Will", "sec": "", "text": "Back at the start."})

    new = section.lines.get(text="Back at the start.")
    assert new.position == 0
    assert [(line.pk, line.position) for line in lines_of(section)[1:]] == before


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"speaker": "", "sec": "1:00", "text": "Hello."}, "speaker", "This field is required."),
        ({"speaker": "   ", "sec": "1:00", "text": "Hello."}, "speaker", "This field is required."),
        ({"speaker": "Will", "sec": "-5", "text": "Hello."}, "sec", "Enter a time as M:SS or H:MM:SS"),
        ({"speaker": "Will", "sec": "1:75", "text": "Hello."}, "sec", "Enter a time as M:SS or H:MM:SS"),
        ({"speaker": "Will", "sec": "1:00", "text": ""}, "text", "This field is required."),
    ],
)
def test_add_validates_speaker_time_and_text(editor_client, longest, section, data, field, message):
    before = transcript(longest)

    response = editor_client.post(action_url("add", lines_of(section)[0]), data)

    assert message in " ".join(errors(response)[field])
    content = response.content.decode()
    # The error is next to its field, and the field says so to assistive technology.
    assert f'id="id_{field}_error"' in content
    assert 'aria-invalid="true"' in content
    assert_unchanged(longest, before)


# --- split -------------------------------------------------------------------------


def split_data(line, cut, **extra):
    """The split form as an editor fills it: the text cut after ``cut`` characters."""
    return {
        "first": line.text[:cut],
        "second": line.text[cut:],
        "speaker": line.speaker,
        "sec": line.timestamp,
        **extra,
    }


def test_split_a_line_in_two(editor_client, staff, longest, section):
    before = lines_of(section)
    line = next(line for line in before if len(line.text.split()) > 12)
    cut = line.text.index(" ", len(line.text) // 2)
    first_part, second_part = line.text[:cut].strip(), line.text[cut:].strip()
    page = editor_client.get(action_url("split", line))
    assert page.context["form"]["first"].value() == line.text

    response = editor_client.post(action_url("split", line), split_data(line, cut, speaker="Alexey", sec="59:59"))

    assert response.status_code == 302
    after = lines_of(section)
    index = before.index(line)
    assert [kept.pk for kept in after] == [*[old.pk for old in before[: index + 1]], after[index + 1].pk] + [
        old.pk for old in before[index + 1 :]
    ]
    kept, new = after[index], after[index + 1]
    assert (kept.text, kept.speaker, kept.sec) == (first_part, line.speaker, line.sec)
    assert (new.text, new.speaker, new.sec, new.person.slug) == (second_part, "Alexey", 3599, "alexeygrigorev")
    assert new.position == kept.position + 1
    assert [line.position for line in after] == sorted({line.position for line in after})  # unique, in order
    assert_logged(last_log(), staff, section, "Split line", first_part[:20], "as line")
    longest.refresh_from_db()
    assert longest.edited_since_import


def test_split_keeps_speaker_and_time_by_default_and_search_finds_both_parts(editor_client, section, client):
    line = lines_of(section)[2]
    words = line.text.split()
    cut = line.text.index(words[len(words) // 2])

    editor_client.post(action_url("split", line), split_data(line, cut))

    new = section.lines.get(position=line.position + 1)
    assert (new.speaker, new.sec, new.person_id) == (line.speaker, line.sec, line.person_id)
    second_phrase = " ".join(new.text.split()[:3])
    assert new.anchor in found(f'"{second_phrase}"')
    public = client.get(section.episode.get_absolute_url()).content.decode()
    assert f'id="{new.anchor}"' in public


@pytest.mark.parametrize(
    "change, field, message",
    [
        (lambda data: {**data, "second": data["second"] + " extra"}, "second", "cut in one place"),
        (lambda data: {**data, "first": data["first"].replace(" ", "", 1) + "x"}, "second", "cut in one place"),
        (lambda data: {**data, "first": data["first"] + data["second"], "second": ""}, "second", "required"),
        (lambda data: {**data, "speaker": "  "}, "speaker", "required"),
        (lambda data: {**data, "sec": "-1"}, "sec", "Enter a time"),
    ],
)
def test_split_validation(editor_client, longest, section, change, field, message):
    line = lines_of(section)[2]
    before = transcript(longest)

    response = editor_client.post(action_url("split", line), change(split_data(line, line.text.index(" ", 5))))

    assert message in " ".join(errors(response)[field])
    assert_unchanged(longest, before)


def test_split_at_a_word_boundary_inside_a_word_is_allowed(editor_client, section):
    """The editor may cut anywhere; what counts is that no character is lost or added."""
    line = lines_of(section)[1]

    response = editor_client.post(action_url("split", line), split_data(line, 7))

    assert response.status_code == 302
    assert "".join(texts(section)[1:3]).replace(" ", "") == line.text.replace(" ", "")


# --- merge -------------------------------------------------------------------------


def test_merge_a_line_with_the_next(editor_client, staff, longest, section, client):
    before = lines_of(section)
    line, following = before[4], before[5]
    page = editor_client.get(action_url("merge", line))
    assert escape(f"{line.text.strip()} {following.text.strip()}") in page.content.decode()  # the result, before

    response = editor_client.post(action_url("merge", line), {})

    assert response.status_code == 302
    merged = Line.objects.get(pk=line.pk)
    assert merged.text == f"{line.text.strip()} {following.text.strip()}"
    assert (merged.speaker, merged.sec, merged.person_id) == (line.speaker, line.sec, line.person_id)
    assert not Line.objects.filter(pk=following.pk).exists()
    # The later lines keep their positions (and so their permalinks).
    assert [(kept.pk, kept.position) for kept in lines_of(section)[5:]] == [
        (old.pk, old.position) for old in before[6:]
    ]
    assert_logged(last_log(), staff, section, f"Merged line {following.position} into line {line.position}")
    longest.refresh_from_db()
    assert longest.edited_since_import
    # A phrase across the join is found, in the merged line.
    phrase = f'"{line.text.split()[-1]} {following.text.split()[0]}"'
    assert merged.anchor in found(phrase)
    assert following.anchor not in client.get(longest.get_absolute_url()).content.decode()


def test_merged_line_takes_the_second_time_when_the_first_has_none(editor_client, section):
    line, following = lines_of(section)[:2]
    Line.objects.filter(pk=line.pk).update(sec=None)

    editor_client.post(action_url("merge", line), {})

    assert Line.objects.get(pk=line.pk).sec == following.sec


def test_the_last_line_of_a_section_cannot_be_merged(editor_client, longest, section):
    last = lines_of(section)[-1]
    before = transcript(longest)

    page = editor_client.get(action_url("merge", last))
    response = editor_client.post(action_url("merge", last), {})

    assert "there is no next line" in page.content.decode()
    assert 'value="Merge the two lines"' not in page.content.decode()
    assert "there is no next line" in " ".join(errors(response)["__all__"])
    assert_unchanged(longest, before)


# --- move --------------------------------------------------------------------------


def opened_by_a_timed_line(sections):
    """A section (not the first) whose start is its first line's time, which differs from the second line's."""
    for section in sections[1:]:
        first, second = lines_of(section)[:2]
        if section.start_sec == first.sec != second.sec and None not in (first.sec, second.sec):
            return section, first, second
    raise AssertionError("no such section")


def test_move_the_first_line_to_the_end_of_the_previous_section(editor_client, staff, longest, sections):
    section, first, second = opened_by_a_timed_line(sections)
    previous = sections[section.position - 1]
    page = editor_client.get(action_url("move", first))
    assert 'name="direction" value="previous"' in page.content.decode()
    assert 'name="direction" value="next"' not in page.content.decode()

    response = editor_client.post(action_url("move", first), {"direction": "previous"})

    moved = Line.objects.get(pk=first.pk)
    assert response.status_code == 302
    assert response.url == f"{section_page(previous)}#line-{moved.pk}"
    assert lines_of(previous)[-1] == moved
    assert moved.position == lines_of(previous)[-2].position + 1
    assert (moved.text, moved.sec, moved.speaker) == (first.text, first.sec, first.speaker)
    section.refresh_from_db()
    previous_start = previous.start_sec
    previous.refresh_from_db()
    assert section.start_sec == second.sec  # the section's start follows its new first line
    assert previous.start_sec == previous_start
    for entry, obj in zip(LogEntry.objects.order_by("pk"), [section, previous], strict=True):
        assert_logged(entry, staff, obj, "Moved", f"to the end of section {previous.position}")
    longest.refresh_from_db()
    assert longest.edited_since_import


def test_move_the_last_line_to_the_start_of_the_next_section(editor_client, longest, sections):
    section, following = sections[6], sections[7]
    last = lines_of(section)[-1]
    old_first = lines_of(following)[0]
    Section.objects.filter(pk=following.pk).update(start_sec=old_first.sec)

    response = editor_client.post(action_url("move", last), {"direction": "next"})

    assert response.status_code == 302
    moved = Line.objects.get(pk=last.pk)
    assert lines_of(following)[:2] == [moved, old_first]
    assert moved.position < Line.objects.get(pk=old_first.pk).position
    following.refresh_from_db()
    assert following.start_sec == last.sec
    public = editor_client.get(longest.get_absolute_url()).content.decode()
    assert public.index(f'id="{following.anchor}"') < public.index(f'id="{moved.anchor}"')


def test_a_section_start_set_by_an_editor_stays(editor_client, sections):
    section = sections[6]
    first = lines_of(section)[0]
    Section.objects.filter(pk=section.pk).update(start_sec=first.sec - 3)  # a chapter marker set by hand

    editor_client.post(action_url("move", first), {"direction": "previous"})

    section.refresh_from_db()
    assert section.start_sec == first.sec - 3


def test_a_line_in_the_middle_cannot_move(editor_client, longest, section):
    middle = lines_of(section)[3]
    before = transcript(longest)

    page = editor_client.get(action_url("move", middle))
    response = editor_client.post(action_url("move", middle), {"direction": "previous"})

    assert "Only the first line of a section" in page.content.decode()
    assert 'name="direction"' not in page.content.decode()
    assert "Only the first line of a section can move" in " ".join(errors(response)["__all__"])
    assert_unchanged(longest, before)


def test_the_first_section_has_no_previous_section(editor_client, longest, sections):
    first = lines_of(sections[0])[0]
    before = transcript(longest)

    response = editor_client.post(action_url("move", first), {"direction": "previous"})

    assert "first section of the episode" in " ".join(errors(response)["__all__"])
    assert_unchanged(longest, before)


def test_move_needs_a_direction(editor_client, longest, sections):
    first = lines_of(sections[3])[0]
    before = transcript(longest)

    response = editor_client.post(action_url("move", first), {"direction": "sideways"})

    assert "Select a valid choice" in " ".join(errors(response)["direction"])
    assert_unchanged(longest, before)


# --- delete ------------------------------------------------------------------------


def test_delete_asks_for_confirmation_first(editor_client, longest, section):
    line = lines_of(section)[3]
    before = transcript(longest)

    page = editor_client.get(action_url("delete", line))

    content = page.content.decode()
    assert "Are you sure you want to delete this line?" in content
    assert 'value="Yes, delete this line"' in content
    assert f'href="{section_page(section)}#line-{line.pk}"' in content  # "No, take me back"
    assert escape(line.text) in content
    assert_unchanged(longest, before)


def test_delete_a_line(editor_client, staff, longest, section, client):
    before = lines_of(section)
    line = before[3]

    response = editor_client.post(action_url("delete", line), {})

    assert response.status_code == 302
    assert lines_of(section) == before[:3] + before[4:]
    assert [kept.position for kept in lines_of(section)[3:]] == [old.position for old in before[4:]]
    assert_logged(last_log(), staff, section, f"Deleted line {line.position}", line.text[:20])
    longest.refresh_from_db()
    assert longest.edited_since_import
    assert line.anchor not in found(f'"{" ".join(line.text.split()[:6])}"')
    assert f'id="{line.anchor}"' not in client.get(longest.get_absolute_url()).content.decode()


def test_deleting_the_first_line_moves_the_section_start(editor_client, sections):
    section, first, second = opened_by_a_timed_line(sections)

    editor_client.post(action_url("delete", first), {})

    section.refresh_from_db()
    assert section.start_sec == second.sec


# --- rename a speaker ---------------------------------------------------------------


def test_rename_page_previews_each_speaker_and_its_count(editor_client, longest):
    counts = dict(
        Line.objects.filter(section__episode=longest).values_list("speaker").annotate(n=Count("pk")).order_by()
    )

    response = editor_client.get(rename_url(longest, speaker="Will"))

    form = response.context["form"]
    assert form["speaker"].value() == "Will"
    choices = dict(form.fields["speaker"].choices)
    assert choices["Will"] == f"Will ({counts['Will']} lines)"
    assert set(choices) - {""} == {speaker for speaker in counts if speaker}
    assert "Will Russell" in response.content.decode()  # who each speaker is matched to
    assert 'value="Rename the speaker"' in response.content.decode()


def test_rename_a_speaker_across_the_episode(editor_client, staff, longest, sections):
    # A misspelt speaker on lines of three sections, and one differing only in case that must stay.
    targets = [lines_of(sections[i])[0] for i in (1, 9, 20)]
    Line.objects.filter(pk__in=[line.pk for line in targets]).update(speaker="Wil", person=None)
    other_case = lines_of(sections[2])[0]
    Line.objects.filter(pk=other_case.pk).update(speaker="wil", person=None)
    before = transcript(longest)

    response = editor_client.post(rename_url(longest), {"speaker": "Wil", "new": "Will"})

    assert response.status_code == 302
    assert response.url == reverse("admin:episodes_episode_change", args=[longest.pk])
    will = Guest.objects.get(slug="willrussell")
    renamed = Line.objects.filter(pk__in=[line.pk for line in targets])
    assert set(renamed.values_list("speaker", "person")) == {("Will", will.pk)}
    assert Line.objects.get(pk=other_case.pk).speaker == "wil"
    changed = [(old, new) for old, new in zip(before, transcript(longest), strict=True) if old != new]
    assert len(changed) == 3
    assert_logged(last_log(), staff, longest, "Renamed the speaker “Wil” to “Will” on 3 lines")
    longest.refresh_from_db()
    assert longest.edited_since_import


def test_rename_returns_to_the_section_it_came_from(editor_client, longest, section):
    response = editor_client.post(
        rename_url(longest), {"speaker": "Will", "new": "Will Russell", "section": str(section.pk)}
    )

    assert response.url == section_page(section)
    assert not Line.objects.filter(section__episode=longest, speaker="Will").exists()


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"speaker": "Will", "new": "  "}, "new", "This field is required."),
        ({"speaker": "Will", "new": "Will"}, "new", "same as the old one"),
        ({"speaker": "Nobody Here", "new": "Will"}, "speaker", "Select a valid choice"),
        ({"speaker": "", "new": "Will"}, "speaker", "This field is required."),
    ],
)
def test_rename_validation(editor_client, longest, data, field, message):
    before = transcript(longest)

    response = editor_client.post(rename_url(longest), data)

    assert message in " ".join(errors(response)[field])
    assert_unchanged(longest, before)


def test_rename_ignores_a_hostile_query_string(editor_client, longest, sections):
    other = Episode.objects.exclude(pk=longest.pk).first().sections.first()

    for query in [{"section": "abc"}, {"section": "9" * 40}, {"section": str(other.pk)}, {"speaker": "<b>x</b>"}]:
        response = editor_client.get(rename_url(longest, **query))
        assert response.status_code == 200
        assert response.context["cancel_url"] == reverse("admin:episodes_episode_change", args=[longest.pk])
        assert "<b>x</b>" not in response.content.decode()


# --- shift times -------------------------------------------------------------------


def test_shift_times_from_a_line_on(editor_client, staff, longest, sections):
    section = sections[10]
    lines = lines_of(section)
    line = lines[3]
    Line.objects.filter(pk=lines[5].pk).update(sec=None)  # a line without a time keeps none
    before = {row.pk: row.sec for row in Line.objects.filter(section__episode=longest)}
    starts = {row.pk: row.start_sec for row in sections}
    page = editor_client.get(action_url("shift", line))
    later = Line.objects.filter(section__episode=longest, sec__isnull=False).filter(
        section__position__gt=section.position
    )
    here = Line.objects.filter(section=section, position__gte=line.position, sec__isnull=False)
    assert page.context["affected"] == later.count() + here.count() == later.count() + len(lines) - 4

    response = editor_client.post(action_url("shift", line), {"seconds": "30"})

    assert response.status_code == 302
    after = {row.pk: (row.sec, row.section.position, row.position) for row in Line.objects.select_related("section")}
    for pk, (sec, section_position, position) in after.items():
        if pk not in before:
            continue
        moves = section_position > section.position or (
            section_position == section.position and position >= line.position
        )
        expected = before[pk] + 30 if moves and before[pk] is not None else before[pk]
        assert sec == expected, (section_position, position)
    for row in longest.sections.all():
        moves = row.position > section.position and starts[row.pk] is not None
        assert row.start_sec == (starts[row.pk] + 30 if moves else starts[row.pk])
    assert_logged(last_log(), staff, longest, f"Shifted the times of {page.context['affected']} lines by +30 seconds")
    longest.refresh_from_db()
    assert longest.edited_since_import
    public = editor_client.get(longest.get_absolute_url()).content.decode()
    assert f"t={before[line.pk] + 30}s" in public


def test_shift_back_moves_the_section_start_when_the_line_opens_it(editor_client, longest, sections):
    section = sections[10]
    first = lines_of(section)[0]
    start = section.start_sec

    editor_client.post(action_url("shift", first), {"seconds": "-10"})

    section.refresh_from_db()
    assert section.start_sec == start - 10
    assert Line.objects.get(pk=first.pk).sec == first.sec - 10


def test_shift_below_zero_is_refused_naming_the_line(editor_client, longest, sections):
    line = lines_of(sections[0])[0]
    assert line.sec == 0
    before = transcript(longest)

    response = editor_client.post(action_url("shift", line), {"seconds": "-5"})

    (message,) = errors(response)["seconds"]
    assert f"Line {line.position} of section 0" in message
    assert format_timestamp(line.sec) in message
    assert "would come before 0:00" in message
    assert "by 0 seconds at most" in message
    assert_unchanged(longest, before)


@pytest.mark.parametrize(
    "seconds, message",
    [
        ("0", "changes nothing"),
        ("1.5", "Enter a whole number."),
        ("ten", "Enter a whole number."),
        ("", "This field is required."),
        ("99999999999", "less than or equal to 86400"),
    ],
)
def test_shift_validation(editor_client, longest, section, seconds, message):
    before = transcript(longest)

    response = editor_client.post(action_url("shift", lines_of(section)[1]), {"seconds": seconds})

    assert message in " ".join(errors(response)["seconds"])
    assert_unchanged(longest, before)


# --- access ------------------------------------------------------------------------------


def test_each_action_needs_its_permission(client, longest, section):
    user = editor_with("view_section", "change_section", "view_line", "change_line", "view_episode", "change_episode")
    client.force_login(user)
    line = lines_of(section)[2]

    page = client.get(section_page(section)).content.decode()

    assert f'href="{action_url("shift", line)}"' in page
    for action in ["delete", "merge", "split", "add"]:  # they add or delete lines
        assert f'href="{action_url(action, line)}"' not in page
    for action in ["delete", "merge", "split", "add"]:
        assert client.get(action_url(action, line)).status_code == 403
        assert client.post(action_url(action, line), {}).status_code == 403
    assert client.get(action_url("shift", line)).status_code == 200
    assert client.get(rename_url(longest)).status_code == 200


def test_editor_pages_need_a_staff_login(client, section):
    line = lines_of(section)[0]

    response = client.post(action_url("delete", line), {})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert Line.objects.filter(pk=line.pk).exists()


def test_a_line_outside_its_section_is_not_found(editor_client, sections):
    line = lines_of(sections[2])[0]
    wrong = reverse("admin:episodes_section_split_line", args=[sections[3].pk, line.pk])

    assert editor_client.get(wrong).status_code == 404
    assert (
        editor_client.get(reverse("admin:episodes_section_split_line", args=[sections[2].pk, 10**9])).status_code == 404
    )
    assert editor_client.get(section_page(sections[2]).replace("change/", "lines/abc/split/")).status_code in (302, 404)
    huge = 10**30  # beyond any database's integers
    assert (
        editor_client.get(reverse("admin:episodes_section_split_line", args=[sections[2].pk, huge])).status_code == 404
    )
    assert editor_client.post(reverse("admin:episodes_section_delete_line", args=[huge, line.pk])).status_code == 404
    assert editor_client.get(reverse("admin:episodes_section_add_first_line", args=[huge])).status_code == 404
    assert editor_client.get(reverse("admin:episodes_episode_rename_speaker", args=[huge])).status_code == 404
    assert editor_client.get(reverse("admin:episodes_section_change", args=[huge])).status_code == 302  # not found


def test_history_page_shows_who_did_what(editor_client, staff, section):
    line = lines_of(section)[1]
    editor_client.post(action_url("delete", line), {})

    history = editor_client.get(reverse("admin:episodes_section_history", args=[section.pk])).content.decode()

    assert "Deleted line 1 of section" in history
    assert staff.username in history


# --- query counts ------------------------------------------------------------------


# --- query counts: constant in the number of lines ----------------------------------------


def _middle(section):
    """A line in the middle of the section, with a line after it."""
    lines = lines_of(section)
    return lines[(len(lines) - 1) // 2]


def _split_request(section):
    line = _middle(section)
    cut = line.text.find(" ", 3)
    return "post", action_url("split", line), split_data(line, cut if cut > 0 else len(line.text) // 2)


# name -> (section -> (method, url, data)), for every page and action of the editor on a section.
REQUESTS = {
    "section page": lambda section: ("get", section_page(section), None),
    "add page": lambda section: ("get", action_url("add", _middle(section)), None),
    "split page": lambda section: ("get", action_url("split", _middle(section)), None),
    "merge page": lambda section: ("get", action_url("merge", _middle(section)), None),
    "move page": lambda section: ("get", action_url("move", lines_of(section)[0]), None),
    "shift page": lambda section: ("get", action_url("shift", _middle(section)), None),
    "delete page": lambda section: ("get", action_url("delete", _middle(section)), None),
    "rename page": lambda section: ("get", rename_url(section.episode, section=section.pk), None),
    "add": lambda section: (
        "post",
        action_url("add", _middle(section)),
        {"speaker": "Will", "sec": "1:00", "text": "New."},
    ),
    "split": _split_request,
    "merge": lambda section: ("post", action_url("merge", _middle(section)), {}),
    "move back": lambda section: ("post", action_url("move", lines_of(section)[0]), {"direction": "previous"}),
    "move on": lambda section: ("post", action_url("move", lines_of(section)[-1]), {"direction": "next"}),
    "shift": lambda section: ("post", action_url("shift", _middle(section)), {"seconds": "5"}),
    "delete": lambda section: ("post", action_url("delete", _middle(section)), {}),
}


def count_queries(client, request):
    method, url, data = request
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    expected = 302 if method == "post" else 200
    assert response.status_code == expected, (url, response.status_code, response.context and errors(response))
    return len(queries)


def warm_caches(client, section):
    """What a running site has cached after its first requests (the content types the history entries name)."""
    client.get(section_page(section))
    ContentType.objects.get_for_models(Episode, Section)


def smallest_and_biggest(sections):
    """The sections with fewest and most lines among those with a section before and after them."""
    inner = sorted(sections[1:-1], key=lambda section: section.n)
    return inner[0], inner[-1]


@pytest.mark.parametrize("name", REQUESTS)
def test_queries_do_not_grow_with_the_section(editor_client, sections, name):
    small, big = smallest_and_biggest(sections)
    assert big.n >= 5 * small.n
    warm_caches(editor_client, small)

    counts = [count_queries(editor_client, REQUESTS[name](section)) for section in (small, big)]

    assert counts[0] == counts[1] <= (PAGE_MAX_QUERIES if name.endswith("page") else ACTION_MAX_QUERIES), counts


def test_rename_queries_do_not_grow_with_the_episode(editor_client, longest):
    """Renaming in a 279-line episode costs what it costs in a short one."""
    short = Episode.objects.annotate(n=Count("sections__lines")).exclude(pk=longest.pk).order_by("n").first()
    assert (
        Line.objects.filter(section__episode=longest).count() >= 2 * Line.objects.filter(section__episode=short).count()
    )
    editor_client.get(rename_url(short))
    ContentType.objects.get_for_model(Episode)  # cached on a running site
    counts = []
    for episode in (short, longest):
        # The most frequent matched speaker, renamed to a name nobody has: the same work in both episodes.
        speaker = Line.objects.filter(section__episode=episode, person__isnull=False).values_list("speaker", flat=True)
        speaker = max(set(speaker), key=list(speaker).count)
        page = count_queries(editor_client, ("get", rename_url(episode), None))
        action = count_queries(
            editor_client, ("post", rename_url(episode), {"speaker": speaker, "new": "Nobody Known"})
        )
        counts.append((page, action))

    assert counts[0] == counts[1]
    assert counts[0][0] <= PAGE_MAX_QUERIES and counts[0][1] <= ACTION_MAX_QUERIES


# --- the real archive ---------------------------------------------------------------------


@pytest.mark.corpus
def test_every_action_on_the_longest_real_episode(corpus, db, editor_client, staff):
    """The whole archive imported: its longest episode (307 items) takes every action in as many queries as
    its shortest sections do, and each action lands in the database and the admin history."""
    assert run_import(corpus / "datatalksclub" / "_podcast").episodes
    items = Episode.objects.annotate(n=Count("sections__lines", distinct=True) + Count("sections", distinct=True))
    longest = items.order_by("-n").first()
    assert (longest.slug, longest.n) == (LONGEST_SLUG, 307)
    sections = list(longest.sections.annotate(n=Count("lines")).order_by("position"))
    small, big = smallest_and_biggest(sections)
    warm_caches(editor_client, small)

    for name, build in REQUESTS.items():
        counts = [count_queries(editor_client, build(section)) for section in (small, big)]
        assert counts[0] == counts[1], (name, counts)

    # On the biggest section: one line added, one split off, one merged, the first and last moved out, one deleted.
    assert big.lines.count() == big.n + 1 + 1 - 1 - 2 - 1
    # Seven actions on each section, the moves written to the history of both sections they concern.
    assert LogEntry.objects.filter(user=staff).count() == 2 * 9
    longest.refresh_from_db()
    assert longest.edited_since_import
