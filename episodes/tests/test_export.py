"""Lossless export: import, export, import again into an empty database: every field of every model the same.

Also: an episode nobody edited exports to YAML that loads to its source file's data (keys in the
source's order), editors' changes are exported and re-import to the new values, and the command
refuses a folder it cannot write.
"""

import datetime
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from episodes.export import build_export, episode_file_name, write_export
from episodes.models import Episode, Guest, Line, Topic
from episodes.parsing import parse_episode
from episodes.source_layout import ABSENT, decode, encode, same

from .conftest import EDGE_CASES, FIXTURE_EPISODES, FIXTURES, front_matter_data, run_import

# Import bookkeeping (where and when a file was read) is not part of an episode's content.
BOOKKEEPING = {"id", "source_path", "content_hash", "imported_at", "updated_at", "recorded_at"}

# How each model's rows are matched across two databases (their ids differ): from the row's values
# and the natural keys of the rows it points to (``ref(field)``). In an order where targets come first.
NATURAL_KEYS = {
    "Topic": lambda row, ref: row["slug"],
    "Guest": lambda row, ref: row["slug"],
    "SpeakerAlias": lambda row, ref: row["name"].lower(),
    "Episode": lambda row, ref: (row["season"], row["number"]),
    "SlugHistory": lambda row, ref: row["slug"],
    "Episode_topics": lambda row, ref: (ref("episode"), ref("topic")),
    "Appearance": lambda row, ref: (ref("episode"), ref("guest")),
    "Clip": lambda row, ref: (ref("episode"), row["position"]),
    "Section": lambda row, ref: (ref("episode"), row["position"]),
    "Line": lambda row, ref: (ref("section"), row["position"]),
}


def archive_models():
    """Every model of the app with the M2M tables Django makes, targets first (new ones go in NATURAL_KEYS)."""
    models = list(apps.get_app_config("episodes").get_models(include_auto_created=True))
    unknown = [m.__name__ for m in models if m.__name__ not in NATURAL_KEYS]
    assert not unknown, (
        f"{unknown}: say how their rows match across databases (NATURAL_KEYS), and whether files hold them"
    )
    return sorted(models, key=lambda m: list(NATURAL_KEYS).index(m.__name__))


def database_contents():
    """{model: {natural key: {field: value}}} of every concrete field but ids and import bookkeeping.

    A foreign key is compared by the natural key of the row it points to. Reads each table once.
    """
    contents, keys_by_pk = {}, {}
    for model in archive_models():
        fields = [f for f in model._meta.concrete_fields if f.name not in BOOKKEEPING]
        relations = {f.name: f for f in fields if f.is_relation}
        rows = {}
        for values in model.objects.values("pk", *(f.attname for f in fields)):

            def ref(name, values=values, relations=relations):
                target = values[relations[name].attname]
                return None if target is None else keys_by_pk[relations[name].related_model][target]

            key = NATURAL_KEYS[model.__name__](values, ref)
            keys_by_pk.setdefault(model, {})[values["pk"]] = key
            rows[key] = {f.name: ref(f.name) if f.is_relation else values[f.attname] for f in fields}
        contents[model._meta.label] = rows
    return contents


def empty_database():
    for model in archive_models():
        if not model._meta.auto_created:
            model.objects.all().delete()


def assert_same_contents(before, after):
    assert before.keys() == after.keys()
    for label, rows in before.items():
        assert rows.keys() == after[label].keys(), f"{label}: different rows"
        for key, values in rows.items():
            differing = {name for name in values if values[name] != after[label][key][name]}
            assert not differing, f"{label} {key}: {sorted(differing)} differ"


