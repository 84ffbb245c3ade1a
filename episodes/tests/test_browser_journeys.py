"""A reader's main journeys through the public site, in Debian's chromium (the set-up of test_browser.py):
home, the episode list and its filters, an episode, playing from a timestamp, searching and opening a result.
The editor's journey (log in, fix a line, see it public) is in test_browser_editor.py."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from episodes.models import Episode, Line
from episodes.tests import test_browser
from episodes.tests.conftest import FIXTURE_EPISODES, run_import

pytestmark = pytest.mark.browser

browser = test_browser.browser
open_tab = test_browser.open_tab


@pytest.fixture
def archive(transactional_db):
    report = run_import(FIXTURE_EPISODES)
    assert report.ok, report.failures
    return Episode.objects.published()


def card_titles(tab):
    return tab.page.locator(".card__title").all_inner_texts()


def test_from_the_home_page_through_the_filters_to_a_moment_of_an_episode(open_tab, archive):
    newest_first = list(archive.order_by("-published_on", "-season", "-number"))
    tab = open_tab("/")

    expect(tab.page.get_by_role("heading", level=1)).to_have_text(settings.PODCAST_SITE_NAME)
    expect(tab.page.locator(".card")).to_have_count(len(newest_first))
    assert set(card_titles(tab)) == {episode.title for episode in newest_first}

    # The whole list, then only season 23.
    tab.page.get_by_role("link", name="All episodes").click()
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Episodes")
    expect(tab.page.locator(".result-count")).to_have_text(f"{len(newest_first)} episodes")
    tab.page.get_by_role("combobox", name="Season").select_option(label="Season 23")
    tab.page.get_by_role("button", name="Filter").click()

    season = list(archive.filter(season=23))
    assert len(season) == 2
    expect(tab.page).to_have_url(re.compile(r"/episodes/\?(.*&)?season=23(&|$)"))
    expect(tab.page.locator(".result-count")).to_have_text("2 episodes")
    expect(tab.page.get_by_role("heading", name="Season 23")).to_be_visible()
    assert sorted(card_titles(tab)) == sorted(episode.title for episode in season)
    expect(tab.page.get_by_role("combobox", name="Season")).to_have_value("23")  # the form shows what is applied

    # Open one, and play it from the moment a line is said.
    episode = season[0]
    tab.page.get_by_role("link", name=episode.title).click()
    expect(tab.page).to_have_url(re.compile(re.escape(episode.get_absolute_url()) + "$"))
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(episode.title)
    line = Line.objects.filter(section__episode=episode, sec__gt=60).order_by("section__position", "position")[3]
    tab.line(line).locator("a.ts").click()

    tab.wait_for_call("seekTo", line.sec, True)
    created = tab.yt_calls()[0]
    assert created[0] == "Player"
    assert created[1]["videoId"] == episode.youtube_id
    assert created[1]["playerVars"]["start"] == line.sec
    expect(tab.line(line)).to_have_attribute("aria-current", "true")
    assert tab.third_party_requests() == [test_browser.YOUTUBE_API]


def test_search_from_the_header_and_open_a_matching_line(open_tab, archive):
    word = "kubernetes"
    matching = Line.objects.filter(section__episode__in=archive, text__icontains=word)
    episodes = {line.section.episode for line in matching}
    assert len(episodes) >= 2
    tab = open_tab(Episode.objects.get(slug=test_browser.MATH).get_absolute_url())

    box = tab.page.get_by_role("searchbox", name="Search episodes and transcripts")
    box.fill(word)
    box.press("Enter")

    expect(tab.page).to_have_url(re.compile(rf"/search/\?q={word}$"))
    expect(tab.page.get_by_role("searchbox", name=re.compile("^Words to find"))).to_have_value(word)
    results = tab.page.locator(".search-result")
    expect(results).to_have_count(len(episodes))
    result_titles = results.locator(".search-result__title").all_inner_texts()
    assert sorted(result_titles) == sorted(episode.title for episode in episodes)
    first_line = tab.page.locator(".search-line__text").first
    expect(first_line.locator("mark").first).to_have_text(re.compile(word, re.IGNORECASE))

    href = first_line.get_attribute("href")
    first_line.click()

    path, anchor = href.split("#")
    line = next(line for line in matching if line.anchor == anchor)
    expect(tab.page).to_have_url(re.compile(re.escape(f"{path}#{anchor}") + "$"))
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(line.section.episode.title)
    target = tab.line(line)
    assert target.evaluate("el => el.matches(':target')")
    expect(target).to_be_in_viewport()
    expect(target.locator(".text")).to_contain_text(re.compile(word, re.IGNORECASE))
    # From the result, play starts at that line.
    tab.page.get_by_role("button", name=f"Play from {line.timestamp}").click()
    tab.wait_for_call("seekTo", line.sec, True)
