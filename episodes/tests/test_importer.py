"""The importer against the database: identity, idempotence, transactions, claims, guests and what is stored."""

import math
import re

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from episodes import importer
from episodes.importer import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, Importer
from episodes.models import Appearance, Episode, Guest, Line, Section

from .conftest import (
    EDGE_CASES,
    FIXTURE_EPISODES,
    FIXTURES,
    LONGEST_SLUG,
    db_snapshot,
    front_matter_data,
    run_import,
)

SEED_FIXTURE = FIXTURE_EPISODES / "s19e04-mlops-as-a-team.yaml"
PEOPLE = FIXTURES / "_people"
TWO_GUESTS = FIXTURE_EPISODES / "cloud-data-governance.md"


def outcomes(report):
    return [result.outcome for result in report.episodes]


def copy_to(folder, source, name=None):
    target = folder / (name or source.name)
    target.write_bytes(source.read_bytes())
    return target


def edit(path, old, new):
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def transcript_rows(episode):
    return [
        (section.title, section.start_sec, [(line.speaker, line.sec, line.text) for line in section.lines.all()])
        for section in episode.sections.prefetch_related("lines")
    ]


# --- The seed ----------------------------------------------------------------------------


def test_seed_import(db):
    data = front_matter_data(SEED_FIXTURE)
    items = data["transcript"]
    line_items = [item for item in items if "line" in item]
    headers = [item["header"] for item in items if "header" in item]
    opening = ["" for _ in items[:1] if "line" in items[0]]  # an untitled section when lines come first

    report = Importer().run([str(SEED_FIXTURE)], people_dirs=[str(PEOPLE)])

    assert outcomes(report) == [CREATED]
    episode = Episode.objects.get()
    assert (episode.season, episode.number, episode.title) == (19, 4, "MLOps as a Team")
    assert [guest.slug for guest in episode.guests.all()] == ["raphaelhoogvliets"]
    assert not episode.guests.get().is_placeholder
    assert list(episode.sections.values_list("title", flat=True)) == opening + headers
    stored = list(Line.objects.filter(section__episode=episode).values_list("text", "sec"))
    assert stored == [(item["line"], item["sec"]) for item in line_items]
    one_eighteen = line_items.index(next(item for item in line_items if item["time"] == "1:18"))
    assert stored[one_eighteen][1] == 78
    assert episode.anchor_id == data["ids"]["anchor"]
    assert "---" in episode.anchor_id


# --- Identity --------------------------------------------------------------------------------


def test_reimport_updates_the_same_episode_in_place(db, tmp_path):
    path = copy_to(tmp_path, EDGE_CASES / "sections.md")
    assert outcomes(run_import(path)) == [CREATED]
    pk = Episode.objects.get().pk

    edit(path, "title: Lines before the first header", "title: Retitled lines before the first header")
    edit(path, "Still under it.", "Still under it, edited.")
    assert outcomes(run_import(path)) == [UPDATED]

    episode = Episode.objects.get()
    assert episode.pk == pk
    assert episode.title == "Retitled lines before the first header, and two headers in a row"
    assert transcript_rows(episode)[2][2][-1] == ("Guest", 45, "Still under it, edited.")
    assert Line.objects.count() == 3


def test_a_renamed_file_changes_the_slug_of_the_same_episode(db, tmp_path):
    path = copy_to(tmp_path, EDGE_CASES / "sections.md")
    run_import(path)
    pk = Episode.objects.get().pk

    renamed = path.rename(tmp_path / "headers-in-a-row.md")
    assert outcomes(run_import(renamed)) == [UPDATED]

    episode = Episode.objects.get()
    assert (episode.pk, episode.slug) == (pk, "headers-in-a-row")


def test_double_extension_gives_the_plain_slug(db):
    run_import(EDGE_CASES / "double-extension.md.md")
    assert Episode.objects.get().slug == "double-extension"


