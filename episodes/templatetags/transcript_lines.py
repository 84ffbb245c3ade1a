"""{% transcript_lines episode section %}: a section's lines, rendered by episodes/transcript_html.py."""

from django import template

from ..transcript_html import lines_html

register = template.Library()


@register.simple_tag(takes_context=True)
def transcript_lines(context, episode, section):
    # The people's URLs are shared by all the sections of one page (the render context lives for one render).
    person_urls = context.render_context.setdefault("transcript_person_urls", {})
    return lines_html(episode, section, person_urls)
