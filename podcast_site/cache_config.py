"""The CACHES setting from the environment (CACHE_URL, else REDIS_URL; local memory by default).

Two aliases:

- ``default``: rendered pages and anything else the app caches.
- ``versions``: the content version that every cached page and ETag depends on
  (episodes/cache.py). It must be shared by every process that serves the site, or an
  edit made through one process would leave the others serving stale pages. With Redis
  (or a file cache) it is the same store as ``default``; with process-local memory it is
  a small file cache that all processes on the machine share.
"""

import hashlib
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

REDIS_SCHEMES = ("redis", "rediss", "unix")
# A cache server that stops answering must not hang every page: the app then renders uncached.
REDIS_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
LOCMEM_MAX_ENTRIES = 1000
FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"


def redacted(url):
    """``url`` without its password, for error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def default_versions_dir(base_dir):
    """A folder shared by every process of this checkout, private to it (one per project folder)."""
    tag = hashlib.sha256(str(base_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"podcast-archive-{tag}" / "versions"


def caches_from_environment(environ, base_dir):
    """The CACHES setting for ``environ`` (a mapping like os.environ)."""
    variable = "CACHE_URL" if environ.get("CACHE_URL") else "REDIS_URL"
    url = environ.get(variable, "").strip()
    prefix = environ.get("CACHE_KEY_PREFIX", "podcast").strip()
    versions_dir = environ.get("PODCAST_CACHE_DIR") or default_versions_dir(base_dir)
    # Read on every request: a file cache that stats the file instead of reading it (podcast_site/file_cache.py).
    shared_files = {
        "BACKEND": "podcast_site.file_cache.StatCheckedFileCache",
        "LOCATION": str(versions_dir),
        "KEY_PREFIX": prefix,
    }
    local_memory = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "podcast-pages",
        "KEY_PREFIX": prefix,
        "OPTIONS": {"MAX_ENTRIES": LOCMEM_MAX_ENTRIES},
    }
    if not url:
        return {"default": local_memory, "versions": shared_files}

    scheme = urlsplit(url).scheme.lower()
    if scheme in REDIS_SCHEMES:
        redis = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": dict(REDIS_OPTIONS),
        }
        return {"default": redis, "versions": dict(redis, OPTIONS=dict(REDIS_OPTIONS))}
    if scheme == "locmem":
        return {"default": local_memory, "versions": shared_files}
    if scheme == "file":
        path = urlsplit(url).path
        if not path:
            raise ImproperlyConfigured(f"{variable}={redacted(url)}: a file cache needs a folder (file:///var/cache/x)")
        versions = dict(shared_files, LOCATION=path)
        return {"default": dict(versions, BACKEND=FILE_CACHE), "versions": versions}
    if scheme == "dummy":
        dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
        return {"default": dummy, "versions": dict(dummy)}
    raise ImproperlyConfigured(
        f"{variable}={redacted(url)}: unsupported cache scheme {scheme!r} "
        "(use redis://, rediss://, unix://, locmem://, file:// or dummy://)"
    )
