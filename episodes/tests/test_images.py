"""Covers and portraits: checking files, the import's copy into media storage, renditions made once.

Every test stores media in its own temporary MEDIA_ROOT (the autouse ``media_root`` fixture).
The admin's uploads are in test_image_admin.py, what pages show in test_image_pages.py.
"""

import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from PIL import Image, PngImagePlugin

from episodes import images
from episodes.file_storage import AtomicFileSystemStorage
from episodes.image_import import candidate_paths
from episodes.importer import CREATED, SKIPPED, UNCHANGED, UPDATED, Importer
from episodes.models import Episode, Guest
from episodes.renditions import make_missing_renditions, pending_jobs

from .conftest import FIXTURE_EPISODES, FIXTURES, run_import

HASHED = r"[0-9a-f]{12}"


def image_bytes(fmt="JPEG", size=(940, 550), color=(200, 60, 30), **options):
    buffer = BytesIO()
    mode = "RGBA" if fmt == "PNG" and options.pop("alpha", False) else "RGB"
    Image.new(mode, size, color if mode == "RGB" else (*color, 128)).save(buffer, fmt, **options)
    return buffer.getvalue()


def stored_files(media_root):
    return sorted(str(path.relative_to(media_root)) for path in Path(media_root).rglob("*") if path.is_file())


def mtimes(media_root):
    return {path: path.stat().st_mtime_ns for path in Path(media_root).rglob("*") if path.is_file()}


@pytest.fixture
def saves(monkeypatch):
    """Every file written through the storage API, by name."""
    written = []
    original = AtomicFileSystemStorage._save

    def spy(self, name, content):
        written.append(name)
        return original(self, name, content)

    monkeypatch.setattr(AtomicFileSystemStorage, "_save", spy)
    return written


