"""Bytes a first view of /episodes/ downloads: with the covers' renditions, and with the original covers.

    .venv/bin/python bench/image_bytes.py [ARCHIVE] [--path /episodes/]

Imports the real archive (people and episodes, with their images) into a fresh SQLite database
and media folder, makes the renditions, serves the site on a local port and opens the page in
Debian's chromium (headless, through Playwright), without scrolling. Counted: the HTML and every
image the browser fetched by the time the network is idle (stylesheets and scripts are the same
for both and left out). That is what a browser really does: it takes the eager images, the
srcset candidate it picks for its screen, and the lazy images it decides are near enough to load.

The phone-ish screens: 390 × 844 CSS pixels (an iPhone 12 to 15, many Android phones) at device
pixel ratios 3 and 2, and a 1280 × 800 laptop at ratio 1 for comparison.

"Original covers" is the same page, same markup, with the renditions left out (as before they
existed): every cover is the imported file itself (940 × 550 JPEG). Target: renditions at most a
fifth of that, on the phones.
"""

import argparse
import gzip
import os
import shutil
import sys
import tempfile
from pathlib import Path

from engines import DEFAULT_ARCHIVE

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = [
    ("phone, 390x844 @3x", {"width": 390, "height": 844}, 3, True),
    ("phone, 390x844 @2x", {"width": 390, "height": 844}, 2, True),
    ("laptop, 1280x800 @1x", {"width": 1280, "height": 800}, 1, False),
]


def first_view(browser, url, viewport, scale, mobile):
    """(HTML bytes, HTML bytes gzipped, [(image URL, bytes)]) of what a first view of ``url`` downloads."""
    context = browser.new_context(viewport=viewport, device_scale_factor=scale, is_mobile=mobile, has_touch=mobile)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)  # lazy images the browser decided to load after layout
    html = gzipped = 0
    fetched = []
    for response in responses:
        kind = response.request.resource_type
        if kind == "document":
            body = response.body()
            html, gzipped = html + len(body), gzipped + len(gzip.compress(body))
        elif kind == "image" and response.status == 200:
            fetched.append((response.url, len(response.body())))
    context.close()
    return html, gzipped, fetched


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archive", nargs="?", default=str(DEFAULT_ARCHIVE))
    parser.add_argument("--path", default="/episodes/", help="the page to load (default /episodes/)")
    args = parser.parse_args()
    if not Path(args.archive).is_dir():
        sys.exit(f"no archive at {args.archive}")
    if not CHROMIUM.exists():
        sys.exit(f"this bench needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")

    workdir = Path(tempfile.mkdtemp(prefix="podcast-image-bench-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        PODCAST_MEDIA_ROOT=str(workdir / "media"),
        PODCAST_SERVE_MEDIA="1",
        DJANGO_SETTINGS_MODULE="podcast_site.test_settings",
        # Playwright's sync API runs an event loop in this thread; the ORM calls here are not async.
        DJANGO_ALLOW_ASYNC_UNSAFE="true",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.testcases import LiveServerThread, _StaticFilesHandler
    from playwright.sync_api import sync_playwright

    from episodes.importer import Importer
    from episodes.models import Episode
    from episodes.renditions import make_missing_renditions

    try:
        call_command("migrate", verbosity=0)
        Importer().run([args.archive])
        made = make_missing_renditions()
        server = LiveServerThread("127.0.0.1", _StaticFilesHandler)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        url = f"http://127.0.0.1:{server.port}{args.path}"
        print(f"{args.path} of {args.archive}: {Episode.objects.count()} episodes, renditions of {made.images} images")

        kept = dict(Episode.objects.values_list("pk", "image_renditions"))
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            for variant in ("renditions", "original covers"):
                if variant == "original covers":
                    Episode.objects.update(image_renditions={})
                for name, viewport, scale, mobile in SCREENS:
                    results[variant, name] = first_view(browser, url, viewport, scale, mobile)
            browser.close()
        for pk, renditions in kept.items():  # as it was, should anyone look at the database
            Episode.objects.filter(pk=pk).update(image_renditions=renditions)

        print(
            f"{'screen':22} {'page':16} {'images':>6} {'image bytes':>11} {'HTML':>7} {'total':>8} {'ratio':>5}"
            f"  {'HTML gz':>7} {'total':>8} {'ratio':>5}"
        )
        for name, *_ in SCREENS:
            base_html, base_gzipped, base_images = results["original covers", name]
            base_image_bytes = sum(size for _, size in base_images)
            for variant in ("original covers", "renditions"):
                html, gzipped, fetched = results[variant, name]
                image_bytes = sum(size for _, size in fetched)
                total, total_gz = html + image_bytes, gzipped + image_bytes
                ratio = f"{total / (base_html + base_image_bytes):.2f}" if variant == "renditions" else ""
                ratio_gz = f"{total_gz / (base_gzipped + base_image_bytes):.2f}" if variant == "renditions" else ""
                print(
                    f"{name:22} {variant:16} {len(fetched):6} {image_bytes:11,} {html:7,} {total:8,} {ratio:>5}"
                    f"  {gzipped:7,} {total_gz:8,} {ratio_gz:>5}"
                )
        print("HTML as the app sends it, and gzipped as a compressing proxy or CDN would send it")
        print("target: renditions <= 0.20 x original covers on the phones")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
