"""Import speed on the real archive, side by side with parsing its front matter alone.

    .venv/bin/python bench/import_speed.py [ARCHIVE/_podcast] [--rounds N]

Each round: parse every published file's front matter with yaml.CSafeLoader
(the floor: no validation, no database), then import the folder into a fresh
SQLite database (first run), then import it again (second run: everything
unchanged). Prints the median of each and the ratios the README quotes.
Targets: first import <= 2 x parse; second run <= 0.25 x parse.
"""

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from engines import DEFAULT_ARCHIVE


def parse_front_matter_only(files):
    import yaml

    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        end = next(i for i in range(1, len(lines)) if lines[i] == "---")
        yaml.load("\n".join(lines[1:end]), Loader=yaml.CSafeLoader)  # noqa: S506 - the safe C loader


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archive", nargs="?", default=str(DEFAULT_ARCHIVE))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    archive = Path(args.archive)
    if not archive.is_dir():
        sys.exit(f"no archive at {archive}")

    workdir = tempfile.mkdtemp(prefix="podcast-bench-")
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    # Covers and pictures go to a media folder of the bench's own, emptied every round: each first
    # import stores every image, as on a new site.
    media = Path(workdir) / "media"
    os.environ["PODCAST_MEDIA_ROOT"] = str(media)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcast_site.test_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from episodes.importer import Importer
    from episodes.models import Episode, Line
    from episodes.renditions import make_missing_renditions

    files = sorted(p for p in archive.glob("*.md") if not p.name.startswith("_"))
    parse_times, first_times, second_times, rendition_times = [], [], [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        parse_front_matter_only(files)
        parse_times.append(time.perf_counter() - start)

        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{workdir}/bench.sqlite3{suffix}").unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
        shutil.rmtree(media, ignore_errors=True)

        start = time.perf_counter()
        first = Importer().run([archive])
        first_times.append(time.perf_counter() - start)

        # import_episodes then makes the images' renditions: a step of its own, on every core.
        start = time.perf_counter()
        renditions = make_missing_renditions()
        rendition_times.append(time.perf_counter() - start)

        start = time.perf_counter()
        second = Importer().run([archive])
        second_times.append(time.perf_counter() - start)

    parse, first_run, second_run, rendition_run = (
        statistics.median(t) for t in (parse_times, first_times, second_times, rendition_times)
    )
    print(f"archive: {archive} ({len(files)} published files)")
    print(f"first import:  {first.summary()}")
    print(f"second import: {second.summary()}")
    print(f"episodes {Episode.objects.count()}, lines {Line.objects.count()}")
    print(f"median of {args.rounds} rounds:")
    rows = [
        ("parse front matter (CSafeLoader)", parse, ""),
        ("first import (people + episodes)", first_run, f"= {first_run / parse:.2f} x parse (target <= 2)"),
        ("second import (all unchanged)", second_run, f"= {second_run / parse:.2f} x parse (target <= 0.25)"),
        (
            "renditions (after the import)",
            rendition_run,
            f"{renditions.images} images, {renditions.files_written} files",
        ),
    ]
    for label, seconds, note in rows:
        print(f"  {label:34} {seconds * 1000:7.0f} ms  {note}")


if __name__ == "__main__":
    main()