def episode_file(folder, name, image, season=1, number=1, guests=()):
    """A minimal episode file in ``folder`` naming ``image``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["---", f"title: Episode {name}", f"season: {season}", f"episode: {number}"]
    if image is not None:
        lines.append(f'image: "{image}"')
    if guests:
        lines.append("guests: [" + ", ".join(guests) + "]")
    path = folder / f"{name}.md"
    path.write_text("\n".join([*lines, "---", "Show notes.", ""]), "utf-8")
    return path


# --- checking files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_jpeg_png_and_webp_are_images(fmt, extension):
    info = images.inspect_image(image_bytes(fmt, (300, 200)))
    assert (info.format, info.extension, info.width, info.height) == (fmt, extension, 300, 200)


def test_the_size_is_as_shown_after_the_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: browsers turn it a quarter
    info = images.inspect_image(image_bytes("JPEG", (400, 300), exif=exif.tobytes()))
    assert (info.width, info.height) == (300, 400)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"These are show notes, not a photo.\n" * 20, "is not a JPEG, PNG or WebP image"),
        (image_bytes("GIF", (20, 20)), "is a GIF image; only JPEG, PNG and WebP are accepted"),
        (image_bytes("PNG", (6001, 2)), "is 6,001 × 2 pixels; at most 6,000 pixels on a side"),
        (image_bytes("JPEG", (200, 200))[:600], "is a damaged image"),
        (b"\xff\xd8" + b"\x00" * 100, "is not a JPEG, PNG or WebP image"),
    ],
    ids=["text", "gif", "too-wide", "truncated-jpeg", "jpeg-magic-only"],
)
def test_what_is_not_an_acceptable_image_is_refused_with_the_reason(data, message):
    with pytest.raises(images.ImageError, match=re.escape(message)):
        images.inspect_image(data)


def test_over_ten_megabytes_is_refused_even_when_it_is_a_real_image():
    info = PngImagePlugin.PngInfo()
    info.add_text("padding", "x" * (10 * 1024 * 1024))  # a valid PNG chunk, so a real, decodable image
    data = image_bytes("PNG", (10, 10), pnginfo=info)
    assert Image.open(BytesIO(data)).size == (10, 10)
    with pytest.raises(images.ImageError, match=r"is 10\.0 MB; at most 10 MB is accepted"):
        images.inspect_image(data)


# --- where the import finds files ---------------------------------------------------------------------


def test_paths_resolve_against_the_archive_root_and_never_leave_it(tmp_path):
    source = tmp_path / "archive" / "_podcast" / "x.md"
    root, paths = candidate_paths("images/authors/ aashishnair.jpg", source)
    assert root == tmp_path / "archive"
    assert paths == [root / "images/authors/ aashishnair.jpg", root / "images/authors/aashishnair.jpg"]
    assert candidate_paths("/images/x.jpg", source)[1] == [root / "images/x.jpg"]  # site-root relative
    assert candidate_paths("../../../etc/passwd", source)[1] == []
    assert candidate_paths("images/../../outside.jpg", source)[1] == []
    # Outside an archive layout, the file's own folder is the root.
    assert candidate_paths("a.jpg", tmp_path / "loose" / "x.yaml")[0] == tmp_path / "loose"


def test_images_root_holds_the_images_folder_or_is_it(tmp_path):
    root, paths = candidate_paths("images/podcast/x.jpg", tmp_path / "a" / "x.md", images_root=tmp_path / "pics")
    assert root == tmp_path / "pics"
    assert paths == [root / "images/podcast/x.jpg", root / "podcast/x.jpg"]


# --- the import -----------------------------------------------------------------------------------------


def test_fixtures_import_their_covers_and_pictures_under_stable_names(db, media_root):
    report = run_import(FIXTURE_EPISODES)
    assert report.ok, report.failures

    episodes = Episode.objects.exclude(slug="s19e04-mlops-as-a-team")
    assert episodes.count() == 8
    for episode in episodes:
        assert re.fullmatch(rf"covers/{episode.slug}-{HASHED}\.jpg", episode.image.name), episode.image.name
        assert (media_root / episode.image.name).is_file()
        with Image.open(media_root / episode.image.name) as stored:
            assert (episode.image_width, episode.image_height) == stored.size
    # The seed's cover is nowhere, in the source repository either: a warning, not a failure.
    seed = Episode.objects.get(slug="s19e04-mlops-as-a-team")
    assert seed.image.name == ""
    seed_result = next(result for result in report.episodes if result.path.name.startswith("s19e04"))
    assert seed_result.outcome == CREATED
    assert seed_result.warnings == [
        f"cover 'images/podcast/s19e04-mlops-as-team.jpg': no such file in {FIXTURES.absolute()}"
    ]
    # Every guest of the fixtures has a portrait, copied byte for byte.
    for guest in Guest.objects.all():
        assert re.fullmatch(rf"people/{guest.slug}-{HASHED}\.jpg", guest.picture.name), guest.slug
        original = FIXTURES / "images" / "authors" / f"{guest.slug}.jpg"
        assert (media_root / guest.picture.name).read_bytes() == original.read_bytes()
        assert guest.picture_width and guest.picture_height
    # The name is the content's: sha256 of the file.
    cover = Episode.objects.get(slug="cloud-data-governance").image.name
    digest = images.content_digest((FIXTURES / "images/podcast/cloud-data-governance.jpg").read_bytes())
    assert cover == f"covers/cloud-data-governance-{digest[:12]}.jpg"


def test_a_reimport_writes_no_image_twice(db, tmp_path, media_root, saves, monkeypatch):
    archive = tmp_path / "archive"
    shutil.copytree(FIXTURES / "_podcast", archive / "_podcast")
    shutil.copytree(FIXTURES / "_people", archive / "_people")
    shutil.copytree(FIXTURES / "images", archive / "images")
    run_import(archive / "_podcast")
    first = list(saves)
    assert len(first) == 8 + 11  # covers (the seed has none) and pictures
    before = mtimes(media_root)

    # Changed files naming the same images: the rows are written again, the images are not.
    changed = [*(archive / "_podcast").glob("*.md"), *(archive / "_people").glob("*.md")]
    for path in changed:
        path.write_text(path.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    decoded = []
    inspect = images.inspect_image
    monkeypatch.setattr(
        images, "inspect_image", lambda data, decode=True: (decoded.append(decode), inspect(data, decode))[1]
    )
    importer = Importer()
    report = importer.run([archive / "_podcast"])
    outcomes = {result.path: result.outcome for result in report.episodes + report.people}
    assert {outcomes[path] for path in changed} == {UPDATED} and len(changed) == 8 + 11
    assert saves == first
    assert importer.images.written == 0
    assert mtimes(media_root) == before
    assert decoded == [False] * (8 + 11)  # stored under their content's names already: not decoded again

    # A fresh database finds them in storage too.
    Episode.objects.all().delete()
    Guest.objects.all().delete()
    run_import(archive / "_podcast")
    assert saves == first
    assert mtimes(media_root) == before


def test_a_changed_image_is_stored_under_a_new_name(db, tmp_path, media_root):
    folder = tmp_path / "archive" / "_podcast"
    cover = tmp_path / "archive" / "images" / "podcast" / "x.jpg"
    cover.parent.mkdir(parents=True)
    cover.write_bytes(image_bytes(color=(0, 0, 255)))
    path = episode_file(folder, "x", "images/podcast/x.jpg")
    run_import(path)
    old = Episode.objects.get().image.name

    cover.write_bytes(image_bytes(color=(0, 255, 0)))
    path.write_text(path.read_text("utf-8") + "\nChanged.\n", "utf-8")
    run_import(path)
    new = Episode.objects.get().image.name
    assert new != old and re.fullmatch(rf"covers/x-{HASHED}\.jpg", new)
    assert (media_root / old).is_file() and (media_root / new).is_file()  # old URLs in caches keep working


def test_an_image_replaced_in_the_archive_is_taken_though_its_file_is_unchanged(db, tmp_path, media_root):
    archive = tmp_path / "archive"
    shutil.copytree(FIXTURES, archive, ignore=shutil.ignore_patterns("edge-cases"))
    run_import(archive / "_podcast")
    episode = Episode.objects.get(slug="cloud-data-governance")
    guest = Guest.objects.get(slug="urigilad")
    old_cover, old_picture = episode.image.name, guest.picture.name
    (archive / "images/podcast/cloud-data-governance.jpg").write_bytes(image_bytes("JPEG", (800, 450)))
    (archive / "images/authors/urigilad.jpg").write_bytes(image_bytes("PNG", (100, 100)))

    report = run_import(archive / "_podcast")

    outcomes = {result.path.name: result.outcome for result in report.episodes + report.people}
    assert {name for name, outcome in outcomes.items() if outcome != UNCHANGED} == {
        "cloud-data-governance.md",
        "urigilad.md",
    }
    assert outcomes["cloud-data-governance.md"] == UPDATED
    episode.refresh_from_db()
    guest.refresh_from_db()
    assert re.fullmatch(rf"covers/cloud-data-governance-{HASHED}\.jpg", episode.image.name)
    assert episode.image.name != old_cover and (episode.image_width, episode.image_height) == (800, 450)
    assert re.fullmatch(rf"people/urigilad-{HASHED}\.png", guest.picture.name) and guest.picture.name != old_picture
    [result] = [result for result in report.episodes if result.path.name == "cloud-data-governance.md"]
    assert result.warnings == [
        f"cover 'images/podcast/cloud-data-governance.jpg' was replaced since the last import: now {episode.image.name}"
    ]

    # An image an editor uploaded is theirs: a replaced archive file does not undo it.
    images.store_image(episode, image_bytes("PNG", (30, 30)))
    episode.save()
    (archive / "images/podcast/cloud-data-governance.jpg").write_bytes(image_bytes("JPEG", (400, 200)))
    again = run_import(archive / "_podcast")
    assert {result.outcome for result in again.episodes + again.people} <= {UNCHANGED, SKIPPED}
    assert Episode.objects.get(pk=episode.pk).image.name == episode.image.name


def test_a_file_that_is_not_an_image_is_refused_with_a_warning(db, tmp_path, media_root):
    archive = tmp_path / "archive"
    fake = archive / "images" / "podcast" / "fake.jpg"
    fake.parent.mkdir(parents=True)
    fake.write_text("Not a picture: just text with a .jpg name.\n")
    path = episode_file(archive / "_podcast", "fake", "images/podcast/fake.jpg")

    report = run_import(path)

    assert report.ok
    [result] = report.episodes
    assert result.outcome == CREATED
    assert result.warnings == [
        f"cover 'images/podcast/fake.jpg' ({fake}) is not a JPEG, PNG or WebP image "
        "(it cannot be decoded as an image); not used"
    ]
    assert Episode.objects.get().image.name == ""
    assert stored_files(media_root) == []


def test_an_unusable_image_keeps_the_current_one_and_an_empty_value_removes_it(db, tmp_path):
    archive = tmp_path / "archive"
    cover = archive / "images" / "x.png"
    cover.parent.mkdir(parents=True)
    cover.write_bytes(image_bytes("PNG", (64, 32)))
    path = episode_file(archive / "_podcast", "x", "images/x.png")
    run_import(path)
    stored = Episode.objects.get().image.name
    assert re.fullmatch(rf"covers/x-{HASHED}\.png", stored)

    episode_file(archive / "_podcast", "x", "images/gone.png")
    [result] = run_import(path).episodes
    assert result.warnings == [f"cover 'images/gone.png': no such file in {archive}; kept the current cover"]
    assert Episode.objects.get().image.name == stored

    episode_file(archive / "_podcast", "x", None)
    run_import(path)
    episode = Episode.objects.get()
    assert (episode.image.name, episode.image_width, episode.image_height) == ("", None, None)


def test_web_addresses_and_escapes_are_not_read(db, tmp_path, media_root):
    archive = tmp_path / "archive"
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(image_bytes())
    escape = episode_file(archive / "_podcast", "escape", "../secret.jpg", number=1)
    web = episode_file(archive / "_podcast", "web", "https://example.com/x.jpg", number=2)

    report = run_import(escape, web)

    warnings = [result.warnings for result in report.episodes]
    assert warnings == [
        [f"cover '../secret.jpg': no such file in {archive}"],
        ["cover 'https://example.com/x.jpg' is a web address; images are read from the archive's files"],
    ]
    assert stored_files(media_root) == []


def test_a_dry_run_checks_images_and_stores_none(db, media_root):
    report = run_import(FIXTURE_EPISODES, dry_run=True)
    assert report.ok
    assert any("s19e04-mlops-as-team.jpg" in warning for result in report.episodes for warning in result.warnings)
    assert stored_files(media_root) == []
    assert not Episode.objects.exists()


def test_images_root_option(db, tmp_path, media_root):
    folder = tmp_path / "episodes"
    episode_file(folder, "cloud", "images/podcast/cloud-data-governance.jpg")

    call_command("import_episodes", str(folder), images_root=str(FIXTURES), stdout=BytesIOText(), stderr=BytesIOText())
    assert re.fullmatch(rf"covers/cloud-{HASHED}\.jpg", Episode.objects.get().image.name)

    # The images folder itself works too.
    Episode.objects.all().delete()
    call_command("import_episodes", str(folder), images_root=str(FIXTURES / "images"), stdout=BytesIOText())
    assert Episode.objects.get().image.name.startswith("covers/cloud-")

    with pytest.raises(CommandError, match=r"--images-root .*nowhere: no such folder"):
        call_command("import_episodes", str(folder), images_root=str(tmp_path / "nowhere"))


class BytesIOText:
    """A text sink for a command's output."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass

    def isatty(self):
        return False