def test_a_slug_taken_by_another_episode_fails_and_changes_nothing(db, tmp_path):
    run_import(EDGE_CASES / "times.md")
    before = db_snapshot()
    impostor = copy_to(tmp_path, EDGE_CASES / "sections.md", name="times.md")  # S91E2 wants slug "times"

    report = run_import(impostor)

    assert outcomes(report) == [FAILED]
    assert (
        report.episodes[0].message
        == f"slug 'times' is already used by S91E1: {Episode.objects.get().title} ({EDGE_CASES / 'times.md'})"
    )
    assert db_snapshot() == before


# --- Idempotence and speed ---------------------------------------------------------------


def test_second_import_changes_nothing(db):
    first = run_import(FIXTURE_EPISODES)
    assert set(outcomes(first)) == {CREATED}
    before = db_snapshot()

    second = run_import(FIXTURE_EPISODES)

    assert outcomes(second) == [UNCHANGED] * len(first.episodes)
    assert [result.outcome for result in second.people] == [UNCHANGED] * len(first.people)
    assert db_snapshot() == before


def test_unchanged_files_are_skipped_without_parsing(db, monkeypatch):
    run_import(FIXTURE_EPISODES)

    def refuse(*args):
        raise AssertionError("an unchanged file was parsed")

    monkeypatch.setattr("episodes.parsing_pool.parse_episode", refuse)
    monkeypatch.setattr("episodes.importer.parse_person", refuse)
    report = run_import(FIXTURE_EPISODES)

    assert outcomes(report) == [UNCHANGED] * 9
    assert {result.outcome for result in report.people} == {UNCHANGED}
    with pytest.raises(AssertionError, match="was parsed"):  # the patch does catch parsing of a new file
        run_import(EDGE_CASES / "times.md")


def test_lines_are_written_in_bulk(db):
    path = FIXTURE_EPISODES / f"{LONGEST_SLUG}.md"
    line_count = sum("line" in item for item in front_matter_data(path)["transcript"])

    with CaptureQueriesContext(connection) as queries:
        run_import(path)

    line_inserts = [query for query in queries if query["sql"].startswith('INSERT INTO "episodes_line"')]
    assert Line.objects.count() == line_count > 200
    assert 1 <= len(line_inserts) <= math.ceil(line_count / 100)  # batches, never one statement a line


# --- One transaction per file --------------------------------------------------------------


def test_a_broken_version_of_an_imported_file_leaves_its_episode_as_it_was(db, tmp_path):
    path = copy_to(tmp_path, EDGE_CASES / "sections.md")
    run_import(path)
    before = db_snapshot()
    edit(path, "title: Lines before", "title: [Lines before")  # now not YAML

    report = run_import(path)

    assert outcomes(report) == [FAILED]
    assert "not valid YAML" in report.episodes[0].message
    assert db_snapshot() == before

    report = run_import(path, EDGE_CASES / "claim-a.md")
    assert outcomes(report) == [FAILED, CREATED]


def test_a_write_that_fails_midway_is_rolled_back_and_the_others_import(db, tmp_path, monkeypatch):
    path = copy_to(tmp_path, EDGE_CASES / "sections.md")
    run_import(path)
    before = db_snapshot()
    # The episode row, its guests and its sections are written before its lines; all must roll back.
    edit(path, "title: Lines before", "title: Changed, lines before")
    edit(path, "- line: Still under it.", "- line: BOOM\n  who: Guest\n- line: Still under it.")
    original_insert_rows = importer.insert_rows

    def insert_rows(model, columns, rows, **kwargs):
        rows = list(rows)
        if model is Line and any("BOOM" in row for row in rows):
            raise DatabaseError("disk full")
        return original_insert_rows(model, columns, rows, **kwargs)

    monkeypatch.setattr(importer, "insert_rows", insert_rows)
    report = run_import(path, EDGE_CASES / "claim-a.md")

    assert outcomes(report) == [FAILED, CREATED]
    assert report.episodes[0].message == "disk full"
    after = db_snapshot()
    after["episodes.Episode"] = [row for row in after["episodes.Episode"] if row["slug"] != "claim-a"]
    assert after == before


# --- Two files, one episode ---------------------------------------------------------------


