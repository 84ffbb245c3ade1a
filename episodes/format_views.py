"""An episode's transcript and chapter files, generated from the database on each request.

Three queries whatever the transcript's length: the episode, its sections, their lines.
Web players on other sites load these files, hence ``Access-Control-Allow-Origin: *``.
"""

import json
from functools import wraps

from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from . import transcript_formats as formats
from .http_cache import public_page
from .models import Episode, Line, Section, line_anchor, section_anchor
from .old_links import redirect_from_old_slug

# format (the file's extension): (builder, content type)
TRANSCRIPT_FORMATS = {
    "vtt": (formats.to_vtt, "text/vtt; charset=utf-8"),
    "srt": (formats.to_srt, "application/x-subrip; charset=utf-8"),
    "json": (formats.to_json, "application/json"),
    "txt": (formats.to_text, "text/plain; charset=utf-8"),
}
# What feeds announce for each file (Podcasting 2.0 <podcast:transcript type>).
TRANSCRIPT_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip", "json": "application/json", "txt": "text/plain"}
CHAPTERS_TYPE = "application/json+chapters"


def allow_any_origin(view):
    """Let pages on any site fetch the response (public data, no cookies involved)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def with_file_flags(episodes):
    """``episodes`` annotated with ``has_transcript`` and ``has_chapters``: which files are worth offering."""
    return episodes.annotate(
        has_transcript=Exists(Line.objects.filter(section__episode=OuterRef("pk"))),
        has_chapters=Exists(Section.objects.filter(episode=OuterRef("pk")).exclude(title="")),
    )


def file_urls(request, episode):
    """Absolute URLs of the episode's files by format ("chapters" too), for an episode from ``with_file_flags``."""
    urls = {}
    if episode.has_transcript:
        for fmt in TRANSCRIPT_FORMATS:
            path = reverse("episodes:transcript", kwargs={"slug": episode.slug, "fmt": fmt})
            urls[fmt] = request.build_absolute_uri(path)
    if episode.has_chapters:
        urls["chapters"] = request.build_absolute_uri(reverse("episodes:chapters", kwargs={"slug": episode.slug}))
    return urls


def with_transcript(episodes):
    """``episodes`` with their sections and lines (and who said them) loaded: two more queries, whatever the length."""
    return episodes.prefetch_related(
        Prefetch("sections", queryset=Section.objects.order_by("position")),
        Prefetch("sections__lines", queryset=Line.objects.select_related("person").order_by("position")),
    )


def transcript_data(episode, page_url=""):
    """The episode's transcript as the plain data ``transcript_formats`` takes, in two queries.

    Rows, not model instances: a long transcript is hundreds of lines, and building
    a Line and a Guest for each would cost more than writing the file.
    """
    sections, lines = episode.transcript_snapshot()
    return formats.Transcript(
        title=episode.title,
        code=episode.code,
        duration=episode.duration,
        url=page_url,
        sections=tuple(
            formats.TranscriptSection(
                title=title,
                start_sec=start_sec,
                anchor=section_anchor(position),  # as on the page, so cues and chapters link to it
                lines=tuple(
                    formats.TranscriptLine(
                        speaker=line.speaker or line.person_name or "",
                        sec=line.sec,
                        text=line.text,
                        anchor=line_anchor(position, line.position),
                    )
                    for line in lines.get(pk, ())
                ),
            )
            for pk, position, title, start_sec in sections
        ),
    )


def _published_episode(slug):
    return Episode.objects.published().filter(slug=slug).first()


def _file_response(content, content_type, filename):
    body = json.dumps(content, ensure_ascii=False) if isinstance(content, dict) else content
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _page_url(request, episode):
    return request.build_absolute_uri(episode.get_absolute_url())


@public_page
@require_safe
@allow_any_origin
def transcript_file(request, slug, fmt):
    if fmt not in TRANSCRIPT_FORMATS:
        raise Http404("No such transcript format.")
    episode = _published_episode(slug)
    if episode is None:
        return redirect_from_old_slug(slug, "episodes:transcript", fmt=fmt)
    build, content_type = TRANSCRIPT_FORMATS[fmt]
    content = build(transcript_data(episode, _page_url(request, episode)))
    return _file_response(content, content_type, f"{episode.slug}.{fmt}")


@public_page
@require_safe
@allow_any_origin
def chapters_file(request, slug):
    episode = _published_episode(slug)
    if episode is None:
        return redirect_from_old_slug(slug, "episodes:chapters")
    content = formats.to_chapters(transcript_data(episode, _page_url(request, episode)))
    return _file_response(content, "application/json", f"{episode.slug}.chapters.json")
