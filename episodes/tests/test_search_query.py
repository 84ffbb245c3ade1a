"""The query language and the engine syntax built from it: pure Python, no database."""

import pytest

from episodes.search.highlight import CLOSE, OPEN, excerpt, marked_html
from episodes.search.postgres import restore_punctuation, tsquery_text
from episodes.search.query import MAX_TERMS, ParsedQuery, Term, parse_query
from episodes.search.sqlite import fts5_query


def test_words_all_required_and_the_last_one_a_prefix():
    parsed = parse_query("Data  engineering")
    assert parsed.include == (Term(("data",)), Term(("engineering",), prefix=True))
    assert parsed.exclude == ()


def test_quoted_phrase_is_one_term_and_never_a_prefix():
    parsed = parse_query('mlops "feature store"')
    assert parsed.include == (Term(("mlops",)), Term(("feature", "store"), quoted=True))


def test_unclosed_quote_runs_to_the_end():
    assert parse_query('"feature store').include == (Term(("feature", "store"), quoted=True),)


def test_minus_excludes_words_and_phrases():
    parsed = parse_query('spark -hadoop -"big data"')
    assert parsed.include == (Term(("spark",)),)
    assert parsed.exclude == (Term(("hadoop",)), Term(("big", "data"), quoted=True))


def test_a_word_broken_by_punctuation_is_a_phrase():
    # As in the transcripts, where "data-driven" is two words in a row.
    assert parse_query("a:b data-driven x").include[:2] == (Term(("a", "b")), Term(("data", "driven")))


def test_one_letter_last_word_is_not_a_prefix():
    assert parse_query("vitamin c").include[-1] == Term(("c",))


@pytest.mark.parametrize("text", ["", "   ", '"', '""', "-", "--", "()", "*", ":", "😀", "\x00"])
def test_nothing_to_search_for(text):
    assert parse_query(text).is_empty


def test_engine_operators_are_plain_words():
    parsed = parse_query("cats AND dogs OR NEAR(x) NOT")
    assert [term.words for term in parsed.include] == [("cats",), ("and",), ("dogs",), ("or",), ("near", "x"), ("not",)]


def test_only_exclusions():
    parsed = parse_query("-spark")
    assert not parsed.include and parsed.exclude


def test_repeated_terms_count_once_and_too_many_are_cut():
    assert len(parse_query("data data data").include) == 2  # "data", then the prefix "data"
    parsed = parse_query(" ".join(f"word{i}" for i in range(MAX_TERMS + 5)))
    assert len(parsed.include) == MAX_TERMS
    assert parsed.truncated


def test_thousand_characters_parse_quickly_into_few_terms():
    parsed = parse_query("(" * 300 + "x" * 400 + '"' * 300)
    assert len(parsed.include) <= MAX_TERMS


def test_str_is_a_query_that_parses_back_the_same():
    parsed = parse_query('a "b c" -d -"e f" g')
    assert parse_query(str(parsed)) == parsed


def test_broader_queries():
    parsed = parse_query('"feature store" -spark')
    assert str(parsed.without_quotes()) == "feature store -spark"
    assert str(parsed.without_exclusions()) == '"feature store"'
    assert str(parse_query("a b -c").without_last_term()) == "a -c"
    assert parse_query("a -c").without_last_term().is_empty


# --- Engine syntax ----------------------------------------------------------


def test_fts5_query_quotes_every_term():
    parsed = parse_query('kubernetes "feature store" -spark prom')
    assert fts5_query(parsed) == '("kubernetes" AND "feature store" AND "prom" *) NOT "spark"'
    assert fts5_query(parsed, column="title").startswith("title : (")


def test_fts5_quotes_inside_terms_are_doubled():
    assert fts5_query(ParsedQuery((Term(('say "hi"',)),))) == '("say ""hi""")'


def test_tsquery_text():
    parsed = parse_query('kubernetes "feature store" -spark prom')
    assert tsquery_text(parsed) == "('kubernetes') & ('feature' <-> 'store') & ('prom':*) & !('spark')"
    assert tsquery_text(parsed, weight="A") == (
        "('kubernetes':A) & ('feature':A <-> 'store':A) & ('prom':*A) & !('spark':A)"
    )


def test_tsquery_quotes_and_backslashes_are_escaped():
    assert tsquery_text(ParsedQuery((Term(("it's\\",)),))) == "('it''s\\\\')"


# --- Highlighting -------------------------------------------------------------


def test_marked_html_escapes_everything_but_the_marks():
    html = marked_html(f"<b>bold</b> & {OPEN}quokka{CLOSE} <script>")
    assert html == "&lt;b&gt;bold&lt;/b&gt; &amp; <mark>quokka</mark> &lt;script&gt;"


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (f"{CLOSE}a{OPEN}b", "a<mark>b</mark>"),  # a stray close is dropped, an open one closed
        (f"{OPEN}{OPEN}a{CLOSE}{CLOSE}", "<mark>a</mark>"),
        ("", ""),
    ],
)
def test_marked_html_always_balances(text, html):
    assert marked_html(text) == html


def test_excerpt_keeps_short_text_whole():
    assert excerpt(f"a {OPEN}b{CLOSE} c") == f"a {OPEN}b{CLOSE} c"


def test_excerpt_starts_a_little_before_the_first_match():
    words = [f"w{i}" for i in range(100)]
    words[60] = f"{OPEN}match{CLOSE}"
    text = excerpt(" ".join(words), words=20)
    assert text.startswith("…w48 ") and text.endswith("w67…")
    assert f"{OPEN}match{CLOSE}" in text


def test_restore_punctuation_puts_the_marks_into_the_original_text():
    original = "<an hourly amount> & R&D"
    marked = f" an {OPEN}hourly{CLOSE} amount    R D"
    assert restore_punctuation(marked, original) == f"<an {OPEN}hourly{CLOSE} amount> & R&D"
    assert restore_punctuation("something else", original) == original
