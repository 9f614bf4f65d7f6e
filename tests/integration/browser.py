# SPDX-License-Identifier: Apache-2.0
"""A page in headless Chromium for the browser tests: served from a loopback origin of its own,
opened with a JSON configuration in its URL fragment; it writes a JSON result into
<pre id="out">, which run_page reads back from the DOM Chromium dumps."""
import contextlib
import html
import http.server
import json
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.parse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def page_server(page):
    """Serve page (bytes) at every path of http://127.0.0.1:<port>; yields that origin."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *a):
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{web.server_address[1]}"
    finally:
        web.shutdown()
        web.server_close()


def run_page(origin, cfg):
    """Open origin's page with cfg in Chromium; returns (result, output): the page's JSON result
    (None when the page wrote none) and the tail of Chromium's output for a failure message."""
    url = f"{origin}/page.html#" + urllib.parse.quote(json.dumps(cfg))
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                            "--no-first-run", f"--user-data-dir={profile}",
                            "--virtual-time-budget=20000", "--dump-dom", url],
                           capture_output=True, timeout=120)
    m = re.search(rb'<pre id="out">(.*?)</pre>', r.stdout, re.S)
    res = json.loads(html.unescape(m.group(1).decode())) if m else None
    return res, r.stdout[-2000:] + r.stderr[-2000:]
