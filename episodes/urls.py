from django.contrib.sitemaps.views import sitemap
from django.urls import path, re_path

from . import api, discovery, feeds, format_views, old_links, search_views, views
from .http_cache import public_page

app_name = "episodes"

urlpatterns = [
    path("", views.home, name="home"),
    path("episodes/", views.episode_list, name="episode_list"),
    path("episodes/<slug:slug>/", views.episode_detail, name="episode_detail"),
    path("guests/", views.guest_list, name="guest_list"),
    path("guests/<slug:slug>/", views.guest_detail, name="guest_detail"),
    path("topics/", views.topic_list, name="topic_list"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic_detail"),
    path("search/", search_views.search, name="search"),
    # Feeds, transcript and chapter files (episodes/feeds.py, episodes/format_views.py).
    path("feed.xml", feeds.podcast_feed, name="feed"),
    path("guests/<slug:slug>/feed.xml", feeds.guest_feed, name="guest_feed"),
    path("topics/<slug:slug>/feed.xml", feeds.topic_feed, name="topic_feed"),
    path("episodes/<slug:slug>/transcript.<str:fmt>", format_views.transcript_file, name="transcript"),
    path("episodes/<slug:slug>/chapters.json", format_views.chapters_file, name="chapters"),
    # Discovery (episodes/discovery.py).
    path("sitemap.xml", public_page(sitemap), {"sitemaps": discovery.SITEMAPS}, name="sitemap"),
    path("robots.txt", discovery.robots_txt, name="robots"),
    # The static site's paths (episodes/old_links.py).
    re_path(r"^podcast/(?P<stem>[^/]+)\.html$", old_links.static_episode, name="static_episode"),
    re_path(r"^people/(?P<short>[^/]+)\.html$", old_links.static_person, name="static_person"),
    path("podcast.html", old_links.static_episode_list, name="static_episode_list"),
    # The read-only JSON API (episodes/api.py).
    path("api/episodes/", api.episode_list, name="api_episode_list"),
    path("api/episodes/<slug:slug>/", api.episode_detail, name="api_episode_detail"),
    path("api/guests/", api.guest_list, name="api_guest_list"),
    path("api/guests/<slug:slug>/", api.guest_detail, name="api_guest_detail"),
]
