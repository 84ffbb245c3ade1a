"""The file parser on text: both file shapes, every field rule and every error (pure Python, no database)."""

import datetime
import textwrap

import pytest

from episodes.parsing import ParseError, parse_episode, parse_person, profile_url, slug_from_filename

from .conftest import EDGE_CASES, FIXTURE_EPISODES, FIXTURES, front_matter_data

SEED_FIXTURE = FIXTURE_EPISODES / "s19e04-mlops-as-a-team.yaml"
MINIMAL = "season: 90\nepisode: 1\ntitle: A title\n"


def markdown_file(front_matter, body=""):
    """An episode file in the Jekyll shape: front matter between --- lines, then the body."""
    return f"---\n{front_matter}---\n{body}"


def parse(front_matter, body="", filename="some-episode.md"):
    return parse_episode(markdown_file(front_matter, body), filename)


def parse_error(text, filename="some-episode.md"):
    with pytest.raises(ParseError) as caught:
        parse_episode(text, filename)
    return caught.value


# --- File shapes -------------------------------------------------------------


def test_seed_anchor_id_with_dashes_round_trips_exactly():
    text = SEED_FIXTURE.read_text("utf-8")
    anchor = front_matter_data(SEED_FIXTURE)["ids"]["anchor"]
    assert "---" in anchor
    episode = parse_episode(text, SEED_FIXTURE.name)
    assert episode.anchor_id == anchor
    assert f"  anchor: {episode.anchor_id}\n" in text


@pytest.mark.parametrize("filename", ["seed.yaml", "seed.yml", "seed.txt", "seed.md"])
def test_seed_text_reads_in_every_shape(filename):
    # The seed's closing --- opens an empty second document: a YAML file may end with it.
    episode = parse_episode(SEED_FIXTURE.read_text("utf-8"), filename)
    assert (episode.season, episode.number, episode.title) == (19, 4, "MLOps as a Team")
    assert episode.show_notes == ""


def test_yaml_file_without_markers_is_one_document():
    episode = parse_episode(MINIMAL, "bare.yaml")
    assert (episode.season, episode.number, episode.title) == (90, 1, "A title")


def test_yaml_file_with_a_second_document_is_refused_at_its_line():
    error = parse_error(f"---\n{MINIMAL}---\nseason: 2\n", "two-documents.yaml")
    assert error.line == 6
    assert "one document" in error.message


def test_markdown_body_is_the_show_notes_and_may_hold_rules():
    episode = parse(MINIMAL, body="\n## Links\n\n---\n\n* [Site](https://example.com)\n")
    assert episode.show_notes == "## Links\n\n---\n\n* [Site](https://example.com)"


def test_only_a_line_that_is_exactly_three_dashes_delimits():
    never_closed = f"---\n{MINIMAL}short: A---B\n--- not a delimiter\n----\nBody\n"
    assert "not closed" in parse_error(never_closed).message
    episode = parse_episode(f"---\n{MINIMAL}short: A---B\n---\nBody\n", "x.md")
    assert episode.short_title == "A---B"
    assert episode.show_notes == "Body"


def test_markdown_without_front_matter_is_refused_at_line_1():
    error = parse_error("# Notes only\n", "notes.md")
    assert error.line == 1
    assert "no front matter" in error.message


def test_unclosed_front_matter_is_refused():
    assert "not closed" in parse_error(f"---\n{MINIMAL}", "open.md").message


def test_byte_order_mark_and_windows_line_ends_are_accepted():
    episode = parse_episode("\ufeff" + markdown_file(MINIMAL, "Notes\n").replace("\n", "\r\n"), "x.md")
    assert episode.title == "A title"
    assert episode.show_notes == "Notes"


@pytest.mark.parametrize(
    ("filename", "slug"),
    [
        (
            "mentoring-in-tech-how-to-find-and-become-a-mentor.md.md",
            "mentoring-in-tech-how-to-find-and-become-a-mentor",
        ),
        ("s19e04-mlops-as-a-team.yaml", "s19e04-mlops-as-a-team"),
        ("_s12e08.md", "s12e08"),
        ("Odd Name!.md", "odd-name"),
    ],
)
def test_slug_from_filename(filename, slug):
    assert slug_from_filename(filename) == slug


def test_slug_field_wins_over_the_file_name():
    assert parse(MINIMAL + "slug: Chosen-Slug\n", filename="file-name.md").slug == "chosen-slug"
    assert parse(MINIMAL, filename="file-name.md.md").slug == "file-name"


# --- YAML errors ---------------------------------------------------------------


def test_yaml_error_gives_the_line_and_column_in_the_file():
    text = (EDGE_CASES / "bad-not-yaml.md").read_text("utf-8")
    error = parse_error(text, "bad-not-yaml.md")
    assert error.message.startswith("not valid YAML: mapping values are not allowed")
    bad_line = text.split("\n")[error.line - 1]
    assert bad_line.startswith("title: Broken:")
    assert bad_line[error.column - 1] == ":"  # the second colon, the one YAML objects to
    assert str(error).startswith(f"line {error.line}, column {error.column}: ")


