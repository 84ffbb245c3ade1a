"""Every performance figure of the production setup, side by side from one run, each with its target.

    .venv/bin/python bench/report.py [ARCHIVE/_podcast] [--rounds N] [--page-requests N] [--seconds S]

On the real archive (../shared/corpus), in a throwaway SQLite database in a temporary folder (never
db.sqlite3), with the production settings (DJANGO_DEBUG off; requests carry X-Forwarded-Proto: https,
as from the TLS proxy in front of the site):

1. parsing every published file's front matter with yaml.CSafeLoader alone (the floor), against a full
   import of the archive into an empty database, then a second import with nothing changed;
2. server time of the longest episode page, uncached (the page cache emptied before each request) and
   cached: median and 95th percentile, in this process through Django's WSGI handler (test Client);
3. server time of /search/ for a few kinds of query;
4. requests per second of that episode page, cached, through gunicorn (gunicorn.conf.py) against nginx
   serving the very same bytes as a static file, with the same load generator and connections: wrk when
   installed, else a small Python client (threads, keep-alive http.client). nginx missing: skipped, says so.

Targets (2-core machine): import <= 2 x parse; no-op re-import <= 0.25 x parse; uncached page median
<= 25 ms; search median < 50 ms; gunicorn >= 20% of nginx's requests per second. Prints PASS or MISS for
each; exits 1 on a MISS only with --strict. Runs collectstatic into STATIC_ROOT first, as serve-prod does.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from import_speed import DEFAULT_ARCHIVE, parse_front_matter_only  # noqa: E402
from search_speed import QUERIES, percentile  # noqa: E402

LONGEST_SLUG = "practical-devrel-demofirst-education-and-open-source"
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
CONNECTIONS = 16


class Report:
    """Rows of (figure, value, target, verdict), printed as a table at the end."""

    def __init__(self):
        self.rows = []

    def add(self, figure, value, target="", ok=None):
        self.rows.append((figure, value, target, "" if ok is None else ("PASS" if ok else "MISS")))
        print(f"  {figure}: {value}" + (f"  [{target}: {self.rows[-1][3]}]" if target else ""), flush=True)

    def print(self):
        widths = [max(len(row[i]) for row in [("figure", "value", "target", ""), *self.rows]) for i in range(3)]
        print()
        for figure, value, target, verdict in [("figure", "value", "target", ""), *self.rows]:
            print(f"{figure:{widths[0]}}  {value:{widths[1]}}  {target:{widths[2]}}  {verdict}".rstrip())
        missed = [row[0] for row in self.rows if row[3] == "MISS"]
        met = sum(row[3] == "PASS" for row in self.rows)
        print(f"\n{met} of {met + len(missed)} targets met" + (f"; missed: {', '.join(missed)}" if missed else ""))
        return missed


def milliseconds(seconds):
    return f"{seconds * 1000:,.1f} ms" if seconds < 0.1 else f"{seconds * 1000:,.0f} ms"


def production_environment(workdir, media_root):
    """Production settings on a throwaway database; nothing shared with a developer's server."""
    os.environ.pop("DJANGO_DEBUG", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="podcast_site.settings",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        PODCAST_CACHE_DIR=str(workdir / "cache"),
        PODCAST_MEDIA_ROOT=str(media_root),
        DJANGO_LOG_LEVEL="ERROR",
    )


# --- 1. import ---------------------------------------------------------------------------------------


def measure_import(report, archive, rounds):
    from django.core.management import call_command
    from django.db import connection

    from episodes.importer import Importer

    files = sorted(p for p in archive.glob("*.md") if not p.name.startswith("_"))
    database = Path(connection.settings_dict["NAME"])
    parse_times, first_times, second_times = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        parse_front_matter_only(files)
        parse_times.append(time.perf_counter() - start)

        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
        start = time.perf_counter()
        first = Importer().run([archive])
        first_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        second = Importer().run([archive])
        second_times.append(time.perf_counter() - start)

    parse, full, noop = (statistics.median(times) for times in (parse_times, first_times, second_times))
    print(f"  {len(files)} published files; first import: {first.summary()}; second: {second.summary()}")
    report.add(f"parse front matter, CSafeLoader (median of {rounds})", milliseconds(parse))
    report.add("full import, empty database", f"{milliseconds(full)} = {full / parse:.2f} x parse", "<= 2 x parse",
               full <= 2 * parse)  # fmt: skip
    report.add("re-import, nothing changed", f"{milliseconds(noop)} = {noop / parse:.2f} x parse",
               "<= 0.25 x parse", noop <= 0.25 * parse)  # fmt: skip


# --- 2. and 3. server time in this process ------------------------------------------------------------


def timed(client, url, runs, before=None, params=lambda n: {}):
    times = []
    for n in range(runs):
        if before:
            before()
        start = time.perf_counter()
        response = client.get(url, params(n), secure=True)
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}")
    return statistics.median(times), percentile(times, 0.95), response


