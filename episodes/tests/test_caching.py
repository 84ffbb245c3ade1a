"""Conditional GETs, the full-page cache, and what invalidates it (episodes/cache.py, episodes/http_cache.py).

The suite runs with the page cache off (podcast_site/test_settings.py); the tests here turn it on.
Redis tests need the server at 127.0.0.1:6379 (skipped without it, failed under CI=true); they use
their own database number and key prefix and delete only their own keys.
"""

import datetime
import os
import shutil
import subprocess
import sys
import uuid
from html import unescape

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from episodes import http_cache
from episodes.cache import content_changed, content_version, signals_muted
from episodes.http_cache import public_page
from episodes.importer import UNCHANGED, UPDATED
from episodes.models import Episode, Guest, Line, Section, Topic
from podcast_site.cache_config import caches_from_environment

from .conftest import FIXTURE_EPISODES, run_import
from .test_admin import admin_url, assert_saved, form_data, line_forms

pytestmark = pytest.mark.django_db

MATH = "from-math-graduate-to-data-analytics"
GOVERNANCE = "cloud-data-governance"
PAGES = [
    ("home", ()),
    ("episode_list", ()),
    ("episode_detail", (MATH,)),
    ("guest_list", ()),
    ("guest_detail", ("jessiashdown",)),
    ("topic_list", ()),
    ("topic_detail", ("data-science",)),
    ("search", ()),
]
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 13


def url(name, *args, query=""):
    return reverse(f"episodes:{name}", args=args) + (f"?{query}" if query else "")


def page_text(client, path):
    """The page's text, unescaped (titles hold "&", lines hold apostrophes)."""
    return unescape(client.get(path).content.decode())


