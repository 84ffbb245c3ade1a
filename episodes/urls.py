from django.urls import path

from . import search_views, views

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
]
