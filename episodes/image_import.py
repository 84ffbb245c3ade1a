"""The import's side of images: finding the file that ``image:`` or ``picture:`` names, checking it, storing it.

Paths in the files are relative to the archive's root, the folder that holds ``_podcast`` and
``_people`` (``images/podcast/x.jpg``); ``--images-root DIR`` resolves them against DIR instead.
A missing, unreadable or non-image file is a warning on its episode or person, never a failure.

Reading, hashing, decoding (with Pillow) and storing run in a worker process during a big
import, while the main process writes the database (see ``ImportImages``). A small import (or
the admin's upload, which must not fork) does them in-process.
"""

from __future__ import annotations

import functools
import gc
import os
import stat
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from django.core.files.storage import default_storage, storages

from . import images

# Fewer images than this are done in-process: a worker would cost more to start than it saves.
MIN_IMAGES_FOR_WORKER = 25
ARCHIVE_FOLDERS = ("_podcast", "_people")


@dataclass(frozen=True)
class ImageRequest:
    raw: str  # the value as the file wrote it
    source_file: str  # the episode or person file that names it
    slug: str
    slot: str  # "image" (a cover) or "picture"
    images_root: str | None = None


@dataclass(frozen=True)
class ImageResult:
    name: str = ""  # the stored name, when the file was found and is an image
    width: int | None = None
    height: int | None = None
    warning: str = ""
    written: bool = False  # False when storage had it already (or a dry run)


def archive_root(source_file):
    """The folder holding ``_podcast``/``_people`` that the file is in, else the file's own folder."""
    return Path(_archive_root(os.path.dirname(os.path.abspath(source_file))))


@functools.lru_cache(maxsize=256)
def _archive_root(folder):
    # Cached per folder: a whole archive's files share two folders (an unchanged re-import asks 600 times).
    path = folder
    while True:
        parent, name = os.path.split(path)
        if name in ARCHIVE_FOLDERS:
            return parent
        if parent == path:
            return folder
        path = parent


def candidate_paths(raw, source_file, images_root=None):
    """Where the file named ``raw`` may be, most likely first; never outside the root (no ``../`` escapes)."""
    root, found = _candidates(raw, source_file, images_root)
    return Path(root), [Path(path) for path in found]


def _candidates(raw, source_file, images_root):
    """``candidate_paths`` as strings (an unchanged re-import asks for 600)."""
    written = raw.strip().replace("\\", "/")
    # "images/authors/ aashishnair.jpg": blanks around a path's parts are usually typing slips,
    # but that real file does start with a blank: the path as written is tried first.
    tidied = "/".join(part.strip() for part in written.split("/"))
    relatives = [path.lstrip("/") for path in dict.fromkeys([written, tidied])]  # "/images/x.jpg": from the root
    if images_root:
        root = os.path.normpath(os.path.abspath(images_root))
        # DIR may hold the "images" folder, or be it: "images/podcast/x.jpg" is then DIR/podcast/x.jpg.
        relatives += [path.split("/", 1)[1] for path in relatives if "/" in path]
    else:
        root = _archive_root(os.path.dirname(os.path.abspath(source_file)))
    inside = root.rstrip(os.sep) + os.sep
    found = []
    for relative in dict.fromkeys(relatives):
        path = os.path.normpath(os.path.join(root, relative))
        if path.startswith(inside):
            found.append(path)
    return root, found


def _first_file(paths):
    """The first of ``paths`` that is a file (a Path), with its stat, or (None, None)."""
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            return Path(path), info
    return None, None


def inspect_and_store(request, store=True, storage=None):
    """Find, read, check and (unless ``store`` is false) store one image; an ImageResult, never an exception."""
    slot = images.COVER if request.slot == images.COVER.field else images.PORTRAIT
    what = f"{slot.label} {request.raw!r}"
    if "://" in request.raw:
        return ImageResult(warning=f"{what} is a web address; images are read from the archive's files")
    root, paths = _candidates(request.raw, request.source_file, request.images_root)
    path, _info = _first_file(paths)
    if path is None:
        return ImageResult(warning=f"{what}: no such file in {root}")
    storage = storage or default_storage
    try:
        images.check_size(path.stat().st_size)
        data = path.read_bytes()
        info = images.inspect_image(data, decode=False)
        name = images.stored_name(slot, request.slug, images.content_digest(data), info)
        # Stored under its content's name already: it was decoded then. Otherwise decode it now.
        if not storage.exists(name):
            images.inspect_image(data)
            written = store and images.save_once(storage, name, data)
        else:
            written = False
    except images.ImageError as e:
        return ImageResult(warning=f"{what} ({path}) {e}; not used")
    except OSError as e:
        return ImageResult(warning=f"{what} ({path}) cannot be read or stored: {e.strerror or e}")
    return ImageResult(name, info.width, info.height, written=written)


# --- the import's images, in a worker process -------------------------------------

_worker_storage = None


def _start_worker():
    global _worker_storage
    gc.disable()
    # A fresh storage object: the parent's may hold connections (S3) that a forked process must not share.
    _worker_storage = storages.create_storage(storages.backends["default"])


def _work(request, store):
    return inspect_and_store(request, store, _worker_storage)


