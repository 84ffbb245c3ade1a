"""Re-imports never lose an edit: an episode changed in the admin since its last import keeps the change.

Every kind of admin change marks the episode edited; a changed file then
leaves it alone (``conflict``, exit status 1) unless ``--overwrite-edits``;
an unchanged file never touches the database, edited or not.
"""

import datetime
import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from episodes.importer import CONFLICT, CREATED, UNCHANGED, UPDATED
from episodes.models import Episode, Line, Section, Topic

from .conftest import FIXTURE_EPISODES, FIXTURES, LONGEST_SLUG, db_snapshot, run_import
from .test_admin import assert_saved, form_data

pytestmark = pytest.mark.django_db

GOVERNANCE = "cloud-data-governance"  # S03E10: two guests, clips, topics
FILE_TITLE = "How to Build Data Governance in the Cloud"
EDITED_TITLE = "Data governance, as an editor fixed it"


def outcomes(report):
    return [result.outcome for result in report.episodes]


def edit_file(path, old, new):
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def run_command(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_episodes", *map(str, args), stdout=out, stderr=err)
    except SystemExit as exit_:
        status = exit_.code
    else:
        status = 0
    return status, out.getvalue(), err.getvalue()


def summary(created=0, updated=0, unchanged=0, skipped=0, conflict=0, failed=0):
    return (
        f"created {created}, updated {updated}, unchanged {unchanged}, skipped {skipped}, "
        f"conflict {conflict}, failed {failed}"
    )


@pytest.fixture
def governance_file(tmp_path):
    path = tmp_path / f"{GOVERNANCE}.md"
    shutil.copyfile(FIXTURE_EPISODES / path.name, path)
    assert outcomes(run_import(path)) == [CREATED]
    return path


@pytest.fixture
def episode(governance_file):
    return Episode.objects.get(slug=GOVERNANCE)


def change_url(obj):
    return reverse(f"admin:episodes_{obj._meta.model_name}_change", args=[obj.pk])


def episode_form_data(admin_client, episode):
    """The episode form's data as a browser would send it back unchanged."""
    response = admin_client.get(change_url(episode))
    data = form_data(response)
    form = response.context["adminform"].form
    # form_data encodes JSON twice, and leaves out the hidden initial value a browser sends for
    # fields with a callable default (Django compares with it to tell whether the field changed).
    data["extra"] = data[form.add_initial_prefix("extra")] = form["extra"].value()
    return data


# --- every admin change marks the episode edited -----------------------------------------------


def edit_title(admin_client, episode):
    data = episode_form_data(admin_client, episode)
    data["title"] = EDITED_TITLE
    assert_saved(admin_client.post(change_url(episode), data))
    return lambda: Episode.objects.get(pk=episode.pk).title == EDITED_TITLE


def edit_topics(admin_client, episode):
    topic = Topic.objects.create(name="editor's pick", slug="editors-pick")
    data = episode_form_data(admin_client, episode)
    data["topics"] = [str(topic.pk)]
    assert_saved(admin_client.post(change_url(episode), data))
    return lambda: list(episode.topics.values_list("slug", flat=True)) == ["editors-pick"]


def swap_guests(admin_client, episode):
    data = episode_form_data(admin_client, episode)
    data["appearances-0-position"], data["appearances-1-position"] = "1", "0"
    assert_saved(admin_client.post(change_url(episode), data))
    return lambda: [guest.slug for guest in episode.guests.all()] == ["urigilad", "jessiashdown"]


def rename_clip(admin_client, episode):
    data = episode_form_data(admin_client, episode)
    data["clips-0-name"] = "An editor's clip name"
    assert_saved(admin_client.post(change_url(episode), data))
    return lambda: episode.clips.order_by("position").first().name == "An editor's clip name"


def edit_line(admin_client, episode):
    section = episode.sections.order_by("position").last()
    url = change_url(section)
    data = form_data(admin_client.get(url))
    data["lines-0-text"] = "A line an editor corrected."
    assert_saved(admin_client.post(url, data))
    return lambda: Line.objects.filter(section__episode=episode, text="A line an editor corrected.").exists()


def retitle_section(admin_client, episode):
    section = episode.sections.order_by("position").last()
    data = form_data(admin_client.get(change_url(section)))
    data["title"] = "A heading an editor wrote"
    assert_saved(admin_client.post(change_url(section), data))
    return lambda: Section.objects.get(pk=section.pk).title == "A heading an editor wrote"


def delete_section(admin_client, episode):
    section = episode.sections.order_by("position").last()
    response = admin_client.post(reverse("admin:episodes_section_delete", args=[section.pk]), {"post": "yes"})
    assert response.status_code == 302
    return lambda: not Section.objects.filter(pk=section.pk).exists()


def delete_sections_in_bulk(admin_client, episode):
    sections = list(episode.sections.order_by("-position").values_list("pk", flat=True)[:2])
    response = admin_client.post(
        reverse("admin:episodes_section_changelist"),
        {"action": "delete_selected", "_selected_action": sections, "post": "yes"},
    )
    assert response.status_code == 302
    return lambda: not Section.objects.filter(pk__in=sections).exists()


def unpublish(admin_client, episode):
    response = admin_client.post(
        reverse("admin:episodes_episode_changelist"), {"action": "unpublish", "_selected_action": [episode.pk]}
    )
    assert response.status_code == 302
    return lambda: Episode.objects.get(pk=episode.pk).status == Episode.Status.DRAFT


ADMIN_EDITS = [
    edit_title,
    edit_topics,
    swap_guests,
    rename_clip,
    edit_line,
    retitle_section,
    delete_section,
    delete_sections_in_bulk,
    unpublish,
]


@pytest.mark.parametrize("admin_edit", ADMIN_EDITS, ids=lambda edit: edit.__name__)
def test_every_admin_change_survives_a_changed_files_reimport(admin_client, governance_file, episode, admin_edit):
    assert not episode.edited_since_import
    still_edited = admin_edit(admin_client, episode)
    assert still_edited()
    assert Episode.objects.get(pk=episode.pk).edited_since_import
    edit_file(governance_file, "short: Data Governance", "short: Governance (the file's new short title)")
    before = db_snapshot()

    report = run_import(governance_file)

    assert outcomes(report) == [CONFLICT]
    assert db_snapshot() == before
    assert still_edited()


def test_saving_an_unchanged_form_is_not_an_edit(admin_client, episode):
    assert_saved(admin_client.post(change_url(episode), episode_form_data(admin_client, episode)))
    section = episode.sections.order_by("position").last()
    assert_saved(admin_client.post(change_url(section), form_data(admin_client.get(change_url(section)))))

    assert Episode.objects.get(pk=episode.pk).edited_at is None


def test_an_episode_added_in_the_admin_is_not_taken_over_by_a_file(admin_client, tmp_path):
    data = {
        "season": "91",
        "number": "2",
        "title": "Written in the admin",
        "slug": "written-in-the-admin",
        "status": "draft",
        "appearances-TOTAL_FORMS": "0",
        "appearances-INITIAL_FORMS": "0",
        "clips-TOTAL_FORMS": "0",
        "clips-INITIAL_FORMS": "0",
    }
    assert_saved(admin_client.post(reverse("admin:episodes_episode_add"), data))
    path = tmp_path / "sections.md"
    shutil.copyfile(FIXTURES / "edge-cases" / "sections.md", path)  # also season 91, episode 2

    report = run_import(path)

    assert outcomes(report) == [CONFLICT]
    assert Episode.objects.get(season=91, number=2).title == "Written in the admin"


# --- what the import does with an edited episode ------------------------------------------------


def test_a_changed_file_conflicts_and_the_command_says_so(episode, governance_file):
    episode.mark_edited()
    edit_file(governance_file, "short: Data Governance", "short: Governance")
    other = FIXTURE_EPISODES / "ab-testing-and-product-experimentation.md"
    before = Episode.objects.get(pk=episode.pk)

    status, out, err = run_command(governance_file, other)

    assert status == 1
    (line,) = err.splitlines()
    assert line.startswith(f"{governance_file}: conflict: S3E10: How to Build Data Governance")
    assert "was edited in the admin (" in line and line.endswith("(--overwrite-edits takes the file's)")
    assert summary(created=1, conflict=1) in out.splitlines()  # the other file still imports
    after = Episode.objects.get(pk=episode.pk)
    assert (after.short_title, after.content_hash, after.imported_at) == (
        before.short_title,
        before.content_hash,
        before.imported_at,
    )


def test_overwrite_edits_takes_the_files_version(admin_client, episode, governance_file):
    edit_title(admin_client, episode)
    edit_line(admin_client, episode)
    edit_file(governance_file, "short: Data Governance", "short: Governance")

    status, out, err = run_command(governance_file, "--overwrite-edits")

    assert (status, err) == (0, "")
    assert out.splitlines() == [summary(updated=1)]
    episode = Episode.objects.get(pk=episode.pk)
    assert episode.title.startswith(FILE_TITLE)
    assert episode.short_title == "Governance"
    assert not Line.objects.filter(section__episode=episode, text="A line an editor corrected.").exists()
    assert not episode.edited_since_import  # the file's version is now the imported one
    assert outcomes(run_import(governance_file)) == [UNCHANGED]


def test_an_unchanged_file_never_touches_the_database_even_when_edited(admin_client, episode, governance_file):
    edit_title(admin_client, episode)
    before = db_snapshot()

    with CaptureQueriesContext(connection) as queries:
        status, out, err = run_command(governance_file)

    assert (status, out.strip(), err) == (0, summary(unchanged=1), "")
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert db_snapshot() == before
    assert Episode.objects.get(pk=episode.pk).title == EDITED_TITLE


def test_a_dry_run_reports_the_conflict_and_writes_nothing(episode, governance_file):
    episode.mark_edited()
    edit_file(governance_file, "short: Data Governance", "short: Governance")
    before = db_snapshot()

    status, out, err = run_command(governance_file, "--dry-run")

    assert status == 1
    assert f"{governance_file}: conflict: S3E10" in err
    assert out.strip() == f"dry run, nothing written: {summary(conflict=1)}"
    assert db_snapshot() == before
    status, out, err = run_command(governance_file, "--dry-run", "--overwrite-edits")
    assert (status, out.strip()) == (0, f"dry run, nothing written: {summary(updated=1)}")
    assert db_snapshot() == before


def test_a_moved_or_renamed_file_is_still_held_back_by_an_edit(episode, governance_file, tmp_path):
    episode.mark_edited()
    moved = tmp_path / "elsewhere" / governance_file.name
    moved.parent.mkdir()
    shutil.copyfile(governance_file, moved)
    renamed = tmp_path / "data-governance.md"
    shutil.copyfile(governance_file, renamed)

    # Same name and content elsewhere: the same file, unchanged. Another name gives another slug: a change.
    assert outcomes(run_import(moved)) == [UNCHANGED]
    assert outcomes(run_import(renamed)) == [CONFLICT]
    assert Episode.objects.get(pk=episode.pk).slug == GOVERNANCE


def test_an_edit_older_than_the_last_import_is_not_a_conflict(episode, governance_file):
    Episode.objects.filter(pk=episode.pk).update(edited_at=episode.imported_at - datetime.timedelta(minutes=5))
    edit_file(governance_file, "short: Data Governance", "short: Governance")

    assert outcomes(run_import(governance_file)) == [UPDATED]
    assert Episode.objects.get(pk=episode.pk).short_title == "Governance"


def test_edits_add_no_queries_to_an_import(fixture_archive):
    def queries_of_a_second_import():
        with CaptureQueriesContext(connection) as queries:
            assert set(outcomes(run_import(FIXTURE_EPISODES))) == {UNCHANGED}
        return len(queries)

    plain = queries_of_a_second_import()
    Episode.objects.all().mark_edited()
    assert all(episode.edited_since_import for episode in Episode.objects.all())
    assert queries_of_a_second_import() == plain


def test_mark_edited_records_the_time(episode):
    start = timezone.now()
    episode.mark_edited()
    stored = Episode.objects.get(pk=episode.pk)
    assert stored.edited_at == episode.edited_at >= start
    assert stored.edited_since_import


# --- the real archive --------------------------------------------------------------------------------


@pytest.mark.corpus
def test_an_edit_to_the_real_archives_longest_episode_survives_its_changed_file(admin_client, corpus, tmp_path):
    folder = tmp_path / "_podcast"
    shutil.copytree(corpus / "datatalksclub" / "_podcast", folder)
    run_import(folder)
    longest = Episode.objects.get(slug=LONGEST_SLUG)
    still_edited = edit_line(admin_client, longest)
    path = folder / f"{LONGEST_SLUG}.md"
    path.write_text(path.read_text("utf-8").replace("---\n", "---\nrecut: true\n", 1), "utf-8")
    before = db_snapshot()

    report = run_import(folder)

    counts = {outcome: outcomes(report).count(outcome) for outcome in set(outcomes(report))}
    assert counts[CONFLICT] == 1 and counts[UNCHANGED] == 197  # of the 198 good files
    (conflict,) = [result for result in report.episodes if result.outcome == CONFLICT]
    assert conflict.path == path
    assert db_snapshot() == before and still_edited()

    report = run_import(folder, overwrite_edits=True)
    assert [result.path for result in report.episodes if result.outcome == UPDATED] == [path]
    assert not still_edited()
