"""{% transcript_lines episode section %}: a section's lines, rendered by episodes/transcript_html.py."""

from django import template

from ..transcript_html import lines_html

register = template.Library()
register.simple_tag(lines_html, name="transcript_lines")
