"""Covers and portraits in the public pages: renditions, srcset and sizes, eager then lazy, no extra queries;
serving media with cache lifetimes; storage settings from the environment; the share image for feeds."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from storages.backends.s3 import S3Storage

from episodes import images, media_urls
from episodes.media_views import media_urlpatterns, serve_media
from episodes.models import Episode, Guest
from episodes.renditions import make_missing_renditions
from podcast_site.media_storage import IMMUTABLE, media_storage

from .test_images import image_bytes

pytestmark = pytest.mark.django_db

GOVERNANCE = "cloud-data-governance"


class Tags(HTMLParser):
    """The <source> and <img> tags of a page, in order, with the <picture> each is in."""

    def __init__(self, html):
        super().__init__()
        self.tags, self._picture = [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "picture":
            self._picture = []
        elif tag in ("source", "img"):
            attrs["tag"] = tag
            attrs["in_picture"] = self._picture is not None
            self.tags.append(attrs)
            if self._picture is not None:
                self._picture.append(attrs)
                if tag == "img":
                    attrs["source"] = next((tag for tag in self._picture if tag["tag"] == "source"), None)

    def handle_endtag(self, tag):
        if tag == "picture":
            self._picture = None

    def images(self, css_class=None):
        return [
            tag for tag in self.tags if tag["tag"] == "img" and (css_class is None or tag.get("class") == css_class)
        ]


def page(client, name, *args):
    response = client.get(reverse(f"episodes:{name}", args=args))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def with_renditions(fixture_archive):
    report = make_missing_renditions(workers=1)
    assert report.images == 8 + 11 and not report.failures
    return report


def content_key(episode):
    """The content hash that names the cover and its renditions."""
    return images.HASHED_NAME.search(episode.image.name).group(1)


def candidates(srcset):
    """{width: url} of a srcset."""
    return {int(width.rstrip("w")): url for url, width in (item.split() for item in srcset.split(", "))}


def test_cards_offer_webp_widths_with_sizes_and_only_the_first_load_at_once(client, with_renditions):
    response = client.get(reverse("episodes:episode_list"))
    html = response.content.decode()
    cards = Tags(html).images("card__image")
    assert len(cards) == 8  # nine episodes; the seed has no cover
    for card in cards:
        [episode] = [
            episode for episode in Episode.objects.exclude(image="") if content_key(episode) in card["source"]["srcset"]
        ]
        assert (card["width"], card["height"]) == (str(episode.image_width), str(episode.image_height))
        source = card["source"]
        assert source["type"] == "image/webp"
        assert source["sizes"] == "(max-width: 40rem) 7.5rem, 22rem"
        widths = candidates(source["srcset"])
        assert sorted(widths) == [240, 360, min(episode.image_width, 960)]
        assert all(re.fullmatch(r"/media/r/[0-9a-f]{12}-\d+w\.webp", url) for url in widths.values())
        assert card["alt"] == ""
    # The first four cards are above the fold; the fourth, the seed, has no cover: three eager images.
    assert [bool(episode.image) for episode in response.context["page_obj"].object_list[:4]] == [True] * 3 + [False]
    assert [card["loading"] for card in cards] == ["eager"] * 3 + ["lazy"] * 5
    assert all(card.get("decoding") == "async" for card in cards[3:])
    assert "fetchpriority" not in cards[0]


def test_the_fallback_is_a_jpeg_and_a_wide_cover_gets_one_made(client, with_renditions):
    cards = {card["src"]: card for card in Tags(page(client, "episode_list")).images("card__image")}
    governance = Episode.objects.get(slug=GOVERNANCE)  # 1033 × 604: wider than the widest rendition
    assert (governance.image_width, governance.image_height) == (1033, 604)
    fallback = governance.image_renditions["jpeg"][0]
    assert fallback[:2] == [960, 561] and fallback[2].endswith("-960w.jpg")
    assert f"/media/{fallback[2]}" in cards
    other = Episode.objects.get(slug="interpretable-machine-learning")  # 940 wide: the original is the JPEG
    assert f"/media/{other.image.name}" in cards


def test_the_episode_page_poster_loads_first_and_portraits_lazily(client, with_renditions):
    tags = Tags(page(client, "episode_detail", GOVERNANCE))
    [poster] = tags.images("player__poster")
    assert (poster["loading"], poster["fetchpriority"]) == ("eager", "high")
    assert poster["source"]["sizes"] == "(min-width: 64rem) 54rem, 100vw"
    portraits = tags.images("person__picture")
    episode = Episode.objects.get(slug=GOVERNANCE)
    assert [portrait["alt"] for portrait in portraits] == [f"Photo of {guest.name}" for guest in episode.guests.all()]
    for portrait in portraits:
        assert portrait["loading"] == "lazy"
        assert sorted(candidates(portrait["source"]["srcset"])) == [64, 128]
        assert portrait["source"]["sizes"] == "(max-width: 40rem) 4rem, 6rem"


def test_guest_pages_show_portraits_and_a_silhouette_without_one(client, with_renditions):
    guest = Guest.objects.get(slug="jessiashdown")
    [profile] = Tags(page(client, "guest_detail", guest.slug)).images("person__picture")
    assert (profile["loading"], profile["alt"], profile["width"]) == ("eager", "Photo of Jessi Ashdown", "128")
    Guest.objects.filter(slug="urigilad").update(picture="", name='Uri <b>"Gilad"</b>')
    html = page(client, "guest_detail", "urigilad")
    [silhouette] = Tags(html).images("person__picture")
    assert silhouette["src"].endswith("episodes/img/person.svg")
    assert (silhouette["width"], silhouette["height"]) == ("128", "128")
    assert 'alt="Photo of Uri &lt;b&gt;&quot;Gilad&quot;&lt;/b&gt;"' in html  # escaped, not markup
    listed = Tags(page(client, "guest_list")).images()
    assert all(image["alt"] == "" for image in listed)  # the name is written beside it
    assert any(image["src"].endswith("person.svg") for image in listed)


def test_without_renditions_pages_show_the_original_with_its_size(client, fixture_archive):
    cards = Tags(page(client, "episode_list")).images("card__image")
    assert len(cards) == 8
    for card in cards:
        assert not card["in_picture"] and card["src"].startswith("/media/covers/")
        assert card["width"] and card["height"]


def test_images_add_no_query_and_never_touch_storage(client, with_renditions, django_assert_num_queries, monkeypatch):
    pages = [
        ("home",),
        ("episode_list",),
        ("episode_detail", GOVERNANCE),
        ("guest_list",),
        ("guest_detail", "urigilad"),
    ]
    with_images = {}
    for name, *args in pages:
        with CaptureQueriesContext(connection) as queries:
            page(client, name, *args)
        with_images[name] = len(queries)

    def untouchable(*args, **kwargs):
        raise AssertionError("a page touched the media storage")

    for method in ("exists", "open", "size", "listdir", "_open"):
        monkeypatch.setattr(FileSystemStorage, method, untouchable)
    Episode.objects.update(image="", image_renditions={})
    Guest.objects.update(picture="", picture_renditions={})
    for name, *args in pages:
        with django_assert_num_queries(with_images[name]):  # the same with no image at all
            page(client, name, *args)


# --- serving media -------------------------------------------------------------------------------------


def serve(path, **headers):
    return serve_media(RequestFactory().get(f"/media/{path}", **headers), path)


def test_hashed_names_are_cached_for_a_year_others_for_an_hour(media_root):
    (media_root / "covers").mkdir(parents=True)
    (media_root / "covers" / "x-1a2b3c4d5e6f.jpg").write_bytes(image_bytes())
    (media_root / "covers" / "plain.jpg").write_bytes(image_bytes())
    hashed = serve("covers/x-1a2b3c4d5e6f.jpg")
    assert hashed["Cache-Control"] == "public, max-age=31536000, immutable"
    assert hashed["Content-Type"] == "image/jpeg" and hashed["X-Content-Type-Options"] == "nosniff"
    assert serve("covers/plain.jpg")["Cache-Control"] == "public, max-age=3600"
    # A browser that has it asks again only with If-Modified-Since: 304.
    again = serve("covers/x-1a2b3c4d5e6f.jpg", HTTP_IF_MODIFIED_SINCE=hashed["Last-Modified"])
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["covers/missing-000000000000.jpg", "../settings.py", "covers", "/etc/passwd"])
def test_anything_else_under_media_is_a_404(media_root, path):
    (media_root / "covers").mkdir(parents=True)
    with pytest.raises(Http404):
        serve(path)


def test_media_answers_only_reads(media_root):
    response = serve_media(RequestFactory().post("/media/covers/x.jpg"), "covers/x.jpg")
    assert response.status_code == 405


def test_the_media_url_is_routed_only_when_the_app_serves_local_files(settings):
    settings.DEBUG, settings.PODCAST_SERVE_MEDIA = False, False
    assert media_urlpatterns() == []
    settings.PODCAST_SERVE_MEDIA = True
    [pattern] = media_urlpatterns()
    assert pattern.resolve("media/covers/x-1a2b3c4d5e6f.jpg").kwargs == {"path": "covers/x-1a2b3c4d5e6f.jpg"}
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    assert media_urlpatterns() == []


# --- storage from the environment --------------------------------------------------------------------


def test_files_under_media_by_default(tmp_path):
    storage, url, root = media_storage({}, tmp_path)
    assert (storage, url, root) == (
        {"BACKEND": "episodes.file_storage.AtomicFileSystemStorage"},
        "/media/",
        tmp_path / "media",
    )
    custom = media_storage({"PODCAST_MEDIA_ROOT": "/srv/media", "PODCAST_MEDIA_URL": "/files/"}, tmp_path)
    assert custom[1:] == ("/files/", Path("/srv/media"))


def test_s3_compatible_storage_from_the_environment(tmp_path):
    environ = {
        "PODCAST_MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": "podcast-media",
        "AWS_S3_ENDPOINT_URL": "https://s3.example.net",
        "AWS_S3_REGION_NAME": "eu-central-1",
        "AWS_S3_CUSTOM_DOMAIN": "media.example.org",
        "AWS_SECRET_ACCESS_KEY": "never-copied-into-settings",
    }
    backend, url, _root = media_storage(environ, tmp_path)
    assert backend == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "podcast-media",
            "file_overwrite": False,
            "querystring_auth": False,
            "object_parameters": {"CacheControl": IMMUTABLE},
            "endpoint_url": "https://s3.example.net",
            "region_name": "eu-central-1",
            "custom_domain": "media.example.org",
        },
    }
    assert "never-copied-into-settings" not in repr(backend)
    assert url == "https://media.example.org/"  # the Content-Security-Policy allows images from there
    # The storage builds public URLs without a request to anyone.
    storage = S3Storage(**backend["OPTIONS"])
    assert storage.url("covers/x-1a2b3c4d5e6f.jpg") == "https://media.example.org/covers/x-1a2b3c4d5e6f.jpg"
    without_cdn = {key: value for key, value in environ.items() if key != "AWS_S3_CUSTOM_DOMAIN"}
    assert media_storage(without_cdn, tmp_path)[1] == "https://s3.example.net/podcast-media/"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PODCAST_MEDIA_STORAGE": "s3"}, "PODCAST_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
        ({"PODCAST_MEDIA_STORAGE": "ftp"}, "PODCAST_MEDIA_STORAGE must be 'filesystem' or 's3', not 'ftp'"),
    ],
)
def test_a_storage_setting_that_cannot_work_is_a_clear_error(tmp_path, environ, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        media_storage(environ, tmp_path)


# --- the image the outside world gets -------------------------------------------------------------


def test_feeds_and_previews_get_an_absolute_jpeg(with_renditions):
    request = RequestFactory().get("/")
    governance = Episode.objects.get(slug=GOVERNANCE)
    url, width, height = media_urls.share_image(request, governance)
    assert re.fullmatch(r"http://testserver/media/r/[0-9a-f]{12}-960w\.jpg", url)
    assert (width, height) == (960, 561)
    guest = Guest.objects.get(slug="jessiashdown")
    assert media_urls.guest_picture_url(request, guest) == f"http://testserver/media/{guest.picture.name}"
    Episode.objects.filter(pk=governance.pk).update(image="")
    assert media_urls.episode_image_url(request, Episode.objects.get(pk=governance.pk)) == ""
    assert images.share_image(Episode.objects.get(pk=governance.pk)) is None
