"""Which rendition a real browser picks (Debian's chromium): srcset and sizes agree with the stylesheet."""

import pytest
from django.urls import re_path

from episodes.media_views import serve_media
from episodes.models import Episode
from episodes.renditions import make_missing_renditions
from podcast_site.urls import urlpatterns as site_urlpatterns

from .conftest import FIXTURE_EPISODES, run_import
from .test_browser import browser, open_tab  # noqa: F401 - the fixtures: Debian's chromium, a tab on the live server

pytestmark = pytest.mark.browser

# The site's URLs plus its media, which the app serves only in debug or with PODCAST_SERVE_MEDIA=1.
urlpatterns = [*site_urlpatterns, re_path(r"^media/(?P<path>.+)$", serve_media)]

CHOSEN = """() => [...document.querySelectorAll(arguments_selector)].map(
    img => ({src: img.currentSrc, loaded: img.complete && img.naturalWidth > 0, loading: img.loading}))"""


@pytest.fixture
def site(transactional_db, settings):
    settings.ROOT_URLCONF = __name__
    report = run_import(FIXTURE_EPISODES)
    assert report.ok, report.failures
    assert make_missing_renditions(workers=1).images == 8 + 11


def chosen(tab, selector):
    tab.page.wait_for_load_state("networkidle")
    return tab.page.evaluate(CHOSEN.replace("arguments_selector", repr(selector)))


@pytest.mark.parametrize(
    ("viewport", "scale", "width"),
    [
        ({"width": 390, "height": 844}, 2, 240),  # a phone: 7.5rem thumbnails
        ({"width": 390, "height": 844}, 3, 360),
        ({"width": 1280, "height": 800}, 1, 360),  # grid cards of at most 22rem
        ({"width": 1280, "height": 800}, 2, 940),
    ],
)
def test_cards_get_the_smallest_sharp_enough_webp(site, open_tab, viewport, scale, width):  # noqa: F811
    tab = open_tab("/episodes/", viewport=viewport, device_scale_factor=scale)
    first = chosen(tab, "img.card__image")[0]
    assert first["src"].endswith(f"-{width}w.webp"), first
    assert first["loaded"] and first["loading"] == "eager"


def test_the_poster_is_sharp_on_a_wide_screen(site, open_tab):  # noqa: F811
    episode = Episode.objects.get(slug="cloud-data-governance")
    tab = open_tab(episode.get_absolute_url(), viewport={"width": 1280, "height": 800})
    [poster] = chosen(tab, "img.player__poster")
    assert poster["src"].endswith("-960w.webp") and poster["loaded"]
    box = tab.page.locator("img.player__poster").bounding_box()
    assert box["width"] > 700  # the whole main column: hence the 960 pixels wide rendition
