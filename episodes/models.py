"""What the archive holds: episodes with their guests, topics, clips and transcript.

A transcript is a list of sections (chapters opened by a ``header`` item in the
file), each holding its spoken lines in order.
"""

from typing import NamedTuple

from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from .cache import content_changed
from .text import render_markdown, sanitize_intro
from .timecodes import format_timestamp


def rendered_markdown(instance, field, html):
    """The HTML of ``instance.<field>``: ``html`` when it was rendered from exactly that Markdown, else rendered now."""
    source = getattr(instance, field)
    if getattr(instance, "_rendered_from", {}).get(field) == source:
        return html
    return render_markdown(source)


class TopicQuerySet(models.QuerySet):
    def with_published_episodes(self):
        """Topics of at least one published episode, by name, each with ``episode_count`` (published only)."""
        published = self.filter(episodes__in=Episode.objects.published())
        # Meta.ordering does not apply to a GROUP BY query, hence the explicit order.
        return published.annotate(episode_count=models.Count("episodes")).order_by(Lower("name"))


class Topic(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("episodes:topic_detail", args=[self.slug])


class GuestQuerySet(models.QuerySet):
    def with_published_episodes(self):
        """Guests of at least one published episode (not of drafts or scheduled ones)."""
        return self.filter(appearances__episode__in=Episode.objects.published()).distinct()


class GuestManager(models.Manager.from_queryset(GuestQuerySet)):
    def get_queryset(self):
        queryset = super().get_queryset()
        # Django builds episode.guests from this manager; there, keep the
        # order in which the episode file lists its guests.
        if getattr(self, "source_field_name", None) == "episode":
            queryset = queryset.order_by("appearances__position")
        return queryset


class Guest(models.Model):
    """A person who appears on the podcast (a profile in ``_people/``)."""

    slug = models.SlugField(max_length=100, unique=True, help_text="The person's “short” id.")
    name = models.CharField(max_length=200)
    picture = models.ImageField(
        upload_to="people/",
        max_length=300,
        blank=True,
        help_text="A JPEG, PNG or WebP portrait.",
    )
    # Set by the code that stores the file, not by ImageField, which would open the file on every load.
    picture_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    picture_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    picture_renditions = models.JSONField(
        default=dict, blank=True, editable=False, help_text="Resized copies of the picture, by format and width."
    )
    bio = models.TextField(blank=True, help_text="Markdown.")
    bio_html = models.TextField(blank=True, editable=False)
    github_url = models.URLField("GitHub", max_length=300, blank=True)
    twitter_url = models.URLField("X/Twitter", max_length=300, blank=True)
    linkedin_url = models.URLField("LinkedIn", max_length=300, blank=True)
    website_url = models.URLField("website", max_length=300, blank=True)
    is_placeholder = models.BooleanField(
        default=False, help_text="Created by the import for a guest slug that has no profile file."
    )
    is_host = models.BooleanField(
        default=False, help_text="Hosts are matched as speakers in every episode, not only where listed as guests."
    )
    extra = models.JSONField(default=dict, blank=True, help_text="Profile fields the app does not model.")
    source_layout = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="How the source file wrote its front matter (key order, values as written), for a lossless export.",
    )
    source_path = models.CharField(max_length=500, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    imported_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GuestManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.bio_html = rendered_markdown(self, "bio", self.bio_html)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return self.url_for(self.slug)

    @staticmethod
    def url_for(slug):
        return reverse("episodes:guest_detail", args=[slug])

    def set_bio(self, markdown, html):
        """Set the bio with its HTML already rendered by ``text.render_markdown`` (the import does it in workers)."""
        self.bio, self.bio_html = markdown, html
        self._rendered_from = {"bio": markdown}

    @property
    def profile_links(self):
        """(label, url) pairs of the profile links that are set."""
        fields = ["website_url", "github_url", "twitter_url", "linkedin_url"]
        return [
            (self._meta.get_field(name).verbose_name, getattr(self, name)) for name in fields if getattr(self, name)
        ]


class SpeakerAlias(models.Model):
    """A way a person's name is written in transcripts ("Alexeylexey", "Theo:") that matching should accept."""

    name = models.CharField(max_length=200, help_text="Exactly as written in the transcript's “who”.")
    guest = models.ForeignKey(Guest, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "speaker aliases"
        constraints = [
            models.UniqueConstraint(models.functions.Lower("name"), name="unique_speaker_alias_name"),
        ]

    def __str__(self):
        return f"{self.name} → {self.guest}"


class PageLine(NamedTuple):
    """What the episode page shows of a transcript line and of the person who says it (Episode.page_lines)."""

    position: int
    speaker: str
    sec: int | None
    text: str
    person_id: int | None
    person_slug: str | None
    person_name: str | None


def section_anchor(section_position):
    """The id of a section on its episode's page: s3."""
    return f"s{section_position}"


def line_anchor(section_position, line_position):
    """The id of a line on its episode's page: s3-l12."""
    return f"{section_anchor(section_position)}-l{line_position}"


def episode_code(season, number):
    """How an episode is named in lists and messages: S07E03."""
    return f"S{season:02d}E{number:02d}"


class EpisodeQuerySet(models.QuerySet):
    def published(self):
        """The one place that says which episodes the public may see.

        An episode marked published whose date is still ahead is *scheduled*:
        it goes public on that day without anyone touching it.
        """
        due = models.Q(published_on__isnull=True) | models.Q(published_on__lte=timezone.localdate())
        return self.filter(due, status=Episode.Status.PUBLISHED)

    def mark_edited(self):
        """Record an editor's change to these episodes (see Episode.mark_edited); returns the time recorded."""
        now = timezone.now()
        self.update(edited_at=now, updated_at=now)
        content_changed()  # an update() sends no signal
        return now

    def with_listing_data(self):
        """What an episode card shows besides the episode itself: its guests."""
        return self.prefetch_related("guests")

    def with_page_data(self):
        """Everything the episode page shows, in a fixed number of queries however long the transcript."""
        return self.prefetch_related(
            "guests",
            "topics",
            "clips",
            models.Prefetch("sections", queryset=Section.objects.order_by("position")),
        )  # and the lines, as plain tuples: Episode.page_lines()

    def before(self, episode):
        """Episodes that come before ``episode`` (by season and number), nearest first."""
        earlier = models.Q(season__lt=episode.season) | models.Q(season=episode.season, number__lt=episode.number)
        return self.filter(earlier).order_by("-season", "-number")

    def after(self, episode):
        """Episodes that come after ``episode`` (by season and number), nearest first."""
        later = models.Q(season__gt=episode.season) | models.Q(season=episode.season, number__gt=episode.number)
        return self.filter(later).order_by("season", "number")


class Episode(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    season = models.PositiveSmallIntegerField()
    number = models.PositiveSmallIntegerField()
    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    intro = models.TextField(
        blank=True, help_text="HTML; only a small set of tags is kept (br, p, a, em, strong, lists)."
    )
    show_notes = models.TextField(blank=True, help_text="Markdown.")
    show_notes_html = models.TextField(blank=True, editable=False)
    image = models.ImageField(
        upload_to="covers/",
        max_length=300,
        blank=True,
        help_text="A JPEG, PNG or WebP cover.",
    )
    # Set by the code that stores the file, not by ImageField, which would open the file on every load.
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_renditions = models.JSONField(
        default=dict, blank=True, editable=False, help_text="Resized copies of the cover, by format and width."
    )
    youtube_id = models.CharField("YouTube id", max_length=50, blank=True)
    anchor_id = models.CharField("Anchor id", max_length=300, blank=True)
    youtube_url = models.URLField("YouTube", max_length=500, blank=True)
    spotify_url = models.URLField("Spotify", max_length=500, blank=True)
    apple_url = models.URLField("Apple Podcasts", max_length=500, blank=True)
    anchor_url = models.URLField("Anchor", max_length=500, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="episodes")
    guests = models.ManyToManyField(Guest, through="Appearance", related_name="episodes")
    published_on = models.DateField(null=True, blank=True, help_text="“dateadded” in the file.")
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="In seconds.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    extra = models.JSONField(default=dict, blank=True, help_text="Front matter keys the app does not model.")
    source_layout = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="How the source file wrote its front matter (key order, values as written), for a lossless export.",
    )
    source_path = models.CharField(max_length=500, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    imported_at = models.DateTimeField(null=True, blank=True, editable=False)
    edited_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Last change made in the admin (episode or transcript)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-season", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["season", "number"], name="unique_episode_season_number"),
        ]
        indexes = [models.Index(fields=["status", "-published_on"], name="episode_status_date")]

    def __str__(self):
        return f"S{self.season}E{self.number}: {self.title}"

    def save(self, *args, **kwargs):
        self.intro = sanitize_intro(self.intro)
        self.show_notes_html = rendered_markdown(self, "show_notes", self.show_notes_html)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("episodes:episode_detail", args=[self.slug])

    def set_show_notes(self, markdown, html):
        """Set the show notes with their HTML already rendered by ``text.render_markdown`` (see Guest.set_bio)."""
        self.show_notes, self.show_notes_html = markdown, html
        self._rendered_from = {"show_notes": markdown}

    @property
    def code(self):
        return episode_code(self.season, self.number)

    def page_lines(self):
        """{section id: [PageLine, ...]} in order, in one query, read once per instance.

        Plain tuples, not Line and Guest instances: building hundreds of model instances was most of
        the longest episode page's time.
        """
        if not hasattr(self, "_page_lines"):
            self._page_lines = lines = {}
            fields = ["section_id", "position", "speaker", "sec", "text", "person_id", "person__slug", "person__name"]
            rows = Line.objects.filter(section__episode=self).order_by("section_id", "position").values_list(*fields)
            for section_id, *values in rows:
                lines.setdefault(section_id, []).append(PageLine(*values))
        return self._page_lines

    def transcript_snapshot(self, attempts=3):
        """The sections, as (pk, position, title, start_sec) in order, and ``page_lines()``, as of one moment.

        An import that commits between the two queries replaces the sections the lines point to: both
        are then read again. Still changing after ``attempts``: a line of a section not read is left out.
        """
        for _attempt in range(attempts):
            sections = list(self.sections.order_by("position").values_list("pk", "position", "title", "start_sec"))
            lines = self.page_lines()
            if lines.keys() <= {pk for pk, *_rest in sections}:
                break
            del self._page_lines
        return sections, lines

    def mark_edited(self):
        """Record a change made by an editor (to the episode or its transcript), which a re-import must not undo."""
        self.edited_at = self.updated_at = Episode.objects.filter(pk=self.pk).mark_edited()

    @property
    def edited_since_import(self):
        return self.edited_at is not None and (self.imported_at is None or self.edited_at > self.imported_at)

    @property
    def duration_display(self):
        return format_timestamp(self.duration) if self.duration is not None else ""

    @property
    def platform_links(self):
        """(label, url) pairs of the platforms this episode is on."""
        fields = ["youtube_url", "spotify_url", "apple_url", "anchor_url"]
        return [
            (self._meta.get_field(name).verbose_name, getattr(self, name)) for name in fields if getattr(self, name)
        ]

    def video_url(self, sec=None):
        """The YouTube watch URL, at ``sec`` seconds when given."""
        if not self.youtube_id:
            return self.youtube_url
        url = f"https://www.youtube.com/watch?v={self.youtube_id}"
        return f"{url}&t={sec}s" if sec is not None else url


class SlugHistory(models.Model):
    """A slug or file stem an episode was once known by, so old links still find it."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="slug_history")
    slug = models.CharField(max_length=300, unique=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "slug history"

    def __str__(self):
        return f"{self.slug} → {self.episode.slug}"


class Appearance(models.Model):
    """A guest on an episode, in the order the episode file lists them."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="appearances")
    guest = models.ForeignKey(Guest, on_delete=models.CASCADE, related_name="appearances")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["episode", "position"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "guest"], name="unique_appearance"),
        ]

    def __str__(self):
        return f"{self.guest} on {self.episode}"


