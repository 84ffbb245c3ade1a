"""Template helpers of the public site."""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

from .. import timecodes
from ..timecodes import format_timestamp
from ..transcript_html import timestamp_html

register = template.Library()


@register.simple_tag
def site_name():
    return settings.PODCAST_SITE_NAME


register.simple_tag(timestamp_html, name="timestamp_link")


@register.filter
def iso_duration(sec):
    """Seconds as an ISO 8601 duration ("PT1H2M5S"), the form <time datetime> takes for lengths of time."""
    if sec is None or sec == "":
        return ""
    return timecodes.iso_duration(sec)


@register.simple_tag(takes_context=True)
def nav_link(context, url_name, label):
    """A navigation link, marked as the current page for every page under its URL."""
    url = reverse(url_name)
    if context["request"].path.startswith(url):
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """This page's absolute URL, keeping only the query that chooses what it shows.

    Kept: a search's words, the valid filters of a list (as the form validated them, in the
    form's order) and the page number past the first; tracking and unknown parameters go.
    """
    request = context["request"]
    url = request.build_absolute_uri(request.path)
    params = []
    query = (context.get("query") or "").strip()
    if query:
        params.append(("q", query))
    filterset = context.get("filter")
    form = getattr(filterset, "form", None)
    cleaned = getattr(form, "cleaned_data", None) or {}  # only if the view validated it: no new queries
    for name in getattr(form, "fields", ()):
        if cleaned.get(name) not in (None, "", [], ()) and request.GET.get(name):
            params.append((name, request.GET[name]))
    page = context.get("page_obj") or getattr(context.get("results"), "page", None)  # a list's, or the search's
    if page is not None and page.number > 1:
        params.append(("page", page.number))
    return f"{url}?{urlencode(params)}" if params else url


@register.filter
def timestamp(sec):
    """Seconds as "M:SS" or "H:MM:SS"."""
    return format_timestamp(sec) if sec is not None and sec != "" else ""


@register.filter
def titled(sections):
    """The sections that have a title: the chapters a table of contents lists."""
    return [section for section in sections if section.title]
