"""The editors' admin.

A transcript can run to hundreds of lines, so it is edited one section at a
time: the episode page lists its sections (one query) and links to each
section's page, which holds that section's lines. Whenever guests, lines or
aliases change, speakers are matched again (``episodes.speakers``).
"""

from django.contrib import admin, messages
from django.contrib.admin.views import main
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Prefetch
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from . import admin_import, old_links, publishing, quality_admin, speakers
from .admin_publishing import PUBLISHED_ON_HELP, STATUS_HELP, EditedSinceImportFilter, PublicationStateFilter
from .admin_transcript import EpisodeEditorMixin, LineActionsInlineMixin, LineFormSet, SectionEditorMixin
from .forms import URL_FIELD_OPTIONS, ClipForm, LineForm, PositionedInlineFormSet, SectionForm, SpeakerAliasForm
from .image_admin import ImageAdminMixin
from .models import Appearance, Clip, Episode, Guest, Line, Section, SlugHistory, SpeakerAlias, Topic
from .old_links_admin import SlugHistoryAdmin
from .timecodes import format_timestamp


class ChangeList(main.ChangeList):
    """A changelist whose admin can add what only the list needs (prefetches, counts) via ``get_list_queryset``."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return self.model_admin.get_list_queryset(queryset)


class BaseAdmin(admin.ModelAdmin):
    """The admins here: ``get_list_queryset`` adds what the changelist needs and the change page does not."""

    def get_changelist(self, request, **kwargs):
        return ChangeList

    def get_list_queryset(self, queryset):
        return queryset


HTTPS_URLS = {models.URLField: URL_FIELD_OPTIONS}


def _timestamp(sec):
    return format_timestamp(sec) if sec is not None else ""


# --- episodes -------------------------------------------------------------


class AppearanceInline(admin.TabularInline):
    model = Appearance
    fields = ["guest", "position"]
    autocomplete_fields = ["guest"]
    ordering = ["position"]  # the model's own ordering would join the episode to sort by it
    extra = 0
    verbose_name = "guest"
    verbose_name_plural = "guests (in the order the episode lists them)"

    def get_queryset(self, request):
        # Each row is titled with str(appearance), which names the guest and the episode.
        return super().get_queryset(request).select_related("guest", "episode")


class ClipInline(admin.TabularInline):
    model = Clip
    form = ClipForm
    formset = PositionedInlineFormSet
    formfield_overrides = HTTPS_URLS
    ordering = ["position"]
    extra = 0
    verbose_name_plural = "quotable clips"


@admin.register(Episode)
class EpisodeAdmin(ImageAdminMixin, EpisodeEditorMixin, BaseAdmin):
    list_display = ["thumbnail", "season", "number", "title", "guest_names", "state", "published_on"]
    list_display_links = ["title"]
    list_filter = ["season", PublicationStateFilter, EditedSinceImportFilter, "topics"]
    search_fields = ["title", "description", "guests__name", "guests__slug"]
    autocomplete_fields = ["topics"]
    formfield_overrides = HTTPS_URLS
    prepopulated_fields = {"slug": ["title"]}
    inlines = [AppearanceInline, ClipInline]
    actions = ["publish", "unpublish"]
    readonly_fields = ["publication", "transcript_sections", "source_path", "content_hash", "imported_at", "edited_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "season",
                    "number",
                    "title",
                    "short_title",
                    "slug",
                    "status",
                    "published_on",
                    "publication",
                    "topics",
                ]
            },
        ),
        ("Cover", {"fields": ["image"]}),
        ("Text", {"fields": ["description", "intro", "show_notes"]}),
        ("Transcript", {"fields": ["transcript_sections"]}),
        (
            "Media and links",
            {
                "classes": ["collapse"],
                "fields": [
                    "duration",
                    "youtube_id",
                    "youtube_url",
                    "spotify_url",
                    "apple_url",
                    "anchor_id",
                    "anchor_url",
                ],
            },
        ),
        (
            "Source file",
            {"classes": ["collapse"], "fields": ["extra", "source_path", "content_hash", "imported_at", "edited_at"]},
        ),
    ]

    def get_form(self, request, obj=None, **kwargs):
        kwargs.setdefault("help_texts", {"status": STATUS_HELP, "published_on": PUBLISHED_ON_HELP})
        return super().get_form(request, obj, **kwargs)

    def get_urls(self):
        return [*admin_import.urls(self), *quality_admin.urls(self), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"can_import": admin_import.can_import(self, request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.display(description="status", ordering="status")
    def state(self, episode):
        return publishing.state_label(episode)

    @admin.display(description="visibility")
    def publication(self, episode):
        """Where the episode stands, with a link to see its page (a preview while it is not public)."""
        if episode.pk is None:
            return "Not saved yet."
        notice = publishing.preview_notice(episode)
        label = "Preview" if notice else "View on site"
        return format_html(
            '{} · <a href="{}" target="_blank" rel="noopener">{}</a>',
            notice or "Public",
            episode.get_absolute_url(),
            label,
        )

    def get_list_queryset(self, queryset):
        return queryset.prefetch_related(
            Prefetch("appearances", queryset=Appearance.objects.select_related("guest"), to_attr="guest_list")
        )

    @admin.display(description="guests")
    def guest_names(self, episode):
        return ", ".join(appearance.guest.name for appearance in episode.guest_list)

    @admin.display(description="sections")
    def transcript_sections(self, episode):
        if episode.pk is None:
            return "Save the episode first, then add sections."
        sections = episode.sections.annotate(line_count=Count("lines")).order_by("position")
        rows = [(section, _timestamp(section.start_sec)) for section in sections]
        return render_to_string("admin/episodes/episode/transcript_sections.html", {"episode": episode, "rows": rows})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The guests may have changed, and with them who each line's speaker is.
        speakers.relink_episode(form.instance)
        if change and "slug" in form.changed_data:
            old_links.record_slug_change(form.instance, form.initial["slug"])  # the old URL redirects here
        if not change or form.has_changed() or any(formset.has_changed() for formset in formsets):
            form.instance.mark_edited()  # a later import of its file must not undo this

    @admin.action(description="Publish the selected episodes", permissions=["change"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Episode.Status.PUBLISHED)

    @admin.action(description="Unpublish the selected episodes (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        self._set_status(request, queryset, Episode.Status.DRAFT)

    def _set_status(self, request, queryset, status):
        changed = scheduled = 0
        # One save per episode (not queryset.update) so save() and its signals run.
        for episode in queryset.exclude(status=status):
            episode.status = status
            episode.save()
            episode.mark_edited()
            self.log_change(request, episode, f"Set to {Episode.Status(status).label.lower()} (action).")
            changed += 1
            scheduled += publishing.state(episode) == publishing.State.SCHEDULED
        message = f"{changed} episode(s) set to {Episode.Status(status).label.lower()}"
        if scheduled:
            message += f"; {scheduled} of them are scheduled and go public on their publish date"
        self.message_user(request, message + ".")


# --- transcript sections ------------------------------------------------


class LineInline(LineActionsInlineMixin, admin.TabularInline):
    model = Line
    form = LineForm
    formset = LineFormSet
    readonly_fields = ["person", "line_actions"]
    can_delete = False  # a line is deleted from its own page, after a confirmation (admin_transcript)
    ordering = ["position"]
    extra = 1

    def get_queryset(self, request):
        # The matched person is shown on every row.
        return super().get_queryset(request).select_related("person")


@admin.register(Section)
class SectionAdmin(SectionEditorMixin, BaseAdmin):
    form = SectionForm
    list_display = ["title_or_opening", "episode", "position", "start", "line_count"]
    list_select_related = ["episode"]
    search_fields = ["title", "episode__title", "episode__slug"]
    fields = ["episode", "position", "title", "start_sec"]
    autocomplete_fields = ["episode"]
    inlines = [LineInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("episode")

    def get_list_queryset(self, queryset):
        return queryset.annotate(line_count=Count("lines"))

    def get_readonly_fields(self, request, obj=None):
        # A section stays with its episode; moving it would need its lines renumbered across episodes.
        return ["episode"] if obj else []

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        # "Add section" from an episode page passes ?episode=<pk>; offer the next free position.
        if "episode" in initial and "position" not in initial:
            top = Section.objects.filter(episode=initial["episode"]).order_by("-position").first()
            initial["position"] = top.position + 1 if top else 0
        return initial

    @admin.display(description="title", ordering="title")
    def title_or_opening(self, section):
        return str(section)

    @admin.display(description="start", ordering="start_sec")
    def start(self, section):
        return _timestamp(section.start_sec)

    @admin.display(description="lines", ordering="line_count")
    def line_count(self, section):
        return section.line_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        speakers.relink_episode(form.instance.episode)
        if not change or form.has_changed() or any(formset.has_changed() for formset in formsets):
            form.instance.episode.mark_edited()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        obj.episode.mark_edited()

    def delete_queryset(self, request, queryset):
        episodes = Episode.objects.filter(pk__in=set(queryset.values_list("episode_id", flat=True)))
        super().delete_queryset(request, queryset)
        episodes.mark_edited()


# --- people and topics --------------------------------------------------


class GuestAppearanceInline(admin.TabularInline):
    """The guest's episodes, read-only: guests are added to episodes from the episode page."""

    model = Appearance
    fields = ["episode"]
    extra = 0
    can_delete = False
    verbose_name = "episode"
    verbose_name_plural = "episodes"

    def get_queryset(self, request):
        # Each row is titled with str(appearance), which names the guest and the episode.
        return super().get_queryset(request).select_related("guest", "episode")

    def has_add_permission(self, request, obj):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# What speaker matching reads from a guest.
