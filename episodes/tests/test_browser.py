"""The episode page in a real browser: Debian's chromium, driven by Playwright, against the live server.

Covers the scripts in static/episodes/js: the click-to-load video, timestamps that seek it, permalinks,
the line being said, "follow the video", search within the episode and "copy link to this moment".
Nothing leaves for the internet: YouTube's API script is answered with a fake that records the calls the
page makes (window.__ytCalls) and whose clock the test moves (window.__ytPlayer.advanceTo), and any
other request to another host is refused (and recorded, so the tests can say none was made).
"""

import json
import os
import re
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from episodes.models import Episode, Line, Section
from episodes.tests.conftest import FIXTURE_EPISODES, run_import
from episodes.timecodes import format_timestamp

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
YOUTUBE_API = "https://www.youtube.com/iframe_api"
MATH = "from-math-graduate-to-data-analytics"
SEED = "s19e04-mlops-as-a-team"

# Stands in for YouTube's IFrame Player API: same names, no network, a clock the test moves.
FAKE_YOUTUBE_API = """
(function () {
  window.__ytCalls = [];
  function Player(element, options) {
    var player = this;
    var events = options.events || {};
    var time = 0;
    window.__ytCalls.push(["Player", {videoId: options.videoId, host: options.host, playerVars: options.playerVars}]);
    window.__ytPlayer = player;
    var frame = document.createElement("iframe");
    frame.title = "Fake video";
    element.replaceWith(frame);
    function changeState(state) {
      setTimeout(function () { events.onStateChange({target: player, data: state}); }, 0);
    }
    player.seekTo = function (sec, allowSeekAhead) {
      window.__ytCalls.push(["seekTo", sec, allowSeekAhead]);
      time = sec;
    };
    player.playVideo = function () { window.__ytCalls.push(["playVideo"]); changeState(YT.PlayerState.PLAYING); };
    player.pauseVideo = function () { window.__ytCalls.push(["pauseVideo"]); changeState(YT.PlayerState.PAUSED); };
    player.getCurrentTime = function () { return time; };
    player.advanceTo = function (sec) { time = sec; };
    setTimeout(function () { events.onReady({target: player}); }, 0);
  }
  window.YT = {Player: Player, PlayerState: {UNSTARTED: -1, ENDED: 0, PLAYING: 1, PAUSED: 2, BUFFERING: 3, CUED: 5}};
  window.onYouTubeIframeAPIReady();
})();
"""


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless: skipped where it is missing, except under CI=true, where that fails."""
    if not CHROMIUM.exists():
        message = f"the browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM calls
        # from a thread with a running loop. Here the loop only ever talks to the browser.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield chromium
            chromium.close()


class Tab:
    """A page on the live server, with every URL it requested and every script error it raised."""

    def __init__(self, page, origin):
        self.page = page
        self.origin = origin
        self.requests = []
        self.errors = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.route("**/*", self._answer)

    def _answer(self, route):
        url = route.request.url
        if url.startswith(self.origin + "/"):
            route.continue_()
        elif url == YOUTUBE_API:
            route.fulfill(body=FAKE_YOUTUBE_API, content_type="text/javascript")
        else:
            route.abort()  # no internet here, and no test may depend on it

    def third_party_requests(self):
        return [url for url in self.requests if not url.startswith(self.origin + "/")]

    def yt_calls(self):
        return self.page.evaluate("window.__ytCalls || []")

    def wait_for_call(self, *call):
        """Waits until the fake player has received ``call`` (name and arguments)."""
        expected = json.dumps(list(call), separators=(",", ":"))  # as JSON.stringify spells it
        self.page.wait_for_function(
            "call => (window.__ytCalls || []).some(c => JSON.stringify(c) === call)", arg=expected
        )

    def line(self, line):
        return self.page.locator(f"#{line.anchor}")


@pytest.fixture
def open_tab(browser, live_server):
    """Opens a path of the live server in a new browser context (options: Playwright's new_context's)."""
    contexts, tabs = [], []

    def open_tab(path, **context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        tab = Tab(context.new_page(), live_server.url)
        tabs.append(tab)
        tab.page.goto(live_server.url + path)
        return tab

    yield open_tab
    for context in contexts:
        context.close()
    assert [error for tab in tabs for error in tab.errors] == []


def import_episode(slug):
    (path,) = [path for path in FIXTURE_EPISODES.iterdir() if path.stem == slug]
    report = run_import(path)
    assert report.ok, report.failures
    return Episode.objects.get(slug=slug)


@pytest.fixture
def math_episode(transactional_db):
    return import_episode(MATH)


def timed_lines(episode):
    return list(
        Line.objects.filter(section__episode=episode, sec__isnull=False).order_by("section__position", "position")
    )


def fold(text):
    """Without case and accents, as the in-episode search compares."""
    return "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char)).lower()


def lines_containing(episode, query):
    return [line for line in Line.objects.filter(section__episode=episode) if fold(query) in fold(line.text)]


def test_page_load_asks_nothing_of_youtube_until_play(open_tab, math_episode):
    tab = open_tab(math_episode.get_absolute_url())

    assert tab.third_party_requests() == []
    poster = tab.page.locator(".player__poster")
    assert poster.get_attribute("src") == math_episode.image.url  # our own copy of the cover
    play = tab.page.get_by_role("button", name="Play video")
    expect(play).to_be_visible()
    assert tab.page.evaluate("typeof window.YT") == "undefined"

    play.click()

    tab.wait_for_call("playVideo")
    assert tab.third_party_requests() == [YOUTUBE_API]
    (created, options), seek, play_video = tab.yt_calls()
    assert created == "Player"
    assert options["videoId"] == math_episode.youtube_id
    assert options["host"] == "https://www.youtube-nocookie.com"
    assert options["playerVars"]["start"] == 0
    assert seek == ["seekTo", 0, True]
    assert play_video == ["playVideo"]
    expect(tab.page.locator(".player__start")).to_have_count(0)


def test_timestamp_seeks_the_player_without_leaving_the_page(open_tab, math_episode):
    first, second = timed_lines(math_episode)[10], timed_lines(math_episode)[40]
    tab = open_tab(math_episode.get_absolute_url())
    url = tab.page.url
    tab.page.evaluate("window.__stillHere = true")

    tab.line(first).locator("a.ts").click()

    tab.wait_for_call("seekTo", first.sec, True)
    tab.line(second).locator("a.ts").click()
    tab.wait_for_call("seekTo", second.sec, True)
    assert tab.page.evaluate("window.__stillHere") is True
    assert tab.page.url == url
    calls = tab.yt_calls()
    assert [call[0] for call in calls].count("Player") == 1
    assert calls[0][1]["playerVars"]["start"] == first.sec


def test_permalink_then_play_starts_at_that_line(open_tab, math_episode):
    line = timed_lines(math_episode)[25]
    tab = open_tab(f"{math_episode.get_absolute_url()}#{line.anchor}")

    assert tab.line(line).evaluate("el => el.matches(':target')")
    expect(tab.line(line)).to_be_in_viewport(ratio=1)
    play = tab.page.get_by_role("button", name=f"Play from {line.timestamp}")
    expect(play).to_be_visible()
    play.click()

    tab.wait_for_call("seekTo", line.sec, True)
    assert tab.yt_calls()[0][1]["playerVars"]["start"] == line.sec


def test_following_a_chapter_link_moves_the_start_there(open_tab, math_episode):
    chapter = Section.objects.filter(episode=math_episode, start_sec__isnull=False).order_by("position")[3]
    tab = open_tab(math_episode.get_absolute_url())

    tab.page.get_by_role("navigation", name="Contents").get_by_role("link", name=chapter.title).click()

    play = tab.page.get_by_role("button", name=f"Play from {format_timestamp(chapter.start_sec)}")
    play.dispatch_event("click")
    tab.wait_for_call("seekTo", chapter.start_sec, True)


def test_a_playing_video_stays_in_a_corner_while_the_reader_scrolls_away(open_tab, math_episode):
    tab = open_tab(math_episode.get_absolute_url(), reduced_motion="reduce")
    player = tab.page.locator(".player")
    tab.page.get_by_role("button", name="Play video").click()
    tab.wait_for_call("playVideo")

    tab.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")

    expect(player).to_have_class(re.compile(r"\bplayer--docked\b"))
    expect(tab.page.locator(".player__frame")).to_be_in_viewport(ratio=1)
    tab.page.evaluate("window.scrollTo(0, 0)")
    expect(player).not_to_have_class(re.compile(r"\bplayer--docked\b"))


def test_the_line_being_said_is_marked_as_the_video_plays(open_tab, math_episode):
    lines = timed_lines(math_episode)
    earlier, later = lines[5], lines[30]
    tab = open_tab(math_episode.get_absolute_url())
    tab.line(earlier).locator("a.ts").click()
    expect(tab.line(earlier)).to_have_attribute("aria-current", "true")

    # Just before the later line, the line before it is being said; then the later line.
    tab.page.evaluate("sec => window.__ytPlayer.advanceTo(sec)", later.sec - 0.5)
    expect(tab.line(lines[29])).to_have_attribute("aria-current", "true")
    tab.page.evaluate("sec => window.__ytPlayer.advanceTo(sec)", later.sec + 0.5)

    expect(tab.line(later)).to_have_attribute("aria-current", "true")
    expect(tab.line(later)).to_have_class(re.compile(r"\bline--current\b"))
    expect(tab.page.locator('#transcript [aria-current="true"]')).to_have_count(1)
    expect(tab.page.locator("#transcript .line--current")).to_have_count(1)


def test_follow_the_video(open_tab, math_episode):
    lines = timed_lines(math_episode)
    tab = open_tab(math_episode.get_absolute_url(), reduced_motion="reduce")
    follow = tab.page.get_by_label("Follow the video")
    expect(follow).not_to_be_checked()
    # A click without Playwright scrolling the button into view first: the page would take that for the
    # reader scrolling, and following rightly waits a few seconds after that.
    tab.page.get_by_role("button", name="Play video").dispatch_event("click")
    tab.wait_for_call("playVideo")

    # Off: the line being said is marked where it is, the page stays put.
    tab.page.evaluate("sec => window.__ytPlayer.advanceTo(sec)", lines[-1].sec)
    expect(tab.line(lines[-1])).to_have_attribute("aria-current", "true")
    assert tab.page.evaluate("window.scrollY") == 0

    # On: the line being said comes into view, and the choice is remembered.
    follow.check()
    expect(tab.line(lines[-1])).to_be_in_viewport(ratio=1)
    assert tab.page.evaluate("localStorage.getItem('podcast:follow-transcript')") == "1"
    tab.page.evaluate("sec => window.__ytPlayer.advanceTo(sec)", lines[3].sec)
    expect(tab.line(lines[3])).to_have_attribute("aria-current", "true")
    expect(tab.line(lines[3])).to_be_in_viewport(ratio=1)

    tab.page.reload()
    expect(tab.page.get_by_label("Follow the video")).to_be_checked()


def test_following_waits_while_the_reader_selects_text(open_tab, math_episode):
    lines = timed_lines(math_episode)
    tab = open_tab(math_episode.get_absolute_url(), reduced_motion="reduce")
    tab.page.evaluate("localStorage.setItem('podcast:follow-transcript', '1')")
    tab.page.reload()  # following on, without scrolling to the toggle
    tab.page.get_by_role("button", name="Play video").dispatch_event("click")
    tab.wait_for_call("playVideo")
    tab.page.locator(".episode__intro").evaluate("el => getSelection().selectAllChildren(el)")

    tab.page.evaluate("sec => window.__ytPlayer.advanceTo(sec)", lines[-1].sec)

    expect(tab.line(lines[-1])).to_have_attribute("aria-current", "true")
    expect(tab.line(lines[-1])).not_to_be_in_viewport()
    tab.page.evaluate("getSelection().removeAllRanges()")
    tab.page.evaluate("sec => window.__ytPlayer.advanceTo(sec)", lines[-2].sec)
    expect(tab.line(lines[-2])).to_have_attribute("aria-current", "true")
    expect(tab.line(lines[-2])).to_be_in_viewport(ratio=1)


def test_search_within_the_episode_shows_matching_lines_as_text(open_tab, math_episode):
    matching = lines_containing(math_episode, "hourly")
    bracketed = Line.objects.get(section__episode=math_episode, text__contains="<an hourly amount>")
    assert bracketed in matching
    assert len(matching) < Line.objects.filter(section__episode=math_episode).count()
    tab = open_tab(math_episode.get_absolute_url())
    box = tab.page.get_by_role("searchbox", name="Search this transcript")

    box.fill("HOURLY")

    status = tab.page.locator(".transcript-search__status")
    expect(status).to_have_text(f"{len(matching)} lines match")
    expect(tab.page.locator("#transcript .line:visible")).to_have_count(len(matching))
    for line in matching:
        expect(tab.line(line)).to_be_visible()
    text = tab.line(bracketed).locator(".text")
    expect(text).to_have_text(bracketed.text)
    expect(text.locator("mark")).to_have_text(["hourly"])
    assert tab.page.locator("#transcript an").count() == 0
    visible_chapters = tab.page.locator("#transcript .chapter:visible")
    expect(visible_chapters).to_have_count(len({line.section_id for line in matching}))

    box.press("Escape")

    expect(status).to_have_text("")
    expect(box).to_have_value("")
    expect(tab.page.locator("#transcript mark")).to_have_count(0)
    expect(tab.page.locator("#transcript .line:visible")).to_have_count(
        Line.objects.filter(section__episode=math_episode).count()
    )
    expect(text).to_have_text(bracketed.text)


def test_search_ignores_accents(open_tab, transactional_db):
    seed = import_episode(SEED)
    matching = lines_containing(seed, "raphael")
    # Every line that matches spells the name with its accent: a search that kept accents would find none.
    assert matching
    assert all("raphaël" in line.text.lower() for line in matching)
    tab = open_tab(seed.get_absolute_url())

    tab.page.get_by_role("searchbox", name="Search this transcript").fill("raphael")

    expect(tab.page.locator(".transcript-search__status")).to_have_text(f"{len(matching)} lines match")
    first_mark = tab.line(matching[0]).locator("mark").first
    expect(first_mark).to_have_text("Raphaël")


def test_copy_link_to_a_moment(open_tab, math_episode, live_server):
    first, second = timed_lines(math_episode)[7], timed_lines(math_episode)[8]
    tab = open_tab(math_episode.get_absolute_url(), permissions=["clipboard-read", "clipboard-write"])

    tab.line(first).get_by_role("button", name="Copy link to this moment").click()

    expect(tab.line(first).get_by_text("Copied")).to_be_visible()
    clipboard = "navigator.clipboard.readText()"
    assert tab.page.evaluate(clipboard) == f"{live_server.url}{math_episode.get_absolute_url()}#{first.anchor}"
    # From the keyboard too.
    tab.line(second).get_by_role("button", name="Copy link to this moment").focus()
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_function(
        "url => navigator.clipboard.readText().then(text => text === url)",
        arg=f"{live_server.url}{math_episode.get_absolute_url()}#{second.anchor}",
    )


def test_copy_link_without_a_clipboard_selects_the_link(open_tab, math_episode, live_server):
    line = timed_lines(math_episode)[7]
    tab = open_tab(math_episode.get_absolute_url())
    tab.page.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})")
    tab.page.reload()  # the page again, now without a clipboard

    tab.line(line).get_by_role("button", name="Copy link to this moment").click()

    field = tab.page.get_by_role("textbox", name="Link to this moment", exact=True)
    expect(field).to_be_focused()
    url = f"{live_server.url}{math_episode.get_absolute_url()}#{line.anchor}"
    expect(field).to_have_value(url)
    assert field.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)") == url


def test_without_javascript_everything_is_a_link_to_the_video(open_tab, math_episode):
    line = timed_lines(math_episode)[12]
    tab = open_tab(math_episode.get_absolute_url(), java_script_enabled=False)

    expect(tab.page.get_by_role("link", name="Watch on YouTube")).to_have_attribute("href", math_episode.video_url())
    expect(tab.line(line).locator("a.ts")).to_have_attribute("href", math_episode.video_url(line.sec))
    expect(tab.page.get_by_role("searchbox", name="Search this transcript")).to_be_hidden()
    expect(tab.page.get_by_label("Follow the video")).to_be_hidden()
    expect(tab.page.locator(".copy-link")).to_have_count(0)
    assert tab.third_party_requests() == []