def count_queries(client, path, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    return response, len(queries)


def run_python(code, **env):
    """``code`` in a separate process with the production settings and ``env`` (another app server)."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CACHE_", "REDIS_URL", "PODCAST_CACHE_DIR"))
    }
    clean.update(DJANGO_SETTINGS_MODULE="podcast_site.settings", DJANGO_SECRET_KEY="another-server", **env)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


BUMP_IN_ANOTHER_PROCESS = "from episodes.cache import content_changed; content_changed()"


# --- conditional GETs ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_public_pages_carry_an_etag_to_revalidate(client, fixture_archive, name, args):
    response = client.get(url(name, *args))

    assert response.status_code == 200
    assert response["ETag"].startswith('W/"')
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert cache_control == {"public", "no-cache"}  # stored, but asked again every time
    assert "Cookie" in response["Vary"]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_a_matching_etag_gets_304_without_a_query_or_a_template(
    client, fixture_archive, django_assert_num_queries, name, args
):
    etag = client.get(url(name, *args))["ETag"]

    with django_assert_num_queries(0):
        response = client.get(url(name, *args), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.templates == []
    assert response.content == b""
    assert response["ETag"] == etag
    assert "Cookie" in response["Vary"]
    assert client.head(url(name, *args), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_another_etag_gets_the_page(client, fixture_archive):
    response = client.get(url("episode_detail", MATH), HTTP_IF_NONE_MATCH='W/"something-else"')
    assert response.status_code == 200
    assert response.templates


def test_the_etag_changes_when_the_content_does(client, fixture_archive):
    old_etag = client.get(url("episode_detail", MATH))["ETag"]
    episode = Episode.objects.get(slug=MATH)
    episode.title = "A title changed by an editor"
    episode.save()

    response = client.get(url("episode_detail", MATH), HTTP_IF_NONE_MATCH=old_etag)

    assert response.status_code == 200
    assert "A title changed by an editor" in response.content.decode()
    assert response["ETag"] != old_etag


def test_each_url_has_its_own_etag(client, fixture_archive):
    etags = {
        client.get(path)["ETag"]
        for path in [
            url("episode_list"),
            url("episode_list", query="season=7"),
            url("episode_detail", MATH),
            url("episode_detail", GOVERNANCE),
        ]
    }
    assert len(etags) == 4


def test_errors_and_redirects_carry_no_etag(client, fixture_archive):
    response = client.get(url("episode_detail", "no-such-episode"))
    assert response.status_code == 404
    assert "ETag" not in response


# --- the page cache ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_a_cached_page_costs_no_query_and_no_template(
    client, fixture_archive, page_cache, django_assert_num_queries, name, args
):
    first, queries = count_queries(client, url(name, *args))
    assert queries > 0
    assert first.templates

    with django_assert_num_queries(0):
        again = client.get(url(name, *args))

    assert again.status_code == 200
    assert again.templates == []
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]


def test_the_query_string_is_part_of_the_cache_key(client, fixture_archive, page_cache):
    title = Episode.objects.get(slug=MATH).title  # season 7
    season_7 = page_text(client, url("episode_list", query="season=7"))
    season_3 = page_text(client, url("episode_list", query="season=3"))

    assert title in season_7
    assert title not in season_3


def test_a_save_shows_on_the_next_request(client, fixture_archive, page_cache):
    client.get(url("episode_detail", MATH))
    topic = Episode.objects.get(slug=MATH).topics.first()
    topic.name = "renamed topic for the cache test"
    topic.save()

    html = page_text(client, url("episode_detail", MATH))

    assert "Renamed topic for the cache test" in html


def test_a_deletion_shows_on_the_next_request(client, fixture_archive, page_cache):
    line = Line.objects.filter(section__episode__slug=MATH).order_by("pk")[5]
    assert line.text in page_text(client, url("episode_detail", MATH))

    line.delete()

    assert line.text not in page_text(client, url("episode_detail", MATH))


def test_an_import_of_a_changed_file_shows_on_the_next_request(client, db, page_cache, tmp_path):
    (source,) = [path for path in FIXTURE_EPISODES.iterdir() if path.stem == MATH]
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    assert run_import(copy).ok
    assert "How to Break into Data Analytics" in page_text(client, url("episode_detail", MATH))

    copy.write_text(copy.read_text("utf-8").replace("How to Break into", "How to Leap into"), "utf-8")
    report = run_import(copy)

    assert [result.outcome for result in report.episodes] == [UPDATED]
    text = page_text(client, url("episode_detail", MATH))
    assert "How to Leap into Data Analytics" in text
    assert "How to Break into Data Analytics" not in text


def test_an_import_that_changes_nothing_keeps_the_cache(client, fixture_archive, page_cache):
    client.get(url("episode_detail", MATH))
    version = content_version()

    report = run_import(FIXTURE_EPISODES)
    dry_run = run_import(FIXTURE_EPISODES, dry_run=True)

    assert {result.outcome for result in report.episodes + dry_run.episodes} == {UNCHANGED}
    assert content_version() == version
    _, queries = count_queries(client, url("episode_detail", MATH))
    assert queries == 0


def test_an_import_is_one_change_not_one_per_row(db, page_cache, monkeypatch):
    bumps = []
    monkeypatch.setattr("episodes.cache._new_version", lambda: bumps.append(1))

    assert run_import(FIXTURE_EPISODES).ok

    assert len(bumps) == 1


def test_an_admin_edit_of_a_line_shows_on_the_next_request(client, admin_client, fixture_archive, page_cache):
    episode = Episode.objects.get(slug=MATH)
    section = Section.objects.filter(episode=episode, lines__isnull=False).order_by("position").first()
    client.get(url("episode_detail", MATH))
    _, queries = count_queries(client, url("episode_detail", MATH))
    assert queries == 0  # cached

    change = admin_url(Section, "change", section.pk)
    data = form_data(admin_client.get(change))
    edited = line_forms(admin_client.get(change)).initial_forms[0]
    data[edited.add_prefix("text")] = "A line the editor just rewrote."
    assert_saved(admin_client.post(change, data))

    assert "A line the editor just rewrote." in page_text(client, url("episode_detail", MATH))


def test_an_admin_edit_of_an_episode_shows_on_the_next_request(client, admin_client, fixture_archive, page_cache):
    episode = Episode.objects.get(slug=MATH)
    assert episode.title in page_text(client, url("episode_list"))

    change = admin_url(Episode, "change", episode.pk)
    data = form_data(admin_client.get(change))
    data["title"] = "Retitled in the admin"
    assert_saved(admin_client.post(change, data))

    assert "Retitled in the admin" in page_text(client, url("episode_list"))
    assert "Retitled in the admin" in page_text(client, url("episode_detail", MATH))


def test_an_admin_action_shows_on_the_next_request(client, admin_client, fixture_archive, page_cache):
    episode = Episode.objects.get(slug=MATH)
    assert client.get(url("episode_detail", MATH)).status_code == 200

    admin_client.post(admin_url(Episode, "changelist"), {"action": "unpublish", "_selected_action": [episode.pk]})

    assert client.get(url("episode_detail", MATH)).status_code == 404
    assert episode.title not in page_text(client, url("episode_list"))


def test_an_admin_log_entry_and_mark_edited_change_the_version(admin_user, fixture_archive, page_cache):
    episode = Episode.objects.get(slug=MATH)
    first = content_version()
    with signals_muted():  # as a bulk action's queryset.update() would (no save signal)
        Episode.objects.filter(pk=episode.pk).update(title="Changed in bulk")
    assert content_version() == first

    LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(Episode),
        object_id=str(episode.pk),
        object_repr=str(episode),
        action_flag=CHANGE,
        change_message="Changed in bulk",
    )
    second = content_version()
    assert second != first

    Episode.objects.filter(pk=episode.pk).mark_edited()
    assert content_version() not in (first, second)


def test_a_change_invalidates_again_when_its_transaction_commits(db, page_cache, django_capture_on_commit_callbacks):
    topic = Topic.objects.create(name="Streaming", slug="streaming")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        topic.name = "Stream processing"
        topic.save()
        during = content_version()
    assert len(callbacks) == 1
    # A page rendered between the change and the commit saw the old rows: a new version replaces it.
    assert content_version() != during


def test_a_scheduled_episode_appears_at_midnight_without_an_edit(client, fixture_archive, page_cache, monkeypatch):
    today = timezone.localdate()
    episode = Episode.objects.get(slug=MATH)
    episode.published_on = today + datetime.timedelta(days=1)
    episode.save()
    assert episode.title not in page_text(client, url("episode_list"))
    assert episode.title not in page_text(client, url("episode_list"))  # cached

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + datetime.timedelta(days=1))

    assert episode.title in page_text(client, url("episode_list"))


def test_a_new_release_of_the_code_does_not_serve_the_old_pages(client, fixture_archive, page_cache, monkeypatch):
    first = client.get(url("home"))
    monkeypatch.setattr(http_cache, "code_release", lambda: "next-release")

    response, queries = count_queries(client, url("home"))

    assert queries > 0
    assert response["ETag"] != first["ETag"]


# --- staff and private responses ----------------------------------------------------------


def test_requests_with_a_session_are_rendered_every_time(admin_client, client, fixture_archive, page_cache):
    public_etag = client.get(url("episode_detail", MATH))["ETag"]

    for _ in range(2):
        response, queries = count_queries(admin_client, url("episode_detail", MATH), HTTP_IF_NONE_MATCH=public_etag)
        assert response.status_code == 200
        assert queries > 0
        assert response.templates
        assert "ETag" not in response
        assert "private" in response["Cache-Control"]
        assert "Cookie" in response["Vary"]


def test_a_staff_preview_is_never_served_to_the_public(admin_client, client, fixture_archive, page_cache):
    episode = Episode.objects.get(slug=MATH)
    episode.status = Episode.Status.DRAFT
    episode.save()

    assert admin_client.get(url("episode_detail", MATH)).status_code == 200
    assert client.get(url("episode_detail", MATH)).status_code == 404


class PathsSeen:
    """A middleware that notes the path of every request that reaches it."""

    paths = []

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.paths.append(request.path)
        return self.get_response(request)


def cached_stack(view, *inner):
    """The page cache middleware around ``inner`` middleware around the decorated view."""
    handler = public_page(view)
    for middleware in reversed(inner):
        handler = middleware(handler)
    return http_cache.PageCacheMiddleware(handler)


@pytest.mark.parametrize(
    "mark",
    [
        lambda response: response.set_cookie("seen", "1"),
        lambda response: response.__setitem__("Cache-Control", "private"),
        lambda response: response.__setitem__("Cache-Control", "no-store"),
    ],
    ids=["sets-a-cookie", "private", "no-store"],
)
def test_responses_that_are_not_plainly_public_are_not_stored(page_cache, mark):
    def view(request):
        response = HttpResponse(f"rendered {len(calls)}")
        calls.append(1)
        mark(response)
        return response

    calls = []
    page = cached_stack(view)
    factory = RequestFactory()
    assert page(factory.get("/x/")).content == b"rendered 0"
    assert page(factory.get("/x/")).content == b"rendered 1"


def test_a_plain_public_response_is_stored(page_cache):
    calls = []

    def view(request):
        calls.append(1)
        return HttpResponse(f"rendered {len(calls)}")

    page = cached_stack(view)
    factory = RequestFactory()
    assert page(factory.get("/x/")).content == b"rendered 1"
    assert page(factory.get("/x/")).content == b"rendered 1"
    assert page(factory.post("/x/")).content == b"rendered 2"  # never from the cache
    assert page(factory.get("/x/", HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=abc")).content == b"rendered 3"


def test_a_page_given_a_cookie_by_an_inner_middleware_is_not_stored(page_cache):
    """A CSRF token used while rendering sets its cookie after the view: that page is not for everyone."""
    calls = []

    def view(request):
        calls.append(1)
        get_token(request)
        return HttpResponse(f"rendered {len(calls)}")

    page = cached_stack(view, CsrfViewMiddleware)
    factory = RequestFactory()
    first = page(factory.get("/x/"))
    assert settings.CSRF_COOKIE_NAME in first.cookies
    assert page(factory.get("/x/")).content == b"rendered 2"


def test_a_cached_page_is_answered_before_the_inner_middleware(client, fixture_archive, page_cache, settings):
    """Sessions, CSRF, auth, messages, axes and CSP are skipped on a hit; their headers are replayed."""
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("episodes.http_cache.PageCacheMiddleware") + 1, f"{__name__}.PathsSeen")
    settings.MIDDLEWARE = middleware
    PathsSeen.paths = []
    path = url("episode_detail", MATH)

    first = client.get(path, secure=True)
    again = client.get(path, secure=True)

    assert PathsSeen.paths == [path]  # the second request never reached the middleware below the cache
    assert again.content == first.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "Vary", "ETag", "Cache-Control"):
        assert again[header] == first[header], header
    assert "Strict-Transport-Security" in again  # the security middleware still answers every response
    assert "Set-Cookie" not in again


def test_a_plain_http_request_is_redirected_not_given_the_https_page(client, fixture_archive, page_cache, settings):
    settings.SECURE_SSL_REDIRECT = True
    path = url("episode_detail", MATH)
    assert client.get(path, secure=True).status_code == 200
    assert client.get(path, secure=True).status_code == 200  # stored for HTTPS

    response = client.get(path)

    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{path}"


def test_a_page_stored_for_one_host_is_not_served_for_another(client, fixture_archive, page_cache, settings):
    """Pages hold absolute links (canonical, Open Graph): a proxy's host is part of the key."""
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = ["testserver", "a.example", "b.example"]
    path = url("episode_detail", MATH)
    for _ in range(2):  # rendered, then from the cache
        assert "//a.example/" in client.get(path, HTTP_X_FORWARDED_HOST="a.example").content.decode()

    page = client.get(path, HTTP_X_FORWARDED_HOST="b.example").content.decode()

    assert "//b.example/" in page
    assert "//a.example/" not in page


def test_changed_security_settings_are_not_answered_with_pages_stored_before(
    client, fixture_archive, page_cache, settings
):
    path = url("episode_detail", MATH)
    assert client.get(path)["X-Frame-Options"] == "DENY"
    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    http_cache.code_release.cache_clear()  # as a restart with the new settings would
    try:
        assert client.get(path)["X-Frame-Options"] == "SAMEORIGIN"
    finally:
        http_cache.code_release.cache_clear()


def test_static_files_are_not_looked_up_in_the_page_cache(client, page_cache, monkeypatch):
    looked_up = []
    monkeypatch.setattr(http_cache, "cache_get", lambda key: looked_up.append(key))
    client.get(f"{settings.STATIC_URL}episodes/css/player.css")
    assert looked_up == []
    client.get(url("home"))
    assert len(looked_up) == 1


def test_a_conditional_request_for_a_cached_page_gets_304(client, fixture_archive, page_cache):
    path = url("episode_detail", MATH)
    first = client.get(path)
    assert client.get(path).status_code == 200  # a hit
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_the_search_filters_lists_are_kept_until_the_content_changes(client, fixture_archive, page_cache):
    _first, queries_first = count_queries(client, url("search", query="q=data"))
    _other, queries_other = count_queries(client, url("search", query="q=model"))  # another page, same lists
    assert queries_other <= queries_first - 3  # guests, topics and speakers not read again

    guest = Guest.objects.get(slug="jessiashdown")
    guest.name = "Jessi Renamed"
    guest.save()
    page = page_text(client, url("search", query="q=pipeline&guest=jessiashdown"))

    assert '<option value="jessiashdown" selected>Jessi Renamed</option>' in page


# --- a cache that does not answer ----------------------------------------------------------


def test_pages_render_when_the_cache_server_is_down(client, fixture_archive, settings, caplog):
    down = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    settings.CACHES = {"default": down, "versions": down}
    settings.PODCAST_PAGE_CACHE_SECONDS = 3600

    response = client.get(url("episode_detail", MATH))
    content_changed()  # an edit while the cache is down is saved; it only logs

    assert response.status_code == 200
    assert "ETag" not in response  # no promise it could not keep
    assert "cannot be written" in caplog.text


# --- several processes share one invalidation ----------------------------------------------


def test_the_default_version_store_is_shared_by_the_processes_of_a_machine(client, fixture_archive, settings, tmp_path):
    settings.CACHES = caches_from_environment({"PODCAST_CACHE_DIR": str(tmp_path)}, settings.BASE_DIR)
    settings.PODCAST_PAGE_CACHE_SECONDS = 3600
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")  # pages stay in this process
    client.get(url("episode_detail", MATH))
    with signals_muted():  # written here, invalidated by another process
        Episode.objects.filter(slug=MATH).update(title="Changed on another server")
    assert "Changed on another server" not in page_text(client, url("episode_detail", MATH))

    run_python(BUMP_IN_ANOTHER_PROCESS, PODCAST_CACHE_DIR=str(tmp_path))

    assert "Changed on another server" in page_text(client, url("episode_detail", MATH))


@pytest.fixture
def redis_url():
    """A Redis database and key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    server = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.RedisError as error:
        message = f"the Redis tests need a server at {REDIS_HOST}:{REDIS_PORT} ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"test-f-{uuid.uuid4().hex}"
    yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}", prefix
    for key in server.scan_iter(match=f"{prefix}:*"):
        server.delete(key)
    server.close()


def test_redis_holds_the_pages_and_another_server_invalidates_them(
    client, fixture_archive, settings, redis_url, django_assert_num_queries
):
    location, prefix = redis_url
    settings.CACHES = caches_from_environment({"REDIS_URL": location, "CACHE_KEY_PREFIX": prefix}, settings.BASE_DIR)
    settings.PODCAST_PAGE_CACHE_SECONDS = 3600
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"

    first = client.get(url("episode_detail", MATH))
    with django_assert_num_queries(0):
        cached = client.get(url("episode_detail", MATH))
    assert cached.content == first.content
    with signals_muted():  # written here, invalidated by another server
        Episode.objects.filter(slug=MATH).update(title="Changed on another server")
    assert "Changed on another server" not in page_text(client, url("episode_detail", MATH))

    run_python(BUMP_IN_ANOTHER_PROCESS, REDIS_URL=location, CACHE_KEY_PREFIX=prefix)

    response = client.get(url("episode_detail", MATH), HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200
    assert "Changed on another server" in response.content.decode()


def test_an_edit_on_this_server_reaches_a_page_cached_by_another(client, fixture_archive, settings, redis_url):
    location, prefix = redis_url
    settings.CACHES = caches_from_environment({"CACHE_URL": location, "CACHE_KEY_PREFIX": prefix}, settings.BASE_DIR)
    read_version = "from episodes.cache import content_version; print(content_version())"
    before = run_python(read_version, CACHE_URL=location, CACHE_KEY_PREFIX=prefix).strip()
    assert before == content_version()

    episode = Episode.objects.get(slug=MATH)
    episode.title = "Edited on this server"
    episode.save()

    after = run_python(read_version, CACHE_URL=location, CACHE_KEY_PREFIX=prefix).strip()
    assert after == content_version()
    assert after != before
