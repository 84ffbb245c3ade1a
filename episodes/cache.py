"""The content version: one token, in the shared cache, that every cached page and ETag depends on.

Any change to what the public site shows calls ``content_changed()``, which writes a new token;
pages cached and ETags issued under the old one are then never served again, by any process or
server (they all read the token from the ``versions`` cache, never from process memory).

It is called from one place per kind of change:

- the ``post_save``/``post_delete``/``m2m_changed`` signals of every model of this app, and of the
  admin's LogEntry (connected by ``connect_signals()``, from EpisodesConfig.ready);
- ``Episode.mark_edited()`` (transcript edits made with queryset updates);
- the end of an import that created or updated anything (``Importer.run``), which mutes the
  signals while it writes so that an import is one change, not thousands.

Code that writes content with ``QuerySet.update()``/``bulk_create()`` outside those paths must call
``content_changed()`` itself.
"""

import functools
import hashlib
import logging
import secrets
import threading
from contextlib import contextmanager
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

logger = logging.getLogger(__name__)

VERSION_KEY = "content-version"
_muted = threading.local()
_stores = threading.local()
_caches_setting = [0]  # bumped when settings.CACHES changes (tests): every thread makes its store again


def _store(alias):
    """This thread's cache ``alias``. Not ``caches[alias]``: in an event loop (the ASGI front,
    episodes/http_cache.py) Django makes new cache objects for every request, which would forget what
    the version store had read (StatCheckedFileCache) and open a new connection to Redis each time."""
    stores = getattr(_stores, "by_alias", None)
    if stores is None or stores[0] != _caches_setting[0]:
        stores = _stores.by_alias = (_caches_setting[0], {})
    if alias not in stores[1]:
        stores[1][alias] = caches.create_connection(alias)
    return stores[1][alias]


def _versions():
    return _store("versions")


@receiver(setting_changed)
def _forget_stores(setting, **kwargs):
    if setting == "CACHES":
        _caches_setting[0] += 1


def content_version():
    """The current token (a short string), or None when the cache cannot be reached."""
    store = _versions()
    try:
        version = store.get(VERSION_KEY)
        if version is None:
            # First use, or evicted: any new token is safe, as no page was cached under it.
            store.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
            version = store.get(VERSION_KEY)
    except Exception:  # any cache backend error: serve uncached rather than fail
        logger.warning("The content version cannot be read from the cache", exc_info=True)
        return None
    return version


# Settings that shape a page's bytes or the headers stored with it (episodes' own and the security ones).
RELEASE_SETTINGS = (
    "PODCAST_SITE_NAME",
    "STATIC_URL",
    "MEDIA_URL",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
)


@functools.cache
def code_release():
    """A digest of the code, templates, static files and the settings that shape pages: a deployment
    never serves pages (or ETags) rendered by the code or settings it replaced, even from a cache
    shared across deployments."""
    base = Path(settings.BASE_DIR)
    configured = repr([getattr(settings, name, None) for name in RELEASE_SETTINGS])
    digest = hashlib.sha256("|".join([django.get_version(), configured]).encode())
    sources = [("templates", "*"), ("static", "*"), ("episodes", "*.py"), ("podcast_site", "*.py")]
    for folder, pattern in sources:
        for path in sorted((base / folder).rglob(pattern)):
            if path.is_file() and "tests" not in path.relative_to(base).parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_until_content_changes(key, compute):
    """``compute()``, kept in the default cache under ``key`` until the content or the code changes.

    For what is derived from the whole archive on many pages (the search filters' lists of people and
    topics). Computed every time when the page cache is off (PODCAST_PAGE_CACHE_SECONDS=0) or down.
    """
    timeout, version = settings.PODCAST_PAGE_CACHE_SECONDS, content_version()
    if not timeout or version is None:
        return compute()
    key = f"{key}:{code_release()}:{version}"
    value = cache_get(key)
    if value is None:
        value = compute()
        cache_set(key, value, timeout)
    return value


def cache_get(key):
    """The default cache's value for ``key``; None when it has none or cannot be read (logged, never raised)."""
    try:
        return _store("default").get(key)
    except Exception:
        logger.warning("The cache cannot be read", exc_info=True)
        return None


def cache_set(key, value, timeout):
    """Store ``value`` in the default cache; a failure is logged, never raised (the page still renders)."""
    try:
        _store("default").set(key, value, timeout)
    except Exception:
        logger.warning("The cache cannot be written", exc_info=True)


def _new_version():
    # A fresh random token rather than an increment: no read-modify-write to race, and a token
    # written after a commit has never been seen by a page rendered before it.
    try:
        _versions().set(VERSION_KEY, secrets.token_hex(8), timeout=None)
    except Exception:
        # The change itself is saved; cached pages expire after PODCAST_PAGE_CACHE_SECONDS at most.
        logger.error("The content version cannot be written to the cache: cached pages may be stale", exc_info=True)


def content_changed():
    """Invalidate every cached page and ETag, now and again once the current transaction commits.

    The first token stops serving what was cached before the change; the second replaces any page
    that a reader rendered from the not yet committed database in between.
    """
    if getattr(_muted, "depth", 0):
        return
    _new_version()
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(_new_version)


@contextmanager
def signals_muted():
    """Within this block (in this thread), model signals do not invalidate: the caller calls
    ``content_changed()`` once it knows whether anything changed."""
    _muted.depth = getattr(_muted, "depth", 0) + 1
    try:
        yield
    finally:
        _muted.depth -= 1


def _on_change(sender, **kwargs):
    content_changed()


def _on_m2m_change(sender, action, **kwargs):
    if action.startswith("post_"):
        content_changed()


def connect_signals():
    """Invalidate on every save and delete of this app's models (m2m tables included) and of LogEntry."""
    from django.contrib.admin.models import LogEntry

    for model in apps.get_app_config("episodes").get_models(include_auto_created=True):
        uid = f"episodes.cache:{model._meta.label}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete")
        m2m_changed.connect(_on_m2m_change, sender=model, dispatch_uid=f"{uid}:m2m")
    # Admin actions that change many rows at once log what they did.
    post_save.connect(_on_change, sender=LogEntry, dispatch_uid="episodes.cache:logentry")
