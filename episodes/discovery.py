"""What search engines read first: /sitemap.xml (published episodes, guests, topics) and /robots.txt."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from .models import Episode, Guest, Topic


class ListPageSitemap(Sitemap):
    """The home page and the lists of episodes, guests and topics."""

    def items(self):
        return ["episodes:home", "episodes:episode_list", "episodes:guest_list", "episodes:topic_list"]

    def location(self, item):
        return reverse(item)


class EpisodeSitemap(Sitemap):
    def items(self):
        return Episode.objects.published().only("slug", "updated_at").order_by("-season", "-number")

    def lastmod(self, episode):
        return episode.updated_at


class GuestSitemap(Sitemap):
    def items(self):
        return Guest.objects.with_published_episodes().only("slug", "updated_at").order_by("slug")

    def lastmod(self, guest):
        return guest.updated_at


class TopicSitemap(Sitemap):
    def items(self):
        # Filtering before annotating makes the latest change that of a published episode.
        published = Topic.objects.filter(episodes__in=Episode.objects.published())
        return published.annotate(last_changed=Max("episodes__updated_at")).only("slug").order_by("slug")

    def lastmod(self, topic):
        return topic.last_changed


SITEMAPS = {"pages": ListPageSitemap, "episodes": EpisodeSitemap, "guests": GuestSitemap, "topics": TopicSitemap}


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
        # Result pages for every possible query: nothing there that the episode pages lack.
        f"Disallow: {reverse('episodes:search')}",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('episodes:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
