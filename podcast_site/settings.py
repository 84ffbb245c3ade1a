"""Settings for the podcast archive, read from the environment.

DJANGO_SECRET_KEY   required unless DJANGO_DEBUG=1
DJANGO_DEBUG        "1" turns debug on (default off)
DJANGO_ALLOWED_HOSTS  comma-separated host names
DATABASE_URL        default: SQLite file db.sqlite3 in the project folder
PODCAST_HOSTS       comma-separated slugs of the hosts (default "alexeygrigorev")
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from .cache_config import caches_from_environment
from .media_storage import media_storage

BASE_DIR = Path(__file__).resolve().parent.parent


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"

# Required unless DEBUG: the web server refuses to start without it (episodes.checks),
# while management commands that sign nothing (migrate, import_episodes) still run.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # Development only: a fresh key per process, so nothing signed outlives a restart.
    SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_filters",
    "axes",
    "csp",
    "episodes",
]

MIDDLEWARE = [
    # Cached public pages are answered here, with the headers the middleware below gave them when
    # they were rendered (episodes/http_cache.py).
    "episodes.http_cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "podcast_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "podcast_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run during an import; NORMAL sync is safe with WAL and
    # keeps the one-transaction-per-file import from paying an fsync per commit.
    # IMMEDIATE takes the write lock when a transaction starts, so a writer waits (up to
    # "timeout" seconds, SQLite's busy timeout) instead of failing with "database is locked"
    # when it would have to upgrade a read lock mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("DATABASE_SQLITE_TIMEOUT", "20")),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The admin's log-in is the site's only one (the set-password page links to it).
LOGIN_URL = "admin:login"

# django-axes first: it refuses a locked-out log-in before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))  # where collectstatic writes
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Episode covers and guest pictures, copied in by the import or uploaded in the admin: files under
# media/ by default, or S3-compatible object storage (PODCAST_MEDIA_STORAGE=s3; podcast_site/media_storage.py).
STORAGES["default"], MEDIA_URL, MEDIA_ROOT = media_storage(os.environ, BASE_DIR)

# Slugs of the people who host the podcast: the people import marks them Guest.is_host,
# and hosts are matched as speakers in every episode (see episodes/speakers.py).
PODCAST_HOSTS = env_list("PODCAST_HOSTS", "alexeygrigorev")

# Largest episode or person file the importer reads, in bytes.
PODCAST_MAX_FILE_BYTES = int(os.environ.get("PODCAST_MAX_FILE_BYTES", str(2 * 1024 * 1024)))

# The name the public site shows in its header, titles and footer.
PODCAST_SITE_NAME = os.environ.get("PODCAST_SITE_NAME", "DataTalks.Club Podcast")

if not DEBUG:
    SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # Successful admin log-ins (INFO) and lock-outs (WARNING), whatever the root level.
    "loggers": {"axes": {"level": os.environ.get("DJANGO_AUTH_LOG_LEVEL", "INFO")}},
}

# Serve MEDIA_ROOT from Django itself (always on with DJANGO_DEBUG=1), with long cache lifetimes
# for the hashed names (episodes/media_views.py): fine for one machine behind a caching proxy.
PODCAST_SERVE_MEDIA = os.environ.get("PODCAST_SERVE_MEDIA", "") == "1"

# Caches from CACHE_URL or REDIS_URL (local memory by default); see podcast_site/cache_config.py.
CACHES = caches_from_environment(os.environ, BASE_DIR)
# How long a rendered public page is kept; edits and imports invalidate it at once anyway
# (episodes/cache.py). 0 turns the page cache off (conditional GETs still answer 304).
PODCAST_PAGE_CACHE_SECONDS = int(os.environ.get("PODCAST_PAGE_CACHE_SECONDS", str(60 * 60)))

X_FRAME_OPTIONS = "DENY"


def _origin(url):
    """The scheme and host of an absolute URL (a CDN's), else None for a path on this site."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest and scheme in ("http", "https") else None


# Content-Security-Policy (django-csp): the site's own files, plus exactly what the YouTube player
# loads when a reader presses play (static/episodes/js/player.js): the IFrame API script and the
# widget script it pulls from /s/player/, and the youtube-nocookie.com frame. No inline scripts or
# styles anywhere (admin included); JSON-LD data blocks are not scripts and need nothing.
_asset_origins = [origin for origin in dict.fromkeys([_origin(STATIC_URL), _origin(MEDIA_URL)]) if origin]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [
            SELF,
            *_asset_origins,
            "https://www.youtube.com/iframe_api",
            "https://www.youtube.com/s/player/",
        ],
        "style-src": [SELF, *_asset_origins],
        "img-src": [SELF, *_asset_origins, "https://i.ytimg.com"],
        "font-src": [SELF, *_asset_origins],
        "frame-src": ["https://www.youtube-nocookie.com", "https://www.youtube.com"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if os.environ.get("DJANGO_CSP_REPORT_URI"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = os.environ["DJANGO_CSP_REPORT_URI"]

# Log-in throttling (django-axes): after 5 failed log-ins for one username from one address, that
# pair is refused for 15 minutes, the right password included; the clock starts at the 5th failure.
# Failures and lock-outs are kept in the database (admin: "Axes"); successful log-ins and lock-outs
# are logged (logger "axes").
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a successful log-in forgets that user's earlier failures
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "episodes.access.lockout_response"  # says for how long
AXES_SENSITIVE_PARAMETERS = []  # the log is the record of who logged in from where: keep names and addresses
AXES_VERBOSE = False  # log the username and address only, and no banner on every manage.py command
# Behind reverse proxies that append the client's address to X-Forwarded-For, set DJANGO_PROXY_COUNT
# to their number; without a proxy leave it 0, or anyone could send a new address with each try.
PODCAST_PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "episodes.access.client_ip"

# Uploads to the admin's import page: at most this many files, and this many bytes once unpacked.
PODCAST_UPLOAD_MAX_FILES = int(os.environ.get("PODCAST_UPLOAD_MAX_FILES", "5000"))
PODCAST_UPLOAD_MAX_BYTES = int(os.environ.get("PODCAST_UPLOAD_MAX_BYTES", str(100 * 1024 * 1024)))
