from django.core.management.base import BaseCommand, CommandError

from episodes.export import build_export, check_writable, write_export


class Command(BaseCommand):
    help = (
        "Write every episode to DIR/_podcast/<slug>.md (drafts as _<slug>.md) and every guest profile to "
        "DIR/_people/<slug>.md, in the shapes import_episodes reads. Files whose content is unchanged are not touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="folder to write _podcast/ and _people/ into")
        parser.add_argument("--dry-run", action="store_true", help="build and check every file, write nothing")

    def handle(self, *args, directory, dry_run, verbosity, **options):
        if not dry_run:
            try:
                check_writable(directory)
            except OSError as e:
                raise CommandError(f"cannot write to {directory}: {e.strerror or e}") from e
        export = build_export()
        if export.failures:
            # Nothing is written unless every file reads back as the database has it.
            for failure in export.failures:
                self.stderr.write(failure)
            raise CommandError(f"{len(export.failures)} file(s) could not be exported; nothing was written")
        try:
            report = write_export(export, directory, dry_run=dry_run)
        except OSError as e:
            raise CommandError(f"cannot write to {directory}: {e.strerror or e} ({e.filename})") from e

        if verbosity >= 2:
            for path in report.written:
                self.stdout.write(f"{'would write' if dry_run else 'wrote'} {path}")
        for path in report.stale:
            self.stderr.write(
                self.style.WARNING(
                    f"{path}: not written by this export (renamed or deleted in the CMS?); left as it is"
                )
            )
        verb = "would write" if dry_run else "wrote"
        self.stdout.write(
            f"{len(export.episodes)} episodes and {len(export.people)} people exported to {directory}: "
            f"{verb} {len(report.written)} files, {len(report.unchanged)} unchanged, "
            f"{len(report.stale)} other files left alone" + (" (dry run: nothing written)" if dry_run else "")
        )
