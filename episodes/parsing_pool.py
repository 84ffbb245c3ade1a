"""Parsing many episode files at once, in worker processes.

Parsing is pure CPU work on plain data (``parsing.parse_episode``), so a big
import spreads it over the machine's cores and the caller writes other things
to the database meanwhile. Small batches are parsed in-process: starting
workers would cost more than it saves.

Workers are forked: a spawned worker would re-run the caller's main script,
which a script without an ``if __name__ == "__main__"`` guard cannot survive.
Should the pool break anyway, the files it has not parsed are parsed in-process.
"""

import gc
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from .parsing import ParseError, parse_episode

MIN_FILES_PER_WORKER = 25


def parse_job(job):
    """(file name, text) -> EpisodeData, or the ParseError (returned, so one bad file never stops the others)."""
    name, text = job
    try:
        return parse_episode(text, name)
    except ParseError as e:
        return e


def parse_in_background(jobs):
    """An iterator over parse_job's results, in the order of ``jobs``; work starts at once."""
    workers = min(os.cpu_count() or 1, len(jobs) // MIN_FILES_PER_WORKER)
    if workers < 2:
        return map(parse_job, jobs)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"), initializer=gc.disable)
    return _results(pool, pool.map(parse_job, jobs, chunksize=4), jobs)


def _results(pool, results, jobs):
    done = 0
    try:
        for result in results:
            done += 1
            yield result
    except BrokenProcessPool:
        yield from map(parse_job, jobs[done:])
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
