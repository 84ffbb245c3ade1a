"""Settings for the test suite: the real settings with a throwaway secret."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from .settings import *  # noqa: E402,F403

# Plain storage: the tests do not run collectstatic.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Caches in this process only (the suite must not share a version with other runs), and no page
# cache: most tests change rows with queryset updates and read the page again. The tests of the
# cache (episodes/tests/test_caching.py) turn it on.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-pages"},
    "versions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-versions"},
}
PODCAST_PAGE_CACHE_SECONDS = 0
