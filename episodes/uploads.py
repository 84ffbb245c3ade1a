"""Uploaded episode files and zips, unpacked safely into a folder for the importer.

An upload is untrusted: a zip may name files outside the folder (``../``,
absolute paths), hold symlinks, or expand to far more than it weighs. Every
such upload is refused as a whole with a message naming the file, before
anything is imported. Sizes are counted while unpacking, not taken from the
zip's headers, which can lie.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings

from .images import MAX_IMAGE_BYTES
from .importer import UPLOAD_PREFIX
from .parsing import EPISODE_SUFFIXES

FILES_FOLDER, ZIP_FOLDER = "files", "zip"
# Covers and pictures a zip may hold beside the files that name them (images/podcast/x.jpg).
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
CHUNK = 64 * 1024
# Left by macOS and Windows archivers beside the real files; never episodes.
IGNORED_NAMES = re.compile(r"(^|/)(__MACOSX/|\._[^/]*$|\.DS_Store$|Thumbs\.db$)")
DRIVE = re.compile(r"^[A-Za-z]:")
UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1


class UploadError(Exception):
    """An upload refused as a whole; the message names the file and says why."""


@dataclass(frozen=True)
class Limits:
    max_files: int
    max_total_bytes: int
    max_file_bytes: int

    @classmethod
    def from_settings(cls):
        return cls(
            max_files=settings.PODCAST_UPLOAD_MAX_FILES,
            max_total_bytes=settings.PODCAST_UPLOAD_MAX_BYTES,
            max_file_bytes=settings.PODCAST_MAX_FILE_BYTES,
        )


@dataclass
class Upload:
    """The files of one upload, unpacked under ``folder``, and how to name them to the editor."""

    folder: Path
    paths: list[Path] = field(default_factory=list)  # what to import: uploaded files, and the zip's folder
    ignored: list[str] = field(default_factory=list)  # zip members that are neither episode files nor images
    _count: int = 0
    _total: int = 0

    def shown_name(self, path):
        """An uploaded file's name as the editor knows it: "episode.md", "archive.zip/_podcast/episode.md"."""
        try:
            relative = Path(path).resolve().relative_to(self.folder.resolve())
        except ValueError:
            return str(path)
        return PurePosixPath(*relative.parts[1:]).as_posix()  # without the files/ or zip/ folder

    def source_key(self, path):
        return UPLOAD_PREFIX + self.shown_name(path)

    def hide_folder(self, text):
        """``text`` with the temporary folder's paths shown as the uploaded names."""
        for sub in (ZIP_FOLDER, FILES_FOLDER):
            text = text.replace(f"{self.folder.resolve() / sub}/", "").replace(f"{self.folder / sub}/", "")
        return text


def is_episode_file(name):
    return PurePosixPath(name).suffix.lower() in EPISODE_SUFFIXES


def is_image(name):
    return PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES


def unpack(folder, files=(), archive=None, limits=None):
    """Write uploaded ``files`` and the members of the ``archive`` zip under ``folder``; returns an Upload.

    Raises UploadError (nothing to import) for anything unsafe or over a limit.
    """
    limits = limits or Limits.from_settings()
    upload = Upload(Path(folder))
    if files:
        _save_files(upload, files, limits)
    if archive is not None:
        _extract_zip(upload, archive, limits)
    return upload


def _file_limit(limits, name):
    return MAX_IMAGE_BYTES if is_image(name) else limits.max_file_bytes


def _count(upload, limits, name, size):
    upload._count += 1
    upload._total += size
    if upload._count > limits.max_files:
        raise UploadError(f"the upload holds more than {limits.max_files:,} files; import it in parts")
    if size > _file_limit(limits, name):
        raise UploadError(f"{name} is {size:,} bytes, over the {_file_limit(limits, name):,}-byte limit for one file")
    if upload._total > limits.max_total_bytes:
        raise UploadError(
            f"the upload unpacks to more than {limits.max_total_bytes:,} bytes (at {name}); import it in parts"
        )


