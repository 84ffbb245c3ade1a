"""Absolute URLs of episode covers and guest pictures, for feeds and the API.

The one place that says which file of an image the outside world gets: the JPEG that
``images.share_image`` picks (the original when it is a JPEG of a sensible size, else a
JPEG rendition at most 960 pixels wide), which every feed reader and link preview can show.
"""

from . import images


def absolute_file_url(request, field_file):
    """The absolute URL of an image field's file, or "" when there is none."""
    return request.build_absolute_uri(field_file.url) if field_file else ""


def share_image(request, instance):
    """(absolute URL, width, height) of an episode's cover or a guest's picture for the outside world, or None."""
    found = images.share_image(instance)
    if found is None:
        return None
    name, width, height = found
    return request.build_absolute_uri(images.slot_for(instance).storage(instance).url(name)), width, height


def episode_image_url(request, episode):
    found = share_image(request, episode)
    return found[0] if found else ""


def guest_picture_url(request, guest):
    found = share_image(request, guest)
    return found[0] if found else ""
