"""Search: what it finds, how it ranks and shows matches, its filters and pages, and any input at all.

Every test here runs on the engine in use: SQLite in the first pass of
``make test``, PostgreSQL in the second (scripts/run_postgres_tests.py).
"""

import datetime

import pytest
from django.urls import reverse
from django.utils.html import escape

from episodes.models import Appearance, Episode, Guest, Line, Section, Topic
from episodes.search import SearchFilters, search
from episodes.search.engine import EMPTY_QUERY, NOTHING_FOUND, ONLY_EXCLUSIONS, PER_PAGE, TRUNCATED

pytestmark = pytest.mark.django_db

MATH = "from-math-graduate-to-data-analytics"  # its transcript has "<an hourly amount>"


def make_episode(number, title="An episode", *, season=90, description="", guests=(), topics=(), sections=(), **fields):
    """An episode with ``sections``: [(heading, [line text, ...]), ...]; lines bulk-created, like the importer."""
    episode = Episode.objects.create(
        season=season,
        number=number,
        slug=f"test-s{season}e{number}",
        title=title,
        description=description,
        youtube_id=f"video{season}x{number}",
        published_on=datetime.date(2000, 1, 1) + datetime.timedelta(days=season * 50 + number),
        **fields,
    )
    Appearance.objects.bulk_create(
        Appearance(episode=episode, guest=guest, position=position) for position, guest in enumerate(guests)
    )
    episode.topics.set(topics)
    for position, (heading, texts) in enumerate(sections):
        section = Section.objects.create(episode=episode, position=position, title=heading)
        Line.objects.bulk_create(
            Line(section=section, position=i, speaker="Host", sec=60 * (position + i), text=text)
            for i, text in enumerate(texts)
        )
    return episode


def lines(*texts):
    """One untitled section holding these lines."""
    return [("", list(texts))]


def get(client, **params):
    response = client.get(reverse("episodes:search"), params)
    assert response.status_code == 200
    return response


def found(client, **params):
    """Slugs of the episodes on the results page, in order."""
    page = get(client, **params).context["results"].page
    return [match.episode.slug for match in page.object_list] if page else []


def slugs(results):
    return [match.episode.slug for match in results.page.object_list]


# --- What is searched ------------------------------------------------------------


def test_finds_titles_descriptions_guests_headings_and_lines():
    guest = Guest.objects.create(slug="ann", name="Ann Quokkason")
    make_episode(1, "Quokka title")
    make_episode(2, description="A talk about the quokka.")
    make_episode(3, guests=[guest])
    make_episode(4, sections=[("Quokka chapter", ["Nothing here."])])
    make_episode(5, sections=lines("Then a quokka walked in."))
    make_episode(6, sections=lines("Nothing about it."))
    assert sorted(slugs(search('"quokka"'))) == [f"test-s90e{n}" for n in (1, 2, 4, 5)]
    assert slugs(search("quokkason")) == ["test-s90e3"]
    assert len(slugs(search("quokka"))) == 5  # the last word is a prefix: "Quokkason" too


def test_drafts_are_never_searched():
    make_episode(1, "Quokka draft", status=Episode.Status.DRAFT, sections=lines("quokka"))
    assert search("quokka").episode_count == 0


def test_case_and_accents_do_not_matter():
    make_episode(1, sections=lines("Raphaël met a QUOKKA."))
    assert search("raphael quokka").line_count == 1
    assert search("RAPHAËL").line_count == 1


# --- Ranking -----------------------------------------------------------------------


def test_title_match_outranks_passing_mentions():
    make_episode(1, "The quokka episode", sections=lines("Nothing to see."))
    make_episode(2, "Something else", sections=lines("I once saw a quokka.", "Another quokka, yes."))  # newer
    assert slugs(search("quokka")) == ["test-s90e1", "test-s90e2"]


def test_heading_match_outranks_a_passing_mention():
    make_episode(1, sections=[("Why wombats dig", ["They just do."])])
    make_episode(2, sections=lines("A wombat, in passing."))  # newer
    assert slugs(search("wombats")) == ["test-s90e1"]  # no stemming: "wombat" is another word
    assert slugs(search("wombat")) == ["test-s90e1", "test-s90e2"]  # "wombat" is a prefix of "wombats"


