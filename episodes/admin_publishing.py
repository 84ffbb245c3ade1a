"""The episode admin's publishing aids: the state column's filter, the edited-since-import filter, help texts."""

from django.contrib import admin
from django.db.models import F, Q

from . import publishing

STATUS_HELP = (
    "Draft: only editors see it. Published: public from its publish date on. "
    "To schedule an episode, choose Published and set a publish date in the future: "
    "it stays private until that day, then goes public by itself."
)
PUBLISHED_ON_HELP = (
    "The publish date (“dateadded” in the file). A date in the future schedules a published episode; "
    "empty means public as soon as it is published."
)


class PublicationStateFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return publishing.State.choices

    def queryset(self, request, queryset):
        if self.value() in publishing.State.values:
            return publishing.in_state(queryset, self.value())
        return queryset


class EditedSinceImportFilter(admin.SimpleListFilter):
    """Episodes an editor changed after their last import: a changed file will not overwrite them."""

    title = "edited since import"
    parameter_name = "edited"

    def lookups(self, request, model_admin):
        return [("yes", "Yes (re-imports keep the edits)"), ("no", "No")]

    def queryset(self, request, queryset):
        # Episode.edited_since_import, as a query.
        edited = Q(edited_at__isnull=False) & (Q(imported_at__isnull=True) | Q(edited_at__gt=F("imported_at")))
        if self.value() == "yes":
            return queryset.filter(edited)
        if self.value() == "no":
            return queryset.exclude(edited)
        return queryset