def test_yaml_error_in_a_yaml_file_counts_from_its_first_line():
    error = parse_error(f"---\n{MINIMAL}short: [unclosed\nimage: x\n---\n", "bad.yaml")
    assert error.line is not None
    assert error.line >= 5  # never a line inside the front matter's own numbering (which starts at 1)


def test_aliases_are_refused_with_their_place():
    text = (EDGE_CASES / "bad-alias.md").read_text("utf-8")
    error = parse_error(text, "bad-alias.md")
    assert "aliases" in error.message
    assert "&name" in text.split("\n")[error.line - 1]


def test_an_alias_bomb_is_refused_before_it_expands():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b]\n'
    assert "aliases" in parse_error(f"---\n{MINIMAL}{bomb}---\n").message


def test_liquid_template_is_refused_at_its_line():
    text = (EDGE_CASES / "bad-liquid.md").read_text("utf-8")
    error = parse_error(text, "bad-liquid.md")
    assert "Liquid template" in error.message
    assert "{{ title }}" in error.message
    assert error.line == 2


@pytest.mark.parametrize(
    ("front_matter", "tag"),
    [
        (MINIMAL + "ids:\n  youtube: {{ youtube_id }}\n", "{{ youtube_id }}"),
        (MINIMAL + "guests:\n- {{ guest }}\n", "{{ guest }}"),
        (MINIMAL + "short: '{% if short %}x{% endif %}'\n", "{% if short %}"),
    ],
)
def test_liquid_placeholders_in_any_field_mark_a_template(front_matter, tag):
    text = markdown_file(front_matter)
    error = parse_error(text)
    assert error.message == f"this is a Liquid template ({tag!r}), not an episode"
    assert tag in text.split("\n")[error.line - 1]


def test_liquid_like_text_inside_a_transcript_line_is_just_text():
    # A dbt episode may well quote a Jinja expression; that does not make the file a template.
    episode = parse(
        MINIMAL
        + textwrap.dedent(
            """\
        transcript:
        - line: In dbt you write {{ ref('orders') }} and {% if x %} blocks.
          who: Alexey
          sec: 5
        """
        )
    )
    assert episode.sections[0].lines[0].text == "In dbt you write {{ ref('orders') }} and {% if x %} blocks."


# --- Field rules and their errors --------------------------------------------------


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("- season: 1\n", "must be a mapping of fields, not a list"),
        ("just text\n", "must be a mapping of fields, not text"),
        ("# only a comment\n", "front matter is empty"),
        ("episode: 1\ntitle: T\n", "missing required field 'season'"),
        ("season: 1\ntitle: T\n", "missing required field 'episode'"),
        ("season: 1\nepisode: 1\n", "missing required field 'title'"),
        ("season: 1\nepisode: 1\ntitle: ''\n", "'title' must not be empty"),
        ("season: nineteen\nepisode: 1\ntitle: T\n", "'season' must be a whole number, not text ('nineteen')"),
        ("season: true\nepisode: 1\ntitle: T\n", "'season' must be a whole number, not true/false"),
        ("season: 1\nepisode: 1.5\ntitle: T\n", "'episode' must be a whole number, not a number (1.5)"),
        ("season: -1\nepisode: 1\ntitle: T\n", "'season' must not be negative"),
        ("season: 1\nepisode: 1\ntitle: [a, b]\n", "'title' must be text, not a list"),
        (MINIMAL + "guests: {a: b}\n", "'guests' must be a list, not a mapping"),
        (MINIMAL + "topics: [ok, {a: b}]\n", "'topics' item 2 must be text, not a mapping"),
        (MINIMAL + "ids: abc\n", "'ids' must be a mapping, not text"),
        (MINIMAL + "dateadded: last week\n", "'dateadded' must be a date like 2024-01-22"),
        (MINIMAL + "duration: 1 hour\n", "'duration' must be an ISO 8601 duration"),
        (MINIMAL + "transcript: hello\n", "'transcript' must be a list, not text"),
        (MINIMAL + "links:\n  youtube: [x]\n", "'links.youtube' must be text, not a list"),
        (MINIMAL + "quotableClips:\n- name: C\n  startOffset: 9\n  endOffset: 3\n", "endOffset 3 is before"),
    ],
)
def test_bad_fields_are_refused_with_a_message(front_matter, message):
    assert message in parse_error(markdown_file(front_matter)).message


def test_digit_strings_are_accepted_as_numbers():
    episode = parse("season: '19'\nepisode: '4'\ntitle: T\n")
    assert (episode.season, episode.number) == (19, 4)


