"""The filters of the public episode list: season, guest, topic and year."""

import django_filters

from .models import Episode, Guest, Topic


class EpisodeFilter(django_filters.FilterSet):
    """Narrows published episodes; the choices offered are the values published episodes have.

    An invalid value (``season=abc``, an unknown guest) is a form error: that
    filter is ignored and the form shows why; the valid filters still apply.
    """

    season = django_filters.ChoiceFilter(label="Season", empty_label="All seasons")
    guest = django_filters.ModelChoiceFilter(
        field_name="guests",
        label="Guest",
        to_field_name="slug",
        queryset=Guest.objects.with_published_episodes(),
        empty_label="All guests",
    )
    topic = django_filters.ModelChoiceFilter(
        field_name="topics",
        label="Topic",
        to_field_name="slug",
        queryset=Topic.objects.with_published_episodes(),
        empty_label="All topics",
    )
    year = django_filters.ChoiceFilter(
        field_name="published_on", lookup_expr="year", label="Year", empty_label="All years"
    )

    class Meta:
        model = Episode
        fields = ["season", "guest", "topic", "year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        seasons, years = published_seasons_and_years()
        self.filters["season"].extra["choices"] = [(season, f"Season {season}") for season in seasons]
        self.filters["year"].extra["choices"] = [(year, str(year)) for year in years]


def published_seasons_and_years():
    """The seasons and the years of published episodes, newest first, in one query."""
    pairs = Episode.objects.published().order_by().values_list("season", "published_on__year").distinct()
    seasons, years = set(), set()
    for season, year in pairs:
        seasons.add(season)
        if year is not None:
            years.add(year)
    return sorted(seasons, reverse=True), sorted(years, reverse=True)
