from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("episodes.urls")),
]

if settings.DEBUG or settings.PODCAST_SERVE_MEDIA:
    # Episode covers and people pictures; in production a web server or CDN
    # usually serves PODCAST_MEDIA_ROOT instead.
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
