"""What an import says about each file and in sum: one wording for the command and the admin's upload."""

from dataclasses import dataclass

from .importer import CONFLICT, FAILED

ERROR, WARNING, OUTCOME, SUMMARY = "error", "warning", "outcome", "summary"


@dataclass(frozen=True)
class Message:
    level: str  # ERROR (a failed or conflicting file), WARNING, OUTCOME (one file's outcome) or SUMMARY
    text: str
    outcome: str = ""  # the file's outcome, for ERROR and OUTCOME messages


def report_messages(report, *, verbosity=1, dry_run=False, name=str):
    """The messages for an ImportReport, in order: per file, then the summaries.

    ``verbosity`` as in the command: warnings from 2, every file's outcome from
    3. ``name`` shows a file's path (the admin shows uploaded names, not the
    temporary folder).
    """
    messages = []
    for result in report.people + report.episodes:
        shown = name(result.path)
        if result.outcome in (FAILED, CONFLICT):
            # One line per file, even for database errors that carry a DETAIL line.
            messages.append(Message(ERROR, f"{shown}: {' '.join(result.message.split())}", result.outcome))
            continue
        if verbosity >= 2:
            messages.extend(Message(WARNING, f"{shown}: warning: {warning}") for warning in result.warnings)
        if verbosity >= 3:
            messages.append(Message(OUTCOME, f"{shown}: {result.outcome}", result.outcome))
    if report.people:
        messages.append(Message(SUMMARY, f"people: {report.summary('people')}"))
    prefix = "dry run, nothing written: " if dry_run else ""
    messages.append(Message(SUMMARY, f"{prefix}{report.summary()}"))
    return messages
