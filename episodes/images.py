"""Episode covers and guest portraits: checking image files, storing them, and their renditions.

An original is stored under a name made from its owner's slug and its content hash
(``covers/<slug>-<hash12>.jpg``), so a name never changes content: storing the same file
again writes nothing, and every media URL can be cached for good. Its renditions (WebP at
three widths, plus a JPEG fallback) are named by that hash and their width
(``r/<hash12>-360w.webp``): short, as a list page names dozens of them.

Pages never touch storage: the owner's row keeps the original's width and height and, in
``<field>_renditions``, the renditions' names and sizes::

    {"of": "covers/x-1a2b3c4d5e6f.jpg",
     "webp": [[240, 140, "r/1a2b3c4d5e6f-240w.webp"], ...],
     "jpeg": [[940, 550, "covers/x-1a2b3c4d5e6f.jpg"]]}

``of`` says which original they were made from; renditions of another one are ignored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import connection
from django.utils.html import format_html
from django.utils.text import slugify
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format name -> the extension a stored file gets.
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_SIDE = 6000
RENDITIONS_FOLDER = "r"
HASH_LENGTH = 12  # hex digits of the content's sha256 in a stored name: 48 bits, no collision in practice
# A stored original or rendition: its name changes whenever its content does (cacheable for good).
HASHED_NAME = re.compile(r"(?:-|^r/)([0-9a-f]{12})(?:-\d+w)?\.(?:jpg|png|webp)$")
# libwebp's effort: its best for the small copies phones fetch; less for the large ones, a third
# faster to make for 3% more bytes.
WEBP_OPTIONS = {"quality": 75, "method": 4}
WEBP_LARGE_OPTIONS = {"quality": 75, "method": 2}
WEBP_LARGE = 480
JPEG_OPTIONS = {"quality": 82, "optimize": True, "progressive": True}
_EXIF_ORIENTATION = 0x0112
_TURNED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
LANCZOS = Image.Resampling.LANCZOS


class ImageError(ValueError):
    """A file that is not an acceptable image; the message says why (the caller names the file)."""


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "JPEG", "PNG" or "WEBP"
    width: int  # as shown: after the EXIF orientation that browsers apply
    height: int

    @property
    def extension(self):
        return ALLOWED_FORMATS[self.format]


def content_digest(data):
    return hashlib.sha256(data).hexdigest()


def describe_size(size):
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def check_size(size):
    if size > MAX_IMAGE_BYTES:
        raise ImageError(f"is {describe_size(size)}; at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB is accepted")


def inspect_image(data, decode=True):
    """The ImageInfo of ``data``, decoded with Pillow, or ImageError: not JPEG/PNG/WebP, damaged, too big.

    ``decode=False`` reads the header only (format and size): for a file known to be stored already.
    """
    check_size(len(data))
    try:
        with Image.open(BytesIO(data)) as image:
            if image.format not in ALLOWED_FORMATS:
                raise ImageError(f"is a {image.format} image; only JPEG, PNG and WebP are accepted")
            width, height = image.size
            if max(width, height) > MAX_IMAGE_SIDE:
                raise ImageError(
                    f"is {width:,} × {height:,} pixels; at most {MAX_IMAGE_SIDE:,} pixels on a side are accepted"
                )
            if decode and image.format == "JPEG":
                # Decoding at 1/8 scale still reads every block of the file, in half the time.
                image.draft(None, (max(1, width // 8), max(1, height // 8)))
            if decode:
                image.load()  # a truncated or corrupt file fails here, not in a reader's browser
            turned = image.getexif().get(_EXIF_ORIENTATION) in _TURNED
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("is not a JPEG, PNG or WebP image (it cannot be decoded as an image)") from None
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        raise ImageError(f"is a damaged image ({e})") from None
    return ImageInfo(image.format, *((height, width) if turned else (width, height)))


# --- where each image lives ---------------------------------------------------


@dataclass(frozen=True)
class ImageSlot:
    """An image field of a model, with the columns that go with it."""

    field: str
    width_field: str
    height_field: str
    renditions_field: str
    folder: str  # the field's upload_to, without the slash
    webp_widths: tuple  # the widths pages choose from (capped at the original's width)
    label: str  # what messages call it

    def name(self, instance):
        return getattr(instance, self.field).name or ""

    def size(self, instance):
        return getattr(instance, self.width_field), getattr(instance, self.height_field)

    def renditions(self, instance):
        """The renditions of the current original, or {} when there are none (yet)."""
        renditions = getattr(instance, self.renditions_field) or {}
        name = self.name(instance)
        return renditions if name and renditions.get("of") == name else {}

    def storage(self, instance):
        return getattr(instance, self.field).storage

    def assign(self, instance, name, width, height):
        """Point the field at a stored original (keeping its renditions when it is the same file)."""
        if name != self.name(instance):
            setattr(instance, self.renditions_field, {})
        setattr(instance, self.field, name)
        setattr(instance, self.width_field, width)
        setattr(instance, self.height_field, height)

    def clear(self, instance):
        self.assign(instance, "", None, None)

    def fields(self):
        return [self.field, self.width_field, self.height_field, self.renditions_field]


# Covers: 240 and 360 for phones' 7.5rem thumbnails (2x, 3x) and 1x cards, 960 for 2x cards and the poster.
COVER = ImageSlot("image", "image_width", "image_height", "image_renditions", "covers", (240, 360, 960), "cover")
PORTRAIT = ImageSlot(
    "picture", "picture_width", "picture_height", "picture_renditions", "people", (64, 128, 256), "picture"
)


def slot_for(model):
    """The ImageSlot of an Episode or Guest (class or instance)."""
    from .models import Episode, Guest

    model = model if isinstance(model, type) else type(model)
    return {Episode: COVER, Guest: PORTRAIT}[model]


def stored_name(slot, slug, digest, info):
    """The stable name of an original: folder, owner, content hash, extension from the format."""
    stem = slugify(slug)[:150] or slot.label
    return f"{slot.folder}/{stem}-{digest[:HASH_LENGTH]}.{info.extension}"


def save_once(storage, name, data):
    """Save ``data`` as ``name`` unless a file of that name is there already; True when written.

    Names carry the content's hash, so a file of that name holds these bytes.
    """
    if storage.exists(name):
        return False
    saved = storage.save(name, ContentFile(data))
    if saved != name:  # another process stored it meanwhile; keep one copy
        storage.delete(saved)
    return True


def store_image(instance, data, slug=None):
    """Check ``data``, store it as the instance's image (cover or picture) and set the fields; no DB write.

    Raises ImageError, with nothing stored, when ``data`` is not an acceptable image.
    """
    slot = slot_for(instance)
    info = inspect_image(data)
    name = stored_name(slot, slug or instance.slug, content_digest(data), info)
    save_once(slot.storage(instance), name, data)
    slot.assign(instance, name, info.width, info.height)
    return info


def save_image_columns(model, rows, extra_fields=()):
    """UPDATE the image columns (and ``extra_fields``) of ``rows`` with one executemany.

    bulk_update's CASE WHEN statements take a tenth of a second per few hundred rows; the
    import and the renditions step update that many at once.
    """
    if not rows:
        return
    slot = slot_for(model)
    fields = [model._meta.get_field(name) for name in [*slot.fields(), *extra_fields]]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Names from the model's metadata, quoted; values are parameters.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    params = [
        [*(field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields), row.pk] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- renditions -------------------------------------------------------------------


def rendition_name(name, width, extension):
    """``r/<the original's content hash>-<width>w.<extension>``; a name without a hash is hashed itself."""
    found = HASHED_NAME.search(name)
    key = found.group(1) if found else hashlib.sha256(name.encode()).hexdigest()[:HASH_LENGTH]
    return f"{RENDITIONS_FOLDER}/{key}-{width}w.{extension}"


