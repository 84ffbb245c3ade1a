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
- ``CachedPagesFirst`` wraps the WSGI application (podcast_site/wsgi.py), and ``CachedPagesFirstASGI``
  the ASGI one that gunicorn serves (podcast_site/asgi.py): they answer hits the same way before
  Django's request handling starts, and keep the pages they answered last in the process's memory
  (``RecentPages``).

Requests that carry a session cookie (editors, staff previewing drafts) are never answered from the
cache nor with 304: their pages may differ from the public ones, so they are rendered every time and
marked ``private``. Every response says ``Vary: Cookie``.
"""

import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict

from a2wsgi.wsgi import WSGIMiddleware, build_environ
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


def cacheable_request_digest(meta):
    """The page digest of a request (its WSGI environ) that the page cache may answer, else None.

    None for what is never answered from the cache: a request with a session, not a GET or HEAD, a
    conditional request (the view's decorator answers it 304 without rendering), static files and
    media, or any request while the page cache is off or down.
    """
    if (
        not settings.PODCAST_PAGE_CACHE_SECONDS
        or not _public_request(meta)
        or _conditional(meta)
        or (meta.get("SCRIPT_NAME", "") + meta.get("PATH_INFO", "")).startswith(_file_prefixes())
    ):
        return None
    return _page_digest(meta)


def cached_page(meta):
    """The stored ``(content, headers, expires)`` of the page a request asks for, or None (see above)."""
    digest = cacheable_request_digest(meta)
    return cache_get(f"page:{digest}") if digest else None


def store_page(response):
    """Store a response marked by ``public_page``, as it leaves the middleware stack."""
    key, timeout = getattr(response, "page_cache_key", None), settings.PODCAST_PAGE_CACHE_SECONDS
    if key and timeout and _cacheable(response):  # checked again: a middleware may have set a cookie since
        # The expiry travels with the page: a copy kept in a process's memory expires when it does.
        cache_set(key, (response.content, list(response.headers.items()), time.time() + timeout), timeout)


class PageCacheMiddleware:
    """Serve public pages from the page cache, and store them; see the module."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cached = cached_page(request.META)
        if cached is not None:
            content, headers, _expires = cached
            return HttpResponse(content, headers=headers)
        response = self.get_response(request)
        store_page(response)
        return response


class RecentPages:
    """The pages a process answered last, by digest, kept as the objects the shared cache gave.

    A hit on one needs no read of the shared cache: no round trip to Redis, no copy of the page out of
    a local-memory cache (which unpickles a 180 kB page on every read). The digest names the content
    version, so an edit is never hidden by a kept page: its requests have a new digest. A page is
    kept until it expires in the shared cache, and at most ``max_bytes`` of pages are kept, the least
    recently served dropped first. ``prepare`` turns a stored page into the form its server sends
    (once, when it is kept).
    """

    def __init__(self, max_bytes, prepare=lambda page: page):
        self.max_bytes, self.size, self.prepare = max_bytes, 0, prepare
        self._pages = OrderedDict()  # digest -> (content, headers, expires)
        self._lock = threading.Lock()  # a process's threads share it

    def page_for(self, environ):
        """The prepared page for a request (its WSGI environ), from memory or the shared cache; else None."""
        digest = cacheable_request_digest(environ)
        if not digest:
            return None
        page = self.get(digest)
        if page is None:
            stored = cache_get(f"page:{digest}")
            if stored is None:
                return None
            page = self.prepare(stored)
            self.add(digest, page)
        return page

    def get(self, digest):
        with self._lock:
            page = self._pages.get(digest)
            if page is None:
                return None
            if page[2] <= time.time():
                self._drop(digest)
                return None
            self._pages.move_to_end(digest)
            return page

    def add(self, digest, page):
        if len(page[0]) > self.max_bytes:
            return
        with self._lock:
            if digest in self._pages:
                self._drop(digest)
            self._pages[digest] = page
            self.size += len(page[0])
            while self.size > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def _drop(self, digest):
        self.size -= len(self._pages.pop(digest)[0])


RECENT_PAGES_BYTES = 16 * 1024 * 1024  # per process: the longest episode page is about 180 kB


class CachedPagesFirst:
    """A WSGI application that answers page-cache hits itself and passes everything else to ``app``.

    The same lookup as PageCacheMiddleware, on the WSGI environ, before Django's handler (a request
    object, request signals, the middleware chain, a response object) runs: a hit is then mostly the
    content version's read and the digest. The pages it answered last are kept in this process
    (``RecentPages``). On a miss, Django reuses the digest computed here (kept in the environ).
    podcast_site/wsgi.py puts it in front of Django for runserver and any WSGI server; the test
    client, which calls Django's handler directly, gets the middleware's answer, which is the same.
    """

    def __init__(self, app, recent_bytes=RECENT_PAGES_BYTES):
        self.app = app
        self.recent = RecentPages(recent_bytes)

    def __call__(self, environ, start_response):
        page = self.recent.page_for(environ)
        if page is None:
            return self.app(environ, start_response)
        content, headers, _expires = page
        start_response("200 OK", headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [content]


def _asgi_form(page):
    content, headers, expires = page
    return content, [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers], expires


class CachedPagesFirstASGI:
    """The ASGI twin of CachedPagesFirst, which gunicorn serves (podcast_site/asgi.py).

    A hit is answered in the event loop, with no thread and no Django. Everything else goes to the
    Django WSGI application ``app``, run by a2wsgi in a pool of ``threads`` threads per process, so
    Django, its middleware and its database connections work exactly as under a WSGI server. The
    WSGI environ that the key is read from is a2wsgi's own, the one Django gets on a miss: a page is
    looked up under the key it was stored with. The content version's read (a file ``stat()``, or a
    Redis GET) runs in the loop; it is a few microseconds, or one round trip.
    """

    def __init__(self, app, threads, recent_bytes=RECENT_PAGES_BYTES):
        self.misses = WSGIMiddleware(app, workers=threads)
        self.recent = RecentPages(recent_bytes, prepare=_asgi_form)

    async def __call__(self, scope, receive, send):
        page = self.recent.page_for(build_environ(scope, None)) if scope["type"] == "http" else None
        if page is None:
            return await self.misses(scope, receive, send)
        content, headers, _expires = page
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else content})