def test_two_files_claiming_one_episode_both_fail_and_the_rest_import(db):
    claim_a, claim_b = EDGE_CASES / "claim-a.md", EDGE_CASES / "claim-b.md"

    report = run_import(claim_a, claim_b, EDGE_CASES / "times.md")

    assert outcomes(report) == [FAILED, FAILED, CREATED]
    assert report.episodes[0].message == f"season 91 episode 6 is also claimed by {claim_b}"
    assert report.episodes[1].message == f"season 91 episode 6 is also claimed by {claim_a}"
    assert not Episode.objects.filter(season=91, number=6).exists()


def test_a_new_claim_on_an_imported_episode_does_not_overwrite_it(db):
    claim_a, claim_b = EDGE_CASES / "claim-a.md", EDGE_CASES / "claim-b.md"
    run_import(claim_a)
    before = db_snapshot()

    report = run_import(claim_a, claim_b)

    assert outcomes(report) == [FAILED, FAILED]
    assert str(claim_b) in report.episodes[0].message
    assert str(claim_a) in report.episodes[1].message
    assert db_snapshot() == before


# --- Drafts ------------------------------------------------------------------------------------


def test_drafts_are_skipped_or_imported_as_drafts(db):
    draft = EDGE_CASES / "_draft-episode.md"
    assert outcomes(run_import(draft)) == [SKIPPED]
    assert not Episode.objects.exists()

    assert outcomes(run_import(draft, include_drafts=True)) == [CREATED]
    assert Episode.objects.get().status == Episode.Status.DRAFT


# --- Guests --------------------------------------------------------------------------------------


def test_guests_follow_the_file_order(db, tmp_path):
    Importer().run([str(TWO_GUESTS)], people_dirs=[str(PEOPLE)])
    episode = Episode.objects.get()
    assert [guest.slug for guest in episode.guests.all()] == ["jessiashdown", "urigilad"]

    reversed_copy = copy_to(tmp_path, TWO_GUESTS)
    edit(reversed_copy, "guests:\n- jessiashdown\n- urigilad\n", "guests:\n- urigilad\n- jessiashdown\n")
    assert outcomes(run_import(reversed_copy)) == [UPDATED]

    guests = list(Episode.objects.get(pk=episode.pk).guests.all())
    assert [guest.slug for guest in guests] == ["urigilad", "jessiashdown"]
    assert guests != sorted(guests, key=lambda guest: guest.name)  # the file's order, not the default ordering
    assert Appearance.objects.count() == 2


def test_a_guest_without_profile_is_a_placeholder_with_a_warning(db, tmp_path):
    unknown = EDGE_CASES / "unknown-guest.md"
    second = copy_to(tmp_path, unknown, name="another-unknown-guest.md")
    edit(second, "episode: 5", "episode: 55")

    report = run_import(unknown, second)

    assert outcomes(report) == [CREATED, CREATED]
    warning = "guest 'nobody-has-this-slug' has no profile in _people; it is a placeholder"
    assert [result.warnings for result in report.episodes] == [[warning], [warning]]
    guest = Guest.objects.get()
    assert (guest.slug, guest.name, guest.is_placeholder) == ("nobody-has-this-slug", "nobody-has-this-slug", True)

    people = tmp_path / "people"
    people.mkdir()
    (people / "nobody.md").write_text("---\nshort: nobody-has-this-slug\ntitle: No Body\n---\nA bio.\n", "utf-8")
    Importer().run([], people_dirs=[str(people)])

    guest.refresh_from_db()
    assert (guest.name, guest.is_placeholder, guest.bio) == ("No Body", False, "A bio.")
    assert Episode.objects.filter(guests=guest).count() == 2


def test_people_files_become_guests_with_full_profile_urls(db):
    report = Importer().run([], people_dirs=[str(PEOPLE)])
    assert {result.outcome for result in report.people} == {CREATED}
    guest = Guest.objects.get(slug="raphaelhoogvliets")
    assert (guest.github_url, guest.linkedin_url) == (
        "https://github.com/hoogvliets",
        "https://www.linkedin.com/in/hoogvliets",
    )
    # The picture is copied into media storage (episodes/images.py); the path as written is kept for the export.
    assert re.fullmatch(r"people/raphaelhoogvliets-[0-9a-f]{12}\.jpg", guest.picture.name)
    assert guest.source_layout["raw"]["picture"] == "images/authors/raphaelhoogvliets.jpg"
    assert "Eneco" in guest.bio_html


