import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcast_site.settings")

django_application = get_wsgi_application()

# Imported once Django is set up.
from episodes.checks import MISSING_SECRET_KEY, check_secret_key  # noqa: E402
from episodes.http_cache import CachedPagesFirst  # noqa: E402

# A WSGI server runs no system checks: refuse to serve without a secret key.
if check_secret_key(None):
    raise ImproperlyConfigured(MISSING_SECRET_KEY)

# Cached public pages are answered before Django's handler runs (episodes/http_cache.py).
application = CachedPagesFirst(django_application)