class Clip(models.Model):
    """A quotable clip (``quotableClips``): a named stretch of the video."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="clips")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=300)
    start_sec = models.PositiveIntegerField()
    end_sec = models.PositiveIntegerField()
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["episode", "position"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "position"], name="unique_clip_position"),
            models.CheckConstraint(
                condition=models.Q(end_sec__gte=models.F("start_sec")), name="clip_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.name


class Section(models.Model):
    """A chapter of a transcript. The untitled section 0 holds the lines before the first header."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=500, blank=True)
    start_sec = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["episode", "position"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "position"], name="unique_section_position"),
        ]

    def __str__(self):
        return self.title or "(opening)"

    def get_absolute_url(self):
        return f"{self.episode.get_absolute_url()}#{self.anchor}"

    @property
    def anchor(self):
        return section_anchor(self.position)


class Line(models.Model):
    """One spoken line: who said it (as written in the file), when, and what."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    speaker = models.CharField(max_length=1000, blank=True, help_text="“who” as written in the file.")
    person = models.ForeignKey(
        Guest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lines",
        help_text="Who the speaker is, matched on import and on edits.",
    )
    sec = models.PositiveIntegerField(null=True, blank=True)
    text = models.TextField()
    raw = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The item as written in the file, kept only where it differs from what the fields would give.",
    )

    class Meta:
        ordering = ["section", "position"]
        constraints = [
            models.UniqueConstraint(fields=["section", "position"], name="unique_line_position"),
        ]

    def __str__(self):
        return f"{self.speaker}: {self.text[:60]}" if self.speaker else self.text[:60]

    def get_absolute_url(self):
        return f"{self.section.episode.get_absolute_url()}#{self.anchor}"

    @property
    def timestamp(self):
        return format_timestamp(self.sec) if self.sec is not None else ""

    @property
    def anchor(self):
        return line_anchor(self.section.position, self.position)
