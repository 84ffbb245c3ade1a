"""The transcript editor's actions in the admin: one page, one form and one submission per action.

A section's page (SectionAdmin) edits its lines in place; each line row links
to pages that add a line after it, split it, merge it with the next one, move
it to the neighbouring section, shift every time from it on, rename its
speaker across the episode, or delete it (after a confirmation). Every action
runs a function of ``episodes.transcript_edits`` and is written to the admin
history (LogEntry: who, when, a readable message). No page needs JavaScript.

The mixins here are added to the admins in ``episodes.admin``.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from . import transcript_edits as edits
from .forms import PositionedInlineFormSet, TimestampField, time_input
from .models import Episode, Line, Section
from .transcript_edits import TranscriptEditError, describe_line, describe_section

TEMPLATE = "admin/episodes/transcript/line_action.html"
RENAME_TEMPLATE = "admin/episodes/transcript/rename_speaker.html"
SHIFT_LIMIT = 24 * 3600  # a day: far beyond any re-cut, far below the database's integer range
MAX_ID = 2**63 - 1  # a larger id in a URL is no row's, and the databases refuse to compare with it

# Permissions (on lines) each action needs, besides changing the section.
NEEDS = {
    "add": ["episodes.add_line", "episodes.change_line"],
    "split": ["episodes.add_line", "episodes.change_line"],
    "merge": ["episodes.change_line", "episodes.delete_line"],
    "move": ["episodes.change_line"],
    "shift": ["episodes.change_line"],
    "rename": ["episodes.change_line"],
    "delete": ["episodes.delete_line"],
}


def log_change(request, objects, message):
    """Writes ``message`` to the admin history of each object (one INSERT)."""
    LogEntry.objects.log_actions(
        user_id=request.user.pk,
        queryset=objects,
        action_flag=CHANGE,
        change_message=message,
        single_object=len(objects) == 1,
    )


def section_url(section_id, line_id=None):
    url = reverse("admin:episodes_section_change", args=[section_id])
    return f"{url}#line-{line_id}" if line_id else url


# --- forms ------------------------------------------------------------------------


class SpeakerInput(forms.TextInput):
    """A text box that suggests the episode's speakers (``<datalist id="speakers">`` on the page)."""

    def __init__(self, attrs=None):
        super().__init__({"list": "speakers", "size": 30, "autocomplete": "off", **(attrs or {})})


class InsertLineForm(forms.Form):
    speaker = forms.CharField(
        max_length=1000, widget=SpeakerInput(), help_text="Who says it, as the transcript names them."
    )
    sec = TimestampField(
        label="Time", required=False, widget=time_input(), help_text="M:SS or H:MM:SS. Leave empty if unknown."
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 90}))


def _letters(text):
    return "".join(text.split())


class SplitLineForm(forms.Form):
    """The line's text in two boxes: whatever the editor moves into the second box becomes a new line."""

    first = forms.CharField(
        label="First part",
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 90}),
        help_text="Stays on this line, with its speaker and time.",
    )
    second = forms.CharField(
        label="Second part",
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 90}),
        help_text="Cut the end of the first part and paste it here: it becomes a new line right after this one.",
    )
    speaker = forms.CharField(
        label="Speaker of the new line", max_length=1000, widget=SpeakerInput(), help_text="Who says the new line."
    )
    sec = TimestampField(
        label="Time of the new line",
        required=False,
        widget=time_input(),
        help_text="M:SS or H:MM:SS. Leave empty if unknown.",
    )

    def __init__(self, *args, line, **kwargs):
        self.line = line
        kwargs.setdefault("initial", {"first": line.text, "second": "", "speaker": line.speaker, "sec": line.sec})
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        first, second = cleaned_data.get("first"), cleaned_data.get("second")
        if first and second:
            if _letters(first) + _letters(second) != _letters(self.line.text):
                self.add_error(
                    "second",
                    "Together, the two parts must be the line's text, cut in one place: move the end of the first "
                    "part into the second without changing any words (fix words on the section's page).",
                )
            else:
                cleaned_data["at"] = self._offset(len(_letters(first)))
        return cleaned_data

    def _offset(self, letters):
        """The index in the line's text just after its first ``letters`` non-space characters."""
        seen = 0
        for index, char in enumerate(self.line.text):
            if seen == letters:
                return index
            if not char.isspace():
                seen += 1
        return len(self.line.text)


