"""Uploading or replacing covers and portraits in the admin: checked uploads, previews, list thumbnails."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image, PngImagePlugin

from episodes.models import Episode, Guest
from episodes.renditions import make_missing_renditions

from .test_admin import admin_url, form_data
from .test_images import HASHED, image_bytes, stored_files

pytestmark = pytest.mark.django_db

GUEST = "jessiashdown"
EPISODE = "cloud-data-governance"


def change_page(client, instance):
    response = client.get(admin_url(type(instance), "change", instance.pk))
    assert response.status_code == 200
    return response


def post_with(client, instance, **changes):
    """Save the change page as it stands, with ``changes`` (files included)."""
    data = form_data(change_page(client, instance))
    data.update(changes)
    return client.post(admin_url(type(instance), "change", instance.pk), data)


def errors(response):
    return response.context["adminform"].form.errors


def test_the_change_pages_preview_the_current_image(admin_client, fixture_archive):
    make_missing_renditions(workers=1)
    guest = Guest.objects.get(slug=GUEST)
    html = change_page(admin_client, guest).content.decode()
    thumbnail = guest.picture_renditions["webp"][0][2]  # the smallest
    assert f'<a href="/media/{guest.picture.name}"><img src="/media/{thumbnail}" width="240" height="240"' in html
    assert "128 × 128 pixels" in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    episode = Episode.objects.get(slug=EPISODE)
    html = change_page(admin_client, episode).content.decode()
    assert f'<img src="/media/{episode.image_renditions["webp"][0][2]}" width="240" height="140"' in html
    assert "1033 × 604 pixels" in html


def test_a_valid_png_replaces_a_portrait_with_its_renditions(admin_client, fixture_archive, media_root, client):
    guest = Guest.objects.get(slug=GUEST)
    old = guest.picture.name
    upload = SimpleUploadedFile("new face.png", image_bytes("PNG", (300, 300), alpha=True), "image/png")

    response = post_with(admin_client, guest, picture=upload)

    assert response.status_code == 302, errors(response)
    guest.refresh_from_db()
    assert re.fullmatch(rf"people/{GUEST}-{HASHED}\.png", guest.picture.name)
    assert guest.picture.name != old and (media_root / old).is_file()  # the old file stays for cached pages
    assert (guest.picture_width, guest.picture_height) == (300, 300)
    assert [row[:2] for row in guest.picture_renditions["webp"]] == [[64, 64], [128, 128], [256, 256]]
    [[_, _, fallback]] = guest.picture_renditions["jpeg"]
    for _, _, name in [*guest.picture_renditions["webp"], [0, 0, fallback]]:
        assert (media_root / name).is_file()
    with Image.open(media_root / fallback) as jpeg:
        assert (jpeg.format, jpeg.size) == ("JPEG", (256, 256))
    # The public page shows it at once.
    html = client.get(guest.get_absolute_url()).content.decode()
    assert guest.picture_renditions["webp"][1][2] + " 128w" in html


def test_a_cover_upload_on_the_episode_page(admin_client, fixture_archive, media_root):
    episode = Episode.objects.get(slug=EPISODE)
    upload = SimpleUploadedFile("cover.jpg", image_bytes("JPEG", (1880, 1100)), "image/jpeg")
    response = post_with(admin_client, episode, image=upload)
    assert response.status_code == 302, errors(response)
    episode.refresh_from_db()
    assert re.fullmatch(rf"covers/{EPISODE}-{HASHED}\.jpg", episode.image.name)
    assert (episode.image_width, episode.image_height) == (1880, 1100)
    assert [row[0] for row in episode.image_renditions["webp"]] == [240, 360, 960]
    assert episode.image_renditions["jpeg"][0][:2] == [960, 562]


def oversized_png():
    info = PngImagePlugin.PngInfo()
    info.add_text("padding", "x" * (10 * 1024 * 1024))
    return image_bytes("PNG", (10, 10), pnginfo=info)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "notes.jpg",
            b"Just some text that was renamed.\n" * 10,
            "“notes.jpg” is not a JPEG, PNG or WebP image (it cannot be decoded as an image).",
        ),
        ("wide.png", image_bytes("PNG", (6001, 3)), "“wide.png” is 6,001 × 3 pixels; at most 6,000 pixels on a side"),
        ("big.png", oversized_png(), "“big.png” is 10.0 MB; at most 10 MB is accepted."),
        ("anim.gif", image_bytes("GIF", (8, 8)), "“anim.gif” is a GIF image; only JPEG, PNG and WebP are accepted."),
        ("cut.jpg", image_bytes("JPEG", (300, 300))[:700], "“cut.jpg” is a damaged image"),
    ],
    ids=["renamed-text", "too-wide", "over-10-mb", "gif", "truncated"],
)
def test_anything_else_is_refused_with_a_message_and_nothing_stored(
    admin_client, fixture_archive, media_root, name, content, message
):
    guest = Guest.objects.get(slug=GUEST)
    files_before, row_before = stored_files(media_root), Guest.objects.filter(pk=guest.pk).values().get()

    response = post_with(admin_client, guest, picture=SimpleUploadedFile(name, content))

    assert response.status_code == 200
    [error] = errors(response)["picture"]
    assert error.startswith(message)
    assert message in response.content.decode().replace("&#x27;", "'")
    assert stored_files(media_root) == files_before
    assert Guest.objects.filter(pk=guest.pk).values().get() == row_before


def test_a_valid_image_on_a_page_that_does_not_save_is_not_stored(admin_client, fixture_archive, media_root):
    guest = Guest.objects.get(slug=GUEST)
    files_before = stored_files(media_root)
    upload = SimpleUploadedFile("ok.png", image_bytes("PNG", (50, 50)))
    response = post_with(admin_client, guest, picture=upload, github_url="not a url")
    assert response.status_code == 200 and "github_url" in errors(response)
    assert stored_files(media_root) == files_before


def test_clearing_removes_the_image_and_its_sizes(admin_client, fixture_archive):
    guest = Guest.objects.get(slug=GUEST)
    response = post_with(admin_client, guest, **{"picture-clear": "on"})
    assert response.status_code == 302, errors(response)
    guest.refresh_from_db()
    assert (guest.picture.name, guest.picture_width, guest.picture_height, guest.picture_renditions) == (
        "",
        None,
        None,
        {},
    )


def test_lists_show_thumbnails_without_extra_queries(admin_client, fixture_archive):
    make_missing_renditions(workers=1)
    changelist = admin_url(Episode, "changelist")
    html = admin_client.get(changelist).content.decode()
    episode = Episode.objects.get(slug=EPISODE)
    assert f'<img src="/media/{episode.image_renditions["webp"][0][2]}" width="64" height="37"' in html
    with CaptureQueriesContext(connection) as with_images:
        admin_client.get(changelist)
    Episode.objects.update(image="", image_renditions={})
    with CaptureQueriesContext(connection) as without:
        admin_client.get(changelist)
    assert len(with_images) == len(without)

    html = admin_client.get(admin_url(Guest, "changelist")).content.decode()
    guest = Guest.objects.get(slug=GUEST)
    assert f'<img src="/media/{guest.picture_renditions["webp"][0][2]}" width="64" height="64"' in html
