"""Old links keep working: the static site's paths and former slugs answer 301 to the pages they meant."""

import importlib
import shutil
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from episodes import old_links
from episodes.models import Episode, Guest, SlugHistory

from .conftest import FIXTURE_EPISODES, FIXTURES, run_import
from .test_admin import admin_url, assert_saved, form_data
from .visibility import HIDDEN_STATES, hide

pytestmark = pytest.mark.django_db

AB_TESTING = "ab-testing-and-product-experimentation"


def follow(client, path):
    """The 301 answer for ``path``, and the page its Location gives (which must answer 200)."""
    response = client.get(path)
    assert response.status_code == 301, (path, response.status_code)
    page = client.get(response["Location"])
    assert page.status_code == 200, (path, response["Location"], page.status_code)
    return response["Location"], page


def test_every_fixture_file_stem_redirects_to_its_episode(client, fixture_archive):
    files = sorted(FIXTURE_EPISODES.iterdir())
    assert len(files) == Episode.objects.count() == 9
    for path in files:
        episode = Episode.objects.get(source_path=str(path.resolve()))
        location, page = follow(client, f"/podcast/{path.name.split('.')[0]}.html")
        assert location == episode.get_absolute_url()
        assert page.context["episode"] == episode


def test_every_guest_with_a_profile_redirects_to_their_page(client, fixture_archive):
    guests = list(Guest.objects.all())
    assert len(guests) == len(list((FIXTURES / "_people").glob("*.md"))) == 11
    for guest in guests:
        location, page = follow(client, f"/people/{guest.slug}.html")
        assert location == guest.get_absolute_url()
        assert page.context["guest"] == guest


def test_the_old_episode_list_redirects_to_the_new_one(client, db):
    location, _ = follow(client, "/podcast.html")
    assert location == reverse("episodes:episode_list")


def test_unknown_names_are_404(client, fixture_archive):
    assert client.get("/podcast/no-such-episode.html").status_code == 404
    assert client.get("/people/nobody.html").status_code == 404
    assert client.get("/podcast/.html").status_code == 404
    assert client.get("/podcast/a/b.html").status_code == 404
    Guest.objects.create(slug="placeholder", name="placeholder", is_placeholder=True)  # no profile: no old page
    assert client.get("/people/placeholder.html").status_code == 404


@pytest.mark.parametrize("how", HIDDEN_STATES)
def test_hidden_episodes_are_not_redirected_to(client, fixture_archive, how):
    hide(AB_TESTING, how)
    assert client.get(f"/podcast/{AB_TESTING}.html").status_code == 404
    Episode.objects.filter(slug=AB_TESTING).update(slug="ab-testing")
    old_links.record_names(Episode.objects.get(slug="ab-testing"), [AB_TESTING])
    assert client.get(reverse("episodes:episode_detail", args=[AB_TESTING])).status_code == 404


def test_a_renamed_file_keeps_its_old_stems(client, tmp_path, db):
    # x.md.md: the static site knew it as x.md (its last extension dropped); the app's slug is x.
    original = tmp_path / "ab-testing-and-product-experimentation.md.md"
    shutil.copy(FIXTURE_EPISODES / f"{AB_TESTING}.md", original)
    run_import(original)
    renamed = tmp_path / "ab-testing.md"
    original.rename(renamed)
    assert [result.outcome for result in run_import(renamed).episodes] == ["updated"]

    episode = Episode.objects.get()
    assert episode.slug == "ab-testing"
    assert set(SlugHistory.objects.values_list("slug", flat=True)) == {f"{AB_TESTING}.md", AB_TESTING, "ab-testing"}
    for stem in (f"{AB_TESTING}.md", AB_TESTING, "ab-testing"):
        assert follow(client, f"/podcast/{stem}.html")[0] == "/episodes/ab-testing/"
    # The old slug's URL too.
    assert follow(client, reverse("episodes:episode_detail", args=[AB_TESTING]))[0] == "/episodes/ab-testing/"


