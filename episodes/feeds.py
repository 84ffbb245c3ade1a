"""Podcast feeds: RSS 2.0 with the Podcasting 2.0 and iTunes namespaces.

One feed of every published episode, one per guest and one per topic, newest
episode first. Each episode names its people (hosts and guests), its transcript
files and its chapters. The archive has no audio files, so no enclosures are
invented. Four queries per feed, however many episodes.
"""

import datetime
import re
import uuid

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.text import capfirst
from django.views.decorators.http import require_safe

from .format_views import CHAPTERS_TYPE, TRANSCRIPT_TYPES, allow_any_origin, file_urls, with_file_flags
from .http_cache import public_page
from .media_urls import episode_image_url, guest_picture_url
from .models import Episode, Guest, Topic

PODCAST_NAMESPACE = "https://podcastindex.org/namespace/1.0"
ITUNES_NAMESPACE = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# podcast:guid is a UUIDv5 of the feed URL without its scheme, in this namespace (Podcasting 2.0 spec).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
LANGUAGE = "en"

# XML 1.0 cannot carry these at all; text from the database could hold them.
_NOT_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value):
    return _NOT_XML_RE.sub("", str(value)) if value is not None else value


class PodcastFeed(Rss201rev2Feed):
    """RSS 2.0 plus the channel and item tags of Podcasting 2.0 and iTunes (given as extra feed/item values)."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:itunes": ITUNES_NAMESPACE, "xmlns:podcast": PODCAST_NAMESPACE}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        handler.addQuickElement("podcast:guid", self.feed["podcast_guid"])
        handler.addQuickElement("itunes:author", self.feed["author_name"])
        handler.addQuickElement("itunes:explicit", "false")
        handler.addQuickElement("itunes:type", "episodic")
        for person in self.feed["people"]:
            _add_person(handler, person)

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        episode = item["episode"]
        handler.addQuickElement("itunes:title", item["title"])
        handler.addQuickElement("itunes:episodeType", "full")
        handler.addQuickElement("itunes:season", str(episode["season"]))
        handler.addQuickElement("itunes:episode", str(episode["number"]))
        if episode["duration"]:
            handler.addQuickElement("itunes:duration", str(episode["duration"]))
        if episode["image"]:
            handler.addQuickElement("itunes:image", None, {"href": episode["image"]})
        handler.addQuickElement("podcast:season", str(episode["season"]))
        handler.addQuickElement("podcast:episode", str(episode["number"]))
        for person in episode["people"]:
            _add_person(handler, person)
        for transcript in episode["transcripts"]:
            handler.addQuickElement("podcast:transcript", None, transcript)
        if episode["chapters"]:
            handler.addQuickElement("podcast:chapters", None, {"url": episode["chapters"], "type": CHAPTERS_TYPE})


def _add_person(handler, person):
    attrs = {"role": person["role"], "href": person["href"]}
    if person["img"]:
        attrs["img"] = person["img"]
    handler.addQuickElement("podcast:person", xml_text(person["name"]), attrs)


def _person(request, guest, role):
    return {
        "pk": guest.pk,
        "name": guest.name,
        "role": role,
        "href": request.build_absolute_uri(guest.get_absolute_url()),
        "img": guest_picture_url(request, guest),
    }


def _episode_values(request, episode, hosts):
    """The item's Podcasting 2.0 and iTunes values; ``hosts`` are the hosts' person values (made once per feed)."""
    files = file_urls(request, episode)
    transcripts = []
    for fmt, mime_type in TRANSCRIPT_TYPES.items():
        if fmt in files:
            attrs = {"url": files[fmt], "type": mime_type, "language": LANGUAGE}
            if fmt in ("vtt", "srt"):
                attrs["rel"] = "captions"
            transcripts.append(attrs)
    host_ids = {host["pk"] for host in hosts}
    guests = [_person(request, guest, "guest") for guest in episode.guests.all() if guest.pk not in host_ids]
    return {
        "season": episode.season,
        "number": episode.number,
        "duration": episode.duration,
        "image": episode_image_url(request, episode),
        "people": hosts + guests,
        "transcripts": transcripts,
        "chapters": files.get("chapters", ""),
    }


def build_feed(request, *, title, link, description, episodes):
    """The feed of ``episodes`` (a queryset of published episodes), served at the request's URL."""
    site_name = settings.PODCAST_SITE_NAME
    hosts = [_person(request, host, "host") for host in Guest.objects.filter(is_host=True).order_by("name")]
    main_feed = request.build_absolute_uri(reverse("episodes:feed"))
    feed = PodcastFeed(
        title=xml_text(title),
        link=request.build_absolute_uri(link),
        description=xml_text(description),
        language=LANGUAGE,
        feed_url=request.build_absolute_uri(request.path),
        author_name=xml_text(site_name),
        podcast_guid=str(uuid.uuid5(PODCAST_GUID_NAMESPACE, main_feed.split("://", 1)[1].rstrip("/"))),
        people=hosts,
    )
    guid_namespace = uuid.UUID(feed.feed["podcast_guid"])
    episodes = with_file_flags(episodes.order_by("-season", "-number").prefetch_related("guests", "topics"))
    for episode in episodes:
        feed.add_item(
            title=xml_text(episode.title),
            link=request.build_absolute_uri(episode.get_absolute_url()),
            description=xml_text(episode.description or episode.intro),
            # The same in every feed and across slug changes: podcast apps must not see a new episode.
            unique_id=f"urn:uuid:{uuid.uuid5(guid_namespace, episode.code)}",
            unique_id_is_permalink=False,
            pubdate=(
                datetime.datetime.combine(episode.published_on, datetime.time(), tzinfo=datetime.UTC)
                if episode.published_on
                else None
            ),
            updateddate=episode.updated_at,
            categories=[xml_text(topic.name) for topic in episode.topics.all()],
            episode=_episode_values(request, episode, hosts),
        )
    return feed


def _feed_response(feed):
    # Written to a string first: the XML writer makes tens of thousands of small writes.
    return HttpResponse(feed.writeString("utf-8"), content_type=feed.content_type)


def _first_or_404(queryset):
    found = queryset.first()
    if found is None:
        raise Http404("Nothing published here.")
    return found


@public_page
@require_safe
@allow_any_origin
def podcast_feed(request):
    site_name = settings.PODCAST_SITE_NAME
    feed = build_feed(
        request,
        title=site_name,
        link=reverse("episodes:home"),
        description=f"Every episode of the {site_name}, with show notes, transcripts and chapters.",
        episodes=Episode.objects.published(),
    )
    return _feed_response(feed)


@public_page
@require_safe
@allow_any_origin
def guest_feed(request, slug):
    guest = _first_or_404(Guest.objects.with_published_episodes().filter(slug=slug))
    site_name = settings.PODCAST_SITE_NAME
    feed = build_feed(
        request,
        title=f"{guest.name} on the {site_name}",
        link=guest.get_absolute_url(),
        description=f"Episodes of the {site_name} with {guest.name}.",
        episodes=Episode.objects.published().filter(guests=guest),
    )
    return _feed_response(feed)


@public_page
@require_safe
@allow_any_origin
def topic_feed(request, slug):
    topic = _first_or_404(Topic.objects.filter(slug=slug, episodes__in=Episode.objects.published()))
    site_name = settings.PODCAST_SITE_NAME
    feed = build_feed(
        request,
        title=f"{capfirst(topic.name)} · {site_name}",
        link=topic.get_absolute_url(),
        description=f"Episodes of the {site_name} about {topic.name}.",
        episodes=Episode.objects.published().filter(topics=topic),
    )
    return _feed_response(feed)
