from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "episodes"
    verbose_name = "Podcast archive"

    def ready(self):
        from . import checks  # noqa: F401 - registers the start-up checks
        from .cache import connect_signals

        connect_signals()  # edits and deletions invalidate cached pages
