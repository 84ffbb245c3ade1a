"""Rendering and sanitising the HTML and Markdown that come from episode files."""

import re

import nh3
from markdown_it import MarkdownIt

# The intros use <br> between paragraphs; nothing else they need can run code.
INTRO_TAGS = {"br", "p", "a", "em", "strong", "b", "i", "ul", "ol", "li"}
INTRO_ATTRIBUTES = {"a": {"href", "title"}}

MARKDOWN_TAGS = INTRO_TAGS | {
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "code", "pre", "hr", "img",
    "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub",
}  # fmt: skip
MARKDOWN_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

# Jekyll/kramdown attribute lists such as {:target="_blank"}: meaningless here,
# and they would otherwise show up as literal text.
_KRAMDOWN_IAL_RE = re.compile(r"\{:[^}\n]*\}")

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").enable("strikethrough")


def sanitize_intro(html):
    return nh3.clean(
        html or "",
        tags=INTRO_TAGS,
        attributes=INTRO_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def render_markdown(source):
    """Markdown to sanitised HTML (raw HTML in the source is allowed through the allowlist only)."""
    if not source or not source.strip():
        return ""
    html = _markdown.render(_KRAMDOWN_IAL_RE.sub("", source))
    return nh3.clean(
        html,
        tags=MARKDOWN_TAGS,
        attributes=MARKDOWN_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()
