"""Forms and formsets behind the editors' admin.

Times are edited the way transcripts show them ("12:34", "1:02:03") rather
than as raw seconds, and formsets of ordered rows (lines, clips) save a new
order without tripping the unique position constraints.
"""

from django import forms
from django.db import models
from django.db.models import F, Max

from .models import Clip, Line, Section, SpeakerAlias
from .timecodes import format_timestamp, parse_timestamp

# Editors paste links without a scheme; assume the one every platform uses (Django 6's default too).
URL_FIELD_OPTIONS = {"assume_scheme": "https"}


def formfield(db_field, **kwargs):
    """The form field for a model field, with this project's options for links."""
    if isinstance(db_field, models.URLField):
        kwargs = {**URL_FIELD_OPTIONS, **kwargs}
    return db_field.formfield(**kwargs)


def time_input():
    return forms.TextInput(attrs={"size": 8, "placeholder": "M:SS"})


class TimestampField(forms.Field):
    """Seconds, shown and typed as "M:SS" or "H:MM:SS" (plain seconds are accepted too).

    Forms must name its widget (``time_input()``) in ``Meta.widgets``: the
    admin would otherwise hand it a number input, which cannot take "12:34".
    """

    default_error_messages = {"invalid": "Enter a time as M:SS or H:MM:SS, e.g. 12:34."}

    def __init__(self, *, min_value=None, max_value=None, **kwargs):
        # Accepts (and drops) the integer bounds the model field offers; the format is never negative.
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return format_timestamp(value) if isinstance(value, int) else value

    def to_python(self, value):
        if value is None or isinstance(value, int):
            return value
        value = value.strip()
        if not value:
            return None
        if value.isdigit():
            return int(value)
        seconds = parse_timestamp(value)
        if seconds is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return seconds


class PositionedInlineFormSet(forms.BaseInlineFormSet):
    """An inline formset of rows with a position that is unique within the parent.

    Saving row by row would hit the database's unique constraint as soon as
    two rows swap places (or a row takes the place of one being deleted), so
    the rows that move or go are first shifted past every position in use.
    """

    position_field = "position"

    def get_unique_error_message(self, unique_check):
        if self.position_field in unique_check:
            return f"Two {self.model._meta.verbose_name_plural} have the same position; give each its own number."
        return super().get_unique_error_message(unique_check)

    def save(self, commit=True):
        if commit:
            self._shift_moving_rows()
        return super().save(commit)

    def _shift_moving_rows(self):
        moving = [
            form.instance.pk
            for form in self.initial_forms
            if form in self.deleted_forms or self.position_field in form.changed_data
        ]
        if not moving:
            return
        siblings = self.model._default_manager.filter(**{self.fk.name: self.instance})
        wanted = [form.cleaned_data.get(self.position_field) or 0 for form in self.forms if form.cleaned_data]
        offset = max([siblings.aggregate(top=Max(self.position_field))["top"] or 0, *wanted]) + 1
        siblings.filter(pk__in=moving).update(**{self.position_field: F(self.position_field) + offset})


class SectionForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["episode", "position", "title", "start_sec"]
        field_classes = {"start_sec": TimestampField}
        labels = {"start_sec": "Start"}
        widgets = {"start_sec": time_input()}

    def clean(self):
        cleaned_data = super().clean()
        # On the change page the episode is read-only, so Django's own unique check would skip it.
        episode = cleaned_data.get("episode") or getattr(self.instance, "episode", None)
        position = cleaned_data.get("position")
        if episode is not None and position is not None:
            taken = Section.objects.filter(episode=episode, position=position).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("position", f"{episode.code} already has a section at position {position}.")
        return cleaned_data


class LineForm(forms.ModelForm):
    class Meta:
        model = Line
        fields = ["position", "speaker", "sec", "text"]
        field_classes = {"sec": TimestampField}
        labels = {"sec": "Time"}
        widgets = {
            "position": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "speaker": forms.TextInput(attrs={"size": 16}),
            "sec": time_input(),
            "text": forms.Textarea(attrs={"rows": 2, "cols": 90}),
        }

    def clean_speaker(self):
        # Many imported lines have no speaker and may stay so, but an editor may not add or clear one that way.
        speaker = self.cleaned_data["speaker"]
        if not speaker and (self.instance.pk is None or self.instance.speaker):
            raise forms.ValidationError("Enter who says this line.")
        return speaker


class ClipForm(forms.ModelForm):
    class Meta:
        model = Clip
        fields = ["position", "name", "start_sec", "end_sec", "url"]
        formfield_callback = formfield
        field_classes = {"start_sec": TimestampField, "end_sec": TimestampField}
        labels = {"start_sec": "Start", "end_sec": "End"}
        widgets = {
            "position": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "start_sec": time_input(),
            "end_sec": time_input(),
        }

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("start_sec"), cleaned_data.get("end_sec")
        if start is not None and end is not None and end < start:
            # Reported on the field, which also spares the editor the database constraint's terse message.
            self.add_error("end_sec", "A clip must end after it starts.")
        return cleaned_data


class SpeakerAliasForm(forms.ModelForm):
    class Meta:
        model = SpeakerAlias
        fields = ["name", "guest"]

    def clean_name(self):
        # Aliases are matched ignoring case, so "theo" and "Theo" are the same alias.
        name = self.cleaned_data["name"].strip()
        clash = SpeakerAlias.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if clash:
            raise forms.ValidationError(f"“{name}” is already an alias of {clash.guest}.")
        return name
