"""The public site: episodes, guests and topics. Drafts never show (Episode.objects.published())."""

from django.core.paginator import InvalidPage, Paginator
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from . import old_links, publishing
from .filters import EpisodeFilter
from .http_cache import public_page
from .models import Episode, Guest, Line, Topic

HOME_EPISODES = 12
EPISODES_PER_PAGE = 24
GUESTS_PER_PAGE = 60
LINES_PER_PAGE = 100


def paginate(request, items, per_page):
    """The page that ?page= asks for.

    A page number that is not a number or is out of range is a 404, as in
    Django's ListView: each page has one URL, and a stale link says so.
    """
    try:
        return Paginator(items, per_page).page(request.GET.get("page") or 1)
    except InvalidPage as e:
        raise Http404(str(e)) from e


@public_page
def home(request):
    episodes = Episode.objects.published().with_listing_data()[:HOME_EPISODES]
    return render(request, "episodes/home.html", {"episodes": episodes})


@public_page
def episode_list(request):
    episode_filter = EpisodeFilter(request.GET, queryset=Episode.objects.published().with_listing_data())
    page = paginate(request, episode_filter.qs, EPISODES_PER_PAGE)
    return render(request, "episodes/episode_list.html", {"filter": episode_filter, "page_obj": page})


@public_page
def episode_detail(request, slug):
    # Staff may preview an episode that is not public yet; everyone else gets a 404 for it.
    episode = publishing.visible_episodes(request).with_page_data().filter(slug=slug).first()
    if episode is None:
        return old_links.redirect_from_old_slug(slug, "episodes:episode_detail")  # 301 for a former slug, else 404
    published = Episode.objects.published()
    context = {
        "episode": episode,
        "previous_episode": published.before(episode).first(),
        "next_episode": published.after(episode).first(),
        "preview_notice": publishing.preview_notice(episode),
    }
    response = render(request, "episodes/episode_detail.html", context)
    return publishing.keep_private(response) if context["preview_notice"] else response


@public_page
def guest_list(request):
    page = paginate(request, Guest.objects.with_published_episodes().order_by(Lower("name"), "slug"), GUESTS_PER_PAGE)
    return render(request, "episodes/guest_list.html", {"page_obj": page})


@public_page
def guest_detail(request, slug):
    guest = get_object_or_404(Guest, slug=slug)
    context = {
        "guest": guest,
        "episodes": Episode.objects.published().filter(guests=guest).with_listing_data(),
        "page_obj": paginate(request, said_by(guest), LINES_PER_PAGE),
    }
    return render(request, "episodes/guest_detail.html", context)


def said_by(guest):
    """The lines ``guest`` speaks in published episodes, newest episode first, in transcript order."""
    return (
        Line.objects.filter(person=guest, section__episode__in=Episode.objects.published())
        .select_related("section__episode")
        .order_by("-section__episode__season", "-section__episode__number", "section__position", "position")
    )


@public_page
def topic_list(request):
    topics = Topic.objects.with_published_episodes()
    return render(request, "episodes/topic_list.html", {"topics": topics})


@public_page
def topic_detail(request, slug):
    # A topic only drafts or scheduled episodes have is not public yet either.
    topic = get_object_or_404(Topic.objects.with_published_episodes(), slug=slug)
    episodes = Episode.objects.published().filter(topics=topic).with_listing_data()
    page = paginate(request, episodes, EPISODES_PER_PAGE)
    return render(request, "episodes/topic_detail.html", {"topic": topic, "page_obj": page})
