"""Importing uploaded episode files from the admin: the same Importer, messages and summary as the command.

The files (or a zip of them) are unpacked into a temporary folder
(``uploads.unpack``, which refuses unsafe zips as a whole) and imported from
there; the folder is removed afterwards. Each episode the import creates or
changes gets an entry in the admin history, under the editor who uploaded it.
"""

import tempfile
from dataclasses import replace

from django import forms
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from . import uploads
from .import_messages import ERROR, SUMMARY, WARNING, report_messages
from .importer import CREATED, UPDATED, Importer
from .models import Episode

IGNORED_SHOWN = 20  # names of ignored zip members listed; the rest are counted


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); cleans to a list."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class ImportForm(forms.Form):
    files = MultipleFileField(
        required=False,
        help_text="Episode files (.md, .yaml, .yml, .txt); choose several at once. "
        "Up to 100 per upload: use a zip for more.",
        widget=MultipleFileInput(attrs={"accept": ",".join(sorted(uploads.EPISODE_SUFFIXES))}),
    )
    archive = forms.FileField(
        label="Zip",
        required=False,
        help_text="A zip of episode files, in folders or not: a _people folder in it is read for guest profiles, "
        "and an images folder beside _podcast and _people for their covers and pictures.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    dry_run = forms.BooleanField(
        label="Dry run", required=False, initial=True, help_text="Check everything and show the outcome; write nothing."
    )
    overwrite_edits = forms.BooleanField(
        label="Overwrite edits",
        required=False,
        help_text="Take a changed file's version even where the episode was edited in the admin since its last "
        "import (--overwrite-edits). Without it such files are reported as a conflict and left alone.",
    )
    include_drafts = forms.BooleanField(
        label="Include drafts",
        required=False,
        help_text="Import files whose name starts with _ as drafts (--include-drafts).",
    )

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("files") and not cleaned_data.get("archive"):
            raise forms.ValidationError("Choose episode files or a zip to import.")
        archive = cleaned_data.get("archive")
        limit = uploads.Limits.from_settings().max_total_bytes
        if archive is not None and archive.size > limit:
            self.add_error("archive", f"{archive.name} is {archive.size:,} bytes, over the {limit:,}-byte limit.")
        return cleaned_data


def urls(model_admin):
    view = model_admin.admin_site.admin_view(lambda request: import_view(model_admin, request))
    return [path("import/", view, name="episodes_episode_import")]


def can_import(model_admin, request):
    return model_admin.has_add_permission(request) and model_admin.has_change_permission(request)


def import_view(model_admin, request):
    if not can_import(model_admin, request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Import episode files",
    }
    if request.method != "POST":
        return TemplateResponse(request, "admin/episodes/episode/import.html", {**context, "form": ImportForm()})
    # More than DATA_UPLOAD_MAX_NUMBER_FILES (100) files is refused by Django itself (400); the form says so.
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        context.update(run_upload(request, form.cleaned_data, form))
    context["form"] = form
    return TemplateResponse(request, "admin/episodes/episode/import.html", context)


def run_upload(request, data, form):
    """Unpack and import the upload; returns the template's result context (empty when the upload is refused)."""
    with tempfile.TemporaryDirectory(prefix="podcast-upload-") as folder:
        try:
            upload = uploads.unpack(folder, files=data["files"], archive=data["archive"])
        except uploads.UploadError as e:
            form.add_error(None, str(e))
            return {}
        importer = Importer(
            include_drafts=data["include_drafts"],
            dry_run=data["dry_run"],
            overwrite_edits=data["overwrite_edits"],
            source_key=upload.source_key,
            parse_in_workers=False,
        )
        report = importer.run(upload.paths)
        messages = [
            replace(message, text=upload.hide_folder(message.text))
            for message in report_messages(report, verbosity=3, dry_run=data["dry_run"], name=upload.shown_name)
        ]
        if not data["dry_run"]:
            log_changes(request.user, report, upload)
    return {
        "dry_run": data["dry_run"],
        "ok": report.ok,
        "summaries": [message.text for message in messages if message.level == SUMMARY],
        "problems": [message for message in messages if message.level == ERROR],
        "warnings": [message.text for message in messages if message.level == WARNING],
        "outcomes": [message for message in messages if message.level not in (ERROR, WARNING, SUMMARY)],
        "ignored": upload.ignored[:IGNORED_SHOWN],
        "ignored_more": max(0, len(upload.ignored) - IGNORED_SHOWN),
    }


def uploaded_name(source_path):
    return source_path.removeprefix(uploads.UPLOAD_PREFIX)


def log_changes(user, report, upload):
    """One admin-history entry per episode the upload created or changed (two queries in all)."""
    flags = {
        upload.source_key(result.path): ADDITION if result.outcome == CREATED else CHANGE
        for result in report.episodes
        if result.outcome in (CREATED, UPDATED)
    }
    if not flags:
        return
    content_type = ContentType.objects.get_for_model(Episode)
    entries = [
        LogEntry(
            user_id=user.pk,
            content_type_id=content_type.pk,
            object_id=str(episode.pk),
            object_repr=str(episode)[:200],
            action_flag=flags[episode.source_path],
            change_message=f"Imported from the uploaded file {uploaded_name(episode.source_path)}.",
        )
        for episode in Episode.objects.filter(source_path__in=flags).only(
            "pk", "season", "number", "title", "source_path"
        )
    ]
    LogEntry.objects.bulk_create(entries)
