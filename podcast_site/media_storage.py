"""Where covers and portraits are stored, read from the environment (used by settings.py).

``PODCAST_MEDIA_STORAGE=filesystem`` (the default): files under ``PODCAST_MEDIA_ROOT``
(default ``media/`` in the project), URLs under ``PODCAST_MEDIA_URL`` (default ``/media/``).

``PODCAST_MEDIA_STORAGE=s3``: any S3-compatible object storage through django-storages
(AWS S3, Cloudflare R2, MinIO, DigitalOcean Spaces, ...):

- ``AWS_STORAGE_BUCKET_NAME`` (required), ``AWS_S3_ENDPOINT_URL`` (for a service other than
  AWS), ``AWS_S3_REGION_NAME``, ``AWS_LOCATION`` (a folder inside the bucket);
- ``AWS_S3_CUSTOM_DOMAIN``: the host readers fetch from (a CDN, or the bucket's public host);
- ``AWS_DEFAULT_ACL`` (e.g. ``public-read``, where the bucket is not public by policy);
- ``AWS_QUERYSTRING_AUTH=1`` for a private bucket (signed, expiring URLs; pages then vary);
- credentials: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (or an instance role), read
  by boto3 from the environment, never copied into the settings.

Every stored name carries its content's hash, so objects are uploaded with
``Cache-Control: public, max-age=31536000, immutable``.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

IMMUTABLE = "public, max-age=31536000, immutable"
# Files under MEDIA_ROOT, each written whole or not at all (episodes/file_storage.py).
FILESYSTEM = {"BACKEND": "episodes.file_storage.AtomicFileSystemStorage"}


def media_storage(environ, base_dir):
    """(STORAGES["default"], MEDIA_URL, MEDIA_ROOT) from the environment."""
    kind = (environ.get("PODCAST_MEDIA_STORAGE") or "filesystem").strip().lower()
    media_root = Path(environ.get("PODCAST_MEDIA_ROOT") or Path(base_dir) / "media")
    if kind == "filesystem":
        return dict(FILESYSTEM), environ.get("PODCAST_MEDIA_URL") or "/media/", media_root
    if kind != "s3":
        raise ImproperlyConfigured(f"PODCAST_MEDIA_STORAGE must be 'filesystem' or 's3', not {kind!r}")

    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        raise ImproperlyConfigured("PODCAST_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    options = {
        "bucket_name": bucket,
        "file_overwrite": False,
        "querystring_auth": environ.get("AWS_QUERYSTRING_AUTH", "") == "1",
        "object_parameters": {"CacheControl": IMMUTABLE},
    }
    optional = {
        "endpoint_url": "AWS_S3_ENDPOINT_URL",
        "region_name": "AWS_S3_REGION_NAME",
        "custom_domain": "AWS_S3_CUSTOM_DOMAIN",
        "location": "AWS_LOCATION",
        "default_acl": "AWS_DEFAULT_ACL",
    }
    options.update({option: environ[name].strip() for option, name in optional.items() if environ.get(name)})
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, _s3_url(environ, options), media_root


def _s3_url(environ, options):
    """Where readers fetch media from (the Content-Security-Policy allows images from its host)."""
    if environ.get("PODCAST_MEDIA_URL"):
        return environ["PODCAST_MEDIA_URL"]
    location = f"{options['location'].strip('/')}/" if options.get("location") else ""
    if options.get("custom_domain"):
        return f"https://{options['custom_domain']}/{location}"
    if options.get("endpoint_url"):
        return f"{options['endpoint_url'].rstrip('/')}/{options['bucket_name']}/{location}"
    region = options.get("region_name")
    host = f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com"
    return f"https://{options['bucket_name']}.{host}/{location}"
