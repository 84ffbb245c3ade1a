import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from episodes.quality import KINDS, Severity, build_report


class Command(BaseCommand):
    help = (
        "List what in the archive needs an editor's attention (the data-quality report), per episode and per "
        "person, each finding with the admin page where it is fixed. Exits with status 1 when it lists an error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--format", dest="output_format", choices=["text", "json"], default="text", help="text (default) or json"
        )
        parser.add_argument("--episode", metavar="SLUG", help="only this episode (and its guests)")
        parser.add_argument(
            "--kind",
            action="append",
            default=[],
            choices=list(KINDS),
            metavar="KIND",
            help="only this kind (repeatable)",
        )
        parser.add_argument(
            "--severity", choices=[str(severity) for severity in Severity], help="only errors or warnings"
        )

    def handle(self, *args, output_format, episode, kind, severity, verbosity, **options):
        report = build_report()
        if episode is not None and episode not in report.episodes:
            raise CommandError(f"no episode with the slug {episode!r}")
        report = report.select(kinds=kind, severity=severity, episode=episode)

        if output_format == "json":
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self._write_text(report, verbosity)
        if report.errors:
            sys.exit(1)  # errors need someone to look (in CI, a failed step); warnings alone do not

    def _write_text(self, report, verbosity):
        if verbosity >= 1:
            for group in report.groups():
                self.stdout.write(self.style.MIGRATE_HEADING(self._heading(group)))
                for finding in group.findings:
                    style = self.style.ERROR if finding.is_error else self.style.WARNING
                    self.stdout.write(f"  {style(f'{finding.severity:<7}')} {finding.kind}: {finding.message}")
                    self.stdout.write(f"          {finding.admin_url}")
        if not report.findings:
            self.stdout.write("No findings.")
            return
        counts = ", ".join(f"{code} {count}" for code, count in report.counts_by_kind().items() if count)
        self.stdout.write(
            f"{report.errors} error{pluralize(report.errors)}, {report.warnings} warning{pluralize(report.warnings)} "
            f"({counts})"
        )

    @staticmethod
    def _heading(group):
        if group.episode:
            return f"{group.episode.code} {group.episode.slug}: {group.episode.title}"
        return f"{group.guest.name} ({group.guest.slug}), person"
