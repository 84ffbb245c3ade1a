"""The ASGI front that gunicorn serves (podcast_site/asgi.py), the pages a process keeps in memory
(RecentPages) and the cache stores kept per thread (episodes/cache.py). The WSGI front's tests are in
test_caching.py, whose fixtures these share."""

import asyncio
import contextvars
import io
import time
from html import unescape
from wsgiref.util import setup_testing_defaults

import pytest
from a2wsgi.wsgi import build_environ
from django.conf import settings
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from episodes import cache, http_cache
from episodes.cache import content_changed, content_version
from episodes.http_cache import CachedPagesFirst, CachedPagesFirstASGI, RecentPages
from episodes.models import Episode

from .test_caching import MATH, url

pytestmark = pytest.mark.django_db


# --- the WSGI application answers hits before Django's handler -----------------------------------


class DjangoCalls:
    """Django's WSGI handler, counting the requests that reach it (as the test client, without the
    request signals that would close the test's database connection)."""

    def __init__(self):
        self.handler, self.paths = WSGIHandler(), []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        return self.handler(environ, start_response)


@pytest.fixture
def wsgi_app(page_cache):
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        django = DjangoCalls()
        yield http_cache.CachedPagesFirst(django), django
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def wsgi_request(app, path, method="GET", **environ):
    """(status, headers, body) of ``app`` for a request to ``path``."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_HOST": "testserver", **environ}
    setup_testing_defaults(environ)
    started = []
    result = app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    status, headers = started[0]
    return status, dict(headers), body


def test_the_wsgi_application_answers_a_cached_page_without_django(fixture_archive, wsgi_app):
    app, django = wsgi_app
    path = url("episode_detail", MATH)

    first = wsgi_request(app, path)
    again = wsgi_request(app, path)
    head = wsgi_request(app, path, method="HEAD")

    assert django.paths == [path]  # rendered once, then answered from the cache
    assert first[0] == again[0] == "200 OK"
    assert again[2] == first[2]
    assert Episode.objects.get(slug=MATH).title in unescape(again[2].decode())
    assert again[1] == first[1]  # the same headers: CSP, frame denial, Vary, ETag, length
    assert {"Content-Security-Policy", "X-Frame-Options", "ETag", "Content-Length"} <= set(again[1])
    assert head[0] == "200 OK" and head[2] == b"" and head[1]["ETag"] == first[1]["ETag"]


def test_the_wsgi_application_passes_on_what_the_cache_must_not_answer(fixture_archive, wsgi_app):
    app, django = wsgi_app
    path = url("episode_detail", MATH)
    _status, headers, _body = wsgi_request(app, path)
    session = f"{settings.SESSION_COOKIE_NAME}=not-a-session"

    assert wsgi_request(app, path, HTTP_COOKIE=session)[0] == "200 OK"
    assert wsgi_request(app, path, HTTP_IF_NONE_MATCH=headers["ETag"])[0] == "304 Not Modified"
    assert wsgi_request(app, path, method="POST")[0] == "403 Forbidden"  # Django's CSRF check
    assert wsgi_request(app, path, HTTP_HOST="evil.example")[0] == "400 Bad Request"
    content_changed()
    assert wsgi_request(app, path)[0] == "200 OK"

    assert django.paths == [path] * 6


def test_the_wsgi_application_passes_everything_on_with_the_page_cache_off(fixture_archive, wsgi_app, settings):
    app, django = wsgi_app
    settings.PODCAST_PAGE_CACHE_SECONDS = 0
    path = url("episode_detail", MATH)
    wsgi_request(app, path)
    wsgi_request(app, path)
    assert django.paths == [path, path]


# --- the ASGI application (gunicorn) ----------------------------------------------------------


def scope_for(path, method="GET", headers=()):
    """An ASGI HTTP scope as gunicorn gives it, for http://testserver``path``."""
    path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), *((name.encode(), value.encode()) for name, value in headers)],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def asgi_request(app, scope):
    """(status, headers, body) of the ASGI ``app`` for ``scope``, run in a new event loop."""
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(message for message in messages if message["type"] == "http.response.start")
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    body = b"".join(message.get("body", b"") for message in messages if message["type"] == "http.response.body")
    return start["status"], headers, body


def rendered_for_asgi(wsgi, path):
    """The page at ``path`` rendered (and stored) by Django from the very environ a2wsgi hands it on a miss
    (SERVER_NAME, SERVER_PORT and headers as the ASGI scope gives them); its body."""
    environ = build_environ(scope_for(path), io.BytesIO())
    return b"".join(wsgi(environ, lambda status, headers, exc_info=None: None))


class Passed:
    """A WSGI application standing in for Django: it answers every request it gets, and counts them."""

    def __init__(self):
        self.paths = []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"rendered by the application"]


def test_the_asgi_application_answers_a_page_django_stored_without_django(fixture_archive, wsgi_app):
    wsgi, django = wsgi_app
    path = url("episode_detail", MATH)
    first = rendered_for_asgi(wsgi, path)
    passed = Passed()
    app = CachedPagesFirstASGI(passed, threads=1)

    status, headers, body = asgi_request(app, scope_for(path))
    again = asgi_request(app, scope_for(path))
    head = asgi_request(app, scope_for(path, method="HEAD"))

    assert (django.paths, passed.paths) == ([path], [])
    assert status == 200 and body == first and again[2] == first
    assert Episode.objects.get(slug=MATH).title in unescape(body.decode())
    assert {"content-security-policy", "x-frame-options", "etag", "content-length"} <= set(headers)
    assert head[0] == 200 and head[2] == b"" and head[1]["etag"] == headers["etag"]