def round_trip(tmp_path, *sources, images_root, **options):
    """Import ``sources``, export, import the export into an empty database; (before, after, export folder).

    The real archive has files that fail (a Liquid template, two files claiming one episode): the
    round trip is of what imported.
    """
    report = run_import(*sources, **options)
    assert report.count("created") >= 1
    round_trip.imported = [result.path for result in report.episodes if result.outcome == "created"]
    before = database_contents()
    out = tmp_path / "export"
    call_command("export_episodes", str(out), verbosity=0)
    empty_database()
    assert not Episode.objects.exists()
    again = run_import(out / "_podcast", images_root=images_root, **options)
    assert again.ok, again.failures
    return before, database_contents(), out


def source_episode_files(folder, include_drafts=False):
    return [
        path
        for path in sorted(Path(folder).iterdir())
        if path.suffix in {".md", ".yaml"} and (include_drafts or not path.name.startswith("_"))
    ]


def assert_same_key_order(a, b, where):
    """Mapping keys in the same order, at every depth."""
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys in another order"
        for key in a:
            assert_same_key_order(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_key_order(x, y, f"{where}[{index}]")


def body(path):
    lines = Path(path).read_text("utf-8").split("\n")
    second = [index for index, line in enumerate(lines) if line.rstrip() == "---"][1]
    return "\n".join(lines[second + 1 :]).strip()


def assert_unedited_exports_match(sources, out):
    """Each source file's front matter and body come back from the export as the same data, keys in order."""
    assert sources
    for source in sources:
        slug = parse_episode(source.read_text("utf-8"), source.name).slug
        exported = out / "_podcast" / episode_file_name(Episode.objects.get(slug=slug))
        want, got = front_matter_data(source), front_matter_data(exported)
        assert got == want, f"{source.name}: front matter differs"
        assert same(got, want), f"{source.name}: front matter differs in types"
        assert_same_key_order(want, got, source.name)
        assert body(exported) == body(source), f"{source.name}: body differs"


# --- round trip ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_round_trip_of_the_fixtures_keeps_every_field(tmp_path):
    before, after, out = round_trip(tmp_path, FIXTURE_EPISODES, images_root=FIXTURES)
    assert len(before["episodes.Episode"]) == 9 and len(before["episodes.Line"]) > 1000
    assert any(row["raw"] for row in before["episodes.Line"].values()), "the fixtures have lines kept as written"
    assert any(row["image"] for row in before["episodes.Episode"].values())
    assert_same_contents(before, after)


@pytest.mark.django_db(transaction=True)
def test_round_trip_keeps_times_raw_lines_sections_and_drafts(tmp_path):
    sources = [EDGE_CASES / name for name in ("times.md", "sections.md", "_draft-episode.md", "double-extension.md.md")]
    before, after, out = round_trip(tmp_path, *sources, images_root=FIXTURES, include_drafts=True)
    assert (out / "_podcast" / "_draft-episode.md").is_file()  # a draft keeps the importer's draft mark
    assert (out / "_podcast" / "double-extension.md.md").is_file()  # keeps its name: the static site's URL
    assert Episode.objects.get(slug="draft-episode").status == Episode.Status.DRAFT
    raws = [decode(line.raw) for line in Line.objects.exclude(raw=None)]
    unquoted = {"line": "Unquoted 1:18 is the YAML 1.1 number 78, and there is no sec.", "time": 78, "who": "Alexey"}
    assert any(same(raw, unquoted) for raw in raws)
    assert_same_contents(before, after)


@pytest.mark.corpus
@pytest.mark.django_db(transaction=True)
def test_round_trip_of_the_real_archive_keeps_every_field(tmp_path, corpus):
    archive = corpus / "datatalksclub"
    before, after, out = round_trip(tmp_path, archive / "_podcast", images_root=archive, include_drafts=True)
    assert len(before["episodes.Episode"]) >= 199 and len(before["episodes.Line"]) > 27000
    assert len(before["episodes.Guest"]) >= 437
    assert_same_contents(before, after)
    assert_unedited_exports_match(round_trip.imported, out)


# --- unedited files ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_unedited_export_loads_to_the_source_data_in_the_source_order(tmp_path):
    assert run_import(FIXTURE_EPISODES).ok
    out = tmp_path / "export"
    call_command("export_episodes", str(out), verbosity=0)
    assert_unedited_exports_match(source_episode_files(FIXTURE_EPISODES), out)
    for source in sorted((FIXTURES / "_people").glob("*.md")):
        exported = out / "_people" / source.name
        assert front_matter_data(exported) == front_matter_data(source), source.name
        assert list(front_matter_data(exported)) == list(front_matter_data(source)), source.name
        assert body(exported) == body(source)


@pytest.mark.django_db
def test_unedited_edge_cases_export_to_their_source_data(tmp_path):
    names = ("times.md", "sections.md", "double-extension.md.md", "unknown-guest.md")
    assert run_import(*(EDGE_CASES / name for name in names)).ok
    out = tmp_path / "export"
    call_command("export_episodes", str(out), verbosity=0)
    assert_unedited_exports_match([EDGE_CASES / name for name in names], out)
    # The placeholder guest has no profile file, so the export writes none for it.
    assert not list((out / "_people").glob("*.md"))


# --- edits --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_edits_are_exported_and_reimport_to_the_new_values(tmp_path):
    assert run_import(FIXTURE_EPISODES).ok
    episode = Episode.objects.get(slug="open-source-ml-tools-strategy-and-business-models")
    episode.title = "A new title: with a colon"
    episode.duration = 3725
    episode.save()
    # The line whose time is folded over two lines in the file ('9:\n46'): kept as written until edited.
    line = Line.objects.get(section__episode=episode, raw__isnull=False)
    line.text = "Edited words </script> & more"
    line.save()
    guest = Guest.objects.get(slug="vincentwarmerdam")
    guest.twitter_url = "https://x.com/new_handle"
    guest.save()
    topic_count = Topic.objects.count()

    out = tmp_path / "export"
    call_command("export_episodes", str(out), verbosity=0)
    data = front_matter_data(out / "_podcast" / f"{episode.slug}.md")
    assert data["title"] == "A new title: with a colon"
    assert data["duration"] == "PT01H02M05S"
    edited = [item for item in data["transcript"] if item.get("line") == "Edited words </script> & more"]
    assert edited == [{"line": "Edited words </script> & more", "sec": 586, "time": "9:46", "who": line.speaker}]
    assert front_matter_data(out / "_people" / "vincentwarmerdam.md")["twitter"] == "new_handle"

    empty_database()
    assert run_import(out / "_podcast", images_root=FIXTURES).ok
    episode = Episode.objects.get(slug=episode.slug)
    assert (episode.title, episode.duration) == ("A new title: with a colon", 3725)
    line = Line.objects.get(section__episode=episode, text="Edited words </script> & more")
    assert (line.sec, line.raw) == (586, None)
    assert Guest.objects.get(slug="vincentwarmerdam").twitter_url == "https://x.com/new_handle"
    assert Topic.objects.count() == topic_count


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_cover_is_exported_beside_the_files(tmp_path):
    assert run_import(FIXTURE_EPISODES).ok
    episode = Episode.objects.get(slug="cloud-data-governance")
    cover = (FIXTURES / "images" / "podcast" / "interpretable-machine-learning.jpg").read_bytes()
    episode.image.save("covers/new-cover.jpg", ContentFile(cover), save=True)
    out = tmp_path / "export"
    call_command("export_episodes", str(out), verbosity=0)
    written = front_matter_data(out / "_podcast" / "cloud-data-governance.md")["image"]
    assert written.startswith("images/podcast/") and (out / written).read_bytes() == cover
    # Unchanged covers keep the path their file gave.
    assert (
        front_matter_data(out / "_podcast" / "interpretable-machine-learning.md")["image"]
        == (front_matter_data(FIXTURE_EPISODES / "interpretable-machine-learning.md")["image"])
    )


@pytest.mark.django_db
def test_a_renamed_topic_is_written_by_the_first_file_that_names_it(tmp_path):
    assert run_import(FIXTURE_EPISODES).ok
    topic = Topic.objects.filter(episodes__isnull=False).distinct().first()
    topic.name = topic.name.upper()
    topic.save()
    out = tmp_path / "export"
    call_command("export_episodes", str(out), verbosity=0)
    first = sorted(
        path
        for path in (out / "_podcast").glob("*.md")
        if topic.name.lower() in str(front_matter_data(path).get("topics", "")).lower()
    )[0]
    assert topic.name in front_matter_data(first)["topics"]


# --- the command ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_summary_dry_run_and_unchanged_files(tmp_path, capsys):
    assert run_import(FIXTURE_EPISODES).ok
    out = tmp_path / "export"
    call_command("export_episodes", str(out), "--dry-run")
    assert "would write 20 files" in capsys.readouterr().out
    assert not out.exists()
    call_command("export_episodes", str(out))
    assert "9 episodes and 11 people exported" in capsys.readouterr().out
    (out / "_podcast" / "gone.md").write_text("---\ntitle: x\n---\n")
    call_command("export_episodes", str(out))
    captured = capsys.readouterr()
    assert "wrote 0 files, 20 unchanged, 1 other files left alone" in captured.out
    assert "_podcast/gone.md: not written by this export" in captured.err
    assert not list(out.rglob(".*.tmp")), "no temporary files left behind"


@pytest.mark.django_db
def test_an_unwritable_folder_is_a_clear_error(tmp_path):
    assert run_import(FIXTURE_EPISODES).ok
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(CommandError, match=r"cannot write to .*a-file/export"):
        call_command("export_episodes", str(blocker / "export"))


@pytest.mark.django_db
def test_a_file_that_would_not_read_back_stops_the_export_before_anything_is_written(tmp_path):
    assert run_import(FIXTURE_EPISODES).ok
    Episode.objects.filter(slug="cloud-data-governance").update(slug="Upper-Case")  # the importer lowercases slugs
    out = tmp_path / "export"
    with pytest.raises(CommandError, match="1 file"):
        call_command("export_episodes", str(out), verbosity=0)
    assert not list(out.rglob("*.md"))


@pytest.mark.django_db
def test_export_runs_a_fixed_number_of_queries(tmp_path, django_assert_num_queries):
    assert run_import(FIXTURE_EPISODES).ok
    with django_assert_num_queries(7):  # episodes, guests, topics, clips, sections, lines; people
        export = build_export()
    assert len(export.episodes) == 9 and not export.failures
    shutil.rmtree(tmp_path / "x", ignore_errors=True)
    assert write_export(export, tmp_path / "x", dry_run=True).written


# --- recording the layout -------------------------------------------------------------------------


def test_recorded_values_survive_json_with_types_and_order():
    value = {
        "b": 1,
        "a": [datetime.date(2024, 1, 22), 1.5, True, None, {"z": 1, "y": 2}],
        2021: "a number key",
        "when": datetime.datetime(2024, 1, 22, 10, 30),
        "nan": float("nan"),
    }
    assert same(decode(encode(value)), value)
    assert decode(encode(ABSENT)) is ABSENT
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1}) and not same(1, True) and not same(1, 1.0)


