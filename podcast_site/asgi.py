"""The application gunicorn serves (gunicorn.conf.py): cached public pages answered in the event loop,
everything else by Django in a pool of threads (episodes/http_cache.py, CachedPagesFirstASGI).

PODCAST_RENDER_THREADS: threads per process that run Django (default 4); gunicorn.conf.py sets it
from GUNICORN_THREADS.
"""

import os

from podcast_site.wsgi import django_application  # sets Django up; refuses to start without a secret key

# isort: split
from episodes.http_cache import CachedPagesFirstASGI

application = CachedPagesFirstASGI(django_application, threads=int(os.environ.get("PODCAST_RENDER_THREADS") or 4))
