import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from episodes.database_faults import ImportStopped, stopped_message
from episodes.import_messages import ERROR, WARNING, report_messages
from episodes.importer import CREATED, UPDATED, Importer
from episodes.renditions import make_missing_renditions


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
        parser.add_argument(
            "--overwrite-edits",
            action="store_true",
            help="take a changed file's version even where the episode was edited in the admin since its last import",
        )
        parser.add_argument(
            "--images-root",
            metavar="DIR",
            help="read the files' images (image:, picture:) from DIR instead of the archive's root "
            "(the folder holding _podcast and _people)",
        )
        parser.add_argument(
            "--no-renditions",
            action="store_true",
            help="do not make the resized copies of new images now (manage.py make_renditions does it later)",
        )

    def handle(self, *args, paths, people, include_drafts, dry_run, overwrite_edits, verbosity, **options):
        if not paths and not people:
            raise CommandError("give at least one PATH or --people DIR")
        images_root = options["images_root"]
        if images_root and not Path(images_root).is_dir():
            raise CommandError(f"--images-root {images_root}: no such folder")
        importer = Importer(
            include_drafts=include_drafts,
            dry_run=dry_run,
            overwrite_edits=overwrite_edits,
            progress=self._progress_bar(),
            images_root=images_root,
        )
        try:
            report = importer.run(paths, people_dirs=people)
        except (ImportStopped, DatabaseError) as e:  # the database itself failed: one message, not a traceback
            raise CommandError(stopped_message(e)) from e

        for message in report_messages(report, verbosity=verbosity, dry_run=dry_run):
            if message.level == ERROR:
                self.stderr.write(message.text)
            elif message.level == WARNING:
                self.stderr.write(self.style.WARNING(message.text))
            else:
                self.stdout.write(message.text)
        changed = any(result.outcome in (CREATED, UPDATED) for result in report.people + report.episodes)
        if changed and not dry_run and not options["no_renditions"]:
            self._make_renditions(verbosity)
        # Failed files and edits a changed file would have overwritten both need someone to look.
        if not report.ok:
            sys.exit(1)

    def _make_renditions(self, verbosity):
        """The resized copies of the images this import stored (episodes/renditions.py)."""
        made = make_missing_renditions()
        if verbosity < 2:  # like the import's warnings
            return
        for failure in made.failures:
            self.stderr.write(self.style.WARNING(f"warning: {failure}"))
        if made.images:
            self.stdout.write(f"renditions: {made.images} image(s), {made.files_written} file(s) written")

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