def _save_files(upload, files, limits):
    target = upload.folder / FILES_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    seen = set()
    for uploaded in files:
        name = PurePosixPath(uploaded.name.replace("\\", "/")).name  # browsers send a bare name; be sure
        if not name or name in (".", ".."):
            raise UploadError(f"{uploaded.name!r} is not a usable file name")
        if not is_episode_file(name):
            suffixes = ", ".join(sorted(EPISODE_SUFFIXES))
            raise UploadError(f"{name}: not an episode file; the files must end in {suffixes} (a zip goes in “Zip”)")
        if name.lower() in seen:
            raise UploadError(f"{name} is uploaded twice")
        seen.add(name.lower())
        _count(upload, limits, name, uploaded.size)
        path = target / name
        with path.open("wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        upload.paths.append(path)


def _extract_zip(upload, archive, limits):
    zip_name = PurePosixPath(archive.name.replace("\\", "/")).name or "upload.zip"
    target = upload.folder / ZIP_FOLDER / zip_name
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _checked_members(zf, zip_name, limits)
            for info, name in members:
                if not (is_episode_file(name) or is_image(name)):
                    upload.ignored.append(f"{zip_name}/{name}")
                    continue
                _count(upload, limits, f"{zip_name}/{name}", info.file_size)
                _extract_member(zf, info, target, name, zip_name, limits, upload)
    except zipfile.BadZipFile as e:
        raise UploadError(f"{zip_name}: not a readable zip file ({e})") from e
    except (NotImplementedError, RuntimeError, zipfile.LargeZipFile) as e:
        # Unsupported compression methods and encryption end up here.
        raise UploadError(f"{zip_name}: cannot be unpacked ({e})") from e
    except EOFError as e:
        raise UploadError(f"{zip_name}: the zip file is cut short") from e
    upload.paths.append(target)


def _checked_members(zf, zip_name, limits):
    """The zip's files as (info, safe relative name), refusing the whole zip for any unsafe member."""
    infos = zf.infolist()
    if len(infos) > limits.max_files * 2:  # directories count too, but not without bound
        raise UploadError(f"{zip_name} holds {len(infos):,} entries; at most {limits.max_files:,} files are taken")
    members, seen = [], set()
    for info in infos:
        name = _member_name(info, zip_name)
        if IGNORED_NAMES.search(name):
            continue
        shown = f"{zip_name}: {name!r}"
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UploadError(f"{shown} is a symbolic link; links are not accepted")
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UploadError(f"{shown} is not a regular file")
        if info.flag_bits & ENCRYPTED_FLAG:
            raise UploadError(f"{shown} is encrypted; upload a zip without a password")
        if name.startswith("/") or DRIVE.match(name):
            raise UploadError(f"{shown} is an absolute path; a zip must hold relative paths")
        parts = [part for part in name.split("/") if part not in ("", ".")]
        if ".." in parts:
            raise UploadError(f"{shown} points outside the zip's folder (..)")
        if any(ord(char) < 32 for char in name):
            raise UploadError(f"{shown} has a control character in its name")
        if info.is_dir() or not parts:
            continue
        safe = "/".join(parts)
        if safe.lower() in seen:
            raise UploadError(f"{zip_name}: {safe!r} is in the zip twice")
        seen.add(safe.lower())
        members.append((info, safe))
    return members


def _member_name(info, zip_name):
    """The member's name, decoded: UTF-8 when the zip says so, else UTF-8 if it is valid, else refused."""
    name = info.filename.replace("\\", "/")
    if info.flag_bits & UTF8_FLAG or name.isascii():
        return name
    # Without the flag, zipfile decoded the bytes as cp437; most tools write UTF-8 regardless.
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8").replace("\\", "/")
    except UnicodeDecodeError:
        raise UploadError(
            f"{zip_name}: a file name is not UTF-8 ({raw!r}); re-create the zip with UTF-8 names"
        ) from None


def _extract_member(zf, info, target, name, zip_name, limits, upload):
    path = (target / name).resolve()
    if not path.is_relative_to(target.resolve()):  # belt and braces: the name checks should have caught it
        raise UploadError(f"{zip_name}: {name!r} points outside the zip's folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    # The header's size may lie: count what actually comes out and stop at the limits.
    room = min(_file_limit(limits, name), limits.max_total_bytes - (upload._total - info.file_size))
    written = 0
    with zf.open(info) as source, path.open("wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > room or written > info.file_size:
                raise UploadError(
                    f"{zip_name}: {name!r} unpacks to more than its zip entry says or than the limits allow; "
                    "refused as a possible zip bomb"
                )
            out.write(chunk)
