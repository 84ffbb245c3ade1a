"""Structured data (schema.org JSON-LD) of the public pages, built as Python dicts.

Every value comes from the archive: a date only where the episode has one,
an image only where one is stored, a ``sameAs`` only for profile links the
guest has. Nothing here queries the database: the builders read what the
views already loaded (an episode page's prefetched guests, topics and
clips; a list page's current page of items).
"""

import json

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from . import media_urls
from .timecodes import iso_duration

SCHEMA = "https://schema.org"
DESCRIPTION_LENGTH = 300

# Inside <script>, "</script>" or "<!--" in a value would end or confuse the element: escaped as
# Django's json_script does (JSON readers decode \u003C to "<").
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld(data):
    """``<script type="application/ld+json">`` holding ``data``, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 - escaped just above


def _absolute(request, path):
    return request.build_absolute_uri(path)


def _plain(text, length=DESCRIPTION_LENGTH):
    """Text without HTML, shortened at a word boundary."""
    return Truncator(" ".join(strip_tags(text or "").split())).chars(length)


def _with(mapping, **optional):
    """``mapping`` plus the optional values that are set (no empty strings, lists or None in the output)."""
    mapping.update({key: value for key, value in optional.items() if value not in (None, "", [], {})})
    return mapping


# --- The podcast -------------------------------------------------------------------


def series_id(request):
    return _absolute(request, reverse("episodes:home")) + "#podcast"


def podcast_series(request):
    home = _absolute(request, reverse("episodes:home"))
    try:
        feed = _absolute(request, reverse("episodes:feed"))
    except NoReverseMatch:
        feed = ""
    return _with(
        {"@type": "PodcastSeries", "@id": series_id(request), "name": settings.PODCAST_SITE_NAME, "url": home},
        webFeed=feed,
    )


def season_url(request, season):
    return _absolute(request, reverse("episodes:episode_list")) + f"?season={season}"


def podcast_season(request, season):
    return {
        "@type": "PodcastSeason",
        "@id": season_url(request, season) + "#season",
        "url": season_url(request, season),
        "name": f"Season {season}",
        "seasonNumber": season,
        "partOfSeries": {"@id": series_id(request)},
    }


def breadcrumbs(request, trail):
    """BreadcrumbList from (name, absolute URL) pairs, home first."""
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": url}
            for position, (name, url) in enumerate(trail, 1)
        ],
    }


def _home_crumb(request):
    return (settings.PODCAST_SITE_NAME, _absolute(request, reverse("episodes:home")))


# --- People -------------------------------------------------------------------------


def person_id(request, guest):
    return _absolute(request, guest.get_absolute_url()) + "#person"


def person(request, guest):
    """A guest as a Person: name, page, picture and the profiles they have (sameAs)."""
    return _with(
        {
            "@type": "Person",
            "@id": person_id(request, guest),
            "name": guest.name,
            "url": _absolute(request, guest.get_absolute_url()),
        },
        image=media_urls.guest_picture_url(request, guest),
        sameAs=[url for _label, url in guest.profile_links],
        description=_plain(guest.bio_html),
    )


# --- Episodes -----------------------------------------------------------------------


def episode_description(episode):
    return _plain(episode.description or episode.intro)


def clip(episode, item):
    return {
        "@type": "Clip",
        "name": item.name,
        "startOffset": item.start_sec,
        "endOffset": item.end_sec,
        "url": item.url or episode.video_url(item.start_sec),
    }


def video_object(request, episode, page_url, image):
    """The episode's YouTube video, with the quotable clips as its parts (Google's key moments)."""
    return _with(
        {
            "@type": "VideoObject",
            "@id": page_url + "#video",
            "name": episode.title,
            # A thumbnail is required: the cover, else the one YouTube serves for the video.
            "thumbnailUrl": [image or f"https://i.ytimg.com/vi/{episode.youtube_id}/hqdefault.jpg"],
            "embedUrl": f"https://www.youtube.com/embed/{episode.youtube_id}",
            "url": episode.video_url(),
        },
        description=episode_description(episode) or episode.title,
        uploadDate=episode.published_on.isoformat() if episode.published_on else "",
        duration=iso_duration(episode.duration) if episode.duration else "",
        hasPart=[clip(episode, item) for item in episode.clips.all()],
    )


def episode_graph(request, episode):
    """PodcastSeries, PodcastSeason, PodcastEpisode, VideoObject with Clips, the guests and the breadcrumbs."""
    page_url = _absolute(request, episode.get_absolute_url())
    image = media_urls.episode_image_url(request, episode)
    guests = list(episode.guests.all())
    podcast_episode = _with(
        {
            "@type": "PodcastEpisode",
            "@id": page_url + "#episode",
            "url": page_url,
            "name": episode.title,
            "episodeNumber": episode.number,
            "partOfSeason": {"@id": season_url(request, episode.season) + "#season"},
            "partOfSeries": {"@id": series_id(request)},
        },
        alternativeHeadline=episode.short_title if episode.short_title != episode.title else "",
        description=episode_description(episode),
        datePublished=episode.published_on.isoformat() if episode.published_on else "",
        duration=iso_duration(episode.duration) if episode.duration else "",
        image=image,
        keywords=", ".join(topic.name for topic in episode.topics.all()),
        actor=[{"@id": person_id(request, guest)} for guest in guests],
        video={"@id": page_url + "#video"} if episode.youtube_id else None,
        sameAs=[url for _label, url in episode.platform_links],
    )
    graph = [podcast_series(request), podcast_season(request, episode.season), podcast_episode]
    if episode.youtube_id:
        graph.append(video_object(request, episode, page_url, image))
    graph += [person(request, guest) for guest in guests]
    graph.append(
        breadcrumbs(
            request,
            [
                _home_crumb(request),
                ("Episodes", _absolute(request, reverse("episodes:episode_list"))),
                (f"Season {episode.season}", season_url(request, episode.season)),
                (episode.title, page_url),
            ],
        )
    )
    return {"@context": SCHEMA, "@graph": graph}


# --- Guests and lists -----------------------------------------------------------------


def guest_graph(request, guest, episodes):
    """ProfilePage whose main entity is the guest (a Person), with the episodes they are on."""
    page_url = _absolute(request, guest.get_absolute_url())
    profile = person(request, guest)
    _with(
        profile,
        subjectOf=[
            {"@type": "PodcastEpisode", "name": episode.title, "url": _absolute(request, episode.get_absolute_url())}
            for episode in episodes
        ],
    )
    page = {
        "@type": "ProfilePage",
        "@id": page_url,
        "url": page_url,
        "name": guest.name,
        "mainEntity": {"@id": profile["@id"]},
    }
    trail = [
        _home_crumb(request),
        ("Guests", _absolute(request, reverse("episodes:guest_list"))),
        (guest.name, page_url),
    ]
    return {"@context": SCHEMA, "@graph": [page, profile, breadcrumbs(request, trail)]}


def collection_graph(request, page_url, name, items, *, start=1, total=None, description=""):
    """CollectionPage with an ItemList of ``items`` (anything with ``get_absolute_url``), numbered from ``start``."""
    items = list(items)
    item_list = {
        "@type": "ItemList",
        "numberOfItems": total if total is not None else len(items),
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "url": _absolute(request, item.get_absolute_url()),
                "name": _item_name(item),
            }
            for position, item in enumerate(items, start)
        ],
    }
    page = _with(
        {"@type": "CollectionPage", "@id": page_url, "url": page_url, "name": name, "mainEntity": item_list},
        description=description,
    )
    return {"@context": SCHEMA, "@graph": [page, breadcrumbs(request, [_home_crumb(request), (name, page_url)])]}


def _item_name(item):
    return getattr(item, "title", None) or getattr(item, "name", None) or str(item)


def website_graph(request):
    """The home page: the WebSite with its search (a SearchAction), and the podcast."""
    home = _absolute(request, reverse("episodes:home"))
    search = _absolute(request, reverse("episodes:search"))
    website = {
        "@type": "WebSite",
        "@id": home + "#website",
        "url": home,
        "name": settings.PODCAST_SITE_NAME,
        "potentialAction": {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": f"{search}?q={{search_term_string}}"},
            "query-input": "required name=search_term_string",
        },
    }
    return {"@context": SCHEMA, "@graph": [website, podcast_series(request)]}
