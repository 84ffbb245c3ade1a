"""Pure helpers: transcript times, ISO 8601 durations, intro sanitising and Markdown rendering (no database)."""

import pytest

from episodes.text import render_markdown, sanitize_intro
from episodes.timecodes import format_timestamp, parse_duration, parse_timestamp


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0:00", 0),
        ("1:18", 78),
        ("59:59", 3599),
        ("1:02:03", 3723),
        ("12:34:56", 45296),
        ("9:\n46", 586),  # real: a time YAML folded over two lines
        (" 2:05 ", 125),
    ],
)
def test_parse_timestamp_reads_m_ss_and_h_mm_ss(value, seconds):
    assert parse_timestamp(value) == seconds


@pytest.mark.parametrize("value", ["", "78", "37:567", "1:60", "1:60:00", "a:bc", "1:2", "-1:00", "1:00:00:00"])
def test_parse_timestamp_refuses_malformed_values(value):
    assert parse_timestamp(value) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (78, "1:18"), (599, "9:59"), (3599, "59:59"), (3600, "1:00:00"), (3723, "1:02:03")],
)
def test_format_timestamp_uses_the_files_style(seconds, text):
    assert format_timestamp(seconds) == text
    assert parse_timestamp(text) == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT1H03M37S", 3817),
        ("PT1H5S", 3605),
        ("PT58M", 3480),
        ("PT01H35S", 3635),  # real archive style, zero-padded
        ("PT00H58M44S", 3524),
        ("PT45S", 45),
    ],
)
def test_parse_duration_reads_iso_8601(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "PT", "P1D", "1:03:37", "PT1.5H", "pt1h"])
def test_parse_duration_refuses_other_values(value):
    assert parse_duration(value) is None


def test_sanitize_intro_keeps_the_line_breaks_the_data_uses():
    assert sanitize_intro("First.<br><br>Second.") == "First.<br><br>Second."


def test_sanitize_intro_removes_scripts_and_event_handlers():
    html = sanitize_intro('Hi<script>alert(1)</script> <img src="x" onerror="alert(2)"><a href="#" onclick="x()">a</a>')
    assert "script" not in html
    assert "alert" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert html.startswith("Hi")


def test_sanitize_intro_drops_javascript_links():
    assert "javascript" not in sanitize_intro('<a href="javascript:alert(1)">x</a>')


def test_render_markdown_drops_kramdown_attribute_lists():
    # interpretable-machine-learning.md links end in {:target="_blank"}
    html = render_markdown('* [Website](https://christophmolnar.com/){:target="_blank"}')
    assert '<a href="https://christophmolnar.com/"' in html
    assert "{:" not in html
    assert "target" not in html


def test_render_markdown_removes_raw_scripts():
    html = render_markdown('Notes\n\n<script>alert(1)</script>\n\n<p onclick="x()">p</p>')
    assert "<script" not in html
    assert "onclick" not in html
    assert "<p>Notes</p>" in html


def test_render_markdown_of_nothing_is_empty():
    assert render_markdown("") == ""
    assert render_markdown("  \n ") == ""
