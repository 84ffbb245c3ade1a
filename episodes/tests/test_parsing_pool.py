"""Big imports parse in worker processes: same results, in order, errors returned not raised."""

from episodes import parsing_pool
from episodes.parsing import ParseError, parse_episode

from .conftest import EDGE_CASES, FIXTURE_EPISODES


def jobs():
    files = sorted(FIXTURE_EPISODES.glob("*.md")) * 8 + [EDGE_CASES / "bad-not-yaml.md"]
    return [(path.name, path.read_text("utf-8")) for path in files]


def test_a_big_batch_uses_workers_and_matches_parsing_in_process(monkeypatch):
    monkeypatch.setattr(parsing_pool.os, "cpu_count", lambda: 2)
    batch = jobs()
    assert len(batch) // parsing_pool.MIN_FILES_PER_WORKER >= 2  # enough for the pool

    results = list(parsing_pool.parse_in_background(batch))

    assert len(results) == len(batch)
    for (name, text), result in zip(batch[:-1], results[:-1], strict=True):
        assert result == parse_episode(text, name)
    assert isinstance(results[-1], ParseError)
    assert "not valid YAML" in str(results[-1])


def test_a_small_batch_is_parsed_in_process():
    batch = jobs()[:3]
    results = parsing_pool.parse_in_background(batch)

    assert isinstance(results, map)
    assert [result.slug for result in results] == [parse_episode(text, name).slug for name, text in batch]


def test_a_broken_pool_falls_back_to_parsing_in_process(monkeypatch):
    monkeypatch.setattr(parsing_pool.os, "cpu_count", lambda: 2)
    batch = jobs()

    def broken(job):
        raise parsing_pool.BrokenProcessPool("a worker died")

    class Pool:
        def __init__(self, *args, **kwargs):
            pass

        def map(self, fn, items, chunksize):
            yield parsing_pool.parse_job(items[0])
            yield broken(items[1])

        def shutdown(self, **kwargs):
            pass

    monkeypatch.setattr(parsing_pool, "ProcessPoolExecutor", Pool)

    results = list(parsing_pool.parse_in_background(batch))

    assert len(results) == len(batch)
    assert [getattr(result, "slug", None) for result in results[:-1]] == [
        parse_episode(text, name).slug for name, text in batch[:-1]
    ]