def test_transcript_item_neither_header_nor_line_is_refused_at_its_line():
    text = (EDGE_CASES / "bad-transcript-item.md").read_text("utf-8")
    error = parse_error(text, "bad-transcript-item.md")
    assert error.message == "transcript item 3 is neither a header nor a line (it has question, who)"
    assert text.split("\n")[error.line - 1] == "- question: Is this a line?"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("- just text", "transcript item 1 must be a mapping with 'header' or 'line', not text"),
        ("- header: H\n  line: L", "transcript item 1 has both 'header' and 'line'"),
        ("- line: L\n  sec: soon", "transcript item 1: 'sec' must be a whole number of seconds, not 'soon'"),
        ("- line: L\n  sec: -5", "transcript item 1: 'sec' must be a whole number of seconds, not -5"),
        ("- line: [L]", "transcript item 1: 'line' must be text, not a list"),
    ],
)
def test_bad_transcript_items_are_refused(item, message):
    error = parse_error(markdown_file(f"{MINIMAL}transcript:\n{item}\n"))
    assert error.message == message
    assert error.line == 6  # the item's own line in the file


# --- Times -----------------------------------------------------------------------


def times_by_text(episode):
    return {line.text: line.sec for section in episode.sections for line in section.lines}


def test_times_as_the_files_write_them():
    episode = parse_episode((EDGE_CASES / "times.md").read_text("utf-8"), "times.md")
    secs = list(times_by_text(episode).values())
    assert secs == [78, 125, 586, 601]
    # Only the disagreement is worth a warning; the folded '9:\n46' equals its sec.
    assert episode.warnings == ["transcript item 4: time '10:00' disagrees with sec 601; using sec"]


def test_unquoted_time_is_read_by_yaml_as_base_60():
    episode = parse(MINIMAL + "transcript:\n- line: L\n  time: 1:18\n- line: M\n  time: 1:02:03\n")
    assert [line.sec for line in episode.sections[0].lines] == [78, 3723]


def test_malformed_time_warns_and_keeps_sec():
    # real: learning-machine-learning-self-taught-bioinformatics.md has time 37:567 with sec 2787
    episode = parse(MINIMAL + "transcript:\n- line: L\n  sec: 2787\n  time: 37:567\n")
    assert episode.sections[0].lines[0].sec == 2787
    assert episode.warnings == ["transcript item 1: time '37:567' is not M:SS or H:MM:SS; using sec 2787"]


def test_malformed_time_without_sec_leaves_the_line_untimed():
    episode = parse(MINIMAL + "transcript:\n- line: L\n  time: soon\n")
    assert episode.sections[0].lines[0].sec is None
    assert "no time for this line" in episode.warnings[0]


# --- Sections ------------------------------------------------------------------------


def test_sections_opening_lines_and_headers_in_a_row():
    episode = parse_episode((EDGE_CASES / "sections.md").read_text("utf-8"), "sections.md")
    assert [(section.title, len(section.lines)) for section in episode.sections] == [
        ("", 1),
        ("First header, no lines of its own", 0),
        ("Second header", 2),
    ]
    assert [section.start_sec for section in episode.sections] == [3, None, 40]


def test_no_opening_section_when_the_transcript_starts_with_a_header():
    episode = parse(MINIMAL + "transcript:\n- header: H\n- line: L\n  sec: 7\n")
    assert [(section.title, section.start_sec) for section in episode.sections] == [("H", 7)]


def test_section_start_skips_untimed_lines():
    episode = parse(MINIMAL + "transcript:\n- header: H\n- line: untimed\n- line: timed\n  sec: 9\n")
    assert episode.sections[0].start_sec == 9


def test_real_file_starting_with_two_headers():
    path = FIXTURE_EPISODES / "ab-testing-and-product-experimentation.md"
    episode = parse_episode(path.read_text("utf-8"), path.name)
    first, second = episode.sections[:2]
    assert (first.title, first.lines, first.start_sec) == ("Podcast Introduction", [], None)
    assert second.title == "Guest Background & Career Transition to Data Science"
    assert second.start_sec == second.lines[0].sec == 63
    assert len(episode.clips) > 0
    assert (episode.clips[0].name, episode.clips[0].start_sec, episode.clips[0].end_sec) == (
        "Podcast Introduction",
        0,
        63,
    )


def test_real_file_with_a_time_folded_over_two_lines():
    path = FIXTURE_EPISODES / "open-source-ml-tools-strategy-and-business-models.md"
    text = path.read_text("utf-8")
    assert "time: '9:\n\n    46'" in text
    episode = parse_episode(text, path.name)
    lines = [line for section in episode.sections for line in section.lines]
    line = next(line for line in lines if line.text.startswith("Also, the legal aspect."))
    assert line.sec == 586
    assert episode.warnings == []


# --- Other fields ---------------------------------------------------------------------


