"""Shared test fixtures: paths to the shipped fixtures and the real archive, and an import helper."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from episodes.importer import Importer

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
FIXTURE_EPISODES = FIXTURES / "_podcast"
EDGE_CASES = FIXTURES / "edge-cases"
CORPUS = Path(os.environ.get("PODCAST_CORPUS", Path(settings.BASE_DIR).parent / "shared" / "corpus"))
SEED = CORPUS / "seed" / "s19e04-mlops-as-a-team.yaml"
LONGEST_SLUG = "practical-devrel-demofirst-education-and-open-source"


def run_import(*paths, **options):
    """Import files or folders the way the command does; returns the ImportReport."""
    return Importer(**options).run([str(path) for path in paths])


@pytest.fixture
def corpus():
    """The real archive beside the checkout; skipped (with a reason) where it is absent."""
    if not (CORPUS / "datatalksclub" / "_podcast").is_dir():
        pytest.skip(f"the real archive is not at {CORPUS} (set PODCAST_CORPUS)")
    return CORPUS


@pytest.fixture
def fixture_archive(db):
    """The shipped fixtures (seed, a handful of real episodes and their guests), imported."""
    report = run_import(FIXTURE_EPISODES)
    assert report.ok, report.failures
    return report
