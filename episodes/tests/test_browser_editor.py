"""The transcript editor in a real browser: an editor logs in to the admin, fixes a transcript, and readers see it.

Debian's chromium driven by Playwright against the live server, as in test_browser.py (whose ``browser``
fixture this reuses: skipped without chromium, except under CI=true).
"""

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect

from episodes.models import Episode, Line

from .conftest import FIXTURE_EPISODES, run_import
from .test_browser import browser  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

SLUG = "from-math-graduate-to-data-analytics"
PASSWORD = "a-long-editor-password-1"
EDITOR_PERMISSIONS = ["view_episode", "change_episode", "view_section", "change_section"] + [
    f"{action}_line" for action in ("view", "add", "change", "delete")
]


@pytest.fixture
def episode(transactional_db):
    (path,) = [path for path in FIXTURE_EPISODES.iterdir() if path.stem == SLUG]
    report = run_import(path)
    assert report.ok, report.failures
    return Episode.objects.get(slug=SLUG)


@pytest.fixture
def editor(transactional_db):
    """A staff account with the editors' permissions on transcripts, and no more."""
    user = User.objects.create_user("editor", password=PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="episodes", codename__in=EDITOR_PERMISSIONS)
    )
    return user


@pytest.fixture
def page(browser, live_server):  # noqa: F811 (the fixture imported above)
    """A page on the live server that records script errors; nothing may be requested from other hosts."""
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
    )
    yield page
    context.close()
    assert page.errors == []


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()


def open_section(page, live_server, episode, line):
    """From the admin's episode list to the page of the line's section, by links, as an editor goes."""
    page.goto(f"{live_server.url}/admin/episodes/episode/")
    page.get_by_role("link", name=episode.title).click()
    page.get_by_role("link", name=str(line.section), exact=True).click()
    expect(page.get_by_role("heading", name=str(line.section))).to_be_visible()


def test_an_editor_fixes_a_line_and_readers_see_it(page, live_server, episode, editor):
    line = Line.objects.filter(section__episode=episode).select_related("section").order_by("section__position")[7]
    fixed = "Fixed in the admin: the transcript now says exactly this."
    log_in(page, live_server, editor)
    open_section(page, live_server, episode, line)

    row = page.locator("tr.form-row").filter(has=page.locator(f"#line-{line.pk}"))
    row.locator("textarea").fill(fixed)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(f"{live_server.url}{episode.get_absolute_url()}")
    expect(page.locator(f"#{line.anchor} .text")).to_have_text(fixed)
    episode.refresh_from_db()
    assert episode.edited_since_import


def test_an_editor_splits_a_line_without_javascript(browser, live_server, episode, editor):  # noqa: F811
    """The action pages need no script: with JavaScript off, a line is split in two and the public page shows both."""
    line = next(
        line
        for line in Line.objects.filter(section__episode=episode).select_related("section").order_by("pk")
        if len(line.text.split()) > 10
    )
    words = line.text.split()
    first, second = " ".join(words[:5]), " ".join(words[5:])
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server, editor)
        open_section(page, live_server, episode, line)
        actions = page.locator(f"#line-{line.pk}")
        actions.get_by_text("Edit").click()  # the disclosure opens without a script
        actions.get_by_role("link", name=f"Split (line {line.position})").click()

        page.get_by_label("First part").fill(first)
        page.get_by_label("Second part").fill(second)
        page.get_by_role("button", name="Split the line").click()
        expect(page.locator(".messagelist")).to_contain_text("Split line")

        page.goto(f"{live_server.url}{episode.get_absolute_url()}")
        expect(page.locator(f"#{line.anchor} .text")).to_have_text(first)
        new = Line.objects.get(section=line.section, position=line.position + 1)
        expect(page.locator(f"#{new.anchor} .text")).to_have_text(second)
    finally:
        context.close()


def test_a_wrong_time_is_shown_next_to_its_field(page, live_server, episode, editor):
    line = Line.objects.filter(section__episode=episode, sec__gt=0).select_related("section").order_by("pk").first()
    log_in(page, live_server, editor)
    open_section(page, live_server, episode, line)
    actions = page.locator(f"#line-{line.pk}")
    actions.get_by_text("Edit").click()
    actions.get_by_role("link", name=f"Shift times from here (line {line.position})").click()

    field = page.get_by_label("Shift by (seconds)")
    field.fill(str(-(line.sec + 1)))
    page.get_by_role("button", name="Shift the times").click()

    expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_seconds_error")
    expect(error).to_contain_text("would come before 0:00")
    assert "id_seconds_error" in field.get_attribute("aria-describedby")
    assert Line.objects.get(pk=line.pk).sec == line.sec
