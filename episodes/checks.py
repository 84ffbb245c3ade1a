"""Start-up checks: part of `manage.py check --deploy`, and run by the WSGI application (so also by
`runserver`) before it serves."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET_KEY = (
    "DJANGO_SECRET_KEY is not set. Set it in the environment (or set DJANGO_DEBUG=1 for local development)."  # noqa: S105
)


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    try:
        settings.SECRET_KEY  # noqa: B018 - Django refuses an empty key when it is read
    except ImproperlyConfigured:
        return [checks.Error(MISSING_SECRET_KEY, id="episodes.E001")]
    return []
