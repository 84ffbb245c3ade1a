"""The import_episodes command: arguments, one-line errors, warnings, progress, summary and exit status."""

import re
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError

from episodes import importer
from episodes.models import Episode, Guest

from .conftest import EDGE_CASES, FIXTURE_EPISODES, FIXTURES, db_snapshot, run_import

EXISTING = FIXTURE_EPISODES / "cloud-data-governance.md"  # in the database before each bad file is tried
OTHER = EDGE_CASES / "sections.md"  # a small good file imported in the same run as a bad one
SIZE_CAP = 700  # bytes: below bad-too-big.md, above OTHER


def summary(created=0, updated=0, unchanged=0, skipped=0, conflict=0, failed=0):
    return (
        f"created {created}, updated {updated}, unchanged {unchanged}, skipped {skipped}, "
        f"conflict {conflict}, failed {failed}"
    )


@dataclass
class Outcome:
    status: int
    out: str
    err: str

    @property
    def err_lines(self):
        return self.err.splitlines()


class TerminalStringIO(StringIO):
    def isatty(self):
        return True


def run_command(*args, stderr=None):
    """Run the command as a shell would; a SystemExit becomes the exit status."""
    out, err = StringIO(), stderr or StringIO()
    try:
        call_command("import_episodes", *map(str, args), stdout=out, stderr=err)
    except SystemExit as exit_:
        status = exit_.code
    else:
        status = 0
    return Outcome(status, out.getvalue(), err.getvalue())


# Each bad input: its file, the expected message, and for errors with a place, text on the reported line.
BAD_FILES = [
    ("bad-not-yaml.md", "not valid YAML: mapping values are not allowed", "title: Broken:"),
    ("bad-no-front-matter.md", "no front matter: the file must start with a line that is exactly ---", "# An episode"),
    ("bad-not-mapping.md", "the front matter must be a mapping of fields, not a list", None),
    ("bad-missing-season.md", "missing required field 'season'", None),
    ("bad-missing-episode.md", "missing required field 'episode'", None),
    ("bad-missing-title.md", "missing required field 'title'", None),
    ("bad-wrong-type.md", "'season' must be a whole number, not text ('nineteen')", None),
    ("bad-transcript-item.md", "transcript item 3 is neither a header nor a line", "- question:"),
    ("bad-liquid.md", "this is a Liquid template ('{{ title }}'), not an episode", '"{{ title }}"'),
    ("bad-alias.md", "not valid YAML: YAML aliases and anchors (& and *) are not allowed", "&name"),
    ("bad-not-utf8.md", "not UTF-8 text (byte 37)", None),
    ("bad-too-big.md", f"file is 765 bytes, over the {SIZE_CAP:,}-byte limit", None),
]
YAML_ERRORS = {"bad-not-yaml.md", "bad-alias.md"}
PLACE_RE = re.compile(r"^line (\d+)(?:, column (\d+))?: ")


@pytest.mark.parametrize(("name", "message", "text_on_line"), BAD_FILES)
def test_bad_file_fails_alone_with_one_line_and_changes_nothing(db, settings, name, message, text_on_line):
    bad = EDGE_CASES / name
    assert run_import(EXISTING).ok
    settings.PODCAST_MAX_FILE_BYTES = SIZE_CAP
    before = db_snapshot()

    result = run_command(bad)

    assert result.status == 1
    assert len(result.err_lines) == 1
    prefix = f"{bad}: "
    assert result.err_lines[0].startswith(prefix)
    detail = result.err_lines[0].removeprefix(prefix)
    assert message in detail
    place = PLACE_RE.match(detail)
    if text_on_line is None:
        assert place is None
    else:
        line_in_file = bad.read_text("utf-8").split("\n")[int(place[1]) - 1]
        assert text_on_line in line_in_file
        assert (place[2] is not None) == (name in YAML_ERRORS)
    assert result.out.strip() == summary(failed=1)
    assert db_snapshot() == before