def measure_pages(report, runs):
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client(headers=PROXY_HEADERS)
    url = reverse("episodes:episode_detail", args=[LONGEST_SLUG])
    for _ in range(3):  # templates, connection, the content version
        client.get(url, secure=True)
    pages = caches["default"]
    median, p95, response = timed(client, url, runs, before=pages.clear)
    with CaptureQueriesContext(connection) as queries:
        pages.clear()
        client.get(url, secure=True)
    size = len(response.content)
    report.add("longest episode page, uncached", f"median {milliseconds(median)}, p95 {milliseconds(p95)}",
               "median <= 25 ms", median <= 0.025)  # fmt: skip
    print(f"    ({size:,} bytes, {len(queries)} queries, {runs} requests)")
    median, p95, _ = timed(client, url, runs)
    report.add("longest episode page, cached", f"median {milliseconds(median)}, p95 {milliseconds(p95)}")

    search = reverse("episodes:search")
    for label, query in QUERIES.items():
        for _ in range(2):
            client.get(search, {"q": query}, secure=True)
        # Each request a search never asked before (a parameter the page ignores, `_`, makes its URL new):
        # the page cache misses, while the filters' lists of people and topics stay cached, as on the site.
        median, p95, _ = timed(client, search, runs, params=lambda n, query=query: {"q": query, "_": n})
        report.add(f"/search/ {label} {query}", f"median {milliseconds(median)}, p95 {milliseconds(p95)}",
                   "median < 50 ms", median < 0.050)  # fmt: skip
    return url


# --- 4. gunicorn against nginx --------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port, path, process, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{what} exited with status {process.returncode}")
        try:
            return fetch(port, path)
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{what} did not answer within {timeout} s")


def fetch(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=PROXY_HEADERS)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path} on port {port} answered {response.status}")
        return body
    finally:
        connection.close()


def start_gunicorn(workdir):
    port = free_port()
    log = (workdir / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
        env={**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": ""},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, port


def start_nginx(workdir, page):
    """nginx on a free port serving ``page`` as a static file; None when nginx is not installed."""
    binary = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not binary:
        return None, None, None
    prefix, port = workdir / "nginx", free_port()
    (prefix / "www").mkdir(parents=True)
    (prefix / "www" / "page.html").write_bytes(page)
    # nginx's workers drop root for an unprivileged user, who must reach the file (mkdtemp made 0700).
    workdir.chmod(0o711)
    for path in (prefix, prefix / "www"):
        path.chmod(0o755)
    (prefix / "www" / "page.html").chmod(0o644)
    (prefix / "nginx.conf").write_text(f"""
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  default_type text/html;
  client_body_temp_path {prefix}/body-temp;
  proxy_temp_path {prefix}/proxy-temp;
  fastcgi_temp_path {prefix}/fastcgi-temp;
  uwsgi_temp_path {prefix}/uwsgi-temp;
  scgi_temp_path {prefix}/scgi-temp;
  server {{
    listen 127.0.0.1:{port};
    root {prefix}/www;
    location / {{ try_files /page.html =404; }}
  }}
}}
""")
    command = [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
    process = subprocess.Popen([*command, "-g", "daemon off;"], start_new_session=True)
    return process, port, binary


def load_wrk(port, path, seconds):
    header = [arg for name, value in PROXY_HEADERS.items() for arg in ("-H", f"{name}: {value}")]
    result = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            *header,
            f"http://127.0.0.1:{port}{path}",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    if re.search(r"Non-2xx or 3xx responses|Socket errors", result.stdout):
        sys.exit(f"wrk saw failed requests on port {port}:\n{result.stdout}")
    return rate


def load_python(port, path, seconds):
    """Keep-alive connections, one thread each, for ``seconds``; requests per second (2xx only)."""
    done, stop = [], time.monotonic() + seconds

    def client():
        count, connection = 0, http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            connection.request("GET", path, headers=PROXY_HEADERS)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"GET {path} answered {response.status}")
            count += 1
        done.append(count)

    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - start)


def stop(process):
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def measure_throughput(report, workdir, path, seconds):
    load, tool = (load_wrk, "wrk") if shutil.which("wrk") else (load_python, "Python threads + http.client")
    print(f"  load generator: {tool}, {CONNECTIONS} keep-alive connections, {seconds} s per server")
    gunicorn, port = start_gunicorn(workdir)
    nginx = None
    try:
        page = wait_for(port, path, gunicorn, "gunicorn")
        for _ in range(20):
            fetch(port, path)  # every worker has the page cached (one local-memory cache per process)
        rate = load(port, path, seconds)
        report.add("gunicorn, longest episode page, cached", f"{rate:,.0f} requests/s ({len(page):,} bytes)")
        nginx, nginx_port, binary = start_nginx(workdir, page)
        if not nginx:
            report.add("nginx, same bytes as a static file", "skipped: nginx is not installed (apt-get install nginx)")
            return
        assert wait_for(nginx_port, "/", nginx, "nginx") == page
        nginx_rate = load(nginx_port, "/", seconds)
        report.add("nginx, same bytes as a static file", f"{nginx_rate:,.0f} requests/s ({binary})")
        share = rate / nginx_rate
        report.add("gunicorn / nginx", f"{share:.0%}", ">= 20%", share >= 0.20)
    finally:
        stop(gunicorn)
        stop(nginx)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", nargs="?", default=str(DEFAULT_ARCHIVE))
    parser.add_argument("--rounds", type=int, default=1, help="import rounds, each on a fresh database (median)")
    parser.add_argument("--page-requests", type=int, default=50, help="requests per page or query timed")
    parser.add_argument("--seconds", type=int, default=10, help="load duration per server")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    archive = Path(args.archive)
    if not archive.is_dir():
        sys.exit(f"no archive at {archive} (give ARCHIVE/_podcast)")

    workdir = Path(tempfile.mkdtemp(prefix="podcast-report-"))
    try:
        production_environment(workdir, archive.parent)
        warnings.filterwarnings("ignore", message="No directory at")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        report = Report()
        print(f"archive {archive}; database {workdir}/bench.sqlite3; {os.cpu_count()} cores")
        print("1. import")
        measure_import(report, archive, args.rounds)
        print("2. and 3. server time (in-process, production settings)")
        path = measure_pages(report, args.page_requests)
        print("4. throughput")
        measure_throughput(report, workdir, path, args.seconds)
        missed = report.print()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
