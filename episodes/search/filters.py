"""The search page's filters: the episode list's filters, plus who said it."""

import django_filters
from django.db.models import Exists, OuterRef

from ..filters import EpisodeFilter
from ..models import Episode, Guest, Line
from .engine import SearchFilters


def _speakers():
    """People with at least one line in a published episode."""
    return Guest.objects.filter(
        Exists(Line.objects.filter(person=OuterRef("pk"), section__episode__in=Episode.objects.published()))
    )


class SearchFilterSet(EpisodeFilter):
    speaker = django_filters.ModelChoiceFilter(
        queryset=_speakers(),
        to_field_name="slug",
        empty_label="Anyone",
        label="Said by",
        method="filter_speaker",
    )

    class Meta(EpisodeFilter.Meta):
        fields = [*EpisodeFilter.Meta.fields, "speaker"]

    def filter_speaker(self, queryset, name, value):
        # Episodes where they speak; the search itself keeps only their lines (SearchFilters.speaker).
        return queryset.filter(Exists(Line.objects.filter(section__episode=OuterRef("pk"), person=value)))

    @property
    def is_narrowing(self):
        """Whether any filter is in use (an ignored, invalid one does not count)."""
        return self.is_valid() and any(value not in (None, "") for value in self.form.cleaned_data.values())

    def search_filters(self):
        """The valid filters as ``SearchFilters`` (an invalid filter is ignored; the form says why)."""
        self.is_valid()
        return SearchFilters(episodes=self.qs, speaker=self.form.cleaned_data.get("speaker"))