@pytest.mark.parametrize("name", [name for name, _, _ in BAD_FILES])
def test_bad_file_does_not_stop_the_others(db, settings, name):
    settings.PODCAST_MAX_FILE_BYTES = SIZE_CAP
    result = run_command(EDGE_CASES / name, OTHER)
    assert result.status == 1
    assert result.out.strip() == summary(created=1, failed=1)
    assert [line.split(": ")[0] for line in result.err_lines] == [str(EDGE_CASES / name)]
    assert Episode.objects.get().slug == "sections"


def test_success_prints_the_summaries_and_exits_normally(db):
    result = run_command(FIXTURE_EPISODES)
    assert result.status == 0
    assert result.err == ""
    assert result.out.splitlines() == [f"people: {summary(created=11)}", summary(created=9)]

    again = run_command(FIXTURE_EPISODES)
    assert again.status == 0
    assert again.out.splitlines() == [f"people: {summary(unchanged=11)}", summary(unchanged=9)]


def test_failures_go_to_stderr_and_the_summary_to_stdout(db):
    result = run_command(EDGE_CASES / "bad-missing-title.md", EDGE_CASES / "bad-wrong-type.md", OTHER)
    assert result.status == 1
    assert result.out.strip() == summary(created=1, failed=2)
    assert [line.split(": ")[0] for line in result.err_lines] == [
        str(EDGE_CASES / "bad-missing-title.md"),
        str(EDGE_CASES / "bad-wrong-type.md"),
    ]


def test_a_multi_line_database_message_is_still_one_line(db, monkeypatch):
    # PostgreSQL errors carry a DETAIL line; the failure report must stay one line per file.
    def refuse(*args, **kwargs):
        raise DatabaseError("duplicate key value violates unique constraint\nDETAIL:  Key (x)=(1) already exists.")

    monkeypatch.setattr(importer, "insert_rows", refuse)
    result = run_command(OTHER)
    assert result.status == 1
    assert result.err_lines == [
        f"{OTHER}: duplicate key value violates unique constraint DETAIL: Key (x)=(1) already exists."
    ]


def test_missing_path_fails(db, tmp_path):
    missing = tmp_path / "nowhere"
    result = run_command(missing, OTHER)
    assert result.status == 1
    assert result.err_lines == [f"{missing}: no such file or folder"]
    assert result.out.strip() == summary(created=1, failed=1)


def test_no_path_is_a_usage_error(db):
    with pytest.raises(CommandError, match="at least one PATH"):
        call_command("import_episodes", stdout=StringIO(), stderr=StringIO())


