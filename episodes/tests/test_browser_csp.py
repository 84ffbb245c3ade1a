"""The Content-Security-Policy in a real browser (Debian's chromium, the set-up of test_browser.py): the
reader's pages, the YouTube player and the editors' admin run with no violation, and the policy is
enforced (an inline script is refused and reported).

Violations are collected two ways, across navigations: the ``securitypolicyviolation`` event (reported
to the test through an exposed function) and chromium's console errors. Nothing leaves for the
internet: YouTube's two scripts (the IFrame API and the widget script it loads from /s/player/) and the
player frame are answered by stand-ins, after the browser has checked them against the policy.
"""

import re

import pytest
from playwright.sync_api import expect

from episodes.models import Episode, Section
from episodes.tests import test_browser
from episodes.tests.conftest import FIXTURE_EPISODES, run_import

pytestmark = pytest.mark.browser

browser = test_browser.browser

YOUTUBE_API = "https://www.youtube.com/iframe_api"
WIDGET_SCRIPT = "https://www.youtube.com/s/player/0123abcd/www-widgetapi.vflset/www-widgetapi.js"
PLAYER_FRAME = re.compile(r"^https://www\.youtube-nocookie\.com/embed/")
# As YouTube's own loader does: the API script only loads the widget script.
FAKE_API = f"""
var script = document.createElement("script");
script.src = "{WIDGET_SCRIPT}";
document.head.append(script);
"""
FAKE_WIDGET = """
window.YT = {
  PlayerState: {UNSTARTED: -1, ENDED: 0, PLAYING: 1, PAUSED: 2, BUFFERING: 3, CUED: 5},
  Player: function (element, options) {
    var player = this;
    var frame = document.createElement("iframe");
    frame.title = "Video";
    frame.src = options.host + "/embed/" + options.videoId + "?enablejsapi=1";
    element.replaceWith(frame);
    player.seekTo = function () {};
    player.playVideo = function () {};
    player.pauseVideo = function () {};
    player.getCurrentTime = function () { return 0; };
    setTimeout(function () { options.events.onReady({target: player}); }, 0);
  },
};
window.onYouTubeIframeAPIReady();
"""
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportCspViolation([event.violatedDirective, event.blockedURI, document.location.pathname].join(" "));
});
"""
PASSWORD = "a-long-editor-password"


class PolicyTab:
    """A page of the live server that records every CSP violation and every request it made."""

    def __init__(self, browser, origin):
        self.origin = origin
        self.violations = []
        self.requests = []
        self.context = browser.new_context()
        self.context.expose_function("reportCspViolation", lambda text: self.violations.append(text))
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.route("**/*", self._answer)

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(message.text)

    def _answer(self, route):
        url = route.request.url
        if url.startswith(self.origin + "/"):
            route.continue_()
        elif url == YOUTUBE_API:
            route.fulfill(body=FAKE_API, content_type="text/javascript")
        elif url == WIDGET_SCRIPT:
            route.fulfill(body=FAKE_WIDGET, content_type="text/javascript")
        elif PLAYER_FRAME.match(url):
            route.fulfill(body="<!doctype html><title>Video</title>", content_type="text/html")
        else:
            route.abort()

    def open(self, path):
        response = self.page.goto(self.origin + path)
        assert response.status < 400, (path, response.status)
        assert response.header_value("Content-Security-Policy"), path
        return self.page

    def settle(self):
        """Lets late reports arrive (they are sent asynchronously)."""
        self.page.wait_for_timeout(300)


@pytest.fixture
def open_policy_tab(browser, live_server):
    tabs = []

    def open_policy_tab():
        tab = PolicyTab(browser, live_server.url)
        tabs.append(tab)
        return tab

    yield open_policy_tab
    for tab in tabs:
        tab.context.close()


@pytest.fixture
def archive(transactional_db):
    report = run_import(FIXTURE_EPISODES)
    assert report.ok, report.failures
    return Episode.objects.published()


def test_the_policy_is_enforced_and_violations_are_seen(open_policy_tab, archive):
    tab = open_policy_tab()
    page = tab.open("/")

    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.body.append(script);
        document.body.insertAdjacentHTML("beforeend", '<p style="color: red">styled</p>');
    }""")
    tab.settle()

    assert page.evaluate("window.inlineRan === undefined")
    directives = " ".join(tab.violations)
    assert "script-src" in directives
    assert "style-src" in directives


def test_reader_pages_and_the_player_run_under_the_policy(open_policy_tab, archive):
    episode = Episode.objects.get(slug=test_browser.MATH)
    tab = open_policy_tab()
    paths = [
        "/",
        "/episodes/?season=7",
        episode.guests.first().get_absolute_url(),
        "/guests/",
        episode.topics.first().get_absolute_url(),
        "/topics/",
        "/search/?q=data",
    ]
    for path in paths:
        tab.open(path)

    page = tab.open(episode.get_absolute_url())
    page.get_by_role("button", name="Play video").click()

    expect(page.locator("iframe[src^='https://www.youtube-nocookie.com/embed/']")).to_have_count(1)
    page.wait_for_function("() => !document.querySelector('.player__start')")  # the player took over
    assert YOUTUBE_API in tab.requests
    assert WIDGET_SCRIPT in tab.requests
    assert any(PLAYER_FRAME.match(url) for url in tab.requests)
    tab.settle()
    assert tab.violations == []


def test_the_admin_works_under_the_policy(open_policy_tab, archive, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    episode = Episode.objects.get(slug=test_browser.MATH)
    section = Section.objects.filter(episode=episode, lines__isnull=False).order_by("position").first()
    tab = open_policy_tab()

    page = tab.open("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()

    page = tab.open("/admin/episodes/episode/")
    # The changelist's script ran: ticking a row shows how many are selected.
    page.locator("input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1 of")

    tab.open(f"/admin/episodes/episode/{episode.pk}/change/")
    page = tab.open(f"/admin/episodes/section/{section.pk}/change/")
    # The inline formset's script ran: it adds the "Add another" link.
    expect(page.locator(".add-row a").first).to_be_visible()
    tab.settle()
    assert tab.violations == []
