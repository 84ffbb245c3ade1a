"""Gunicorn settings for production (`make serve-prod`), from the environment.

    .venv/bin/gunicorn -c gunicorn.conf.py     # serve podcast_site.asgi
    .venv/bin/python gunicorn.conf.py          # only check the environment (exit 1 with a message)

GUNICORN_BIND      address(es) to listen on, comma-separated (default 127.0.0.1:8000; unix:/path works)
GUNICORN_WORKERS   worker processes (default: the number of cores, at least 2)
GUNICORN_THREADS   threads per worker that run Django (default 4)
GUNICORN_TIMEOUT   seconds before a silent worker is killed and replaced (default 30)
GUNICORN_ACCESS_LOG  file for the access log, "-" for standard output (the default), "" for none

Worker model: gunicorn's asyncio (ASGI) worker on uvloop, one process per core, serving
podcast_site.asgi. Each process answers cached public pages in its event loop (no thread, no Django)
and runs Django, unchanged, in a few threads (a2wsgi) for everything else. The connections, slow
clients and keep-alive included, wait in the event loop, never in a thread. The pages are CPU work
in Python (template rendering), so more processes than cores only add memory and context switches;
the threads overlap what is not CPU (database reads). The gthread worker, which hands every
request from its poller to a thread and back, served a cached page at half the rate on 2 cores
(bench/report.py). A thread stuck in a view is not a silent worker (its event loop still answers):
GUNICORN_TIMEOUT catches a blocked loop, not a slow page.

preload_app imports Django once, before forking: a broken configuration (a missing secret key) stops
the server at once with one message instead of crash-looping every worker, and the workers share
the loaded code's memory. Nothing opens a database connection at import time, so no connection is
shared across the fork.
"""

import multiprocessing
import os
import sys

REQUIRED = {
    "DJANGO_SECRET_KEY": "a long random string, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'",
    "DJANGO_ALLOWED_HOSTS": "the host names the site answers to, comma-separated, e.g. podcast.example.org",
}


def missing_environment():
    """One line per required variable that is unset or empty (production only: DJANGO_DEBUG=1 needs none)."""
    if os.environ.get("DJANGO_DEBUG") == "1":
        return []
    return [f"{name} is not set: {hint}" for name, hint in REQUIRED.items() if not os.environ.get(name, "").strip()]


def _int_from_env(name, default, minimum=1):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"gunicorn.conf.py: {name} must be a whole number, not {raw!r}")
    if value < minimum:
        sys.exit(f"gunicorn.conf.py: {name} must be at least {minimum}, not {value}")
    return value


_missing = missing_environment()
if _missing:
    sys.exit("Cannot serve in production mode:\n  " + "\n  ".join(_missing))
if __name__ == "__main__":
    sys.exit(0)  # run as a script: the environment check above is all it does

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcast_site.settings")
wsgi_app = "podcast_site.asgi:application"  # gunicorn's name for the application, ASGI or WSGI

bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if address.strip()]
worker_class = "asgi"
asgi_loop = "uvloop"
workers = _int_from_env("GUNICORN_WORKERS", max(2, multiprocessing.cpu_count()))
# Django's threads are the application's (a2wsgi's pool), not gunicorn's `threads`, which the ASGI worker ignores.
render_threads = _int_from_env("GUNICORN_THREADS", 4)
os.environ["PODCAST_RENDER_THREADS"] = str(render_threads)
preload_app = True

timeout = _int_from_env("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30  # a restart lets requests in flight finish
keepalive = 5  # seconds an idle keep-alive connection stays open (a proxy's pool reuses it)

# Replacing each worker now and then bounds any slow memory growth; the jitter keeps them from all
# restarting at once. Rarely: a restart closes the worker's kept-alive connections and starts it with
# an empty memory of pages, and a worker answers up to ten thousand cached pages a second.
max_requests = 1_000_000
max_requests_jitter = 100_000

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client, what it asked, the status, the bytes, the referrer, the agent, and the time taken in ms.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# The control socket is per user (~/.gunicorn): two servers on one machine would fight over it.
control_socket_disable = True
