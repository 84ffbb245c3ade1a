"""The slug history in the admin: the old names that redirect to an episode, to check, add or remove.

Registered by ``episodes.admin``. Names are recorded by the import (file stems) and
by slug changes in the episode form; an editor can add one that an old link used,
or delete one that should no longer lead anywhere.
"""

from contextlib import suppress

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html_join


class SlugHistoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "episode", "old_links", "recorded_at"]
    list_select_related = ["episode"]
    search_fields = ["slug", "episode__slug", "episode__title"]
    autocomplete_fields = ["episode"]
    readonly_fields = ["recorded_at"]

    @admin.display(description="old links that lead to the episode")
    def old_links(self, entry):
        paths = [reverse("episodes:static_episode", kwargs={"stem": entry.slug})]
        with suppress(NoReverseMatch):  # a file stem that is no slug (x.md) had no /episodes/ URL
            paths.append(reverse("episodes:episode_detail", args=[entry.slug]))
        return format_html_join(", ", '<a href="{}">{}</a>', ((path, path) for path in paths))