class ShiftTimesForm(forms.Form):
    seconds = forms.IntegerField(
        label="Shift by (seconds)",
        min_value=-SHIFT_LIMIT,
        max_value=SHIFT_LIMIT,
        widget=forms.NumberInput(attrs={"step": 1, "size": 8}),
        help_text="A positive number makes the times later, a negative one earlier: 30 or -30.",
    )

    def clean_seconds(self):
        seconds = self.cleaned_data["seconds"]
        if seconds == 0:
            raise ValidationError("Shifting by 0 seconds changes nothing; enter a number of seconds.")
        return seconds


class MoveLineForm(forms.Form):
    direction = forms.ChoiceField(choices=[("previous", "previous"), ("next", "next")])


class RenameSpeakerForm(forms.Form):
    speaker = forms.ChoiceField(label="Speaker", help_text="Spelled exactly so (case counts), with their lines.")
    new = forms.CharField(label="New name", max_length=1000, widget=SpeakerInput())

    def __init__(self, *args, counts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["speaker"].choices = [
            ("", "Choose a speaker"),
            *((speaker, f"{speaker} ({count} line{'' if count == 1 else 's'})") for speaker, count, _ in counts),
        ]

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("new") and cleaned_data.get("new") == cleaned_data.get("speaker"):
            self.add_error("new", "The new name is the same as the old one.")
        return cleaned_data


def _data(request):
    """The submitted data on a POST (even an empty one, so the form reports what is missing), else None."""
    return request.POST if request.method == "POST" else None


def _apply(form, action):
    """Runs ``action`` (an edit) and returns its result, or None with its error added to ``form``."""
    try:
        return action()
    except TranscriptEditError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return None


# --- the section page: links on every line -------------------------------------------


class LineFormSet(PositionedInlineFormSet):
    """The section's lines, each knowing which editor actions apply to it (no query of its own)."""

    allowed_actions = frozenset()
    _marked = False

    def get_queryset(self):
        queryset = super().get_queryset()
        if not self._marked and self.instance.pk is not None:  # a new section has no lines yet
            self._marked = True
            lines = list(queryset)  # evaluates the queryset that the forms then index: no second query
            section = self.instance
            urls = LineUrls(section.pk, section.episode_id)
            for index, line in enumerate(lines):
                line.editor_actions = self._actions(
                    line,
                    urls,
                    first=index == 0,
                    last=index == len(lines) - 1,
                    previous_section=getattr(section, "previous_section_id", None),
                    next_section=getattr(section, "next_section_id", None),
                )
        return queryset

    def _actions(self, line, urls, *, first, last, previous_section, next_section):
        """[(action, label, url)] for the line."""
        move = urls.line("move", line)  # one page offers every move the line can make
        candidates = [
            ("add", "Add after", urls.line("add", line), True),
            ("split", "Split", urls.line("split", line), True),
            ("merge", "Merge with next", urls.line("merge", line), not last),
            ("move", "Move to previous section", move, first and previous_section),
            ("move", "Move to next section", move, last and next_section),
            ("shift", "Shift times from here", urls.line("shift", line), True),
            ("rename", "Rename speaker", urls.rename(line.speaker), line.speaker),
            ("delete", "Delete", urls.line("delete", line), True),
        ]
        return [
            (action, label, url)
            for action, label, url, applies in candidates
            if applies and action in self.allowed_actions
        ]


class LineUrls:
    """The action URLs of a section's lines, reversed once per page rather than once per line and action."""

    ACTIONS = ("add", "split", "merge", "move", "shift", "delete")
    PLACEHOLDER = 2**31 - 1  # a line id no real line has; replaced by each line's

    def __init__(self, section_id, episode_id):
        self.section_id = section_id
        self.rename_base = reverse("admin:episodes_episode_rename_speaker", args=[episode_id])
        self.patterns = {
            action: reverse(f"admin:episodes_section_{action}_line", args=[section_id, self.PLACEHOLDER])
            for action in self.ACTIONS
        }

    def line(self, action, line):
        return self.patterns[action].replace(f"/{self.PLACEHOLDER}/", f"/{line.pk}/")

    def rename(self, speaker):
        return f"{self.rename_base}?{urlencode({'speaker': speaker, 'section': self.section_id})}"


class LineActionsInlineMixin:
    """For the lines' inline: a column of links to the editor's actions on each line."""

    class Media:
        css = {"all": ["episodes/css/admin_transcript.css"]}

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # get_formset builds a new class per request, so this is the request's own.
        formset.allowed_actions = frozenset(action for action, perms in NEEDS.items() if request.user.has_perms(perms))
        return formset

    @admin.display(description="more")
    def line_actions(self, line):
        actions = getattr(line, "editor_actions", None)
        if not actions:
            return ""
        # A disclosure keeps the rows short and needs no script. Each link's name says which line it acts
        # on, as every row holds a "Split" link.
        item = '<li><a href="{}" class="line-action--{}">{}<span class="visually-hidden"> (line {})</span></a></li>'
        items = format_html_join("", item, ((url, action, label, line.position) for action, label, url in actions))
        return format_html(
            '<details class="line-actions" id="line-{}"><summary>Edit<span class="visually-hidden"> line {}</span>'
            "</summary><ul>{}</ul></details>",
            line.pk,
            line.position,
            items,
        )


class SectionEditorMixin:
    """For SectionAdmin: the pages of the line actions, and the neighbouring sections on the section's page."""

    def get_object(self, request, object_id, from_field=None):
        # ModelAdmin.get_object, plus the previous and next sections' ids in the same query (the page links them).
        neighbours = Section.objects.filter(episode=OuterRef("episode")).values("pk")
        queryset = self.get_queryset(request).annotate(
            previous_section_id=Subquery(
                neighbours.filter(position__lt=OuterRef("position")).order_by("-position")[:1]
            ),
            next_section_id=Subquery(neighbours.filter(position__gt=OuterRef("position")).order_by("position")[:1]),
        )
        field = self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        try:
            value = field.to_python(object_id)
            if isinstance(value, int) and not 0 <= value <= MAX_ID:
                return None
            return queryset.get(**{field.name: value})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def get_urls(self):
        def route(suffix, view, name):
            return path(suffix, self.admin_site.admin_view(view), name=f"episodes_section_{name}")

        line = "<int:section_id>/lines/<int:line_id>/"
        return [
            route("<int:section_id>/lines/add/", self.add_first_line_view, "add_first_line"),
            route(f"{line}add-after/", self.add_line_view, "add_line"),
            route(f"{line}split/", self.split_line_view, "split_line"),
            route(f"{line}merge/", self.merge_line_view, "merge_line"),
            route(f"{line}move/", self.move_line_view, "move_line"),
            route(f"{line}shift/", self.shift_line_view, "shift_line"),
            route(f"{line}delete/", self.delete_line_view, "delete_line"),
            *super().get_urls(),
        ]

    # --- shared steps ---

    def _check(self, request, action):
        if not self.has_change_permission(request) or not request.user.has_perms(NEEDS[action]):
            raise PermissionDenied

    def _line(self, request, action, section_id, line_id):
        self._check(request, action)
        _check_ids(section_id, line_id)
        line = Line.objects.select_related("section__episode").filter(pk=line_id, section_id=section_id).first()
        if line is None:
            raise Http404("No such line in this section: it may have been moved or deleted.")
        return line

    def _page(self, request, section, title, form=None, **context):
        return TemplateResponse(
            request,
            TEMPLATE,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": section,
                "episode": section.episode,
                "title": title,
                "form": form,
                "cancel_url": section_url(section.pk, context.get("line").pk if context.get("line") else None),
                **context,
            },
        )

    def _done(self, request, objects, message, redirect_to):
        log_change(request, objects, message)
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(redirect_to)

    # --- the actions ---

    def add_first_line_view(self, request, section_id):
        self._check(request, "add")
        _check_ids(section_id)
        section = Section.objects.select_related("episode").filter(pk=section_id).first()
        if section is None:
            raise Http404("No such section.")
        return self._add(request, section, None)

    def add_line_view(self, request, section_id, line_id):
        line = self._line(request, "add", section_id, line_id)
        return self._add(request, line.section, line)

    def _add(self, request, section, after):
        form = InsertLineForm(_data(request))
        if request.method == "POST" and form.is_valid():
            line = _apply(form, lambda: edits.insert_line(section, after, **form.cleaned_data))
            if line is not None:
                where = f"after line {after.position}" if after else "at the start"
                message = f"Added line {line.position} {where} of {describe_section(section)}: {describe_line(line)}."
                return self._done(request, [section], message, section_url(section.pk, line.pk))
        title = "Add a line after this one" if after else f"Add a line at the start of “{section}”"
        return self._page(
            request,
            section,
            title,
            form,
            line=after,
            intro="The new line comes right after this one."
            if after
            else "The new line comes before every other line of the section.",
            speakers=edits.speaker_counts(section.episode),
            submit="Add the line",
        )

    def split_line_view(self, request, section_id, line_id):
        line = self._line(request, "split", section_id, line_id)
        form = SplitLineForm(_data(request), line=line)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            result = _apply(form, lambda: edits.split_line(line, data["at"], speaker=data["speaker"], sec=data["sec"]))
            if result is not None:
                first, new = result
                message = (
                    f"Split line {first.position} of {describe_section(first.section)} in two: "
                    f"{describe_line(first)} and, as line {new.position}, {describe_line(new)}."
                )
                return self._done(request, [first.section], message, section_url(section_id, first.pk))
        return self._page(
            request,
            line.section,
            "Split a line in two",
            form,
            line=line,
            intro="Cut the end of the text from the first box and paste it into the second: the second part becomes "
            "a new line right after this one. The words must stay as they are; fix them on the section's page.",
            speakers=edits.speaker_counts(line.section.episode),
            submit="Split the line",
        )

    def merge_line_view(self, request, section_id, line_id):
        line = self._line(request, "merge", section_id, line_id)
        form = forms.Form(_data(request))
        if request.method == "POST" and form.is_valid():
            result = _apply(form, lambda: edits.merge_lines(line))
            if result is not None:
                merged, removed = result
                message = (
                    f"Merged line {removed.position} into line {merged.position} of "
                    f"{describe_section(merged.section)}: {describe_line(merged)}."
                )
                return self._done(request, [merged.section], message, section_url(section_id, merged.pk))
        following = edits.next_line(line)
        return self._page(
            request,
            line.section,
            "Merge a line with the next one",
            form,
            line=line,
            following=following,
            merged_text=edits.joined_text(line, following) if following else "",
            problem=None if following else "This is the last line of its section: there is no next line to merge.",
            submit="Merge the two lines" if following else None,
        )

    def move_line_view(self, request, section_id, line_id):
        line = self._line(request, "move", section_id, line_id)
        form = MoveLineForm(_data(request))
        if request.method == "POST" and form.is_valid():
            direction = form.cleaned_data["direction"]
            result = _apply(form, lambda: edits.move_line(line, direction))
            if result is not None:
                moved, target = result
                where = "the end" if direction == "previous" else "the start"
                message = (
                    f"Moved {describe_line(moved)} from {describe_section(line.section)} to {where} of "
                    f"{describe_section(target)}, as line {moved.position}."
                )
                return self._done(request, [line.section, target], message, section_url(target.pk, moved.pk))
        moves = edits.possible_moves(line)
        return self._page(
            request,
            line.section,
            "Move a line to the neighbouring section",
            form,
            line=line,
            intro="The first line of a section can move to the end of the previous section, and the last line to "
            "the start of the next one; the sections' start times follow.",
            moves=moves,
            choice_buttons=True,  # the direction is the button pressed
            problem=None
            if moves
            else "Only the first line of a section can move to the previous section, and only the last line to the "
            "next one.",
        )

    def shift_line_view(self, request, section_id, line_id):
        line = self._line(request, "shift", section_id, line_id)
        form = ShiftTimesForm(_data(request))
        if request.method == "POST" and form.is_valid():
            seconds = form.cleaned_data["seconds"]
            count = _apply(form, lambda: edits.shift_times(line, seconds))
            if count is not None:
                message = (
                    f"Shifted the times of {count} line{'' if count == 1 else 's'} by {edits.format_seconds(seconds)}, "
                    f"from line {line.position} of {describe_section(line.section)} ({describe_line(line)}) on."
                )
                return self._done(request, [line.section.episode], message, section_url(section_id, line.pk))
        affected = Line.objects.filter(
            Q(section_id=line.section_id, position__gte=line.position)
            | Q(section__episode_id=line.section.episode_id, section__position__gt=line.section.position),
            sec__isnull=False,
        ).count()
        return self._page(
            request,
            line.section,
            "Shift times from a line on",
            form,
            line=line,
            affected=affected,
            submit="Shift the times",
        )

    def delete_line_view(self, request, section_id, line_id):
        line = self._line(request, "delete", section_id, line_id)
        form = forms.Form(_data(request))
        if request.method == "POST" and form.is_valid():
            removed = _apply(form, lambda: edits.delete_line(line))
            if removed is not None:
                message = (
                    f"Deleted line {removed.position} of {describe_section(removed.section)}: {describe_line(removed)}."
                )
                return self._done(request, [removed.section], message, section_url(section_id))
        return self._page(
            request,
            line.section,
            "Delete a line",
            form,
            line=line,
            confirm_delete=True,
            submit="Yes, delete this line",
        )