def test_the_command_makes_the_renditions_after_the_import(db, media_root):
    out = BytesIOText()
    call_command("import_episodes", str(FIXTURE_EPISODES), verbosity=2, stdout=out, stderr=BytesIOText())
    assert "renditions: 19 image(s), " in "".join(out.parts)
    assert pending_jobs() == []
    episode = Episode.objects.get(slug="cloud-data-governance")
    assert [width for width, _, _ in episode.image_renditions["webp"]] == [240, 360, 960]


# --- renditions -------------------------------------------------------------------------------------


def test_renditions_are_planned_from_the_size_alone():
    plan = images.plan_renditions(images.COVER, "covers/x-1a2b3c4d5e6f.jpg", 940, 550)
    assert plan == {
        "of": "covers/x-1a2b3c4d5e6f.jpg",
        "webp": [
            [240, 140, "r/1a2b3c4d5e6f-240w.webp"],
            [360, 211, "r/1a2b3c4d5e6f-360w.webp"],
            [940, 550, "r/1a2b3c4d5e6f-940w.webp"],
        ],
        "jpeg": [[940, 550, "covers/x-1a2b3c4d5e6f.jpg"]],  # a JPEG no wider than 960 is its own fallback
    }
    portrait = images.plan_renditions(images.PORTRAIT, "people/p-000000000000.png", 800, 800)
    assert [row[:2] for row in portrait["webp"]] == [[64, 64], [128, 128], [256, 256]]
    assert portrait["jpeg"] == [[256, 256, "r/000000000000-256w.jpg"]]  # PNG: a JPEG is made
    # A name without a hash (not stored by this app) gets renditions named after a hash of the name.
    legacy = images.plan_renditions(images.PORTRAIT, "people/old.jpg", 128, 128)["webp"][0][2]
    assert re.fullmatch(rf"r/{HASHED}-64w\.webp", legacy)