MATCHING_FIELDS = {"name", "slug", "is_host"}


@admin.register(Guest)
class GuestAdmin(ImageAdminMixin, BaseAdmin):
    list_display = ["thumbnail", "name", "slug", "is_placeholder", "is_host"]
    list_filter = ["is_host", "is_placeholder"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["source_path", "content_hash", "imported_at"]
    formfield_overrides = HTTPS_URLS
    inlines = [GuestAppearanceInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if MATCHING_FIELDS.intersection(form.changed_data):
            # Hosts are matched in every episode, and names anywhere the guest appears.
            speakers.relink_all()


@admin.register(Topic)
class TopicAdmin(BaseAdmin):
    list_display = ["name", "slug", "episode_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_list_queryset(self, queryset):
        return queryset.annotate(episode_count=Count("episodes"))

    @admin.display(description="episodes", ordering="episode_count")
    def episode_count(self, topic):
        return topic.episode_count


# --- speaker aliases ------------------------------------------------------


@admin.register(SpeakerAlias)
class SpeakerAliasAdmin(BaseAdmin):
    form = SpeakerAliasForm
    list_display = ["name", "guest"]
    list_select_related = ["guest"]
    search_fields = ["name", "guest__name", "guest__slug"]
    autocomplete_fields = ["guest"]

    def get_urls(self):
        unmatched = path(
            "unmatched/",
            self.admin_site.admin_view(self.unmatched_view),
            name="episodes_speakeralias_unmatched",
        )
        return [unmatched, *super().get_urls()]

    def unmatched_view(self, request):
        """Speakers no guest, host or alias matches, most frequent first, each with a link to alias it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Unmatched speakers",
            "speakers": speakers.unmatched_speakers(),
            "can_add": self.has_add_permission(request),
        }
        return TemplateResponse(request, "admin/episodes/speakeralias/unmatched.html", context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._relink(request)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._relink(request)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._relink(request)

    def _relink(self, request):
        changed = speakers.relink_all()
        message = f"Speakers matched again: {changed} line(s) now link to someone else."
        self.message_user(request, message, messages.INFO)


admin.site.register(SlugHistory, SlugHistoryAdmin)  # old names that redirect (episodes/old_links.py)