def test_the_importer_records_names_in_one_query_and_a_name_moves_to_its_latest_episode(
    fixture_archive, django_assert_num_queries
):
    first, second = Episode.objects.order_by("pk")[:2]
    with django_assert_num_queries(1):
        old_links.record_import(second, f"/archive/{first.slug}.md", previous_slug="second-before")
    assert SlugHistory.objects.get(slug=first.slug).episode == second  # the file now holds the second episode
    assert SlugHistory.objects.get(slug="second-before").episode == second
    with django_assert_num_queries(0):
        old_links.record_slug_change(second, second.slug)  # nothing changed: nothing to write


def test_an_editor_changing_the_slug_keeps_the_old_url(
    admin_client, client, fixture_archive, django_assert_num_queries
):
    episode = Episode.objects.get(slug=AB_TESTING)
    url = admin_url(Episode, "change", episode.pk)
    data = form_data(admin_client.get(url))
    data["slug"] = "ab-tests"
    assert_saved(admin_client.post(url, data))

    assert SlugHistory.objects.get(slug=AB_TESTING).episode == episode
    with django_assert_num_queries(2):  # not found; then the slug history
        response = client.get(reverse("episodes:episode_detail", args=[AB_TESTING]))
    assert response.status_code == 301 and response["Location"] == "/episodes/ab-tests/"
    assert follow(client, f"/podcast/{AB_TESTING}.html")[0] == "/episodes/ab-tests/"

    # Changed again: both former slugs lead to the newest.
    data["slug"] = "ab-tests-2"
    assert_saved(admin_client.post(url, data))
    for old in (AB_TESTING, "ab-tests"):
        assert follow(client, reverse("episodes:episode_detail", args=[old]))[0] == "/episodes/ab-tests-2/"


def test_a_slug_that_belongs_to_another_episode_now_goes_there(client, fixture_archive):
    moved = Episode.objects.get(slug=AB_TESTING)
    moved.slug = "ab-tests"
    moved.save()
    old_links.record_slug_change(moved, AB_TESTING)
    other = Episode.objects.get(slug="cloud-data-governance")
    other.slug = AB_TESTING
    other.save()
    page = client.get(reverse("episodes:episode_detail", args=[AB_TESTING]))
    assert page.status_code == 200 and page.context["episode"] == other


def test_the_migration_records_the_stems_of_episodes_imported_before(fixture_archive):
    migration = importlib.import_module("episodes.migrations.0005_backfill_old_links")
    SlugHistory.objects.all().delete()
    migration.record_file_stems(apps, SimpleNamespace(connection=connection))
    assert set(SlugHistory.objects.values_list("slug", "episode__slug")) == {
        (path.name.split(".")[0], Episode.objects.get(source_path=str(path.resolve())).slug)
        for path in FIXTURE_EPISODES.iterdir()
    }


def test_editors_see_add_and_remove_old_names_in_the_admin(admin_client, client, fixture_archive):
    episode = Episode.objects.get(slug=AB_TESTING)
    changelist = admin_client.get(admin_url(SlugHistory, "changelist"), {"q": "ab-testing"})
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert f'<a href="/podcast/{AB_TESTING}.html">' in html and f'<a href="/episodes/{AB_TESTING}/">' in html

    # An old link the import never saw: an editor adds it, and it redirects.
    assert_saved(admin_client.post(admin_url(SlugHistory, "add"), {"slug": "ab-tests-2022", "episode": episode.pk}))
    assert follow(client, "/podcast/ab-tests-2022.html")[0] == episode.get_absolute_url()
    entry = SlugHistory.objects.get(slug="ab-tests-2022")
    admin_client.post(admin_url(SlugHistory, "delete", entry.pk), {"post": "yes"})
    assert client.get("/podcast/ab-tests-2022.html").status_code == 404
