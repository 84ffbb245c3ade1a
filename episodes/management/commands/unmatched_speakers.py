from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize
from django.utils.text import Truncator

from episodes.models import Episode
from episodes.speakers import unmatched_speakers


class Command(BaseCommand):
    help = (
        "List transcript speakers ('who') that match no guest or host, with their line counts, most frequent "
        "first. Add a speaker alias in the admin to link one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--episode", metavar="SLUG", help="only this episode")

    def handle(self, *args, episode, **options):
        if episode is not None:
            try:
                episode = Episode.objects.get(slug=episode)
            except Episode.DoesNotExist:
                raise CommandError(f"no episode with the slug {episode!r}") from None
        rows = unmatched_speakers(episode=episode)
        if not rows:
            self.stdout.write("Every speaker is matched.")
            return
        for speaker, count in rows:
            # Some files put a whole sentence in "who"; a line of the listing is enough to find it.
            self.stdout.write(f"{count:>6}  {Truncator(speaker).chars(100)}")
        lines = sum(count for _, count in rows)
        self.stdout.write(f"{lines} line{pluralize(lines)}, {len(rows)} speaker{pluralize(len(rows))} unmatched")
