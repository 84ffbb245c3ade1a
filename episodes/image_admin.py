"""Uploading or replacing a cover or a portrait in the admin, with a thumbnail of the current one.

An upload is checked before anything is stored: a real JPEG, PNG or WebP (decoded with
Pillow, whatever its name says), at most 10 MB and 6,000 pixels on a side. Anything else is
refused with a message naming the file. A valid file is stored only when the whole page
saves (``save_model``), under its content-hash name, and its renditions are made at once.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from . import images

ACCEPT = "image/jpeg,image/png,image/webp"
PREVIEW_WIDTH = 240
LIST_WIDTH = 64


def _scaled(width, height, target):
    """(width, height) attributes showing an image ``target`` pixels wide, keeping its shape."""
    if not width or not height:
        return target, target
    return target, max(1, round(height * target / width))


def thumbnail_html(instance, target):
    """An <img> of the instance's image, ``target`` pixels wide, or "" when it has none."""
    found = images.thumbnail(instance)
    if found is None:
        return ""
    url, width, height = found
    shown_width, shown_height = _scaled(width, height, target)
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="" loading="lazy" decoding="async">', url, shown_width, shown_height
    )


class ImagePreviewInput(forms.ClearableFileInput):
    """The file input, under a thumbnail of the current image that links to the original."""

    def __init__(self, attrs=None):
        super().__init__({"accept": ACCEPT, **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        field = super().render(name, value, attrs, renderer)
        instance = getattr(value, "instance", None)
        if not value or instance is None:
            return field
        width, height = images.slot_for(instance).size(instance)
        size = format_html("{} × {} pixels", width, height) if width else ""
        return format_html(
            '<div class="image-preview"><a href="{}">{}</a><div>{}</div></div>{}',
            value.url,
            thumbnail_html(instance, PREVIEW_WIDTH),
            size,
            field,
        )


class ImageUploadField(forms.FileField):
    """A cover or portrait: checked by decoding it, so a renamed text file or an oversized image is refused."""

    widget = ImagePreviewInput

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        try:
            images.check_size(upload.size)
            upload.seek(0)
            content = upload.read()
            info = images.inspect_image(content)
        except images.ImageError as e:
            raise ValidationError(f"“{upload.name}” {e}.", code="invalid_image") from None
        upload.seek(0)
        upload.image_content, upload.image_info = content, info
        return upload


class ImageAdminMixin:
    """For the admin of Episode (cover) or Guest (portrait): checked uploads, a preview, a list thumbnail."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == images.slot_for(self.model).field:
            return db_field.formfield(form_class=ImageUploadField, widget=ImagePreviewInput, **kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        slot = images.slot_for(obj)
        if slot.field in form.changed_data:
            upload = form.cleaned_data.get(slot.field)
            if upload and hasattr(upload, "image_content"):
                # Stored now that the whole page is valid; the renditions are made at once.
                images.store_image(obj, upload.image_content)
                images.renditions_for(obj)
            elif not upload:  # "Clear" ticked
                slot.clear(obj)
        super().save_model(request, obj, form, change)

    @admin.display(description="image")
    def thumbnail(self, obj):
        return thumbnail_html(obj, LIST_WIDTH) or "—"
