"""Transcript times: "M:SS" / "H:MM:SS" strings and seconds. Pure Python."""

import re

_TIME_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")


def parse_timestamp(value):
    """Seconds for "M:SS" or "H:MM:SS" (whitespace ignored), None if malformed."""
    match = _TIME_RE.match(re.sub(r"\s+", "", value))
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    if int(seconds) > 59 or (hours is not None and int(minutes) > 59):
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


def format_timestamp(sec):
    """ "M:SS" below an hour, "H:MM:SS" from an hour on (the files' own style)."""
    hours, rest = divmod(int(sec), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


_DURATION_RE = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def parse_duration(value):
    """Seconds for an ISO 8601 duration such as PT1H03M37S, PT1H5S or PT58M; None if malformed."""
    match = _DURATION_RE.match(value.strip())
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def iso_duration(sec):
    """Seconds as an ISO 8601 duration ("PT1H2M5S"), the form <time datetime> takes for lengths of time."""
    hours, rest = divmod(int(sec), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M")) if value]
    return "PT" + "".join(parts) + f"{seconds}S"