def plan_renditions(slot, name, width, height):
    """What renditions an original gets: {"of", "webp": [[w, h, name]...], "jpeg": [[w, h, name]]}.

    WebP at the slot's widths, none wider than the original; one JPEG for browsers without
    WebP and for link previews, at the largest width: the original itself when it is a
    JPEG no wider than that.
    """
    widths = sorted({min(target, width) for target in slot.webp_widths})

    def size(target):
        return [target, max(1, round(height * target / width))]

    largest = widths[-1]
    if name.lower().endswith((".jpg", ".jpeg")) and largest == width:
        jpeg = [width, height, name]
    else:
        jpeg = [*size(largest), rendition_name(name, largest, "jpg")]
    return {
        "of": name,
        "webp": [[*size(target), rendition_name(name, target, "webp")] for target in widths],
        "jpeg": [jpeg],
    }


def make_renditions(slot, storage, name, width, height):
    """Write the renditions of an original that are not in storage yet; returns (their plan, files written).

    Generated once: a rendition already stored is never made again. The plan is the JSON to keep.
    """
    plan = plan_renditions(slot, name, width, height)
    wanted = [
        (fmt, w, h, rendition)
        for fmt in ("webp", "jpeg")
        for w, h, rendition in plan[fmt]
        if rendition != name and not storage.exists(rendition)
    ]
    if not wanted:
        return plan, 0
    with storage.open(name, "rb") as file:
        data = file.read()
    with Image.open(BytesIO(data)) as image:
        largest = max(w for _, w, _, _ in wanted)
        if image.format == "JPEG":
            image.draft(None, (largest, largest))  # decode at the smallest scale that is still big enough
        icc_profile = image.info.get("icc_profile")
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        for fmt, w, h, rendition in wanted:
            resized = (
                image if (w, h) == image.size else image.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
            )
            out = BytesIO()
            if fmt == "webp":
                options = WEBP_LARGE_OPTIONS if w > WEBP_LARGE else WEBP_OPTIONS
                resized.save(out, "WEBP", icc_profile=icc_profile, **options)
            else:
                _flatten(resized).save(out, "JPEG", icc_profile=icc_profile, **JPEG_OPTIONS)
            save_once(storage, rendition, out.getvalue())
    return plan, len(wanted)


