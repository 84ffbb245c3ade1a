"""Shared test fixtures: paths to the shipped fixtures and the real archive, and an import helper."""

import os
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.cache import caches

from episodes.importer import Importer
from episodes.models import Appearance, Clip, Episode, Guest, Line, Section, SpeakerAlias, Topic

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
FIXTURE_EPISODES = FIXTURES / "_podcast"
EDGE_CASES = FIXTURES / "edge-cases"
CORPUS = Path(os.environ.get("PODCAST_CORPUS", Path(settings.BASE_DIR).parent / "shared" / "corpus"))
SEED = CORPUS / "seed" / "s19e04-mlops-as-a-team.yaml"
LONGEST_SLUG = "practical-devrel-demofirst-education-and-open-source"


def run_import(*paths, **options):
    """Import files or folders the way the command does; returns the ImportReport."""
    return Importer(**options).run([str(path) for path in paths])


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test stores covers and pictures in a folder of its own, never in the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


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


def db_snapshot():
    """Every row the import can touch, in a comparable form (for "the database is unchanged")."""
    models = [Topic, Guest, SpeakerAlias, Episode, Episode.topics.through, Appearance, Clip, Section, Line]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def front_matter_data(path):
    """The YAML between a file's first two lines that are exactly ---, read independently of the parser."""
    lines = Path(path).read_text("utf-8").split("\n")
    first, second = [index for index, line in enumerate(lines) if line == "---"][:2]
    return yaml.safe_load("\n".join(lines[first + 1 : second]))


def clear_caches():
    for alias in ("default", "versions"):
        caches[alias].clear()


@pytest.fixture
def page_cache(settings):
    """The page cache on, empty."""
    settings.PODCAST_PAGE_CACHE_SECONDS = 3600
    clear_caches()
    yield
    clear_caches()
