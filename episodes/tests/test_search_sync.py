"""The search index follows every write (the database keeps it, not Python code), and its migration.

Runs on both engines, like test_search; the PostgreSQL-only checks skip on SQLite.
"""

import shutil

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from episodes.models import Appearance, Episode, Guest, Line, Section
from episodes.search import search
from episodes.search.postgres import PostgresBackend
from episodes.search.query import parse_query

from .conftest import FIXTURE_EPISODES, run_import
from .test_search import MATH, lines, make_episode, slugs

pytestmark = pytest.mark.django_db

only_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: runs in the PostgreSQL pass of `make test` (scripts/run_postgres_tests.py)",
)


def lines_found(query):
    return search(query).line_count


def episodes_found(query):
    return slugs(search(query)) if search(query).page else []


# --- Transcript lines ------------------------------------------------------------------


def test_saved_line_is_found_by_its_new_words_only():
    make_episode(1, sections=lines("the old quokka"))
    line = Line.objects.get()
    line.text = "the new wombat"
    line.save()
    assert (lines_found("quokka"), lines_found("wombat")) == (0, 1)


def test_queryset_update_reindexes_lines():
    make_episode(1, sections=lines("the old quokka", "another quokka"))
    Line.objects.filter(text="the old quokka").update(text="the new wombat")
    assert (lines_found("quokka"), lines_found("wombat")) == (1, 1)


def test_other_line_fields_change_without_losing_the_text():
    ann = Guest.objects.create(slug="ann", name="Ann")
    make_episode(1, sections=lines("quokka"))
    Line.objects.update(person=ann, sec=5, speaker="Ann")
    assert lines_found("quokka") == 1


def test_deleted_lines_sections_and_episodes_are_gone():
    first = make_episode(1, sections=lines("quokka one", "quokka two"))
    make_episode(2, sections=[("Quokka heading", ["quokka three"])])
    Line.objects.get(text="quokka one").delete()
    assert lines_found("quokka") == 2
    Section.objects.filter(episode=first).delete()  # and its lines, by cascade
    assert lines_found("quokka") == 1
    Episode.objects.filter(number=2).delete()
    assert (lines_found("quokka"), search("quokka").episode_count) == (0, 0)


def test_raw_sql_writes_are_indexed_too():
    make_episode(1, sections=lines("hello"))
    section = Section.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO episodes_line (section_id, position, speaker, sec, text) VALUES (%s, 1, '', 0, 'quokka')",
            [section.pk],
        )
    assert lines_found("quokka") == 1


# --- Episodes, headings, guests ----------------------------------------------------------


def test_episode_title_and_description_edits():
    episode = make_episode(1, "The quokka episode", description="About wombats.")
    episode.title, episode.description = "The numbat episode", "About bilbies."
    episode.save()
    assert episodes_found('"quokka"') == episodes_found('"wombats"') == []
    assert episodes_found("numbat") == episodes_found("bilbies") == ["test-s90e1"]
    Episode.objects.update(title="The potoroo episode")
    assert (episodes_found('"numbat"'), episodes_found("potoroo")) == ([], ["test-s90e1"])


def test_section_heading_edits():
    make_episode(1, sections=[("Quokka heading", ["text"])])
    Section.objects.update(title="Wombat heading")
    assert (episodes_found("quokka"), episodes_found("wombat")) == ([], ["test-s90e1"])


def test_guests_added_renamed_and_removed():
    ann = Guest.objects.create(slug="ann", name="Ann Quokkason")
    episode = make_episode(1)
    assert episodes_found("quokkason") == []
    Appearance.objects.create(episode=episode, guest=ann, position=0)
    assert episodes_found("quokkason") == ["test-s90e1"]
    ann.name = "Ann Wombatson"
    ann.save()
    assert (episodes_found("quokkason"), episodes_found("wombatson")) == ([], ["test-s90e1"])
    episode.appearances.all().delete()
    assert episodes_found("wombatson") == []


# --- Imports ------------------------------------------------------------------------------


def test_reimport_of_a_changed_file(tmp_path):
    path = tmp_path / f"{MATH}.md"
    shutil.copy(FIXTURE_EPISODES / f"{MATH}.md", path)
    assert run_import(path).ok
    assert lines_found('"an hourly amount"') == 1

    path.write_text(path.read_text().replace("<an hourly amount>", "<a quokkaesque amount>"))
    report = run_import(path)
    assert [result.outcome for result in report.episodes] == ["updated"]
    assert (lines_found('"an hourly amount"'), lines_found("quokkaesque")) == (0, 1)


def test_fixture_archive_is_searchable_after_import(fixture_archive):
    assert lines_found("hourly") == 2
    assert episodes_found("interpretable machine learning")[0] == "interpretable-machine-learning"


# --- The migration -------------------------------------------------------------------------


def test_makemigrations_sees_nothing_new():
    call_command("makemigrations", "episodes", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_migration_indexes_existing_rows_and_reverses():
    make_episode(1, "Quokka", sections=lines("quokka before"))
    call_command("migrate", "episodes", "0001", verbosity=0)
    # Rows written while there was no index, through the models as they were then.
    old = MigrationExecutor(connection).loader.project_state(("episodes", "0001_initial")).apps
    episode = old.get_model("episodes", "Episode").objects.create(season=90, number=2, slug="test-s90e2", title="x")
    section = old.get_model("episodes", "Section").objects.create(episode_id=episode.pk, position=0)
    old.get_model("episodes", "Line").objects.create(section_id=section.pk, position=0, text="quokka with no index")
    call_command("migrate", "episodes", verbosity=0)
    assert (search("quokka").episode_count, lines_found("quokka")) == (2, 2)


@only_postgres
@pytest.mark.postgres
def test_postgres_uses_the_gin_indexes():
    backend = PostgresBackend(parse_query("quokka"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "episodes_line_search_vector" in backend.matching(Line.objects.all()).explain()
    assert "episodes_episode_search_vector" in backend.matching(Episode.objects.all()).explain()
