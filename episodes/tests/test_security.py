"""Production settings: HTTPS behind a proxy, security headers, cookies, the Content-Security-Policy,
no inline code in any page, and static files compressed, hashed and cached for ever."""

import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from episodes.models import Episode, Section

BASE_DIR = settings.BASE_DIR
HOST = "podcast.example.org"
MATH = "from-math-graduate-to-data-analytics"


def run_production(code, **env):
    """``code`` under the production settings, given only a secret key and the allowed hosts (and ``env``)."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    clean.update(
        DJANGO_SETTINGS_MODULE="podcast_site.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        **env,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# The admin's log-in page needs no database row, so the subprocess needs no migrated database.
PRODUCTION_REQUESTS = f"""
import json
from django.conf import settings
from django.test import Client
client = Client()
plain = client.get("/admin/login/?next=/admin/", HTTP_HOST="{HOST}")
proxied = client.get("/admin/login/", HTTP_HOST="{HOST}", HTTP_X_FORWARDED_PROTO="https")
cookie = proxied.cookies[settings.CSRF_COOKIE_NAME]
print(json.dumps({{
    "plain": [plain.status_code, plain.get("Location")],
    "proxied": [proxied.status_code, dict(proxied.headers)],
    "csrf_cookie": {{"secure": cookie["secure"], "samesite": cookie["samesite"]}},
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "static_storage": settings.STORAGES["staticfiles"]["BACKEND"],
    "debug": settings.DEBUG,
}}))
"""


COLLECT_STATIC = """
import json
from django.core.management import call_command
call_command("collectstatic", "--noinput", verbosity=0)
print(json.dumps(True))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    # Pages name their static files through the manifest that collectstatic writes, as on a server.
    env = dict(DATABASE_URL=f"sqlite:///{folder / 'never-created.sqlite3'}", DJANGO_STATIC_ROOT=str(folder / "static"))
    run_production(COLLECT_STATIC, **env)
    return run_production(PRODUCTION_REQUESTS, **env)


def test_production_redirects_plain_http_to_https(production):
    status, location = production["plain"]
    assert status == 301
    assert location == f"https://{HOST}/admin/login/?next=/admin/"


def test_production_trusts_the_proxy_that_terminates_tls(production):
    status, headers = production["proxied"]
    assert status == 200  # X-Forwarded-Proto: https is a secure request: no redirect loop
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_production_cookies_are_secure(production):
    assert production["csrf_cookie"] == {"secure": True, "samesite": "Lax"}
    assert production["session_cookie_secure"] is True


