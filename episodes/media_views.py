"""Serving covers and portraits from the app itself (development, or one machine behind a caching proxy).

Stored names carry their content's hash (``covers/x-1a2b3c4d5e6f.jpg``, its renditions
``r/1a2b3c4d5e6f-240w.webp``): a name never changes content, so those answer with a one-year,
immutable cache lifetime and a proxy or browser asks for each at most once. Anything else
under the media folder gets an hour. With object storage (PODCAST_MEDIA_STORAGE=s3) the
storage serves the files and none of this is routed.
"""

import re

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.http import Http404
from django.urls import re_path
from django.utils.cache import patch_cache_control
from django.utils.module_loading import import_string
from django.views import static
from django.views.decorators.http import require_safe

from .images import HASHED_NAME

ONE_YEAR = 365 * 24 * 60 * 60
ONE_HOUR = 60 * 60


@require_safe
def serve_media(request, path):
    """A file under MEDIA_ROOT (404 outside it, or for a folder), with a cache lifetime for its kind of name."""
    try:
        response = static.serve(request, path, document_root=settings.MEDIA_ROOT)
    except SuspiciousFileOperation as e:  # "../" and the like: there is nothing of ours there
        raise Http404("No such file") from e
    if HASHED_NAME.search(path):
        patch_cache_control(response, public=True, max_age=ONE_YEAR, immutable=True)
    else:
        patch_cache_control(response, public=True, max_age=ONE_HOUR)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def media_urlpatterns():
    """The media URL, when the app serves media: in debug or with PODCAST_SERVE_MEDIA=1, from local files only."""
    local_files = issubclass(import_string(settings.STORAGES["default"]["BACKEND"]), FileSystemStorage)
    prefix = settings.MEDIA_URL
    if not (settings.DEBUG or settings.PODCAST_SERVE_MEDIA) or not local_files or not prefix.startswith("/"):
        return []
    return [re_path(rf"^{re.escape(prefix.strip('/'))}/(?P<path>.+)$", serve_media, name="media")]
