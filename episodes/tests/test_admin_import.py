"""Importing uploaded files and zips from the admin: the command's importer, messages and summary.

Hostile uploads (path traversal, absolute names, links, zip bombs, too many
files, names that are not UTF-8, corrupt or encrypted zips) are refused as a
whole, with a message naming the file, and nothing is written anywhere.
"""

import io
import stat
import struct
import zipfile
from io import StringIO

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from episodes.models import Episode, Guest

from .conftest import EDGE_CASES, FIXTURE_EPISODES, FIXTURES, db_snapshot, run_import

pytestmark = pytest.mark.django_db

URL = "admin:episodes_episode_import"
AB_TESTING = FIXTURE_EPISODES / "ab-testing-and-product-experimentation.md"
GOVERNANCE = FIXTURE_EPISODES / "cloud-data-governance.md"
SECTIONS = EDGE_CASES / "sections.md"  # S91E2, tiny


def upload_file(path, name=None, content=None):
    return SimpleUploadedFile(name or path.name, content if content is not None else path.read_bytes())


def zip_bytes(members):
    """A zip of {name: bytes or ZipInfo-tuple}; (bytes, mode) makes a member with that file mode."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if isinstance(content, tuple):
                content, mode = content
                info = zipfile.ZipInfo(name)
                info.external_attr = mode << 16
                archive.writestr(info, content)
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


def post(client, *, files=(), archive=None, dry_run=False, overwrite_edits=False, include_drafts=False):
    data = {"files": list(files)}
    if archive is not None:
        data["archive"] = archive if hasattr(archive, "read") else SimpleUploadedFile("upload.zip", archive)
    for name, value in [("dry_run", dry_run), ("overwrite_edits", overwrite_edits), ("include_drafts", include_drafts)]:
        if value:
            data[name] = "on"
    return client.post(reverse(URL), data)


def errors(response):
    form = response.context["form"]
    return [str(error) for errors in form.errors.values() for error in errors]


def result(response):
    context = response.context
    return {
        "summaries": context.get("summaries"),
        "problems": [message.text for message in context.get("problems", [])],
        "outcomes": [message.text for message in context.get("outcomes", [])],
    }


@pytest.fixture
def editor_client(client):
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


# --- files -------------------------------------------------------------------------------------


def test_uploaded_files_import_with_the_commands_summary_and_history(editor_client):
    response = post(editor_client, files=[upload_file(AB_TESTING), upload_file(SECTIONS)])

    assert response.status_code == 200
    assert result(response) == {
        "summaries": ["created 2, updated 0, unchanged 0, skipped 0, conflict 0, failed 0"],
        "problems": [],
        "outcomes": [f"{AB_TESTING.name}: created", f"{SECTIONS.name}: created"],
    }
    html = response.content.decode()
    assert "Import done" in html and "created 2, updated 0" in html
    episode = Episode.objects.get(season=7, number=6)
    assert episode.source_path == f"upload:{AB_TESTING.name}"
    entries = LogEntry.objects.order_by("object_id")
    assert {(entry.object_id, entry.action_flag, entry.user.username) for entry in entries} == {
        (str(episode.pk), ADDITION, "editor"),
        (str(Episode.objects.get(season=91, number=2).pk), ADDITION, "editor"),
    }
    assert entries.get(object_id=str(episode.pk)).get_change_message() == (
        f"Imported from the uploaded file {AB_TESTING.name}."
    )


def test_a_dry_run_shows_the_outcome_and_writes_nothing(editor_client, fixture_archive):
    before = db_snapshot()
    changed = GOVERNANCE.read_text("utf-8").replace("short: Data Governance", "short: Governance")

    response = post(
        editor_client,
        files=[upload_file(SECTIONS), upload_file(GOVERNANCE, content=changed.encode())],
        dry_run=True,
    )

    assert result(response)["summaries"] == [
        "dry run, nothing written: created 1, updated 1, unchanged 0, skipped 0, conflict 0, failed 0"
    ]
    assert "Dry run: what the import would do" in response.content.decode()
    assert db_snapshot() == before
    assert not LogEntry.objects.exists()


def test_an_unchanged_upload_of_an_imported_file_is_unchanged(editor_client, fixture_archive):
    # The command imported the archive's file; the same file uploaded is the same content, edited or not.
    Episode.objects.get(season=3, number=10).mark_edited()
    before = db_snapshot()

    response = post(editor_client, files=[upload_file(GOVERNANCE)])

    assert result(response)["outcomes"] == [f"{GOVERNANCE.name}: unchanged"]
    assert db_snapshot() == before
    assert not LogEntry.objects.exists()


def test_a_changed_upload_updates_its_episode_and_is_logged_as_a_change(editor_client, fixture_archive):
    changed = GOVERNANCE.read_text("utf-8").replace("short: Data Governance", "short: Governance")

    response = post(editor_client, files=[upload_file(GOVERNANCE, content=changed.encode())])

    assert result(response)["outcomes"] == [f"{GOVERNANCE.name}: updated"]
    episode = Episode.objects.get(season=3, number=10)
    assert episode.short_title == "Governance"
    (entry,) = LogEntry.objects.all()
    assert (entry.object_id, entry.action_flag) == (str(episode.pk), CHANGE)


def test_an_edited_episode_is_a_conflict_unless_overwrite_edits(editor_client, fixture_archive):
    episode = Episode.objects.get(season=3, number=10)
    episode.mark_edited()
    changed = GOVERNANCE.read_text("utf-8").replace("short: Data Governance", "short: Governance").encode()

    response = post(editor_client, files=[upload_file(GOVERNANCE, content=changed)])

    shown = result(response)
    assert shown["summaries"] == ["created 0, updated 0, unchanged 0, skipped 0, conflict 1, failed 0"]
    (problem,) = shown["problems"]
    assert problem.startswith(f"{GOVERNANCE.name}: conflict: S3E10")
    assert Episode.objects.get(pk=episode.pk).short_title == "Data Governance"
    assert 'class="import-conflict"' in response.content.decode()

    response = post(editor_client, files=[upload_file(GOVERNANCE, content=changed)], overwrite_edits=True)
    assert result(response)["outcomes"] == [f"{GOVERNANCE.name}: updated"]
    assert Episode.objects.get(pk=episode.pk).short_title == "Governance"


def test_bad_files_fail_alone_with_the_commands_messages(editor_client):
    files = [EDGE_CASES / "bad-not-utf8.md", EDGE_CASES / "bad-missing-season.md", SECTIONS]
    command_err = StringIO()
    with pytest.raises(SystemExit):
        call_command("import_episodes", *map(str, files), "--dry-run", stdout=StringIO(), stderr=command_err)
    expected = [line.replace(str(EDGE_CASES) + "/", "") for line in command_err.getvalue().splitlines()]

    response = post(editor_client, files=[upload_file(path) for path in files])

    shown = result(response)
    assert (
        shown["problems"]
        == expected
        == [
            "bad-not-utf8.md: not UTF-8 text (byte 37)",
            "bad-missing-season.md: missing required field 'season'",
        ]
    )
    assert shown["outcomes"] == ["sections.md: created"]
    assert Episode.objects.filter(season=91, number=2).exists()


def test_warnings_are_shown(editor_client):
    response = post(editor_client, files=[upload_file(EDGE_CASES / "unknown-guest.md")])
    assert any("has no profile in _people; it is a placeholder" in text for text in response.context["warnings"])


def test_drafts_are_skipped_unless_included(editor_client):
    draft = EDGE_CASES / "_draft-episode.md"
    assert result(post(editor_client, files=[upload_file(draft)]))["outcomes"] == ["_draft-episode.md: skipped"]
    assert result(post(editor_client, files=[upload_file(draft)], include_drafts=True))["outcomes"] == [
        "_draft-episode.md: created"
    ]
    assert Episode.objects.get().status == Episode.Status.DRAFT


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "Choose episode files or a zip to import."),
        ([("notes.pdf", b"%PDF")], "notes.pdf: not an episode file; the files must end in .m"),
        ([("archive.zip", b"PK")], "(a zip goes in “Zip”)"),
        ([("a.md", b"---\n"), ("A.md", b"---\n")], "A.md is uploaded twice"),
    ],
)
def test_unusable_uploads_are_form_errors(editor_client, files, message):
    response = post(editor_client, files=[SimpleUploadedFile(name, content) for name, content in files])
    assert response.status_code == 200
    assert any(message in error for error in errors(response)), errors(response)
    assert not Episode.objects.exists()
    assert "summaries" not in response.context


def test_more_files_than_django_accepts_is_a_bad_request_not_an_error(editor_client):
    files = [SimpleUploadedFile(f"e{number}.md", b"---\n") for number in range(101)]
    assert post(editor_client, files=files).status_code == 400
    assert not Episode.objects.exists()


def test_a_file_over_the_size_limit_is_refused(editor_client, settings):
    settings.PODCAST_MAX_FILE_BYTES = 1000  # SECTIONS is smaller, AB_TESTING bigger
    response = post(editor_client, files=[upload_file(SECTIONS), upload_file(AB_TESTING)])
    assert any(
        f"ab-testing-and-product-experimentation.md is {AB_TESTING.stat().st_size:,} bytes, over the 1,000-byte limit"
        in error
        for error in errors(response)
    )
    assert not Episode.objects.exists()


# --- zips -----------------------------------------------------------------------------------------


def test_a_zip_of_folders_imports_episodes_and_people(editor_client):
    archive = zip_bytes(
        {
            "site/_podcast/ab-testing-and-product-experimentation.md": AB_TESTING.read_bytes(),
            "site/_podcast/sections.md": SECTIONS.read_bytes(),
            "site/_people/jakobgraff.md": (FIXTURES / "_people" / "jakobgraff.md").read_bytes(),
            "site/images/notes.pdf": b"%PDF",
            "__MACOSX/site/_podcast/._sections.md": b"\x00\x05\x16\x07",
            "site/.DS_Store": b"\x00",
        }
    )

    response = post(editor_client, archive=SimpleUploadedFile("site.zip", archive))

    shown = result(response)
    assert shown["summaries"] == [
        "people: created 1, updated 0, unchanged 0, skipped 0, conflict 0, failed 0",
        "created 2, updated 0, unchanged 0, skipped 0, conflict 0, failed 0",
    ]
    assert "site.zip/site/_podcast/sections.md: created" in shown["outcomes"]
    assert response.context["ignored"] == ["site.zip/site/images/notes.pdf"]
    assert Guest.objects.get(slug="jakobgraff").source_path == "upload:site.zip/site/_people/jakobgraff.md"
    assert LogEntry.objects.count() == 2


def test_covers_in_a_zip_are_imported_with_their_episodes(editor_client):
    cover = FIXTURES / "images" / "podcast" / f"{AB_TESTING.stem}.jpg"
    archive = zip_bytes(
        {f"_podcast/{AB_TESTING.name}": AB_TESTING.read_bytes(), f"images/podcast/{cover.name}": cover.read_bytes()}
    )

    response = post(editor_client, archive=archive)

    assert result(response)["outcomes"] == [f"upload.zip/_podcast/{AB_TESTING.name}: created"]
    assert not [warning for warning in response.context["warnings"] if "cover" in warning]  # it was found
    episode = Episode.objects.get(season=7, number=6)
    assert episode.image.name and episode.image_width


def test_files_and_a_zip_together(editor_client):
    archive = zip_bytes({"sections.md": SECTIONS.read_bytes()})
    response = post(editor_client, files=[upload_file(AB_TESTING)], archive=archive)
    assert result(response)["summaries"] == ["created 2, updated 0, unchanged 0, skipped 0, conflict 0, failed 0"]


def set_flag_bits(raw, bits):
    """Set general-purpose flag bits on every member of a zip, in both of its headers."""
    data = bytearray(raw)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            (flags,) = struct.unpack_from("<H", data, start + offset)
            struct.pack_into("<H", data, start + offset, flags | bits)
            start = data.find(signature, start + 4)
    return bytes(data)


HOSTILE_ZIPS = {
    "traversal": (zip_bytes({"../evil.md": b"---\n"}), "upload.zip: '../evil.md' points outside the zip's folder"),
    "deep traversal": (
        zip_bytes({"podcast/../../evil.md": b"---\n"}),
        "'podcast/../../evil.md' points outside the zip's folder",
    ),
    "backslash traversal": (zip_bytes({"..\\evil.md": b"---\n"}), "points outside the zip's folder"),
    "absolute": (zip_bytes({"/etc/evil.md": b"---\n"}), "upload.zip: '/etc/evil.md' is an absolute path"),
    "drive letter": (zip_bytes({"C:/evil.md": b"---\n"}), "'C:/evil.md' is an absolute path"),
    "symlink": (
        zip_bytes({"episode.md": (b"/etc/passwd", stat.S_IFLNK | 0o777)}),
        "upload.zip: 'episode.md' is a symbolic link; links are not accepted",
    ),
    "fifo": (zip_bytes({"episode.md": (b"", stat.S_IFIFO | 0o644)}), "'episode.md' is not a regular file"),
    "bomb": (
        zip_bytes({"bomb.md": b"\0" * (3 * 1024 * 1024)}),  # 3 MB of zeros: 3 KB zipped
        "upload.zip/bomb.md is 3,145,728 bytes, over the 2,097,152-byte limit for one file",
    ),
    "not a zip": (b"this is not a zip file at all", "upload.zip: not a readable zip file"),
    "cut short": (zip_bytes({"a.md": SECTIONS.read_bytes()})[:-30], "upload.zip: not a readable zip file"),
    "encrypted": (
        set_flag_bits(zip_bytes({"a.md": SECTIONS.read_bytes()}), 0x1),
        "'a.md' is encrypted; upload a zip without a password",
    ),
    "non-UTF-8 name": (
        zip_bytes({"cafX.md": SECTIONS.read_bytes()}).replace(b"cafX.md", b"caf\xe9.md"),
        "upload.zip: a file name is not UTF-8 (b'caf\\xe9.md'); re-create the zip with UTF-8 names",
    ),
    "duplicate": (
        zip_bytes({"a.md": b"---\n", "b.md": b"---\n"}).replace(b"b.md", b"a.md"),
        "upload.zip: 'a.md' is in the zip twice",
    ),
    "control character": (zip_bytes({"a\x07.md": b"---\n"}), "has a control character in its name"),
}


@pytest.mark.parametrize("kind", list(HOSTILE_ZIPS))
def test_a_hostile_zip_is_refused_and_nothing_is_written(editor_client, fixture_archive, tmp_path, kind):
    archive, message = HOSTILE_ZIPS[kind]
    good = upload_file(SECTIONS)  # a good file in the same upload is not imported either
    before = db_snapshot()

    response = post(editor_client, files=[good], archive=archive)

    assert response.status_code == 200
    assert any(message in error for error in errors(response)), errors(response)
    assert escape(message) in response.content.decode()
    assert "summaries" not in response.context
    assert db_snapshot() == before
    assert not LogEntry.objects.exists()
    assert not (tmp_path.parent / "evil.md").exists()


def test_too_many_files_in_a_zip(editor_client, settings):
    settings.PODCAST_UPLOAD_MAX_FILES = 3
    archive = zip_bytes({f"e{number}.md": SECTIONS.read_bytes() for number in range(4)})
    response = post(editor_client, archive=archive)
    assert "the upload holds more than 3 files; import it in parts" in errors(response)
    assert not Episode.objects.exists()


def test_too_many_bytes_once_unpacked(editor_client, settings):
    settings.PODCAST_UPLOAD_MAX_BYTES = 1000
    archive = zip_bytes({"a.md": b"x" * 600, "b.md": b"y" * 600})
    response = post(editor_client, archive=archive)
    assert any("the upload unpacks to more than 1,000 bytes (at upload.zip/b.md)" in e for e in errors(response))


def test_a_zip_over_the_size_limit_is_refused_before_it_is_opened(editor_client, settings):
    settings.PODCAST_UPLOAD_MAX_BYTES = 100
    response = post(editor_client, archive=zip_bytes({"sections.md": SECTIONS.read_bytes()}))
    assert any("over the 100-byte limit" in error for error in errors(response))


def test_the_temporary_folder_is_removed(editor_client, monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    post(editor_client, files=[upload_file(SECTIONS)], archive=zip_bytes({"x/a.md": AB_TESTING.read_bytes()}))
    post(editor_client, archive=zip_bytes({"../evil.md": b"---\n"}))
    assert list(tmp_path.iterdir()) == []


def test_a_dry_run_of_a_zip_gives_the_commands_summaries_and_messages(editor_client):
    folder = FIXTURE_EPISODES.parent
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        members = [*FIXTURE_EPISODES.iterdir(), *(folder / "_people").glob("*.md"), EDGE_CASES / "bad-alias.md"]
        members += [path for path in (folder / "images").rglob("*") if path.is_file()]  # covers and pictures
        for path in sorted(members):
            zf.write(path, path.relative_to(folder).as_posix())
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "import_episodes", str(FIXTURE_EPISODES), str(EDGE_CASES / "bad-alias.md"), "--dry-run", "-v", "3",
            stdout=out, stderr=err,
        )  # fmt: skip

    response = post(editor_client, archive=SimpleUploadedFile("site.zip", archive.getvalue()), dry_run=True)

    shown = result(response)
    summaries = [line for line in out.getvalue().splitlines() if line.startswith(("people:", "dry run"))]
    assert shown["summaries"] == summaries
    assert (
        summaries[-1] == "dry run, nothing written: created 9, updated 0, unchanged 0, skipped 0, conflict 0, failed 1"
    )
    # Every line the command printed (-v 3: errors, warnings, outcomes, summaries), the page shows, by file name.
    command_lines = (out.getvalue() + err.getvalue()).splitlines()
    page_lines = [*shown["problems"], *response.context["warnings"], *shown["outcomes"], *shown["summaries"]]

    assert sorted(line.removeprefix("site.zip/") for line in page_lines) == sorted(
        line.removeprefix(f"{folder}/").replace(str(folder), "site.zip") for line in command_lines
    )
    assert len(command_lines) > 20
    assert shown["problems"][0].startswith("site.zip/edge-cases/bad-alias.md: line 4, column 8: not valid YAML")
    assert not Episode.objects.exists()


@pytest.mark.corpus
def test_the_real_archive_uploaded_as_a_zip(editor_client, corpus):
    source = corpus / "datatalksclub"
    people = [path for path in (source / "_people").glob("*.md") if not path.name.startswith("_")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for folder in ("_podcast", "_people"):
            for path in sorted((source / folder).iterdir()):
                archive.write(path, f"datatalksclub/{folder}/{path.name}")

    response = post(editor_client, archive=SimpleUploadedFile("datatalksclub.zip", buffer.getvalue()))

    # As test_real_archive has the command's first import.
    assert result(response)["summaries"] == [
        f"people: created {len(people)}, updated 0, unchanged 0, skipped 1, conflict 0, failed 0",
        "created 198, updated 0, unchanged 0, skipped 3, conflict 0, failed 2",
    ]
    assert len(result(response)["problems"]) == 2
    assert LogEntry.objects.filter(action_flag=ADDITION).count() == Episode.objects.count() == 198
    # The command, given the archive's own files, finds nothing new.
    assert run_import(source / "_podcast").summary() == (
        "created 0, updated 0, unchanged 198, skipped 3, conflict 0, failed 2"
    )


# --- who may import --------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse(URL))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    response = post(client, files=[upload_file(SECTIONS)])
    assert response.status_code == 302
    assert not Episode.objects.exists()


def test_staff_without_add_and_change_permission_may_not_import(client):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_episode", "change_episode"]))
    client.force_login(user)

    assert client.get(reverse(URL)).status_code == 403
    assert post(client, files=[upload_file(SECTIONS)]).status_code == 403
    assert not Episode.objects.exists()
    changelist = client.get(reverse("admin:episodes_episode_changelist")).content.decode()
    assert reverse(URL) not in changelist


def test_editors_find_the_import_page_from_the_episode_list(editor_client):
    changelist = editor_client.get(reverse("admin:episodes_episode_changelist")).content.decode()
    assert f'<a href="{reverse(URL)}">Import files</a>' in changelist
    page = editor_client.get(reverse(URL))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'name="files"' in html and "multiple" in html
    assert 'name="archive"' in html and 'name="dry_run"' in html and 'name="overwrite_edits"' in html
    assert page.context["form"]["dry_run"].value() is True  # a dry run unless the editor says otherwise
