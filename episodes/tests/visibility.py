"""Making an episode not public, both ways: a draft, or published with a date still ahead (scheduled)."""

import datetime

from django.utils import timezone

from episodes.models import Episode

HIDDEN_STATES = ["draft", "scheduled"]


def hide(slug, how):
    """Make the episode a draft or scheduled (a month from today); returns it."""
    if how == "draft":
        Episode.objects.filter(slug=slug).update(status=Episode.Status.DRAFT)
    else:
        later = timezone.localdate() + datetime.timedelta(days=30)
        Episode.objects.filter(slug=slug).update(status=Episode.Status.PUBLISHED, published_on=later)
    episode = Episode.objects.get(slug=slug)
    assert not Episode.objects.published().filter(pk=episode.pk).exists()
    return episode