def test_only_lines_the_fields_would_not_give_back_are_kept_as_written():
    episode = parse_episode((EDGE_CASES / "times.md").read_text("utf-8"), "times.md")
    raws = [line.raw for section in episode.sections for line in section.lines]
    assert raws and all(raw is not None for raw in raws)  # every line of times.md has a twist
    seed = parse_episode((FIXTURE_EPISODES / "s19e04-mlops-as-a-team.yaml").read_text("utf-8"), "s19e04.yaml")
    kept = [line for section in seed.sections for line in section.lines if line.raw is not None]
    assert len(kept) <= 2 and seed.line_count > 100
    assert seed.layout["raw"]["image"] == "images/podcast/s19e04-mlops-as-team.jpg"


@pytest.mark.corpus
def test_the_real_archive_records_little(corpus):
    lines = kept = 0
    for path in sorted((corpus / "datatalksclub" / "_podcast").glob("[!_]*.md")):
        episode = parse_episode(path.read_text("utf-8"), path.name)
        for section in episode.sections:
            lines += len(section.lines)
            kept += sum(line.raw is not None for line in section.lines)
    assert lines > 27000 and kept < 20


ODD_EPISODE = """---
season: 92
episode: 7
title: '  An odd file  '
slug: Odd File
guests: [oddperson, nobody]
ids:
  youtube: abc123
  anchor: some---anchor
links:
  youtube: https://www.youtube.com/watch?v=abc123
  spotify: TODO
  apple: ''
  myspace: https://myspace.com/x
image: ' images/podcast/missing.jpg'
intro: 'Hi <script>alert(1)</script><a href="https://x.org">x</a>'
topics: [MLOps, mlops, ' Data ']
dateadded: '2024-01-22'
duration: PT1H2M3S
2021: a number key
date: 2024-01-23
nested: {b: 1, a: [1, {d: 2, c: 3}]}
quotableClips:
- startOffset: '5'
  name: Intro
  endOffset: 9
transcript:
- header: ' Opening '
  note: a header with a key of its own
- line: '  Hello.  '
  who: Alexey
  sec: 5.0
- line: No sec, a time only.
  time: 1:18
---

Show notes.
"""

