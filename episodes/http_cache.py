"""Conditional GETs and the full-page cache of the public pages.

Two parts, one rule for what is public and one key per page:

- ``public_page``, the view decorator, marks a view's pages as public. For an anonymous GET or HEAD
  (no session cookie) a page's ETag is derived from the content version (episodes/cache.py), the
  code release, today's date (scheduled episodes go public at midnight) and what in the request
  names the page (scheme, host, path and query string, as the WSGI server gave them; see
  ``KEY_ENVIRON``), so it costs one cache read and no query or rendering: a matching
  ``If-None-Match`` gets ``304 Not Modified`` before the view runs. A rendered plain public 200 is
  marked for the page cache.
- ``PageCacheMiddleware``, first in MIDDLEWARE, stores a marked page as it finally leaves the stack
  (security, CSP, frame and Vary headers included) unless a middleware set a cookie on it, and
  answers the next anonymous request for the same key from the cache before any other middleware
  runs: a hit costs two cache reads and no other work. The stored headers are replayed as they
  were, so a header that must differ per response (a CSP nonce) cannot be added while pages are
  cached this way; the settings that shape headers are part of the key (``code_release``). The
  scheme is part of the key too, so a plain-HTTP request never gets a page stored for HTTPS (it
  misses, and SecurityMiddleware redirects it), and so is the host: a page is only ever stored for a
  Host header Django accepted.
- ``CachedPagesFirst`` wraps the WSGI application (podcast_site/wsgi.py) and answers hits the same
  way before Django's request handling starts.

Requests that carry a session cookie (editors, staff previewing drafts) are never answered from the
cache nor with 304: their pages may differ from the public ones, so they are rendered every time and
marked ``private``. Every response says ``Vary: Cookie``.
"""

import functools
import hashlib
import logging

from django.conf import settings
from django.http import HttpResponse
from django.http.cookie import parse_cookie
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from .cache import cache_get, cache_set, code_release, content_version

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD")


# What in a request can change the page it gets, besides the content: the scheme (and the proxy's
# header that tells it), the host as the client or a proxy gave it, the path and the query string.
# Raw WSGI values, so a lookup needs no request object; more specific than the URL Django would build.
KEY_ENVIRON = (
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_HOST",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
)
DIGEST_ENVIRON = "podcast.page_digest"  # where a request's digest is kept once computed


def page_digest(meta, version):
    """The digest of the page a request (its WSGI environ, ``request.META``) asks for, under ``version``."""
    parts = [code_release(), version, timezone.localdate().isoformat(), *(str(meta.get(k, "")) for k in KEY_ENVIRON)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _public_request(meta):
    """True for an anonymous GET or HEAD (no session cookie): the requests a public page may be cached for."""
    return meta["REQUEST_METHOD"] in SAFE_METHODS and (
        "HTTP_COOKIE" not in meta or settings.SESSION_COOKIE_NAME not in parse_cookie(meta["HTTP_COOKIE"])
    )


def _conditional(meta):
    return "HTTP_IF_NONE_MATCH" in meta or "HTTP_IF_MATCH" in meta


def _page_digest(meta):
    """page_digest for the content version now, or None when the cache cannot be read; once per request."""
    if DIGEST_ENVIRON not in meta:
        version = content_version()
        meta[DIGEST_ENVIRON] = None if version is None else page_digest(meta, version)
    return meta[DIGEST_ENVIRON]


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
    """Answer conditional GETs, and mark the rendered page for the page cache; see the module."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _public_request(request.META):
            response = view(request, *args, **kwargs)
            if request.method in SAFE_METHODS:
                patch_cache_control(response, private=True)
            patch_vary_headers(response, ["Cookie"])
            return response

        digest = _page_digest(request.META)
        if digest is None:  # the cache is down: render, promise nothing
            response = view(request, *args, **kwargs)
            patch_vary_headers(response, ["Cookie"])
            return response

        etag = f'W/"{digest[:32]}"'
        not_modified = get_conditional_response(request, etag=etag) if _conditional(request.META) else None
        if not_modified is not None:
            _mark_public(not_modified, etag)
            patch_vary_headers(not_modified, ["Cookie"])
            return not_modified

        response = view(request, *args, **kwargs)
        if _cacheable(response):
            _mark_public(response, etag)
            response.page_cache_key = f"page:{digest}"  # stored by PageCacheMiddleware on its way out
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


def _file_prefixes():
    return tuple(prefix for prefix in (settings.STATIC_URL, settings.MEDIA_URL) if prefix.startswith("/"))


def cached_page(meta):
    """The stored ``(content, headers)`` of the page a request asks for (its WSGI environ), or None.

    None too for what is never answered from the cache: a request with a session, not a GET or
    HEAD, a conditional request (the view's decorator answers it 304 without rendering), static
    files and media, or any request while the page cache is off or down.
    """
    if (
        not settings.PODCAST_PAGE_CACHE_SECONDS
        or not _public_request(meta)
        or _conditional(meta)
        or (meta.get("SCRIPT_NAME", "") + meta.get("PATH_INFO", "")).startswith(_file_prefixes())
    ):
        return None
    digest = _page_digest(meta)
    return cache_get(f"page:{digest}") if digest else None


def store_page(response):
    """Store a response marked by ``public_page``, as it leaves the middleware stack."""
    key, timeout = getattr(response, "page_cache_key", None), settings.PODCAST_PAGE_CACHE_SECONDS
    if key and timeout and _cacheable(response):  # checked again: a middleware may have set a cookie since
        cache_set(key, (response.content, list(response.headers.items())), timeout)


class PageCacheMiddleware:
    """Serve public pages from the page cache, and store them; see the module."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cached = cached_page(request.META)
        if cached is not None:
            content, headers = cached
            return HttpResponse(content, headers=headers)
        response = self.get_response(request)
        store_page(response)
        return response


class CachedPagesFirst:
    """A WSGI application that answers page-cache hits itself and passes everything else to ``app``.

    The same lookup as PageCacheMiddleware, on the WSGI environ, before Django's handler (a request
    object, request signals, the middleware chain, a response object) runs: a hit is then mostly the
    two cache reads. On a miss, Django reuses the digest computed here (kept in the environ). podcast_site/wsgi.py
    puts it in front of Django, so gunicorn and runserver get it; the test client, which calls
    Django's handler directly, gets the middleware's answer, which is the same.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        cached = cached_page(environ)
        if cached is None:
            return self.app(environ, start_response)
        content, headers = cached
        start_response("200 OK", headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [content]