# --- What is stored ----------------------------------------------------------------------------------


def test_sections_and_times_are_stored(db):
    run_import(EDGE_CASES / "sections.md", EDGE_CASES / "times.md")

    assert transcript_rows(Episode.objects.get(slug="sections")) == [
        ("", 3, [("Alexey", 3, "Before any header.")]),
        ("First header, no lines of its own", None, []),
        ("Second header", 40, [("Alexey", 40, "Under the second header."), ("Guest", 45, "Still under it.")]),
    ]
    assert list(Section.objects.filter(episode__slug="sections").values_list("position", flat=True)) == [0, 1, 2]
    times = Episode.objects.get(slug="times")
    assert [line.sec for line in Line.objects.filter(section__episode=times)] == [78, 125, 586, 601]


def test_episode_fields_are_stored(db, tmp_path):
    path = tmp_path / "stored.md"
    path.write_text(
        "---\n"
        "season: 92\nepisode: 1\ntitle: Stored\nduration: PT58M\ndateadded: 2024-01-22\n"
        "intro: 'One.<br><br>Two.<script>alert(1)</script><img src=x onerror=alert(2)>'\n"
        "links:\n  youtube: https://www.youtube.com/watch?v=abc\n  spotify: TODO\n"
        "topics: [MLOps, Career]\n"
        "quotableClips:\n- name: Start\n  startOffset: 0\n  endOffset: 63\n"
        "---\n"
        "## Links\n\n* [Site](https://example.com)\n",
        "utf-8",
    )
    run_import(path)

    episode = Episode.objects.get()
    assert (episode.duration, str(episode.published_on)) == (3480, "2024-01-22")
    assert episode.intro == "One.<br><br>Two."
    assert (episode.youtube_url, episode.spotify_url) == ("https://www.youtube.com/watch?v=abc", "")
    assert sorted(episode.topics.values_list("name", flat=True)) == ["Career", "MLOps"]
    assert list(episode.clips.values_list("name", "start_sec", "end_sec")) == [("Start", 0, 63)]
    assert episode.show_notes == "## Links\n\n* [Site](https://example.com)"
    assert "<h2>Links</h2>" in episode.show_notes_html


@pytest.mark.parametrize("slug", ["interpretable-machine-learning", "ab-testing-and-product-experimentation"])
def test_fixture_episodes_round_trip_their_transcripts(fixture_archive, slug):
    path = FIXTURE_EPISODES / f"{slug}.md"
    items = front_matter_data(path)["transcript"]
    episode = Episode.objects.get(slug=slug)
    stored = [title for title, _, _ in transcript_rows(episode)]
    headers = [item["header"] for item in items if "header" in item]
    assert [title for title in stored if title] == headers
    texts = [line for _, _, lines in transcript_rows(episode) for line in lines]
    assert [text for _, _, text in texts] == [item["line"] for item in items if "line" in item]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("title: MLOps as a Team", "title: " + "x" * 301, "'title' is 301 characters long; 300 fit"),
        ("short: MLOps as a Team", "short: " + "x" * 201, "'short' is 201 characters long; 200 fit"),
        (
            "- header: Career journey and transition into MLOps",
            "- header: " + "y" * 501,
            "a transcript header: 'title' is 501 characters long; 500 fit",
        ),
    ],
)
def test_text_too_long_for_its_column_fails_naming_the_field(db, tmp_path, old, new, message):
    people = run_import(FIXTURE_EPISODES / ".." / "_people")
    assert people.ok
    before = db_snapshot()
    path = copy_to(tmp_path, SEED_FIXTURE)
    edit(path, old, new)

    report = run_import(path)

    assert outcomes(report) == [FAILED]
    assert report.episodes[0].message == message
    assert db_snapshot() == before


def test_a_people_folder_given_as_a_path_imports_people_only(db):
    report = run_import(PEOPLE)

    assert report.episodes == []
    assert {result.outcome for result in report.people} == {CREATED}
    assert Guest.objects.count() == len(list(PEOPLE.glob("*.md")))
    assert not Episode.objects.exists()