def test_renditions_are_made_once(db, media_root, saves):
    run_import(FIXTURE_EPISODES)
    originals = set(stored_files(media_root))

    report = make_missing_renditions()  # 19 images: in worker processes

    assert report.images == 8 + 11 and not report.failures
    made = set(stored_files(media_root)) - originals
    assert report.files_written == len(made) == 8 * 3 + 1 + 11 * 2  # one cover is wider than 960: a JPEG too
    cover = Episode.objects.get(slug="interpretable-machine-learning")
    for width, height, name in cover.image_renditions["webp"]:
        with Image.open(media_root / name) as rendition:
            assert (rendition.format, rendition.size) == ("WEBP", (width, height))
    assert cover.image_renditions["jpeg"] == [[940, 550, cover.image.name]]
    before = mtimes(media_root)

    # Second run: nothing pending, nothing written.
    saves.clear()
    assert pending_jobs() == []
    assert make_missing_renditions().files_written == 0
    # Even when the rows forgot them, the files in storage are not made again.
    Episode.objects.update(image_renditions={})
    again = make_missing_renditions(workers=1)  # in this process, where ``saves`` sees every write
    assert (again.images, again.files_written) == (8, 0)
    assert saves == []
    assert mtimes(media_root) == before


def test_renditions_of_a_png_with_transparency_and_a_missing_original(db, media_root):
    episode = Episode.objects.create(season=1, number=1, slug="x", title="X")
    images.store_image(episode, image_bytes("PNG", (1200, 600), alpha=True))
    episode.save()
    gone = Episode.objects.create(season=1, number=2, slug="gone", title="Gone", image="covers/gone-000000000000.jpg")

    report = make_missing_renditions()

    assert report.images == 1
    assert report.failures == [
        "covers/gone-000000000000.jpg: no renditions made ([Errno 2] No such file or directory: "
        f"'{media_root / 'covers/gone-000000000000.jpg'}')"
    ]
    episode.refresh_from_db()
    [[width, height, jpeg]] = episode.image_renditions["jpeg"]
    assert (width, height) == (960, 480)
    with Image.open(media_root / jpeg) as fallback:
        assert (fallback.format, fallback.mode) == ("JPEG", "RGB")
        assert fallback.getpixel((10, 10)) != (0, 0, 0)  # transparency went onto white, not black
    gone.refresh_from_db()
    assert gone.image_renditions == {}