class ImportImages:
    """The images of one import run: ``submit`` each as its file is read, ``result`` when its row is written.

    Nothing starts before ``start()``, which the importer calls once the episode files are parsed:
    until then the parse workers have every core. From then on the main process writes rows on one
    core and a worker process does the images on another, covers first (the rows being written wait
    for them), then pictures (given to the people at the end of the run).
    """

    def __init__(self, *, images_root=None, store=True, background=True):
        self.images_root = str(images_root) if images_root else None
        self.store = store  # False in a dry run: check everything, store nothing
        self.background = background
        self._pool = None
        self._waiting = {}  # key -> ImageRequest, until start()
        self._pending = {}  # key -> (ImageRequest, Future)
        self.written = 0

    def submit(self, key, raw, source_file, slug, slot):
        """The image of ``key`` (the row it belongs to), to do once started; nothing for an empty value."""
        if raw:
            self._waiting[key] = ImageRequest(raw, str(source_file), slug, slot, self.images_root)

    def start(self):
        """Start on the images submitted so far: in a worker process when there are enough to pay for one."""
        if not self._waiting:
            return
        requests = sorted(self._waiting.items(), key=lambda item: item[1].slot != images.COVER.field)
        self._waiting = {}
        if self.background and self._pool is None and len(requests) >= MIN_IMAGES_FOR_WORKER:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"), initializer=_start_worker)
        for key, request in requests:
            if self._pool is None:
                future = Future()
                future.set_result(inspect_and_store(request, self.store))
            else:
                future = self._pool.submit(_work, request, self.store)
            self._pending[key] = (request, future)

    def result(self, key):
        """The ImageResult of ``key``'s image, or None when it had none (an empty value)."""
        self.start()
        if key not in self._pending:
            return None
        request, future = self._pending.pop(key)
        try:
            result = future.result()
        except BrokenProcessPool:
            self._pool, self.background = None, False  # the worker died: carry on in this process
            result = inspect_and_store(request, self.store)
        self.written += result.written
        return result

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def apply(instance, result, raw, warnings):
    """Set the instance's cover or picture from the import's ImageResult (the caller saves); True if it changed.

    An empty value in the file removes the image. A file that cannot be used leaves the
    current image in place, with a warning saying so.
    """
    slot = images.slot_for(instance)
    before = (slot.name(instance), *slot.size(instance))
    if not raw:
        slot.clear(instance)
    elif result is None or not result.name:
        kept = f"; kept the current {slot.label}" if before[0] else ""
        warnings.append(f"{result.warning if result else slot.label + ' not read'}{kept}")
    else:
        slot.assign(instance, result.name, result.width, result.height)
    return (slot.name(instance), *slot.size(instance)) != before


def refresh_replaced(results, model, source_key, import_images):
    """Give rows of unchanged files the image that replaced theirs in the archive; returns how many changed.

    An unchanged episode or person file is not read again, yet the image it names may have been
    replaced (same path, another picture). An image file modified after its row's import is checked
    and stored like any other; its row is updated and its file's result becomes "updated". An image
    an editor replaced in the admin since is left alone, like any other edit.
    """
    from .importer import UNCHANGED, UPDATED
    from .source_layout import decode, record_stored

    slot = images.slot_for(model)
    by_path = {str(result.path): result for result in results if result.outcome == UNCHANGED}
    unchanged = {key: by_path[path] for key, path in _source_keys(source_key, by_path).items()}
    if not unchanged:
        return 0
    rows = model.objects.exclude(source_path="").values_list(
        "pk", "source_path", "imported_at", slot.field, f"source_layout__raw__{slot.field}",
        f"source_layout__stored__{slot.field}",
    )  # fmt: skip
    changed = 0
    for pk, source_path, imported_at, name, raw, stored in rows:
        if source_path not in unchanged:
            continue
        raw = decode(raw) if raw is not None else None
        if not isinstance(raw, str) or not raw.strip() or (stored is not None and stored != name):
            continue  # no image, or one an editor chose
        path, info = _first_file(_candidates(raw, source_path, import_images.images_root)[1])
        if path is None or (imported_at and info.st_mtime <= imported_at.timestamp()):
            continue
        row = model.objects.get(pk=pk)
        request = ImageRequest(raw, source_path, row.slug, slot.field, import_images.images_root)
        result = inspect_and_store(request, import_images.store)
        file_result = unchanged[source_path]
        if not result.name or not apply(row, result, raw, file_result.warnings):
            continue
        record_stored(row.source_layout, slot.field, result.name)
        row.save(update_fields=[*slot.fields(), "source_layout"])
        file_result.outcome = UPDATED
        file_result.warnings.append(f"{slot.label} {raw!r} was replaced since the last import: now {result.name}")
        import_images.written += result.written
        changed += 1
    return changed


def _source_keys(source_key, paths):
    """{source_key(path): path} for ``paths``; the importer's own key (the resolved path) resolves each
    folder once, not each file: a whole archive's files share two folders."""
    from .importer import source_key as resolved_path

    if source_key is not resolved_path:
        return {source_key(path): path for path in paths}
    folders, keys = {}, {}
    for path in map(str, paths):
        if os.path.islink(path):
            keys[source_key(path)] = path
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in folders:
            folders[folder] = str(Path(folder).resolve())
        keys[os.path.join(folders[folder], os.path.basename(path))] = path
    return keys