ODD_PERSON = """---
picture: images/authors/ odd.jpg
short: oddperson
twitter: '@odd_handle'
web: www.odd.example
github: https://github.com/odd/
---
A bio.
"""


@pytest.mark.django_db
def test_every_kind_of_oddity_is_written_back_as_the_file_had_it(tmp_path):
    archive = tmp_path / "archive"
    (archive / "_podcast").mkdir(parents=True)
    (archive / "_people").mkdir()
    source = archive / "_podcast" / "odd.md"
    source.write_text(ODD_EPISODE)
    (archive / "_people" / "oddperson.md").write_text(ODD_PERSON)
    assert run_import(archive / "_podcast").count("created") == 1
    episode = Episode.objects.get(slug="odd-file")
    assert (episode.duration, str(episode.published_on)) == (3723, "2024-01-22")

    out = tmp_path / "export"
    call_command("export_episodes", str(out), verbosity=0)
    exported = out / "_podcast" / "odd-file.md"  # named after its slug: "odd.md" does not give it
    got, want = front_matter_data(exported), front_matter_data(source)
    assert [key for key in want if not same(got.get(key), want[key])] == []
    assert same(got, want)
    assert_same_key_order(want, got, "odd-file.md")
    assert body(exported) == "Show notes."
    person = out / "_people" / "oddperson.md"
    assert same(front_matter_data(person), front_matter_data(archive / "_people" / "oddperson.md"))

    # An editor changes one link and one line: only those are rewritten, the rest stays as written.
    Episode.objects.filter(pk=episode.pk).update(spotify_url="https://open.spotify.com/episode/1")
    Line.objects.filter(section__episode=episode, text="Hello.").update(text="Hello again.")
    call_command("export_episodes", str(out), verbosity=0)
    data = front_matter_data(exported)
    assert data["links"] == {
        "youtube": "https://www.youtube.com/watch?v=abc123",
        "spotify": "https://open.spotify.com/episode/1",
        "apple": "",
        "myspace": "https://myspace.com/x",
    }
    assert data["transcript"][1] == {"line": "Hello again.", "sec": 5, "time": "0:05", "who": "Alexey"}
    assert data["transcript"][2] == {"line": "No sec, a time only.", "time": 78}
    assert data["transcript"][0] == {"header": " Opening ", "note": "a header with a key of its own"}
    assert data["date"] == datetime.date(2024, 1, 23) and data[2021] == "a number key"
