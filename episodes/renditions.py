"""Making the renditions of every cover and picture that lacks them, on all cores.

Resizing and encoding WebP is the costly part of images (tens of milliseconds a cover), so it is
a step of its own, after the import (``import_episodes`` runs it at the end, ``make_renditions``
runs it alone), and not part of writing the rows. Until an image has its renditions, pages show
the original. An admin upload makes its own at once (episodes/image_admin.py).
"""

from __future__ import annotations

import gc
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

from django.core.files.storage import default_storage, storages
from django.db import transaction

from . import images
from .cache import content_changed
from .models import Episode, Guest

MIN_JOBS_FOR_WORKERS = 8


@dataclass(frozen=True)
class Job:
    model: str  # "episode" or "guest"
    pk: int
    name: str
    width: int | None
    height: int | None


@dataclass
class RenditionReport:
    images: int = 0  # images given renditions
    files_written: int = 0
    failures: list[str] = field(default_factory=list)  # "name: why"


def pending_jobs():
    """Every stored cover and picture whose renditions are missing or were made from another file (two queries)."""
    jobs = []
    for label, model in (("episode", Episode), ("guest", Guest)):
        slot = images.slot_for(model)
        rows = model.objects.exclude(**{slot.field: ""}).values_list(
            "pk", slot.field, slot.width_field, slot.height_field, slot.renditions_field
        )
        jobs.extend(
            Job(label, pk, name, width, height)
            for pk, name, width, height, renditions in rows
            if (renditions or {}).get("of") != name
        )
    return jobs


_storage = None


def _start_worker():
    global _storage
    gc.disable()
    _storage = storages.create_storage(storages.backends["default"])  # not the parent's connections


def run_job(job, storage=None):
    """(job, plan, width, height, files written, error): never raises, so one bad file stops nothing."""
    storage = storage or _storage or default_storage
    slot = images.COVER if job.model == "episode" else images.PORTRAIT
    try:
        width, height = job.width, job.height
        if not width or not height:  # set by code that did not record the size: read it once
            with storage.open(job.name, "rb") as file:
                info = images.inspect_image(file.read())
            width, height = info.width, info.height
        plan, written = images.make_renditions(slot, storage, job.name, width, height)
    except (OSError, images.ImageError, ValueError) as e:
        return job, None, None, None, 0, f"{job.name}: no renditions made ({e})"
    return job, plan, width, height, written, ""


def make_missing_renditions(jobs=None, workers=None):
    """Make what ``pending_jobs()`` lists, in worker processes when there are many; updates the rows."""
    jobs = pending_jobs() if jobs is None else jobs
    report = RenditionReport()
    if not jobs:
        return report
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers > 1 and len(jobs) >= MIN_JOBS_FOR_WORKERS:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_start_worker) as pool:
            results = list(pool.map(run_job, jobs, chunksize=4))
    else:
        results = [run_job(job) for job in jobs]
    _save(results, report)
    return report


def _save(results, report):
    """Keep each plan on its row, unless the row now holds another image (replaced meanwhile)."""
    updates = {"episode": [], "guest": []}
    for job, plan, width, height, written, error in results:
        report.files_written += written
        if error:
            report.failures.append(error)
            continue
        updates[job.model].append((job, plan, width, height))
    with transaction.atomic():
        for label, model in (("episode", Episode), ("guest", Guest)):
            slot = images.slot_for(model)
            wanted = {job.pk: (job, plan, width, height) for job, plan, width, height in updates[label]}
            current = dict(model.objects.filter(pk__in=wanted).values_list("pk", slot.field))
            rows = []
            for pk, (job, plan, width, height) in wanted.items():
                if current.get(pk) != job.name:
                    continue
                row = model(pk=pk, **{slot.field: job.name})
                setattr(row, slot.renditions_field, plan)
                setattr(row, slot.width_field, width)
                setattr(row, slot.height_field, height)
                rows.append(row)
            images.save_image_columns(model, rows)
            report.images += len(rows)
    if report.images:
        content_changed()  # bulk_update sends no signal; pages now show the renditions
