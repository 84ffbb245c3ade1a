"""Old links keep working: the static site's paths, and the names an episode had before.

``SlugHistory`` holds every name an episode was known by: the stem of each file it
was imported from (recorded by the importer) and each slug it had before an
editor or a renamed file changed it. Only published episodes are redirected to.
"""

from pathlib import Path

from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from .models import Episode, Guest, SlugHistory

_NAME_LENGTH = SlugHistory._meta.get_field("slug").max_length


def file_stems(path):
    """The names the static site published a file under: ``x.md`` gives x; ``x.md.md`` gives x.md and x."""
    name = Path(path).name
    return [stem for stem in dict.fromkeys([Path(name).stem, name.split(".", 1)[0]]) if stem]


def record_names(episode, names):
    """Remember ``names`` as leading to ``episode`` (one query; a name another episode had moves here)."""
    rows = [
        SlugHistory(episode=episode, slug=name) for name in dict.fromkeys(names) if name and len(name) <= _NAME_LENGTH
    ]
    if rows:
        SlugHistory.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["slug"], update_fields=["episode", "recorded_at"]
        )


def record_import(episode, path, previous_slug=""):
    """The importer's hook: the file's stems, and the slug the episode had if the file changed it."""
    record_names(episode, [*file_stems(path), previous_slug if previous_slug != episode.slug else ""])


def record_slug_change(episode, old_slug):
    """The admin's hook: an editor changed the slug, so the old one must still lead here."""
    if old_slug and old_slug != episode.slug:
        record_names(episode, [old_slug])


def _published_by_old_name(name):
    return Episode.objects.published().filter(slug_history__slug=name).only("slug").first()


def redirect_from_old_slug(slug, url_name, **kwargs):
    """A 301 from a URL with an episode's old slug to the same URL with its slug now; 404 if no episode had it.

    Called only once the slug has not been found, so pages found at once pay nothing for it.
    """
    episode = _published_by_old_name(slug)
    if episode is None or episode.slug == slug:
        raise Http404("No episode has this address.")
    return HttpResponsePermanentRedirect(reverse(url_name, kwargs={**kwargs, "slug": episode.slug}))


# --- the static site's paths ---------------------------------------------------


def static_episode(request, stem):
    """/podcast/<file-stem>.html: the episode imported from that file (or known by that slug)."""
    episode = _published_by_old_name(stem) or Episode.objects.published().filter(slug=stem).only("slug").first()
    if episode is None:
        raise Http404("No published episode was published under this name.")
    return redirect(episode, permanent=True)


def static_person(request, short):
    """/people/<short>.html: the guest page of everyone the static site had a profile for."""
    guest = get_object_or_404(Guest.objects.only("slug"), slug=short.lower(), is_placeholder=False)
    return redirect(guest, permanent=True)


def static_episode_list(request):
    """/podcast.html: the episode list."""
    return redirect("episodes:episode_list", permanent=True)
