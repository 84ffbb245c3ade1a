"""Covers and portraits in pages: ``{% picture episode "card" %}``.

A role says how big the image is shown (``sizes``, so the browser picks the smallest WebP that is
sharp enough), its class, and how many of it are near the top of a page: those load at once,
the rest lazily. Everything comes from the row (episodes/images.py): no query, no storage access.
"""

from dataclasses import dataclass

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from ..images import picture_for, picture_html

register = template.Library()


@dataclass(frozen=True)
class Role:
    sizes: str  # the rendered width, as in the stylesheet (static/episodes/css/site.css)
    css_class: str = ""
    eager: int = 0  # the first this many on a page are above the fold: not lazy
    fetchpriority: str = ""
    portrait: bool = False  # a guest: a silhouette when there is no picture
    placeholder_size: int = 0
    alt_names_guest: bool = False  # "Photo of <name>", where the name is not written beside it


ROLES = {
    # Phones: a 7.5rem thumbnail beside the title; wider screens: grid cards of 16–22rem.
    "card": Role("(max-width: 40rem) 7.5rem, 22rem", "card__image", eager=4),
    # The video's poster: the page's main image, the whole main column (54rem at most).
    "poster": Role("(min-width: 64rem) 54rem, 100vw", "player__poster", eager=1, fetchpriority="high"),
    "guest-list": Role("3rem", eager=12, portrait=True, placeholder_size=64),
    "guest": Role(
        "(max-width: 40rem) 4rem, 6rem", "person__picture", portrait=True, placeholder_size=96, alt_names_guest=True
    ),
    "profile": Role("8rem", "person__picture", eager=1, portrait=True, placeholder_size=128, alt_names_guest=True),
}


def _loading(context, role_name, role):
    """ "eager" for the first ``role.eager`` images of a role in this page's rendering, then "lazy"."""
    # The render context lives as long as the page's rendering, included templates and all.
    counts = context.render_context.__dict__.setdefault("_picture_counts", {})
    position = counts.get(role_name, 0)
    counts[role_name] = position + 1
    return "eager" if position < role.eager else "lazy"


@register.simple_tag(takes_context=True)
def picture(context, instance, role_name, alt=None, loading=None):
    """The <picture> of an episode's cover or a guest's portrait as ``role_name`` shows it; "" for no cover."""
    role = ROLES[role_name]
    loading = loading or _loading(context, role_name, role)
    if alt is None:
        alt = f"Photo of {instance.name}" if role.alt_names_guest else ""
    found = picture_for(instance)
    if found is None:
        if not role.portrait:
            return ""
        size = role.placeholder_size
        return format_html(
            '<img src="{}"{} alt="{}" width="{}" height="{}" loading="{}">',
            static("episodes/img/person.svg"),
            format_html(' class="{}"', role.css_class) if role.css_class else "",
            alt,
            size,
            size,
            loading,
        )
    fetchpriority = role.fetchpriority if loading == "eager" else ""
    return picture_html(
        found, sizes=role.sizes, alt=alt, css_class=role.css_class, loading=loading, fetchpriority=fetchpriority
    )
