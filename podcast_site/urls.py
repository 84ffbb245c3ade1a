from django.contrib import admin
from django.urls import include, path

from episodes.media_views import media_urlpatterns

urlpatterns = [
    # Before the admin's own URLs, which would otherwise answer for everything under admin/.
    path("admin/account/", include("episodes.account_urls")),
    path("admin/", admin.site.urls),
    path("", include("episodes.urls")),
]

# Covers and portraits, when the app serves them itself (debug, or PODCAST_SERVE_MEDIA=1).
urlpatterns += media_urlpatterns()