def test_more_mentions_rank_higher_then_newest_first():
    make_episode(1, sections=lines("quokka", "quokka again", "and quokka"))
    make_episode(2, sections=lines("one quokka"))
    make_episode(3, sections=lines("a quokka too"))
    assert slugs(search("quokka")) == ["test-s90e1", "test-s90e3", "test-s90e2"]


# --- The query language ------------------------------------------------------------------


def test_all_words_must_match_in_the_same_line():
    make_episode(1, sections=lines("machine learning at scale"))
    make_episode(2, sections=lines("a machine", "learning alone"))
    assert slugs(search("learning machine")) == ["test-s90e1"]


def test_phrase_needs_the_words_together_and_in_order():
    make_episode(1, sections=lines("machine learning at scale"))
    make_episode(2, sections=lines("learning about the machine"))
    assert sorted(slugs(search("machine learning"))) == ["test-s90e1", "test-s90e2"]
    assert slugs(search('"machine learning"')) == ["test-s90e1"]


def test_last_word_matches_as_a_prefix_and_only_the_last():
    make_episode(1, sections=lines("kubernetes operators"))
    assert search("kube").line_count == 1
    assert search("operators kube").line_count == 1
    assert search("kube operators").line_count == 0  # "kube" is not the last word: a whole word
    assert search('"kube"').line_count == 0  # a closed phrase is what was typed


def test_minus_excludes():
    make_episode(1, sections=lines("spark and hadoop", "spark alone"))
    make_episode(2, "Spark with hadoop")
    results = search("spark -hadoop")
    assert slugs(results) == ["test-s90e1"]
    assert results.line_count == 1
    assert [str(hit.html) for hit in results.page.object_list[0].lines] == ["<mark>spark</mark> alone"]


def test_excluded_phrase():
    make_episode(1, sections=lines("big data is big", "data is big"))
    assert search('data -"big data"').line_count == 1


# --- Results: groups, snippets, links, counts ------------------------------------------


def test_results_are_grouped_by_episode_with_counts(client):
    make_episode(1, sections=[("One", ["quokka one"]), ("Two", ["no", "quokka two"])])
    make_episode(2, sections=lines("quokka three"))
    results = get(client, q="quokka").context["results"]
    assert (results.episode_count, results.line_count) == (2, 3)
    first = results.page.object_list[0]
    assert first.episode.slug == "test-s90e1"
    assert [hit.line.text for hit in first.lines] == ["quokka one", "quokka two"]  # in transcript order
    assert "2 episodes, 3 matching lines" in get(client, q="quokka").content.decode()


def test_snippet_escapes_html_and_marks_the_match(client):
    make_episode(1, sections=lines('Use <b>bold</b> & <script>alert("quokka")</script> for the quokka.'))
    html = get(client, q="quokka").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(&quot;<mark>quokka</mark>&quot;)" in html
    assert "the <mark>quokka</mark>." in html
    assert "<b>bold" not in html and "<script>alert" not in html


def test_snippet_of_a_real_line_with_angle_brackets(client, fixture_archive):
    html = get(client, q="hourly").content.decode()
    assert "&lt;an <mark>hourly</mark> amount&gt;" in html


def test_title_and_heading_matches_are_marked_too(client):
    make_episode(1, "Quokka <3 title", sections=[("All about <quokka>", ["text"])])
    html = get(client, q="quokka").content.decode()
    assert "<mark>Quokka</mark> &lt;3 title" in html
    assert "All about &lt;<mark>quokka</mark>&gt;" in html


def test_each_line_links_to_its_moment_and_to_the_video_at_that_second(client):
    episode = make_episode(1, sections=[("Intro", ["hello"]), ("Main", ["first", "the quokka line"])])
    line = Line.objects.get(text="the quokka line")
    html = get(client, q="quokka").content.decode()
    assert line.get_absolute_url() == f"{episode.get_absolute_url()}#s1-l1"
    assert f'href="{line.get_absolute_url()}"' in html
    assert f'href="{escape(episode.video_url(line.sec))}"' in html


def test_heading_links_to_its_section(client):
    episode = make_episode(1, sections=[("Intro", ["hello"]), ("The quokka part", ["text"])])
    assert f'href="{episode.get_absolute_url()}#s1"' in get(client, q="quokka").content.decode()


def test_long_line_is_cut_around_the_match():
    make_episode(1, sections=lines(" ".join(["filler"] * 100 + ["quokka"] + ["tail"] * 100)))
    html = str(search("quokka").page.object_list[0].lines[0].html)
    assert html.startswith("…filler") and html.endswith("tail…")
    assert "<mark>quokka</mark>" in html
    assert len(html.split()) < 60


