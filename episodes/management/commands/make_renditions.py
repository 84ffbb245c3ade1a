from django.core.management.base import BaseCommand

from episodes.renditions import make_missing_renditions


class Command(BaseCommand):
    help = (
        "Make the resized copies (WebP widths and a JPEG fallback) of every cover and guest picture that lacks "
        "them. Renditions already in storage are never made again."
    )

    def handle(self, *args, verbosity, **options):
        report = make_missing_renditions()
        for failure in report.failures:
            self.stderr.write(self.style.WARNING(failure))
        if verbosity:
            self.stdout.write(f"renditions: {report.images} image(s) done, {report.files_written} file(s) written")