def test_production_is_the_default_and_serves_hashed_compressed_static_files(production):
    assert production["debug"] is False
    assert production["static_storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


# --- the Content-Security-Policy ---------------------------------------------------------


def policy(response):
    """The policy as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def public_urls():
    episode = Episode.objects.get(slug=MATH)
    guest = episode.guests.first()
    topic = episode.topics.first()
    return [
        reverse("episodes:home"),
        reverse("episodes:episode_list") + "?season=7",
        episode.get_absolute_url(),
        reverse("episodes:guest_list"),
        guest.get_absolute_url(),
        reverse("episodes:topic_list"),
        topic.get_absolute_url(),
        reverse("episodes:search") + "?q=data",
        reverse("episodes:episode_detail", args=["no-such-episode"]),  # the 404 page too
    ]


def admin_urls():
    episode = Episode.objects.get(slug=MATH)
    section = Section.objects.filter(episode=episode, lines__isnull=False).first()
    return [
        reverse("admin:index"),
        reverse("admin:episodes_episode_changelist"),
        reverse("admin:episodes_episode_change", args=[episode.pk]),
        reverse("admin:episodes_episode_add"),
        reverse("admin:episodes_section_change", args=[section.pk]),
        reverse("admin:episodes_guest_changelist"),
        reverse("admin:episodes_guest_change", args=[episode.guests.first().pk]),
        reverse("admin:episodes_topic_changelist"),
    ]


@pytest.mark.django_db
def test_every_page_sends_the_policy(client, admin_client, fixture_archive):
    responses = [client.get(url) for url in public_urls()] + [admin_client.get(url) for url in admin_urls()]
    responses.append(Client().get(reverse("admin:login")))

    for response in responses:
        assert response.status_code in (200, 404), response
        assert "Content-Security-Policy" in response, response.wsgi_request.path


@pytest.mark.django_db
def test_the_policy_allows_the_site_and_the_youtube_player_only(client, fixture_archive):
    directives = policy(client.get(Episode.objects.get(slug=MATH).get_absolute_url()))

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == [
        "'self'",
        "https://www.youtube.com/iframe_api",
        "https://www.youtube.com/s/player/",
    ]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-src"] == ["https://www.youtube-nocookie.com", "https://www.youtube.com"]
    assert directives["img-src"] == ["'self'", "https://i.ytimg.com"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    for sources in directives.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources
        assert "*" not in sources


def test_a_cdn_for_static_or_media_files_is_allowed_by_origin():
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']))"
    )
    directives = run_production(code, PODCAST_MEDIA_URL="https://media.example.net/podcast/")
    assert directives["img-src"] == ["'self'", "https://media.example.net", "https://i.ytimg.com"]
    assert "'unsafe-inline'" not in directives["script-src"]


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block: inline scripts, event handler
    attributes, javascript: URLs, <style> elements and style attributes."""

    DATA_TYPES = ("application/ld+json", "application/json", "text/template")

    def __init__(self):
        super().__init__()
        self.found = []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in attributes and attributes.get("type") not in self.DATA_TYPES:
            self._in_script = tag

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def inline_code(html):
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_inline_code_detector_finds_what_the_policy_blocks():
    found = inline_code(
        '<script>alert(1)</script><script type="application/ld+json">{"a": 1}</script>'
        '<a href="javascript:void(0)" onclick="x()">x</a><p style="color: red"></p><style>p{}</style>'
        '<script src="/static/x.js"></script>'
    )
    assert len(found) == 5


@pytest.mark.django_db
def test_no_page_holds_inline_scripts_handlers_or_styles(client, admin_client, fixture_archive):
    pages = {url: client.get(url) for url in public_urls()}
    pages.update({url: admin_client.get(url) for url in admin_urls()})

    found = {url: inline_code(response.content.decode()) for url, response in pages.items()}

    assert {url: items for url, items in found.items() if items} == {}


# --- static files ----------------------------------------------------------------------------

PRODUCTION_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FAR_FUTURE = "max-age=315360000, public, immutable"


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic run with the production storage into a folder of its own."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STATIC):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield root


def hashed_name(root, name):
    manifest = json.loads((root / "staticfiles.json").read_text())
    return manifest["paths"][name]


@pytest.mark.parametrize(("encoding", "suffix"), [("br", ".br"), ("gzip", ".gz")])
def test_collected_files_are_hashed_compressed_and_cached_for_ever(collected, encoding, suffix):
    name = hashed_name(collected, "episodes/js/player.js")
    assert re.fullmatch(r"episodes/js/player\.[0-9a-f]{12}\.js", name)
    assert (collected / (name + suffix)).is_file()

    response = Client().get(f"/static/{name}", HTTP_ACCEPT_ENCODING=f"{encoding}, identity")

    assert response.status_code == 200
    assert response["Content-Encoding"] == encoding
    assert response["Cache-Control"] == FAR_FUTURE
    assert "Accept-Encoding" in response["Vary"]
    assert b"".join(response.streaming_content) == (collected / (name + suffix)).read_bytes()


def test_files_without_a_hash_are_not_cached_for_ever(collected):
    response = Client().get("/static/episodes/js/player.js")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=60, public"


@pytest.mark.django_db
def test_pages_link_the_hashed_files(collected, fixture_archive):
    response = Client().get(Episode.objects.get(slug=MATH).get_absolute_url())

    for name in ("episodes/css/site.css", "episodes/js/player.js"):
        assert f'"/static/{hashed_name(collected, name)}"' in response.content.decode()