def test_folders_are_read_recursively_for_episode_files_only(db, tmp_path):
    nested = tmp_path / "season-91" / "more"
    nested.mkdir(parents=True)
    (nested / "sections.md").write_bytes(OTHER.read_bytes())
    (tmp_path / "times.md").write_bytes((EDGE_CASES / "times.md").read_bytes())
    (tmp_path / "README.md").write_text("# Not an episode\n")
    (tmp_path / "cover.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "bad.md").write_text("not an episode\n")

    result = run_command(tmp_path)

    assert result.status == 0
    assert result.out.strip() == summary(created=2)
    assert set(Episode.objects.values_list("slug", flat=True)) == {"sections", "times"}


def test_drafts_are_skipped_unless_included(db):
    draft = EDGE_CASES / "_draft-episode.md"
    skipped = run_command(draft)
    assert (skipped.status, skipped.out.strip()) == (0, summary(skipped=1))
    assert not Episode.objects.exists()

    included = run_command(draft, "--include-drafts")
    assert included.out.strip() == summary(created=1)
    episode = Episode.objects.get()
    assert (episode.slug, episode.status) == ("draft-episode", Episode.Status.DRAFT)
    assert not Episode.objects.published().exists()


def test_people_option_reads_profiles(db):
    seed = FIXTURE_EPISODES / "s19e04-mlops-as-a-team.yaml"
    result = run_command(seed, "--people", FIXTURES / "_people")
    assert result.status == 0
    assert result.out.splitlines()[0] == f"people: {summary(created=11)}"
    guest = Episode.objects.get().guests.get()
    assert (guest.slug, guest.name, guest.is_placeholder) == ("raphaelhoogvliets", "Raphaël Hoogvliets", False)


def test_people_beside_an_imported_podcast_folder_are_read(db):
    run_command(FIXTURE_EPISODES)
    assert Guest.objects.count() == 11
    assert not Guest.objects.filter(is_placeholder=True).exists()


def test_warnings_appear_at_verbosity_2_only(db):
    unknown = EDGE_CASES / "unknown-guest.md"
    quiet = run_command(unknown)
    assert (quiet.status, quiet.err) == (0, "")
    assert quiet.out.strip() == summary(created=1)

    Episode.objects.all().delete()
    loud = run_command(unknown, "-v", "2")
    assert loud.status == 0
    assert loud.err_lines == [
        f"{unknown}: warning: guest 'nobody-has-this-slug' has no profile in _people; it is a placeholder"
    ]


def test_time_warnings_name_the_item(db):
    times = EDGE_CASES / "times.md"
    result = run_command(times, "-v", "2")
    assert result.err_lines == [f"{times}: warning: transcript item 4: time '10:00' disagrees with sec 601; using sec"]


def test_no_progress_output_when_not_a_terminal(db):
    result = run_command(FIXTURE_EPISODES)
    assert result.err == ""


def test_progress_bar_on_a_terminal(db):
    terminal = TerminalStringIO()
    result = run_command(FIXTURE_EPISODES, stderr=terminal)
    assert result.status == 0
    assert "\r[" + "#" * 30 + "] 18/18" in result.err  # two passes over 9 files: read, then write
    assert result.err.endswith("\r")  # the bar is wiped before the summary


def test_dry_run_writes_nothing_and_counts_what_would_happen(db, tmp_path):
    before = db_snapshot()
    result = run_command(FIXTURE_EPISODES, "--dry-run")
    assert result.status == 0
    assert result.out.splitlines()[-1] == f"dry run, nothing written: {summary(created=9)}"
    assert db_snapshot() == before

    copy = tmp_path / OTHER.name
    copy.write_bytes(OTHER.read_bytes())
    run_command(copy)
    copy.write_text(copy.read_text("utf-8").replace("two headers in a row", "two headers, retitled"))
    before = db_snapshot()
    result = run_command(copy, EDGE_CASES / "bad-alias.md", "--dry-run")
    assert result.status == 1
    assert result.out.strip() == f"dry run, nothing written: {summary(updated=1, failed=1)}"
    assert db_snapshot() == before


def test_every_file_outcome_appears_at_verbosity_3_only(db):
    draft = EDGE_CASES / "_draft-episode.md"
    quiet = run_command(OTHER, draft, "-v", "2")
    assert f"{OTHER}:" not in quiet.out

    Episode.objects.all().delete()
    loud = run_command(OTHER, draft, "-v", "3")
    assert f"{OTHER}: created" in loud.out.splitlines()
    assert f"{draft}: skipped" in loud.out.splitlines()


def test_a_people_folder_inside_an_imported_folder_is_read_as_people(db, tmp_path):
    people = tmp_path / "archive" / "_people"
    episodes = tmp_path / "archive" / "episodes"
    people.mkdir(parents=True)
    episodes.mkdir()
    (people / "willrussell.md").write_bytes((FIXTURES / "_people" / "willrussell.md").read_bytes())
    (episodes / "sections.md").write_bytes(OTHER.read_bytes())

    result = run_command(tmp_path / "archive")

    assert result.status == 0
    assert result.out.splitlines() == [
        f"people: {summary(created=1)}",
        summary(created=1),
    ]
    assert Guest.objects.get().slug == "willrussell"
