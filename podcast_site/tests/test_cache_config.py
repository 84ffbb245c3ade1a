"""CACHES from the environment: CACHE_URL, else REDIS_URL, else local memory with a version store that
every process of the machine shares (podcast_site/cache_config.py)."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from podcast_site.cache_config import caches_from_environment

BASE = Path("/srv/podcast")


def test_local_memory_by_default_with_a_shared_version_store():
    caches = caches_from_environment({}, BASE)

    assert caches["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert caches["versions"]["BACKEND"] == "podcast_site.file_cache.StatCheckedFileCache"
    assert caches["versions"]["LOCATION"] != caches_from_environment({}, Path("/srv/other"))["versions"]["LOCATION"]


def test_the_version_store_folder_can_be_chosen(tmp_path):
    caches = caches_from_environment({"PODCAST_CACHE_DIR": str(tmp_path)}, BASE)
    assert caches["versions"]["LOCATION"] == str(tmp_path)


@pytest.mark.parametrize("variable", ["CACHE_URL", "REDIS_URL"])
def test_redis_holds_pages_and_versions(variable):
    caches = caches_from_environment({variable: "redis://cache.internal:6379/2", "CACHE_KEY_PREFIX": "site"}, BASE)

    for alias in ("default", "versions"):
        assert caches[alias]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert caches[alias]["LOCATION"] == "redis://cache.internal:6379/2"
        assert caches[alias]["KEY_PREFIX"] == "site"
        assert caches[alias]["OPTIONS"] == {"socket_connect_timeout": 1, "socket_timeout": 1}


def test_cache_url_wins_over_redis_url():
    caches = caches_from_environment({"CACHE_URL": "locmem://", "REDIS_URL": "redis://cache.internal:6379/0"}, BASE)
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_a_file_cache_is_shared_for_both(tmp_path):
    caches = caches_from_environment({"CACHE_URL": f"file://{tmp_path}"}, BASE)
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert caches["versions"]["BACKEND"] == "podcast_site.file_cache.StatCheckedFileCache"  # the same files
    assert caches["default"]["LOCATION"] == caches["versions"]["LOCATION"] == str(tmp_path)


def test_an_unknown_scheme_names_the_variable_and_hides_the_password():
    with pytest.raises(ImproperlyConfigured) as error:
        caches_from_environment({"REDIS_URL": "memcache://user:hunter2@cache.internal:11211"}, BASE)

    message = str(error.value)
    assert message.startswith("REDIS_URL=memcache://user:***@cache.internal:11211: unsupported cache scheme 'memcache'")
    assert "hunter2" not in message
