"""The search page's filters: the episode list's filters, plus who said it."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Subquery
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..cache import cached_until_content_changes
from ..filters import EpisodeFilter
from ..models import Episode, Guest, Line
from .engine import SearchFilters


def _speakers():
    """People with at least one line in a published episode (only what the select shows is loaded)."""
    # A LIMIT 1 subquery rather than EXISTS: PostgreSQL then probes each person's lines through
    # their index instead of joining all 27,000 lines (4 ms instead of 16).
    first_line = Line.objects.filter(person=OuterRef("pk"), section__episode__in=Episode.objects.published())
    return (
        Guest.objects.annotate(first_line=Subquery(first_line.order_by().values("pk")[:1]))
        .filter(first_line__isnull=False)
        .only("slug", "name")
    )


class QuickSelect(forms.Select):
    """A <select> whose options are built in Python and kept until the content changes.

    The guest and speaker lists hold hundreds of people: through the widget templates they took
    half of the search page's time, and building them from the database every time a third of it.
    ``options_key`` names the list in the cache (episodes/cache.py): one per filter.
    """

    def __init__(self, attrs=None, choices=(), *, options_key):
        super().__init__(attrs, choices)
        self.options_key = options_key

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        options = cached_until_content_changes(self.options_key, self._options)
        html = "".join(
            option.replace(">", " selected>", 1) if option_value in selected else option
            for option_value, option in options
        )
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attrs, mark_safe(html))  # noqa: S308 - options escaped by _options

    def _options(self):
        """[(value, '<option value="...">label</option>'), ...], every value and label escaped."""
        return [
            (str(value), format_html('<option value="{}">{}</option>', value, label)) for value, label in self.choices
        ]


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, filter_ in self.filters.items():
            filter_.extra["widget"] = QuickSelect(options_key=f"search-filter-options:{name}")
        guests = self.filters["guest"]
        guests.queryset = guests.queryset.only("slug", "name")  # all a choice shows

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
