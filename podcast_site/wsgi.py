import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcast_site.settings")

application = get_wsgi_application()

# A WSGI server runs no system checks: refuse to serve without a secret key.
from episodes.checks import MISSING_SECRET_KEY, check_secret_key  # noqa: E402

if check_secret_key(None):
    raise ImproperlyConfigured(MISSING_SECRET_KEY)
