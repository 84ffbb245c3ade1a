"""Linking transcript speakers to people: the matching rules, the import, relinking and the listing."""

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from episodes.models import Episode, Guest, Line, SpeakerAlias
from episodes.speakers import (
    Person,
    SpeakerMatcher,
    normalise_speaker,
    relink_all,
    relink_episode,
    unmatched_speakers,
)

from .conftest import FIXTURES, run_import

ALEXEY = Person(1, "Alexey Grigorev", "alexeygrigorev")
ADITYA = Person(2, "Aditya Gautam", "adityagautam")
RUSLAN = Person(3, "Ruslan Shchuchkin", "ruslanshchuchkin")
THEO = Person(4, "Theofilos Papapanagiotou", "theofilospapapanagiotou")
MEHDI = Person(5, "Mehdi OUAZZA", "mehdiouazza")
RAPHAEL = Person(6, "Raphaël Hoogvliets", "raphaelhoogvliets")
JOHANNA = Person(7, "Johanna Bayer", "johannabayer")

AI_AGENTS = "s23e03-future-of-ai-agents"
AI_AGENTS_FILE = f"{AI_AGENTS}.md"


def match(who, *guests, aliases=None):
    """Match ``who`` on an episode with these guests, hosted by Alexey."""
    return SpeakerMatcher([*guests, ALEXEY], aliases).match(who)


# --- The rules, on real `who` values -------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Raphaël", "raphael"),
        ("Alexey.", "alexey"),
        ("Theo:", "theo"),
        ("  Juan   Pablo ", "juan pablo"),
        ("Mısra", "misra"),  # dotless ı has no decomposition
        ("\u200bAashish Nair", "aashish nair"),  # a zero-width space from a real profile title
        ("Ella (Wati) Sahnan", "ella wati sahnan"),
        ("Elle O'Brien", "elle o'brien"),
    ],
)
def test_normalise_speaker(text, expected):
    assert normalise_speaker(text) == expected


@pytest.mark.parametrize(
    ("who", "guests", "expected"),
    [
        ("Alexeylexey", [RUSLAN], ALEXEY),  # s23e05: a name followed by a repeat of its tail
        ("Ruslanan", [RUSLAN], RUSLAN),  # s23e05
        ("Adityaitya", [ADITYA], ADITYA),  # s23e03
        ("Andreyy", [Person(8, "Andrey Shtylenko", "andreyshtylenko")], "Andrey Shtylenko"),
        ("Theo:", [THEO], THEO),  # mlops-kubeflow-model-monitoring: nickname and a colon
        ("Alexey.", [MEHDI], ALEXEY),  # scaling-data-engineering-teams-self-service-platforms
        ("Raphaël", [RAPHAEL], RAPHAEL),
        ("Raphael", [RAPHAEL], RAPHAEL),
        ("Misra", [Person(9, "Mısra Turp", "misraturp")], "Mısra Turp"),
        ("Chris", [Person(10, "Krzysztof Szafanek", "krzysztofszafanek")], "Krzysztof Szafanek"),
        ("Michael", [Person(11, "Micheal Lanham", "micheallanham")], "Micheal Lanham"),
        ("Elena", [Person(12, "Eleni Stamatelou", "elenistamatelou")], "Eleni Stamatelou"),
        ("Swyx", [Person(13, "Shawn Swyx Wang", "shawnswyxwang")], "Shawn Swyx Wang"),
        ("Juan Pablo", [Person(14, "Juan Pablo", "juanpablo")], "Juan Pablo"),
        ("ruslanshchuchkin", [RUSLAN], RUSLAN),
    ],
)
def test_real_speakers_match(who, guests, expected):
    person = match(who, *guests)
    assert person is not None
    assert person == expected or person.name == expected


