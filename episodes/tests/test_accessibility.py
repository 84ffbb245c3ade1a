"""Automated accessibility check of the main public pages: axe-core's rules (bundled by axe-playwright-python)
in Debian's chromium, against the live server with the fixture archive. No serious or critical violation
is allowed; minor and moderate ones are listed in the failure message of any failing page too."""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from episodes.models import Episode, Guest, Topic
from episodes.tests import test_browser
from episodes.tests.conftest import FIXTURE_EPISODES, LONGEST_SLUG, run_import

pytestmark = pytest.mark.browser

browser = test_browser.browser
open_tab = test_browser.open_tab

BLOCKING = ("serious", "critical")
# WCAG 2.0-2.2 A and AA, and axe's best practices (landmarks, headings, skip links).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}


@pytest.fixture
def archive(transactional_db):
    report = run_import(FIXTURE_EPISODES)
    assert report.ok, report.failures


def main_pages():
    guest = Guest.objects.filter(appearances__isnull=False, is_host=False).order_by("slug").first()
    topic = Topic.objects.with_published_episodes().order_by("slug").first()
    return {
        "home": reverse("episodes:home"),
        "episode list": reverse("episodes:episode_list"),
        "episode list, filtered": reverse("episodes:episode_list") + "?season=23",
        "episode page (longest)": Episode.objects.get(slug=LONGEST_SLUG).get_absolute_url(),
        "guest page": guest.get_absolute_url(),
        "guest list": reverse("episodes:guest_list"),
        "topic page": topic.get_absolute_url(),
        "topic list": reverse("episodes:topic_list"),
        "search results": reverse("episodes:search") + "?q=kubernetes",
        "search without results": reverse("episodes:search") + "?q=zzzzqqq",
    }


def describe(violations):
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} -- {'; '.join(targets)}")
    return "\n".join(lines)


VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 375, "height": 740}, "has_touch": True},
}


@pytest.mark.parametrize("device", VIEWPORTS)
def test_main_pages_have_no_serious_accessibility_violations(open_tab, archive, device):
    axe = Axe()
    found = {}
    for name, path in main_pages().items():
        tab = open_tab(path, **VIEWPORTS[device])
        results = axe.run(tab.page, options=AXE_OPTIONS)
        violations = results.response["violations"]
        assert results.response["testEngine"]["name"] == "axe-core"
        blocking = [violation for violation in violations if violation["impact"] in BLOCKING]
        if blocking or os.environ.get("AXE_REPORT_ALL"):
            found[f"{name} ({path})"] = describe(violations)
    assert not found, "\n\n".join(f"{page}:\n{text}" for page, text in found.items())


def test_the_check_finds_a_serious_violation(open_tab, archive):
    """The check itself works: an image without alternative text and an unlabelled field are reported."""
    tab = open_tab(reverse("episodes:home"))
    tab.page.evaluate(
        """() => {
            const img = document.createElement("img");
            img.src = "data:image/gif;base64,R0lGODlhAQABAAAAACw=";
            document.querySelector("main").append(img, document.createElement("input"));
        }"""
    )
    results = Axe().run(tab.page, options=AXE_OPTIONS)
    ids = {violation["id"] for violation in results.response["violations"] if violation["impact"] in BLOCKING}
    assert {"image-alt", "label"} <= ids


def blocking_violations(page):
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return describe([violation for violation in violations if violation["impact"] in BLOCKING])


def test_the_episode_page_in_use_on_a_phone_has_no_serious_violations(open_tab, archive):
    """What scripts add (the player, the transcript search, the copy-link field) is checked too, at phone size."""
    episode = Episode.objects.get(slug=LONGEST_SLUG)
    tab = open_tab(episode.get_absolute_url(), **VIEWPORTS["phone"])
    tab.page.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})")
    tab.page.reload()
    assert blocking_violations(tab.page) == ""

    tab.page.get_by_role("button", name="Play video").click()
    tab.wait_for_call("playVideo")
    tab.page.get_by_role("searchbox", name="Search this transcript").fill("data")
    expect(tab.page.locator(".transcript-search__status")).to_contain_text("lines match")
    tab.page.locator("#transcript .line:visible").first.get_by_role("button", name="Copy link to this moment").click()

    expect(tab.page.get_by_role("textbox", name="Link to this moment", exact=True)).to_be_focused()
    assert blocking_violations(tab.page) == ""
