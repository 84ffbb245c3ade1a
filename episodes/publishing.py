"""Where an episode stands (draft, scheduled, published) and who may see it before the public does.

Which episodes the public sees is decided by ``Episode.objects.published()``
alone; ``state`` says the same of one episode that is already loaded, so the
admin and the preview banner can name the state without another query.
"""

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from .models import Episode

PREVIEW_PERMISSION = "episodes.view_episode"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


def state(episode):
    """The episode's State, by the rule of ``EpisodeQuerySet.published()``."""
    if episode.status != Episode.Status.PUBLISHED:
        return State.DRAFT
    if episode.published_on is not None and episode.published_on > timezone.localdate():
        return State.SCHEDULED
    return State.PUBLISHED


def state_label(episode):
    """ "Draft", "Scheduled for 3 July 2026" or "Published"."""
    current = state(episode)
    if current == State.SCHEDULED:
        return f"Scheduled for {_date(episode.published_on)}"
    return current.label


def _date(day):
    return date_format(day, "j F Y")


def in_state(queryset, wanted):
    """The episodes of ``queryset`` in State ``wanted``, through ``published()`` so the rule is stated once."""
    public = Episode.objects.published().values("pk")
    if wanted == State.PUBLISHED:
        return queryset.filter(pk__in=public)
    if wanted == State.SCHEDULED:
        return queryset.filter(status=Episode.Status.PUBLISHED).exclude(pk__in=public)
    return queryset.exclude(status=Episode.Status.PUBLISHED)


def can_preview(user):
    """Staff who may view episodes in the admin may see episodes that are not public yet."""
    return user.is_active and user.is_staff and user.has_perm(PREVIEW_PERMISSION)


def visible_episodes(request):
    """The episodes this request may open at their public URL: all of them for previewing staff."""
    # Anonymous readers carry no session, so checking costs them no query.
    return Episode.objects.all() if can_preview(request.user) else Episode.objects.published()


def preview_notice(episode):
    """The banner's text for an episode the public cannot see, or "" for a public one."""
    current = state(episode)
    if current == State.PUBLISHED:
        return ""
    if current == State.SCHEDULED:
        return f"Not public: scheduled for {_date(episode.published_on)}"
    return "Not public: draft"


def keep_private(response):
    """A preview must not be stored by a shared cache nor indexed."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
