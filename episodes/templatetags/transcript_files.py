"""The episode page's list of transcript and chapter files."""

from django import template
from django.urls import reverse

register = template.Library()

# (format, label, what it is for), in the order the page lists them.
TRANSCRIPT_DOWNLOADS = [
    ("vtt", "WebVTT", "captions for video and web players"),
    ("srt", "SRT", "subtitles for video editors and players"),
    ("json", "JSON", "Podcasting 2.0 transcript"),
    ("txt", "Plain text", "to read or quote"),
]


@register.inclusion_tag("episodes/_downloads.html")
def transcript_downloads(episode):
    """Links to the episode's files; its sections prefetched and its lines read (Episode.page_lines), no query here."""
    sections = episode.sections.all()
    files = []
    if any(episode.page_lines().values()):
        for fmt, label, purpose in TRANSCRIPT_DOWNLOADS:
            url = reverse("episodes:transcript", kwargs={"slug": episode.slug, "fmt": fmt})
            files.append({"label": label, "purpose": purpose, "url": url, "filename": f"{episode.slug}.{fmt}"})
    if any(section.title for section in sections):
        url = reverse("episodes:chapters", kwargs={"slug": episode.slug})
        files.append(
            {
                "label": "Chapters",
                "purpose": "Podcasting 2.0 JSON",
                "url": url,
                "filename": f"{episode.slug}.chapters.json",
            }
        )
    return {"files": files}