def test_renditions_of_a_replaced_image_are_not_used(db, media_root):
    episode = Episode.objects.create(season=1, number=1, slug="x", title="X")
    images.store_image(episode, image_bytes())
    images.renditions_for(episode)
    episode.save()
    assert images.picture_for(episode).webp_srcset

    images.store_image(episode, image_bytes(color=(1, 2, 3)))  # another file: the old renditions are not its
    assert episode.image_renditions == {}
    episode.image_renditions = {"of": "covers/something-else.jpg", "webp": [[1, 1, "x"]], "jpeg": [[1, 1, "x"]]}
    assert images.picture_for(episode).webp_srcset == ""
    assert [job.name for job in pending_jobs()] == []  # not saved yet
    episode.save()
    assert [job.name for job in pending_jobs()] == [episode.image.name]


def test_a_rendition_never_overwrites_what_another_process_stored(db, media_root):
    name = "r/000000000000-240w.webp"
    assert images.save_once(default_storage, name, b"first")
    assert not images.save_once(default_storage, name, b"second")
    assert (media_root / name).read_bytes() == b"first"
    assert stored_files(media_root) == [name]


def test_a_file_cut_short_leaves_nothing_under_its_name(media_root):
    storage = AtomicFileSystemStorage()

    class CutShort(ContentFile):
        def chunks(self, chunk_size=None):
            yield b"\xff\xd8 the first half of a JPEG"
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        storage.save("covers/x-1a2b3c4d5e6f.jpg", CutShort(b""))
    assert stored_files(media_root) == []  # neither the real name nor the partial file
    # A whole file appears under its name, and a second one under the same name never overwrites it.
    assert storage.save("covers/x-1a2b3c4d5e6f.jpg", ContentFile(b"whole")) == "covers/x-1a2b3c4d5e6f.jpg"
    other = storage.save("covers/x-1a2b3c4d5e6f.jpg", ContentFile(b"other"))
    assert other != "covers/x-1a2b3c4d5e6f.jpg"
    assert (media_root / "covers/x-1a2b3c4d5e6f.jpg").read_bytes() == b"whole"
    assert stored_files(media_root) == sorted(["covers/x-1a2b3c4d5e6f.jpg", other])


