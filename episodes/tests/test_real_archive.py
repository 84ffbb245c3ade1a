"""The whole real archive (../shared/corpus), imported twice, and the real files the import spec names."""

import pytest

from episodes.importer import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED
from episodes.models import Episode, Guest, Line, Section

from .conftest import SEED, db_snapshot, front_matter_data, run_import

pytestmark = pytest.mark.corpus

S3E4_PAIR = ("data-science-interview-and-cv-guide.md", "data-translator-role-and-data-strategy.md")


def podcast_folder(corpus):
    return corpus / "datatalksclub" / "_podcast"


def by_name(results):
    return {result.path.name: result for result in results}


def test_whole_archive_imports_then_stays_unchanged(corpus, db):
    folder = podcast_folder(corpus)
    files = sorted(folder.glob("*.md"))
    published = [path for path in files if not path.name.startswith("_")]
    assert (len(published), len(files) - len(published)) == (200, 3)

    first = run_import(folder)

    assert first.summary() == "created 198, updated 0, unchanged 0, skipped 3, conflict 0, failed 2"
    assert Episode.objects.count() == len(published) - len(S3E4_PAIR) == 198
    assert Line.objects.count() == 27_439
    assert Section.objects.exclude(title="").count() == 4_981
    results = by_name(first.episodes)
    one, other = (folder / name for name in S3E4_PAIR)
    assert results[one.name].message == f"season 3 episode 4 is also claimed by {other}"
    assert results[other.name].message == f"season 3 episode 4 is also claimed by {one}"
    assert not Episode.objects.filter(season=3, number=4).exists()

    # The sibling _people folder was read: every guest has a profile.
    people = [path for path in (corpus / "datatalksclub" / "_people").glob("*.md") if not path.name.startswith("_")]
    assert first.summary("people") == f"created {len(people)}, updated 0, unchanged 0, skipped 1, conflict 0, failed 0"
    assert not Guest.objects.filter(is_placeholder=True).exists()

    # Real quirks, as the spec names them.
    assert Episode.objects.filter(slug="mentoring-in-tech-how-to-find-and-become-a-mentor").exists()  # .md.md
    roles = Episode.objects.get(slug="data-team-roles")  # spotify: TODO, apple: TODO
    assert (roles.spotify_url, roles.apple_url) == ("", "")
    assert roles.youtube_url.startswith("https://www.youtube.com/")
    bioinformatics = results["learning-machine-learning-self-taught-bioinformatics.md"]
    assert bioinformatics.outcome == CREATED
    assert [warning for warning in bioinformatics.warnings if "37:567" in warning] == [
        "transcript item 120: time '37:567' is not M:SS or H:MM:SS; using sec 2787",
        "transcript item 121: time '37:567' is not M:SS or H:MM:SS; using sec 2787",
    ]
    first_sections = Section.objects.filter(episode__slug="ab-testing-and-product-experimentation")[:2]
    assert [(section.title, section.lines.count()) for section in first_sections] == [
        ("Podcast Introduction", 0),
        ("Guest Background & Career Transition to Data Science", 9),
    ]
    before = db_snapshot()

    second = run_import(folder)

    assert second.summary() == "created 0, updated 0, unchanged 198, skipped 3, conflict 0, failed 2"
    assert {result.outcome for result in second.people} == {UNCHANGED, SKIPPED}
    assert db_snapshot() == before


def test_seed_then_its_later_revision_update_one_episode(corpus, db):
    revision = podcast_folder(corpus) / "mlops-at-scale-reproducibility-adoption.md"
    assert [result.outcome for result in run_import(SEED).episodes] == [CREATED]
    seed_episode = Episode.objects.get()
    seed_headers = list(seed_episode.sections.exclude(title="").values_list("title", flat=True))

    assert [result.outcome for result in run_import(revision).episodes] == [UPDATED]

    episode = Episode.objects.get()
    data = front_matter_data(revision)
    assert (episode.pk, episode.season, episode.number) == (seed_episode.pk, 19, 4)
    assert episode.title == data["title"] != seed_episode.title
    assert episode.slug == "mlops-at-scale-reproducibility-adoption"
    headers = [item["header"] for item in data["transcript"] if "header" in item]
    assert list(episode.sections.exclude(title="").values_list("title", flat=True)) == headers
    assert headers != seed_headers


def test_the_jekyll_template_is_a_draft_and_not_an_episode(corpus, db):
    template = podcast_folder(corpus) / "_template.md"
    assert [result.outcome for result in run_import(template).episodes] == [SKIPPED]

    report = run_import(template, include_drafts=True)

    assert [(result.outcome, result.message) for result in report.episodes] == [
        (FAILED, "line 2: this is a Liquid template ('{{ title }}'), not an episode")
    ]
    assert not Episode.objects.exists()