def test_a_few_lines_per_episode_and_how_many_more(client):
    make_episode(1, sections=lines(*[f"quokka number {i}" for i in range(7)]))
    match = search("quokka").page.object_list[0]
    assert (len(match.lines), match.line_count, match.more_lines) == (3, 7, 4)
    assert "4 more matching lines in this episode" in get(client, q="quokka").content.decode()


# --- Filters ----------------------------------------------------------------------------


def test_season_filter(client):
    make_episode(1, sections=lines("quokka"))
    make_episode(1, season=91, sections=lines("quokka"))
    assert found(client, q="quokka", season="91") == ["test-s91e1"]


def test_guest_filter(client):
    ann = Guest.objects.create(slug="ann", name="Ann")
    make_episode(1, guests=[ann], sections=lines("quokka"))
    make_episode(2, sections=lines("quokka"))
    assert found(client, q="quokka", guest="ann") == ["test-s90e1"]


def test_topic_filter(client):
    topic = Topic.objects.create(name="Marsupials", slug="marsupials")
    make_episode(1, topics=[topic], sections=lines("quokka"))
    make_episode(2, sections=lines("quokka"))
    assert found(client, q="quokka", topic="marsupials") == ["test-s90e1"]


def test_speaker_filter_keeps_only_their_lines(client):
    ann = Guest.objects.create(slug="ann", name="Ann")
    make_episode(1, "Quokka title", sections=lines("ann on the quokka", "bob on the quokka"))
    make_episode(2, "Quokka only in the title", sections=lines("ann says nothing"))
    Line.objects.filter(text__startswith="ann").update(person=ann)
    results = get(client, q="quokka", speaker="ann").context["results"]
    assert slugs(results) == ["test-s90e1"]  # a title is nobody's words
    assert [hit.line.text for hit in results.page.object_list[0].lines] == ["ann on the quokka"]
    assert results.line_count == 1


def test_speaker_choices_are_the_people_heard_in_published_episodes(client):
    ann, bob, cy = (Guest.objects.create(slug=slug, name=slug.title()) for slug in ("ann", "bob", "cy"))
    make_episode(1, sections=lines("ann speaks"))
    make_episode(2, status=Episode.Status.DRAFT, sections=lines("bob speaks"))
    Line.objects.filter(text="ann speaks").update(person=ann)
    Line.objects.filter(text="bob speaks").update(person=bob)
    html = get(client, q="speaks", speaker="ann").content.decode()
    assert '<option value="ann" selected>Ann</option>' in html
    assert 'value="bob"' not in html and 'value="cy"' not in html


def test_filters_combine(client):
    topic = Topic.objects.create(name="Marsupials", slug="marsupials")
    make_episode(1, topics=[topic], sections=lines("quokka"))
    make_episode(1, season=91, topics=[topic], sections=lines("quokka"))
    make_episode(2, season=91, sections=lines("quokka"))
    assert found(client, q="quokka", season="91", topic="marsupials") == ["test-s91e1"]


def test_invalid_filter_is_ignored_and_explained(client):
    make_episode(1, sections=lines("quokka"))
    response = get(client, q="quokka", season="abc", topic="nope")
    assert slugs(response.context["results"]) == ["test-s90e1"]
    assert "Some filters could not be used" in response.content.decode()


def test_search_filters_in_python():
    ann = Guest.objects.create(slug="ann", name="Ann")
    make_episode(1, sections=lines("quokka"))
    make_episode(2, guests=[ann], sections=lines("quokka"))
    results = search("quokka", SearchFilters(episodes=Episode.objects.filter(guests=ann)))
    assert slugs(results) == ["test-s90e2"]


# --- Pages and queries ----------------------------------------------------------------------


def test_pages_of_episode_groups(client):
    for number in range(1, PER_PAGE + 3):
        make_episode(number, sections=lines("quokka"))
    first = get(client, q="quokka").context["results"]
    second = get(client, q="quokka", page="2").context["results"]
    assert (first.episode_count, first.line_count) == (PER_PAGE + 2, PER_PAGE + 2)
    assert len(first.page.object_list) == PER_PAGE and len(second.page.object_list) == 2
    assert not set(slugs(first)) & set(slugs(second))
    assert "page 2 of 2" in get(client, q="quokka", page="2").content.decode()
    assert slugs(get(client, q="quokka", page="x").context["results"]) == slugs(first)