@pytest.mark.parametrize(("value", "seconds"), [("PT1H03M37S", 3817), ("PT1H5S", 3605), ("PT58M", 3480)])
def test_duration_from_iso_8601(value, seconds):
    assert parse(MINIMAL + f"duration: {value}\n").duration == seconds


def test_links_todo_means_absent_and_other_junk_is_a_warning():
    episode = parse(
        MINIMAL
        + textwrap.dedent(
            """\
        links:
          youtube: https://www.youtube.com/watch?v=x
          spotify: TODO
          apple: ''
          anchor: not a url
          soundcloud: https://soundcloud.com/x
        """
        )
    )
    assert episode.links == {"youtube": "https://www.youtube.com/watch?v=x"}
    assert sorted(episode.warnings) == [
        "links.anchor: 'not a url' is not a web address; ignored",
        "links.soundcloud: unknown platform; ignored",
    ]


def test_intro_is_sanitised():
    episode = parse(MINIMAL + "intro: 'One.<br><br>Two.<script>alert(1)</script><img src=x onerror=alert(2)>'\n")
    assert episode.intro == "One.<br><br>Two."


def test_guests_keep_file_order_without_duplicates():
    assert parse(MINIMAL + "guests: [urigilad, jessiashdown, urigilad]\n").guests == ["urigilad", "jessiashdown"]


def test_full_episode_fields():
    episode = parse(
        MINIMAL
        + textwrap.dedent(
            """\
        short: Short
        description: '  Described.  '
        image: images/podcast/x.jpg
        ids:
          youtube: abc123
          anchor: a---b
        topics: [MLOps, career, MLOps]
        dateadded: 2024-01-22
        custom: 2023-05-01
        quotableClips:
        - name: Start
          startOffset: 0
          endOffset: 63
          url: https://www.youtube.com/watch?v=abc123&t=0
        """
        ),
        body="Notes.\n",
    )
    assert (episode.short_title, episode.description, episode.image) == ("Short", "Described.", "images/podcast/x.jpg")
    assert (episode.youtube_id, episode.anchor_id) == ("abc123", "a---b")
    assert episode.topics == ["MLOps", "career"]
    assert episode.published_on == datetime.date(2024, 1, 22)
    assert episode.extra == {"custom": "2023-05-01"}  # unmodelled keys kept, as JSON-friendly values
    assert [(clip.name, clip.start_sec, clip.end_sec) for clip in episode.clips] == [("Start", 0, 63)]
    assert episode.show_notes == "Notes."


def test_real_file_without_short_title():
    path = FIXTURE_EPISODES / "interpretable-machine-learning.md"
    episode = parse_episode(path.read_text("utf-8"), path.name)
    assert episode.short_title == ""
    assert '{:target="_blank"}' in episode.show_notes  # kept in the source; dropped when rendered


# --- People -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "url"),
    [
        ("linkedin", "johanna-bayer/", "https://www.linkedin.com/in/johanna-bayer"),  # real: johannabayer.md
        ("web", "www.bacovic.com", "https://www.bacovic.com"),  # real: radovanbacovic.md
        ("github", "AgaMiko", "https://github.com/AgaMiko"),
        ("twitter", "@adzsroka", "https://x.com/adzsroka"),
        ("linkedin", "https://www.linkedin.com/in/apurva-misra/", "https://www.linkedin.com/in/apurva-misra/"),
        ("web", "https://christophmolnar.com/", "https://christophmolnar.com/"),
        ("github", "TODO", ""),
        ("twitter", "", ""),
    ],
)
def test_profile_url_from_what_the_files_hold(kind, value, url):
    assert profile_url(kind, value) == url


def test_person_file():
    path = FIXTURES / "_people" / "raphaelhoogvliets.md"
    person = parse_person(path.read_text("utf-8"), path.name)
    assert (person.slug, person.name) == ("raphaelhoogvliets", "Raphaël Hoogvliets")
    assert person.picture == "images/authors/raphaelhoogvliets.jpg"
    assert person.github_url == "https://github.com/hoogvliets"
    assert person.linkedin_url == "https://www.linkedin.com/in/hoogvliets"
    assert "leading a team of 12 engineers at Eneco" in person.bio


def test_person_without_short_takes_the_file_name():
    person = parse_person("---\ntitle: Some One\nweb: www.example.org\n---\nBio.\n", "some-one.md")
    assert (person.slug, person.name, person.website_url, person.bio) == (
        "some-one",
        "Some One",
        "https://www.example.org",
        "Bio.",
    )


def test_a_key_given_twice_is_an_error():
    text = "---\nseason: 3\nepisode: 7\ntitle: T\nseason: 4\n---\n"
    with pytest.raises(ParseError, match="line 5, column 1: not valid YAML: the key 'season' is given twice"):
        parse_episode(text, "x.md")
