"""The transcript lines built in Python (episodes/transcript_html.py) are the markup the template loop made,
every value escaped."""

import re

import pytest
from django.template import engines

from episodes.models import Episode, Guest, Line, Section
from episodes.transcript_html import lines_html, timestamp_html

from .conftest import LONGEST_SLUG

pytestmark = pytest.mark.django_db

# The loop that templates/episodes/episode_detail.html had before the lines were built in Python.
TEMPLATE_LOOP = """{% load episodes_tags %}{% for line in section.lines.all %}
<div class="line{% ifchanged line.speaker %}{% else %} line--same-speaker{% endifchanged %}" id="{{ line.anchor }}"\
{% if line.sec is not None %} data-sec="{{ line.sec }}"{% endif %}>
{% timestamp_link episode line.sec %}
<span class="speaker">{% if line.person %}<a href="{{ line.person.get_absolute_url }}">\
{{ line.speaker|default:line.person.name }}</a>{% else %}{{ line.speaker }}{% endif %}</span>
<p class="text">{{ line.text }}</p>
<a class="permalink" href="#{{ line.anchor }}" aria-label="Link to this line">#</a>
</div>
{% endfor %}"""


def normalized(html):
    return re.sub(r">\s+<", "><", html.strip())


def page_episode(slug):
    return Episode.objects.with_page_data().get(slug=slug)


def test_the_lines_are_what_the_template_loop_made(fixture_archive):
    loop = engines["django"].from_string(TEMPLATE_LOOP)
    for episode in Episode.objects.with_page_data():
        for section in episode.sections.all():
            expected = loop.render({"episode": episode, "section": section})
            assert normalized(lines_html(episode, section)) == normalized(expected), (episode.slug, section.position)


def test_same_speaker_marking_starts_again_in_each_section(fixture_archive):
    episode = page_episode(LONGEST_SLUG)
    marked = 0
    for section in episode.sections.all():
        lines = list(section.lines.all())
        classes = re.findall(r'<div class="([^"]+)"', lines_html(episode, section))
        assert len(classes) == len(lines)
        assert classes[0] == "line"
        for previous, line, css_class in zip(lines, lines[1:], classes[1:]):  # noqa: B905 - one shorter
            assert ("line--same-speaker" in css_class) == (line.speaker == previous.speaker)
            marked += line.speaker == previous.speaker
    assert marked > 0


def test_everything_from_the_file_is_escaped(db):
    guest = Guest.objects.create(slug="quoted", name='Ann "<b>"')
    episode = Episode.objects.create(season=1, number=1, slug="e", title="E", youtube_id='x"y<z')
    section = Section.objects.create(episode=episode, position=0)
    Line.objects.create(section=section, position=0, speaker="<i>Bob</i>", sec=5, text="<script>alert(1)</script> & co")
    Line.objects.create(section=section, position=1, speaker="", person=guest, sec=None, text="Hi")
    episode = page_episode("e")

    html = lines_html(episode, episode.sections.all()[0])

    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "&lt;i&gt;Bob&lt;/i&gt;" in html
    assert "Ann &quot;&lt;b&gt;&quot;" in html  # the person's name when the line names no speaker
    assert 'href="https://www.youtube.com/watch?v=x&quot;y&lt;z&amp;t=5s"' in html
    assert html.count('data-sec="5"') == 2  # the line and its time link; the line without a time has neither


def test_a_time_without_a_video_is_plain_text(db):
    episode = Episode(season=1, number=1, slug="e", title="E")
    assert timestamp_html(episode, 3725) == '<span class="ts"><time datetime="PT1H2M5S">1:02:05</time></span>'
    assert timestamp_html(episode, None) == ""
