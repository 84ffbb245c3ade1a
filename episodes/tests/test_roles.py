"""The Editors group (data migration 0004) and editor accounts made with ``manage.py create_editor``."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from episodes.models import Episode, Line

from .test_admin import assert_saved, form_data

pytestmark = pytest.mark.django_db

LONGEST_SLUG = "practical-devrel-demofirst-education-and-open-source"
CONTENT_MODELS = ["episode", "appearance", "topic", "clip", "section", "line", "guest", "speakeralias", "slughistory"]


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", "editor@example.org", "a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_the_editors_group_can_edit_the_archive_and_nothing_else():
    group = Group.objects.get(name="Editors")
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))

    expected = {
        ("episodes", f"{action}_{model}") for model in CONTENT_MODELS for action in ("add", "change", "delete", "view")
    }
    assert granted == expected
    assert not group.permissions.filter(content_type__app_label__in=["auth", "admin", "axes", "contenttypes"]).exists()


def test_an_editor_changes_an_episode_and_a_line_in_the_admin(editor_client, fixture_archive):
    episode = Episode.objects.get(slug=LONGEST_SLUG)
    url = reverse("admin:episodes_episode_change", args=[episode.pk])
    data = form_data(editor_client.get(url))
    data["title"] = "Retitled by an editor"
    assert_saved(editor_client.post(url, data))
    assert Episode.objects.get(pk=episode.pk).title == "Retitled by an editor"

    section = episode.sections.order_by("position").last()
    url = reverse("admin:episodes_section_change", args=[section.pk])
    data = form_data(editor_client.get(url))
    data["lines-0-text"] = "Corrected by an editor."
    assert_saved(editor_client.post(url, data))
    assert section.lines.order_by("position").first().text == "Corrected by an editor."
    assert Line.objects.filter(text="Corrected by an editor.").count() == 1


def test_an_editor_cannot_see_users_or_groups(editor_client):
    for name in ["auth_user_changelist", "auth_group_changelist", "auth_user_add", "auth_group_add"]:
        assert editor_client.get(reverse(f"admin:{name}")).status_code == 403, name
    assert editor_client.get(reverse("admin:auth_user_change", args=[1])).status_code in (403, 302)
    index = editor_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:episodes_episode_changelist") in index
    assert reverse("admin:auth_user_changelist") not in index
    assert reverse("admin:auth_group_changelist") not in index


def test_an_editor_cannot_make_themselves_a_superuser(editor_client, editor):
    response = editor_client.post(
        reverse("admin:auth_user_change", args=[editor.pk]), {"username": "editor", "is_superuser": "on"}
    )
    assert response.status_code == 403
    editor.refresh_from_db()
    assert not editor.is_superuser


def test_a_staff_user_outside_the_group_can_do_nothing(client, fixture_archive):
    client.force_login(User.objects.create_user("nobody", password="pw", is_staff=True))
    assert client.get(reverse("admin:episodes_episode_changelist")).status_code == 403


# --- create_editor ---------------------------------------------------------------------------------


def create_editor(*args):
    out = StringIO()
    call_command("create_editor", *args, stdout=out)
    return out.getvalue()


def link_in(output):
    (link,) = re.findall(r"https?://\S+", output)
    return link


def test_create_editor_makes_a_staff_account_in_the_group_without_a_password():
    output = create_editor("ada", "--email", "ada@example.org", "--site-url", "https://podcast.example.org/")

    user = User.objects.get(username="ada")
    assert (user.email, user.is_staff, user.is_superuser, user.is_active) == ("ada@example.org", True, False, True)
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]
    assert not user.has_usable_password()
    assert user.has_perm("episodes.change_line") and not user.has_perm("auth.change_user")
    assert output.splitlines()[0] == "Created editor “ada” (staff, in the Editors group)."
    assert "works once, for 3 days" in output
    assert link_in(output).startswith("https://podcast.example.org/admin/account/set-password/")


def test_the_link_lets_the_editor_choose_a_password_once_then_log_in(client):
    link = link_in(create_editor("ada", "--site-url", "http://testserver"))
    path = link.removeprefix("http://testserver")

    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "correct horse battery staple", "new_password2": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert response.url == reverse("set_password_done")
    done = client.get(response.url).content.decode()
    assert reverse("admin:login") in done

    assert client.get(path, follow=True).context["validlink"] is False  # used up
    login = client.post(reverse("admin:login"), {"username": "ada", "password": "correct horse battery staple"})
    assert login.status_code == 302
    assert client.get(reverse("admin:episodes_episode_changelist")).status_code == 200


def test_a_weak_password_is_refused_on_the_set_password_page(client):
    path = link_in(create_editor("ada", "--site-url", "http://testserver")).removeprefix("http://testserver")
    form_page = client.get(path, follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "ada", "new_password2": "ada"})
    assert response.status_code == 200
    assert not User.objects.get(username="ada").has_usable_password()


def test_create_editor_refuses_an_existing_user_and_bad_names():
    create_editor("ada", "--site-url", "https://podcast.example.org")
    with pytest.raises(CommandError, match="a user named “ada” already exists"):
        create_editor("ada", "--site-url", "https://podcast.example.org")
    with pytest.raises(CommandError, match="username: Enter a valid username"):
        create_editor("not a name!", "--site-url", "https://podcast.example.org")
    with pytest.raises(CommandError, match="email: Enter a valid email address"):
        create_editor("bob", "--email", "nope", "--site-url", "https://podcast.example.org")
    assert list(User.objects.values_list("username", flat=True)) == ["ada"]


def test_a_new_link_for_an_existing_editor(editor):
    output = create_editor("editor", "--new-link", "--site-url", "https://podcast.example.org")
    assert "Created" not in output
    assert "/admin/account/set-password/" in link_in(output)
    with pytest.raises(CommandError, match="there is no user named “ghost”"):
        create_editor("ghost", "--new-link", "--site-url", "https://podcast.example.org")


def test_the_sites_address_comes_from_the_allowed_hosts_or_must_be_given(settings):
    settings.ALLOWED_HOSTS = [".podcast.example.org", "www.example.org"]
    assert link_in(create_editor("ada")).startswith("https://podcast.example.org/admin/account/set-password/")
    settings.ALLOWED_HOSTS = []
    with pytest.raises(CommandError, match="give --site-url"):
        create_editor("bob")
    assert not User.objects.filter(username="bob").exists()


def test_without_the_group_the_command_says_to_migrate():
    Group.objects.filter(name="Editors").delete()
    with pytest.raises(CommandError, match="run manage.py migrate"):
        create_editor("ada", "--site-url", "https://podcast.example.org")
    assert not User.objects.exists()


def test_permissions_exist_for_every_content_model():
    codenames = set(Permission.objects.filter(content_type__app_label="episodes").values_list("codename", flat=True))
    assert {f"change_{model}" for model in CONTENT_MODELS} <= codenames