# The search page's queries, however much it finds: the filter form's choices (4), where
# episodes match (3), their order (1), the page's episodes and guests (2), highlighted titles (1),
# headings (2: highlighted, then the sections) and lines (2: the best ones highlighted, then the lines).
SEARCH_PAGE_QUERIES = 15


def test_query_count_does_not_grow_with_results(client, django_assert_num_queries):
    ann = Guest.objects.create(slug="ann", name="Ann")
    make_episode(99, "quokka", season=99, sections=[("quokka", ["quokka"])])  # a match of every kind
    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        get(client, q="quokka")
    for number in range(1, 2 * PER_PAGE):
        make_episode(number, "Quokka", guests=[ann], sections=[("Quokka", ["quokka"] * 5)] * 3)
    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        response = get(client, q="quokka")
    assert len(response.context["results"].page.object_list) == PER_PAGE


def test_query_count_with_nothing_found(client, django_assert_num_queries):
    make_episode(1, sections=lines("quokka"))
    with django_assert_num_queries(7):  # the form's choices and the three counts: no page to fill
        get(client, q="wombat")


# --- Messages -----------------------------------------------------------------------------------


def test_empty_query_explains_what_to_type(client):
    response = get(client, q="")
    assert response.context["results"].message == EMPTY_QUERY
    assert not response.context["results"].searched
    assert get(client).context["results"].message == EMPTY_QUERY


def test_only_exclusions_asks_for_a_word(client):
    assert get(client, q="-quokka").context["results"].message == ONLY_EXCLUSIONS


def test_nothing_found_suggests_broader_searches(client):
    make_episode(1, sections=lines("quokka and wombat", "wombat alone"))
    response = get(client, q='"wombat quokka" -alone')
    results = response.context["results"]
    assert results.message == NOTHING_FOUND
    assert results.suggestions == ['"wombat quokka"', "wombat quokka -alone"]
    html = response.content.decode()
    assert "?q=wombat+quokka+-alone" in html
    assert search(results.suggestions[1]).episode_count == 1


def test_nothing_found_with_filters_offers_all_episodes(client):
    make_episode(1, sections=lines("quokka"))
    html = get(client, q="quokka", season="90", topic="").content.decode()
    assert "without the filters" not in html
    make_episode(1, season=91, sections=lines("wombat"))
    html = get(client, q="quokka", season="91").content.decode()
    assert f'href="{reverse("episodes:search")}?q=quokka"' in html


def test_too_many_terms_are_cut_with_a_notice(client):
    make_episode(1, sections=lines(" ".join(f"w{i}" for i in range(20))))
    response = get(client, q=" ".join(f"w{i}" for i in range(20)))
    assert TRUNCATED in response.context["results"].notices
    assert response.context["results"].line_count == 1


# --- Any input at all ---------------------------------------------------------------------------


HOSTILE = [
    '"', "(", ")", "AND", "OR", "NEAR", "*", ":", "a:b", "-", "--", '""', "x" * 1000, "quokka " * 143, "😀",
    "\x00", "quokka\x00", "'; DROP TABLE episodes_line; --", "' OR 1=1 --", "NEAR(a b, 2)", "a OR", "title:quokka",
    "{title}: quokka", "^quokka", "quokka*", '"unbalanced', "(((", "\\", "%", "_", "!quokka & 'x'", "quokka:*",
    "<script>alert(1)</script>", "-quokka -", "\u202equokka", "\ue000quokka\ue001",
]  # fmt: skip


@pytest.mark.parametrize("query", HOSTILE)
def test_any_query_answers_200(client, fixture_archive, query):
    response = get(client, q=query)
    assert "<script>alert" not in response.content.decode()
    assert Line.objects.exists()


@pytest.mark.parametrize("name", ["season", "guest", "topic", "speaker", "page", "year"])
@pytest.mark.parametrize("value", ["\x00", "'", "-1", "9" * 30, "😀"])
def test_any_filter_value_answers_200(client, fixture_archive, name, value):
    get(client, q="data", **{name: value})


def test_operators_are_searched_as_words():
    make_episode(1, sections=lines("this OR that", "near the end"))
    assert search("or").line_count == 1
    assert search("NEAR").line_count == 1
