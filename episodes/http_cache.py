"""Conditional GETs and the full-page cache of the public pages (the ``public_page`` view decorator).

For an anonymous GET or HEAD (no session cookie), a page's ETag is derived from the content version
(episodes/cache.py), the code release, today's date (scheduled episodes go public at midnight) and
the full URL, query string included, so it costs one cache read and no query or rendering: a
matching ``If-None-Match`` gets ``304 Not Modified`` before the view runs. Otherwise the rendered
page is looked up in the cache under the same parts, and stored after rendering when it is a plain
public 200 (no cookie set, not marked private or no-store).

Requests that carry a session cookie (editors, staff previewing drafts) are never answered from the
cache nor with 304: their pages may differ from the public ones, so they are rendered every time and
marked ``private``. Every response says ``Vary: Cookie``.
"""

import functools
import hashlib
import logging
from pathlib import Path

import django
from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from .cache import content_version

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD")


@functools.cache
def code_release():
    """A digest of the code, templates and static files: a deployment never serves pages (or
    ETags) rendered by the code it replaced, even from a cache shared across deployments."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256(
        "|".join([django.get_version(), settings.PODCAST_SITE_NAME, settings.STATIC_URL, settings.MEDIA_URL]).encode()
    )
    sources = [("templates", "*"), ("static", "*"), ("episodes", "*.py"), ("podcast_site", "*.py")]
    for folder, pattern in sources:
        for path in sorted((base / folder).rglob(pattern)):
            if path.is_file() and "tests" not in path.relative_to(base).parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def has_session(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def page_digest(request, version):
    parts = [code_release(), version, timezone.localdate().isoformat(), request.build_absolute_uri()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _cache_get(key):
    try:
        return caches["default"].get(key)
    except Exception:
        logger.warning("The page cache cannot be read", exc_info=True)
        return None


def _cache_set(key, value, timeout):
    try:
        caches["default"].set(key, value, timeout)
    except Exception:
        logger.warning("The page cache cannot be written", exc_info=True)


def _cacheable(response):
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
    )


def _mark_public(response, etag):
    response.headers.setdefault("ETag", etag)
    patch_cache_control(response, public=True, no_cache=True)  # stored anywhere, revalidated each time


def public_page(view):
    """Answer conditional GETs and serve the page from the cache when nothing changed; see the module."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in SAFE_METHODS or has_session(request):
            response = view(request, *args, **kwargs)
            if request.method in SAFE_METHODS:
                patch_cache_control(response, private=True)
            patch_vary_headers(response, ["Cookie"])
            return response

        version = content_version()
        if version is None:  # the cache is down: render, promise nothing
            response = view(request, *args, **kwargs)
            patch_vary_headers(response, ["Cookie"])
            return response

        digest = page_digest(request, version)
        etag = f'W/"{digest[:32]}"'
        conditional = "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MATCH" in request.META
        not_modified = get_conditional_response(request, etag=etag) if conditional else None
        if not_modified is not None:
            _mark_public(not_modified, etag)
            patch_vary_headers(not_modified, ["Cookie"])
            return not_modified

        timeout = settings.PODCAST_PAGE_CACHE_SECONDS
        key = f"page:{digest}"
        cached = _cache_get(key) if timeout else None
        if cached is not None:
            content, headers = cached
            return HttpResponse(content, headers=headers)

        response = view(request, *args, **kwargs)
        if _cacheable(response):
            _mark_public(response, etag)
            patch_vary_headers(response, ["Cookie"])
            if timeout:
                _cache_set(key, (response.content, list(response.headers.items())), timeout)
        else:
            patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper
