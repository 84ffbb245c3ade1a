"""The read-only JSON API: published episodes (filterable like the list page) and their guests.

GET /api/episodes/            ?season= &guest= &topic= &year= &page= &page_size=
GET /api/episodes/<slug>/     one episode with its sections and lines
GET /api/guests/              ?page= &page_size=
GET /api/guests/<slug>/       one guest with their episodes

A bad parameter is a 400 whose JSON names it; an unknown slug a 404; every
answer is JSON, open to any origin, and takes a fixed number of queries.
"""

from functools import wraps

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import Http404, JsonResponse
from django.urls import reverse

from .filters import EpisodeFilter
from .format_views import file_urls, with_file_flags, with_transcript
from .http_cache import public_page
from .media_urls import episode_image_url, guest_picture_url
from .models import Episode, Guest
from .old_links import redirect_from_old_slug

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
PAGE_PARAMETERS = ("page", "page_size")
# JSON key: model field, for the links an episode or a guest has.
EPISODE_LINKS = {"youtube": "youtube_url", "spotify": "spotify_url", "apple": "apple_url", "anchor": "anchor_url"}
GUEST_LINKS = {"website": "website_url", "github": "github_url", "twitter": "twitter_url", "linkedin": "linkedin_url"}


class BadParameter(Exception):
    def __init__(self, parameter, message):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def _error(status, message, **extra):
    response = JsonResponse({"error": message, **extra}, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def api_view(view):
    """GET and HEAD only; errors as JSON; open to any origin (public data, no cookies)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = _error(405, f"{request.method} is not allowed here; this API is read-only.")
            response["Allow"] = "GET, HEAD"
            return response
        try:
            response = view(request, *args, **kwargs)
        except BadParameter as e:
            return _error(400, f"{e.parameter}: {e.message}", parameter=e.parameter)
        except Http404:
            return _error(404, "Not found.")
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def _check_parameters(request, allowed):
    for name in request.GET:
        if name not in allowed:
            raise BadParameter(name, f"unknown parameter; use {', '.join(allowed)}")


def _whole_number(request, name, default, low, high=None):
    value = request.GET.get(name, "")
    if value == "":
        return default
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= (high or int(value)):
        range_text = f"from {low} to {high}" if high else f"of {low} or more"
        raise BadParameter(name, f"must be a whole number {range_text}, not {value[:50]!r}")
    return int(value)


def _paginated(request, items, serialize):
    size = _whole_number(request, "page_size", PAGE_SIZE, 1, MAX_PAGE_SIZE)
    number = _whole_number(request, "page", 1, 1)
    paginator = Paginator(items, size)
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as e:
        raise BadParameter("page", f"there is no page {number}; pages run from 1 to {paginator.num_pages}") from e

    def page_url(other):
        query = request.GET.copy()
        query["page"] = other
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "next": page_url(page.next_page_number()) if page.has_next() else None,
        "previous": page_url(page.previous_page_number()) if page.has_previous() else None,
        "results": [serialize(request, item) for item in page.object_list],
    }


# --- what an episode and a guest look like --------------------------------------


def _set_values(instance, fields):
    return {key: getattr(instance, name) for key, name in fields.items() if getattr(instance, name)}


def _absolute(request, url_name, **kwargs):
    return request.build_absolute_uri(reverse(url_name, kwargs=kwargs))


def guest_summary(request, guest):
    return {
        "slug": guest.slug,
        "name": guest.name,
        "url": request.build_absolute_uri(guest.get_absolute_url()),
        "api_url": _absolute(request, "episodes:api_guest_detail", slug=guest.slug),
        "picture": guest_picture_url(request, guest) or None,
    }


def episode_summary(request, episode):
    """An episode as lists show it; ``episode`` has its guests and topics prefetched and its file flags."""
    return {
        "slug": episode.slug,
        "url": request.build_absolute_uri(episode.get_absolute_url()),
        "api_url": _absolute(request, "episodes:api_episode_detail", slug=episode.slug),
        "season": episode.season,
        "number": episode.number,
        "code": episode.code,
        "title": episode.title,
        "short_title": episode.short_title,
        "description": episode.description,
        "published_on": episode.published_on.isoformat() if episode.published_on else None,
        "duration": episode.duration,
        "image": episode_image_url(request, episode) or None,
        "links": _set_values(episode, EPISODE_LINKS),
        "guests": [guest_summary(request, guest) for guest in episode.guests.all()],
        "topics": [
            {"slug": topic.slug, "name": topic.name, "url": request.build_absolute_uri(topic.get_absolute_url())}
            for topic in episode.topics.all()
        ],
        "files": file_urls(request, episode),
    }


def _listed(episodes):
    return with_file_flags(episodes.prefetch_related("guests", "topics"))


def _section(request, page_url, section):
    return {
        "title": section.title,
        "start_sec": section.start_sec,
        "url": f"{page_url}#{section.anchor}",
        "lines": [
            {
                "speaker": line.speaker,
                "person": line.person.slug if line.person else None,
                "sec": line.sec,
                "text": line.text,
                "url": f"{page_url}#{line.anchor}",
            }
            for line in section.lines.all()
        ],
    }


# --- views ----------------------------------------------------------------------------


@public_page
@api_view
def episode_list(request):
    _check_parameters(request, [*EpisodeFilter.base_filters, *PAGE_PARAMETERS])
    episode_filter = EpisodeFilter(request.GET, queryset=_listed(Episode.objects.published()))
    if not episode_filter.is_valid():
        parameter, messages = next(iter(episode_filter.errors.items()))
        raise BadParameter(parameter, " ".join(messages))
    return JsonResponse(_paginated(request, episode_filter.qs, episode_summary))


@public_page
@api_view
def episode_detail(request, slug):
    _check_parameters(request, [])
    episode = with_transcript(_listed(Episode.objects.published()).prefetch_related("clips")).filter(slug=slug).first()
    if episode is None:
        return redirect_from_old_slug(slug, "episodes:api_episode_detail")
    page_url = request.build_absolute_uri(episode.get_absolute_url())
    data = episode_summary(request, episode)
    data.update(
        youtube_id=episode.youtube_id,
        intro_html=episode.intro,
        show_notes=episode.show_notes,
        show_notes_html=episode.show_notes_html,
        clips=[
            {"name": clip.name, "start_sec": clip.start_sec, "end_sec": clip.end_sec, "url": clip.url}
            for clip in episode.clips.all()
        ],
        sections=[_section(request, page_url, section) for section in episode.sections.all()],
    )
    return JsonResponse(data)


def _public_guests():
    """Guests of published episodes, each with ``episode_count`` (published only), by name."""
    appearing = Guest.objects.filter(appearances__episode__in=Episode.objects.published())
    return appearing.annotate(episode_count=Count("appearances")).order_by(Lower("name"), "slug")


def _guest_with_count(request, guest):
    return {**guest_summary(request, guest), "episode_count": guest.episode_count}


@public_page
@api_view
def guest_list(request):
    _check_parameters(request, PAGE_PARAMETERS)
    return JsonResponse(_paginated(request, _public_guests(), _guest_with_count))


@public_page
@api_view
def guest_detail(request, slug):
    _check_parameters(request, [])
    guest = _public_guests().filter(slug=slug).first()
    if guest is None:
        raise Http404
    episodes = _listed(Episode.objects.published().filter(guests=guest)).order_by("-season", "-number")
    data = _guest_with_count(request, guest)
    data.update(
        bio=guest.bio,
        bio_html=guest.bio_html,
        links=_set_values(guest, GUEST_LINKS),
        episodes=[episode_summary(request, episode) for episode in episodes],
    )
    return JsonResponse(data)
