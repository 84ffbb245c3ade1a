import sys

from django.core.management.base import BaseCommand, CommandError

from episodes.importer import FAILED, Importer


class Command(BaseCommand):
    help = (
        "Import episode files (.md with front matter, or .yaml/.yml/.txt) from files or folders (recursive). "
        "A folder named _people beside an imported _podcast folder is read for guest profiles."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="episode files or folders")
        parser.add_argument("--people", action="append", default=[], metavar="DIR", help="folder of person files")
        parser.add_argument(
            "--include-drafts", action="store_true", help="import files whose name starts with _ as drafts"
        )
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")

    def handle(self, *args, paths, people, include_drafts, dry_run, verbosity, **options):
        if not paths and not people:
            raise CommandError("give at least one PATH or --people DIR")
        importer = Importer(include_drafts=include_drafts, dry_run=dry_run, progress=self._progress_bar())
        report = importer.run(paths, people_dirs=people)

        for result in report.people + report.episodes:
            if result.outcome == FAILED:
                # One line per failed file, even for database errors that carry a DETAIL line.
                self.stderr.write(f"{result.path}: {' '.join(result.message.split())}")
            elif verbosity >= 2:
                for warning in result.warnings:
                    self.stderr.write(self.style.WARNING(f"{result.path}: warning: {warning}"))
            if verbosity >= 3 and result.outcome != FAILED:
                self.stdout.write(f"{result.path}: {result.outcome}")

        if report.people:
            self.stdout.write(f"people: {report.summary('people')}")
        prefix = "dry run, nothing written: " if dry_run else ""
        self.stdout.write(f"{prefix}{report.summary()}")
        if not report.ok:
            sys.exit(1)

    def _progress_bar(self):
        stream = self.stderr._out
        if not stream.isatty():
            return None

        def show(done, total):
            width = 30
            filled = width * done // max(total, 1)
            stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            if done >= total:
                stream.write("\r" + " " * (width + 24) + "\r")
            stream.flush()

        return show
