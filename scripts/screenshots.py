"""Screenshots of the example site for the README: `make screenshots`.

Builds the examples (with the tests' fixed "today", so the figures do not drift), serves the
build on 127.0.0.1 and takes the first screen of the report page, the action items page and the
metrics page in Debian's Chromium: at 1280x900 in the light palette and at 390x844 in the dark
one. Writes docs/assets/screenshots/<page>-<width>-<palette>.png (kept out of the site by
mkdocs.yml's exclude_docs).
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "assets" / "screenshots"
PAGES = {"report": "/incidents/INC-2026-001/", "actions": "/actions/", "metrics": "/metrics/"}
VIEWS = [(1280, 900, "light"), (390, 844, "dark")]
TODAY = "2026-11-20"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main() -> int:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("HANDBOOK_CHROMIUM", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        env = {**os.environ, "HANDBOOK_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1"}
        subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "-q", "--strict", "-d", str(site)],
                       cwd=ROOT, env=env, check=True)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            for width, height, palette in VIEWS:
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=palette)
                page = context.new_page()
                for name, path in PAGES.items():
                    page.goto(base + path, wait_until="networkidle")
                    target = OUT / f"{name}-{width}-{palette}.png"
                    page.screenshot(path=str(target))
                    print(target.relative_to(ROOT))
                context.close()
            browser.close()
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