def _has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _flatten(image):
    """JPEG has no transparency: put a transparent image on white."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def renditions_for(instance):
    """Make the instance's missing renditions and set its renditions field (the caller saves)."""
    slot = slot_for(instance)
    name = slot.name(instance)
    width, height = slot.size(instance)
    if not name or not width or not height:
        setattr(instance, slot.renditions_field, {})
        return {}
    plan, _written = make_renditions(slot, slot.storage(instance), name, width, height)
    setattr(instance, slot.renditions_field, plan)
    return plan


# --- what pages show ------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    """An image as a page shows it: fallback source and size, and the WebP candidates."""

    src: str
    width: int | None
    height: int | None
    webp_srcset: str = ""


def picture_for(instance, storage=None):
    """The Picture of an episode's cover or a guest's portrait, or None when there is none; never touches storage."""
    slot = slot_for(instance)
    name = slot.name(instance)
    if not name:
        return None
    storage = storage or slot.storage(instance)
    renditions = slot.renditions(instance)
    width, height = slot.size(instance)
    if not renditions:
        return Picture(storage.url(name), width, height)
    webp = ", ".join(f"{storage.url(rendition)} {w}w" for w, _, rendition in renditions["webp"])
    return Picture(storage.url(renditions["jpeg"][-1][2]), width, height, webp)


def thumbnail(instance):
    """(url, width, height) of the smallest copy of the image (the admin's previews), or None."""
    slot = slot_for(instance)
    name = slot.name(instance)
    if not name:
        return None
    renditions = slot.renditions(instance)
    width, height, name = renditions["webp"][0] if renditions else (*slot.size(instance), name)
    return slot.storage(instance).url(name), width, height


def share_image(instance):
    """(name, width, height) of the JPEG that link previews and feeds get (Open Graph, JSON-LD), or None."""
    slot = slot_for(instance)
    name = slot.name(instance)
    if not name:
        return None
    renditions = slot.renditions(instance)
    if renditions:
        width, height, name = renditions["jpeg"][-1]
        return name, width, height
    return (name, *slot.size(instance))


def picture_html(picture, *, sizes, alt="", css_class="", loading="lazy", fetchpriority=""):
    """<picture> with WebP candidates and the JPEG fallback, or a plain <img> when there are no renditions."""
    width_height = format_html(' width="{}" height="{}"', picture.width, picture.height) if picture.width else ""
    img = format_html(
        '<img src="{}"{}{} alt="{}" loading="{}"{}{}>',
        picture.src,
        width_height,
        format_html(' class="{}"', css_class) if css_class else "",
        alt,
        loading,
        format_html(' decoding="{}"', "async") if loading == "lazy" else "",
        format_html(' fetchpriority="{}"', fetchpriority) if fetchpriority else "",
    )
    if not picture.webp_srcset:
        return img
    return format_html(
        '<picture><source type="image/webp" srcset="{}" sizes="{}">{}</picture>', picture.webp_srcset, sizes, img
    )