class EpisodeEditorMixin:
    """For EpisodeAdmin: renaming a speaker across the episode's transcript."""

    def get_urls(self):
        rename = path(
            "<int:episode_id>/rename-speaker/",
            self.admin_site.admin_view(self.rename_speaker_view),
            name="episodes_episode_rename_speaker",
        )
        return [rename, *super().get_urls()]

    def rename_speaker_view(self, request, episode_id):
        if not self.has_change_permission(request) or not request.user.has_perms(NEEDS["rename"]):
            raise PermissionDenied
        _check_ids(episode_id)
        episode = Episode.objects.filter(pk=episode_id).first()
        if episode is None:
            raise Http404("No such episode.")
        params = request.POST if request.method == "POST" else request.GET
        back = _return_section(episode, params.get("section"))
        back_url = section_url(back) if back else reverse("admin:episodes_episode_change", args=[episode.pk])
        counts = edits.speaker_counts(episode)
        if request.method == "POST":
            form = RenameSpeakerForm(request.POST, counts=counts)
        else:
            speaker = params.get("speaker", "")
            form = RenameSpeakerForm(
                counts=counts, initial={"speaker": speaker if speaker in form_choices(counts) else ""}
            )
        if form.is_bound and form.is_valid():
            old, new = form.cleaned_data["speaker"], form.cleaned_data["new"]
            count = _apply(form, lambda: edits.rename_speaker(episode, old, new))
            if count is not None:
                lines = f"{count} line{'' if count == 1 else 's'}"
                message = f"Renamed the speaker “{old}” to “{new}” on {lines} of {episode.code}."
                log_change(request, [episode], message)
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(back_url)
        return TemplateResponse(
            request,
            RENAME_TEMPLATE,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": episode,
                "episode": episode,
                "title": f"Rename a speaker in {episode.code}",
                "form": form,
                "section_id": back,
                "speakers": counts,
                "submit": "Rename the speaker",
                "cancel_url": back_url,
            },
        )


def _check_ids(*ids):
    if any(value > MAX_ID for value in ids):
        raise Http404("No such object.")


def form_choices(counts):
    return {speaker for speaker, _count, _person in counts}


def _return_section(episode, value):
    """The id of the episode's section to return to, from a query string (anything else is ignored)."""
    if not value or not value.isdigit() or len(value) > 18:
        return None
    return Section.objects.filter(pk=int(value), episode=episode).values_list("pk", flat=True).first()