def test_the_asgi_application_passes_on_what_the_cache_must_not_answer(fixture_archive, wsgi_app, settings):
    wsgi, _django = wsgi_app
    path = url("episode_detail", MATH)
    stored = rendered_for_asgi(wsgi, path)
    passed = Passed()
    app = CachedPagesFirstASGI(passed, threads=1)
    status, headers, body = asgi_request(app, scope_for(path))
    assert (status, body) == (200, stored)

    asgi_request(app, scope_for(path, headers=[("cookie", f"{settings.SESSION_COOKIE_NAME}=a-session")]))
    asgi_request(app, scope_for(path, headers=[("if-none-match", headers["etag"])]))
    asgi_request(app, scope_for(path, method="POST"))
    asgi_request(app, scope_for(path, headers=[("x-forwarded-host", "evil.example")]))
    asgi_request(app, scope_for(path + "?page=2"))
    content_changed()  # an edit: the page kept in this process's memory is not answered either
    asgi_request(app, scope_for(path))
    settings.PODCAST_PAGE_CACHE_SECONDS = 0
    asgi_request(app, scope_for(path))

    assert passed.paths == [path] * 7


def test_a_page_kept_in_memory_is_answered_without_reading_the_shared_cache(fixture_archive, wsgi_app, monkeypatch):
    wsgi, django = wsgi_app
    path = url("episode_detail", MATH)
    wsgi_request(wsgi, path)  # rendered and stored
    wsgi_request(wsgi, path)  # read from the shared cache, and kept
    reads = []
    monkeypatch.setattr("episodes.http_cache.cache_get", lambda key: reads.append(key))

    status, _headers, body = wsgi_request(wsgi, path)

    assert (status, reads, django.paths) == ("200 OK", [], [path])
    assert Episode.objects.get(slug=MATH).title in unescape(body.decode())


def test_a_page_kept_in_memory_expires_when_its_stored_copy_does(fixture_archive, wsgi_app, settings, monkeypatch):
    settings.PODCAST_PAGE_CACHE_SECONDS = 60
    wsgi, django = wsgi_app
    path = url("episode_detail", MATH)
    wsgi_request(wsgi, path)  # rendered, and stored for 60 seconds
    wsgi_request(wsgi, path)  # kept in memory
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)

    status = wsgi_request(wsgi, path)[0]

    assert (status, django.paths) == ("200 OK", [path, path])  # rendered again, not answered from memory


def test_the_wsgi_application_keeps_no_page_when_its_memory_is_off(fixture_archive, wsgi_app, monkeypatch):
    _app, django = wsgi_app  # for its request signals, which would close the test's database connection
    app = CachedPagesFirst(django, recent_bytes=0)
    path = url("episode_detail", MATH)
    wsgi_request(app, path)
    reads, read = [], http_cache.cache_get
    monkeypatch.setattr("episodes.http_cache.cache_get", lambda key: reads.append(key) or read(key))

    status = wsgi_request(app, path)[0]

    assert (status, len(reads), app.app.paths) == ("200 OK", 1, [path])  # read from the shared cache again


# --- RecentPages ----------------------------------------------------------------------------------


def page(size, expires=float("inf")):
    return b"x" * size, [("Content-Type", "text/html")], expires


def test_recent_pages_keep_at_most_their_bytes_dropping_the_least_recently_served():
    recent = RecentPages(max_bytes=300)
    recent.add("a", page(100))
    recent.add("b", page(100))
    recent.add("c", page(100))
    assert recent.get("a") is not None  # served: now the most recent

    recent.add("d", page(100))

    assert [digest for digest in "abcd" if recent.get(digest)] == ["a", "c", "d"]
    assert recent.size == 300


def test_recent_pages_forget_a_page_when_it_expires_and_never_keep_one_too_big():
    recent = RecentPages(max_bytes=300)
    recent.add("gone", page(100, expires=0))
    recent.add("huge", page(301))
    recent.add("kept", page(100))
    recent.add("kept", page(120))  # the same page stored again replaces it

    assert (recent.get("gone"), recent.get("huge")) == (None, None)
    assert len(recent.get("kept")[0]) == 120 and recent.size == 120


# --- the cache stores, one per thread ----------------------------------------------------------


def test_requests_in_an_event_loop_share_one_version_store(page_cache, monkeypatch):
    made = []
    create = caches.create_connection
    monkeypatch.setattr(caches, "create_connection", lambda alias: made.append(alias) or create(alias))

    async def request():
        return content_version()

    async def requests():
        # Each task runs in a context of its own, as each request does under the ASGI worker.
        return await asyncio.gather(*(request() for _ in range(20)))

    # From an empty context, as gunicorn's worker starts its loop: no cache made before is visible.
    versions = contextvars.Context().run(asyncio.run, requests())

    assert len(set(versions)) == 1
    assert made.count("versions") <= 1


def test_a_change_of_the_cache_settings_gives_each_thread_new_stores(settings, tmp_path):
    before = cache._store("versions")
    settings.CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"{alias}-{tmp_path.name}"}
        for alias in ("default", "versions")
    }

    after = cache._store("versions")

    assert after is not before and after._cache is caches["versions"]._cache