@pytest.mark.parametrize(
    "who",
    [
        "",
        "Alexa",  # technical-writing-for-data-scientists: a typo only an alias can fix
        "Alexeys",  # "s" is not a repeated tail of the name
        "Alexeyalexey",  # the whole name twice is not the glitch
        "Quantifying the value changes the conversation drastically.",  # a line's text in "who"
        "Alexey and Ruslan talk about agents and the tools they use",
    ],
)
def test_what_does_not_match(who):
    assert match(who, RUSLAN) is None


def test_a_sentence_never_matches_even_as_an_alias():
    sentence = "I think I was doing some pet project and wanted some help around Docker"
    assert match(sentence, RUSLAN, aliases={sentence: RUSLAN}) is None


def test_a_shared_first_name_is_ambiguous_unless_the_full_name_or_an_alias_decides():
    first, second = Person(20, "Chris Fregly", "chrisfregly"), Person(21, "Chris Smith", "chrissmith")
    assert match("Chris", first, second) is None
    assert match("Chris Smith", first, second) == second
    assert match("Chris", first, second, aliases={"Chris": first}) == first


def test_a_nickname_shared_with_the_host_is_ambiguous_but_an_exact_first_name_wins():
    hendorf = Person(22, "Alexander Hendorf", "alexanderhendorf")
    assert match("Alex", hendorf) is None
    assert match("Alexander", hendorf) == hendorf
    assert match("Alexey", hendorf) == ALEXEY


def test_an_alias_names_a_person_not_listed_on_the_episode():
    # datatalksclub-scaling-and-free-courses: Johanna interviews Alexey, and only he is listed.
    assert match("Johanna", aliases={"johanna": JOHANNA}) == JOHANNA
    assert match("Johanna") is None


def test_an_alias_does_not_take_a_listed_guests_own_first_name():
    svonava, egbo = Person(23, "Daniel Svonava", "danielsvonava"), Person(24, "Daniel Egbo", "danielegbo")
    aliases = {"Daniel": svonava}
    assert match("Daniel", egbo, aliases=aliases) == egbo
    assert match("Daniel", Person(25, "Reem Mahmoud", "reemmahmoud"), aliases=aliases) == svonava


# --- The database: import, relinking, the listing ---------------------------------


def _people_by_speaker(**episode):
    """{speaker: linked person's slug} for the lines of the episode given by field lookups."""
    lines = Line.objects.filter(section__episode=Episode.objects.get(**episode))
    return dict(lines.values_list("speaker", "person__slug").distinct())


def test_import_links_every_line_to_its_speaker(fixture_archive):
    assert _people_by_speaker(slug=AI_AGENTS) == {
        "Aditya": "adityagautam",
        "Adityaitya": "adityagautam",
        "Alexey": "alexeygrigorev",
    }
    assert _people_by_speaker(slug="s23e05-inside-ai-engineer-role-tools-skills-and-career-path") == {
        "Ruslan": "ruslanshchuchkin",
        "Ruslanan": "ruslanshchuchkin",
        "Alexey": "alexeygrigorev",
        "Alexeylexey": "alexeygrigorev",
    }
    assert _people_by_speaker(season=19, number=4) == {"Raphaël": "raphaelhoogvliets", "Alexey": "alexeygrigorev"}
    assert unmatched_speakers() == []


def test_import_marks_the_configured_hosts(fixture_archive):
    assert list(Guest.objects.filter(is_host=True).values_list("slug", flat=True)) == ["alexeygrigorev"]


def test_hosts_come_from_the_setting(db, settings):
    settings.PODCAST_HOSTS = ["willrussell"]
    run_import(FIXTURES / "_podcast")
    assert list(Guest.objects.filter(is_host=True).values_list("slug", flat=True)) == ["willrussell"]
    # Alexey is no host now, so his lines are his only where he is a guest (nowhere here).
    assert unmatched_speakers() == [("Alexey", Line.objects.filter(speaker="Alexey").count()), ("Alexeylexey", 1)]
    assert _people_by_speaker(season=19, number=4) == {"Raphaël": "raphaelhoogvliets", "Alexey": None}


