"""The version store's file cache answers unchanged files from memory and sees every change at once."""

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from podcast_site import file_cache
from podcast_site.file_cache import StatCheckedFileCache


@pytest.fixture
def reads(monkeypatch):
    """How many times a value was read from its file."""
    counted = []
    read = FileBasedCache.get

    def counting(self, *args, **kwargs):
        counted.append(1)
        return read(self, *args, **kwargs)

    monkeypatch.setattr(FileBasedCache, "get", counting)
    return counted


def two_processes(tmp_path):
    """Two caches on one folder, as two gunicorn workers have."""
    return StatCheckedFileCache(str(tmp_path), {}), StatCheckedFileCache(str(tmp_path), {})


def test_an_unchanged_file_is_not_read_again(tmp_path, reads):
    mine, _other = two_processes(tmp_path)
    mine.set("version", "a", None)

    assert [mine.get("version") for _ in range(5)] == ["a"] * 5
    assert len(reads) == 1


def test_a_value_another_process_sets_is_seen_at_once(tmp_path):
    mine, other = two_processes(tmp_path)
    other.set("version", "a", None)
    assert mine.get("version") == "a"

    for token in ("b", "c", "d"):  # in quick succession: the same size, perhaps the same clock tick
        other.set("version", token, None)
        assert mine.get("version") == token


def test_a_deletion_another_process_makes_is_seen_at_once(tmp_path):
    mine, other = two_processes(tmp_path)
    other.set("version", "a", None)
    assert mine.get("version") == "a"

    other.delete("version")

    assert mine.get("version", "gone") == "gone"


def test_a_value_is_read_again_after_a_while(tmp_path, reads, monkeypatch):
    mine, _other = two_processes(tmp_path)
    mine.set("version", "a", None)
    mine.get("version")
    monkeypatch.setattr(file_cache, "MEMORY_SECONDS", 0)

    mine.get("version")

    assert len(reads) == 2


def test_an_expired_value_is_gone(tmp_path, monkeypatch):
    mine, _other = two_processes(tmp_path)
    mine.set("page", "a", 60)
    assert mine.get("page") == "a"
    monkeypatch.setattr(file_cache, "MEMORY_SECONDS", 0)
    monkeypatch.setattr(FileBasedCache, "_is_expired", lambda self, f: True)

    assert mine.get("page") is None
