"""The HTML of a transcript section's lines, built in Python rather than by a template loop.

The longest episode has hundreds of lines, and the template engine's cost per line (variable lookups,
filters, a tag and a URL reversal for each) was most of the episode page's time. The markup is what the
loop in templates/episodes/episode_detail.html produced, and every value is escaped here.
"""

from html import escape

from django.utils.safestring import mark_safe

from .models import Guest, line_anchor
from .timecodes import format_timestamp, iso_duration

LINE = (
    '<div class="{classes}" id="{anchor}"{data_sec}>\n'
    "{timestamp}\n"
    '<span class="speaker">{speaker}</span>\n'
    '<p class="text">{text}</p>\n'
    '<a class="permalink" href="#{anchor}" aria-label="Link to this line">#</a>\n'
    "</div>\n"
)


def timestamp_html(episode, sec):
    """``sec`` as a time that links to the episode's video at that second; "" when ``sec`` is None.

    Also the ``{% timestamp_link episode sec %}`` tag (episodes_tags).
    """
    return mark_safe(_timestamp(episode, sec))


def _timestamp(episode, sec):
    if sec is None:
        return ""
    sec = int(sec)
    time = f'<time datetime="{iso_duration(sec)}">{format_timestamp(sec)}</time>'
    if not episode.youtube_id:
        return f'<span class="ts">{time}</span>'
    return f'<a class="ts" href="{escape(episode.video_url(sec))}" data-sec="{sec}">{time}</a>'


def lines_html(episode, section, person_urls=None):
    """The section's lines (from ``episode.page_lines()``, one query for the whole episode).

    A line spoken by the same speaker as the one before it in the section is marked ``line--same-speaker``.
    ``person_urls`` (person slug -> escaped URL) is filled and reused, so that a page's sections reverse each
    person's URL once, not once per line.
    """
    person_urls = {} if person_urls is None else person_urls
    parts = []
    previous_speaker = None
    for index, line in enumerate(episode.page_lines().get(section.pk, ())):
        same_speaker = index > 0 and line.speaker == previous_speaker
        previous_speaker = line.speaker
        if line.person_id is not None:
            if line.person_slug not in person_urls:
                person_urls[line.person_slug] = escape(Guest.url_for(line.person_slug))
            speaker = f'<a href="{person_urls[line.person_slug]}">{escape(line.speaker or line.person_name)}</a>'
        else:
            speaker = escape(line.speaker)
        anchor = escape(line_anchor(section.position, line.position))
        parts.append(
            LINE.format(
                classes="line line--same-speaker" if same_speaker else "line",
                anchor=anchor,
                data_sec="" if line.sec is None else f' data-sec="{int(line.sec)}"',
                timestamp=_timestamp(episode, line.sec),
                speaker=speaker,
                text=escape(line.text),
            )
        )
    return mark_safe("".join(parts))  # built from escaped values and fixed markup only