@pytest.fixture
def archive(tmp_path, db):
    """A writable copy of the fixture episode s23e03 and the fixture people, imported."""
    (tmp_path / "_podcast").mkdir()
    shutil.copy(FIXTURES / "_podcast" / AI_AGENTS_FILE, tmp_path / "_podcast")
    shutil.copytree(FIXTURES / "_people", tmp_path / "_people")
    assert run_import(tmp_path).ok
    return tmp_path


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_reimport_keeps_an_editors_host_choice_until_the_profile_changes(archive):
    Guest.objects.filter(slug="alexeygrigorev").update(is_host=False)
    relink_all()  # as the admin does after an edit
    run_import(archive)
    assert not Guest.objects.get(slug="alexeygrigorev").is_host
    assert _people_by_speaker(slug=AI_AGENTS)["Alexey"] is None

    _edit(archive / "_people" / "alexeygrigorev.md", "is the founder", "is the founder and host")
    run_import(archive)
    assert Guest.objects.get(slug="alexeygrigorev").is_host
    # The people import relinks: Alexey's lines are his again.
    assert _people_by_speaker(slug=AI_AGENTS)["Alexey"] == "alexeygrigorev"


@pytest.fixture
def wrong_guest(archive):
    """s23e03 re-imported with the wrong guest listed (like production-ml-search-... in the real archive)."""
    _edit(archive / "_podcast" / AI_AGENTS_FILE, "- adityagautam\n", "- jakobgraff\n")
    assert run_import(archive).ok
    return archive


def test_reimport_with_other_guests_relinks_the_unchanged_transcript(wrong_guest):
    assert _people_by_speaker(slug=AI_AGENTS) == {"Aditya": None, "Adityaitya": None, "Alexey": "alexeygrigorev"}

    _edit(wrong_guest / "_podcast" / AI_AGENTS_FILE, "- jakobgraff\n", "- adityagautam\n")
    run_import(wrong_guest)
    assert _people_by_speaker(slug=AI_AGENTS)["Aditya"] == "adityagautam"


def test_unmatched_speakers_lists_counts_most_frequent_first(wrong_guest):
    assert unmatched_speakers() == [("Aditya", 96), ("Adityaitya", 3)]
    other = Episode.objects.create(season=1, number=1, slug="other", title="Other")
    assert unmatched_speakers(episode=other) == []


def test_adding_and_removing_an_alias_relinks(wrong_guest):
    alias = SpeakerAlias.objects.create(name="aditya", guest=Guest.objects.get(slug="adityagautam"))
    assert relink_all() == 96
    assert _people_by_speaker(slug=AI_AGENTS)["Aditya"] == "adityagautam"
    assert unmatched_speakers() == [("Adityaitya", 3)]

    alias.delete()
    assert relink_all() == 96
    assert unmatched_speakers() == [("Aditya", 96), ("Adityaitya", 3)]


def test_relink_episode_runs_one_update_per_changed_speaker(wrong_guest, django_assert_num_queries):
    episode = Episode.objects.get(slug=AI_AGENTS)
    episode.appearances.update(guest=Guest.objects.get(slug="adityagautam"))
    # savepoint, hosts, aliases, guests, speakers, 2 updates (99 lines), release.
    with django_assert_num_queries(8):
        assert relink_episode(episode) == 99
    with django_assert_num_queries(6):
        assert relink_episode(episode) == 0


def test_command_lists_unmatched_speakers(wrong_guest):
    out = StringIO()
    call_command("unmatched_speakers", stdout=out)
    assert out.getvalue().splitlines() == ["    96  Aditya", "     3  Adityaitya", "99 lines, 2 speakers unmatched"]


def test_command_for_one_episode(wrong_guest):
    Episode.objects.create(season=1, number=1, slug="other", title="Other")
    out = StringIO()
    call_command("unmatched_speakers", "--episode", "other", stdout=out)
    assert out.getvalue() == "Every speaker is matched.\n"
    with pytest.raises(CommandError, match="no episode with the slug 'missing'"):
        call_command("unmatched_speakers", "--episode", "missing")