# --- the real archive ----------------------------------------------------------------------------------


@pytest.mark.corpus
def test_the_real_archive_imports_every_image_and_its_quirks(corpus, db, media_root, saves):
    archive = corpus / "datatalksclub"
    report = run_import(archive / "_podcast")
    warnings = {result.path.name: result.warnings for result in report.people + report.episodes}

    # A cover that does not exist: a warning, and the episode is there without one.
    ecology = "ai-for-ecology-biodiversity-and-conservation"
    assert f"cover 'images/podcast/{ecology}.jpg': no such file in {archive}" in warnings[f"{ecology}.md"]
    assert Episode.objects.get(slug=ecology).image.name == ""
    # Every other episode has its cover, and no other image went missing.
    image_warnings = [w for ws in warnings.values() for w in ws if w.startswith(("cover ", "picture "))]
    assert len(image_warnings) == 1
    assert Episode.objects.filter(image="").count() == 1
    assert Guest.objects.filter(picture="", is_placeholder=False).count() == 0

    # ".jpeg", a name that is not the slug, and a leading space in the path.
    joyce = Guest.objects.get(slug="joycekayavila")  # images/authors/joyceavila.jpeg
    assert re.fullmatch(rf"people/joycekayavila-{HASHED}\.jpg", joyce.picture.name)
    original = (archive / "images/authors/joyceavila.jpeg").read_bytes()
    assert (media_root / joyce.picture.name).read_bytes() == original
    aashish = Guest.objects.get(slug="aashishnair")  # "images/authors/ aashishnair.jpg": the file has the blank
    assert re.fullmatch(rf"people/aashishnair-{HASHED}\.jpg", aashish.picture.name)
    assert (media_root / aashish.picture.name).read_bytes() == (
        archive / "images/authors/ aashishnair.jpg"
    ).read_bytes()
    artemii = Guest.objects.get(slug="artemiifrolov")  # images/authors/default.jpg
    assert (media_root / artemii.picture.name).read_bytes() == (archive / "images/authors/default.jpg").read_bytes()
    # The one cover that is not 940 × 550.
    assert Episode.objects.filter(image_width=940, image_height=550).count() == Episode.objects.count() - 2
    # Written by this process and, past the first images, by the import's worker process.
    stored = stored_files(media_root)
    assert len(stored) == Episode.objects.exclude(image="").count() + Guest.objects.exclude(picture="").count()
    assert len(saves) < len(stored)
    before = mtimes(media_root)

    # Again: unchanged files, nothing read or written.
    saves.clear()
    again = run_import(archive / "_podcast")
    assert again.count(CREATED) == again.count(UPDATED) == 0
    assert saves == [] and mtimes(media_root) == before
