#!/usr/bin/env python3
"""A browser trading terminal on another origin, in a real headless Chromium (Debian's chromium and
chromium-driver, driven through Selenium).

A page served from an origin the company allows (`company create --cors-origin`) completes an email 2-FA login
with fetch() against `/api/token` and calls `/api/v1.0/users/@me/info`; the same page served from another origin
is refused by the browser itself (fetch() rejects: no Access-Control-Allow-Origin). Screenshots of both pages go
to $TESSERA_SCREENSHOTS (default: a temporary directory, printed).

Usage: python3 Tests/browser/cors_browser_test.py [path/to/tessera]
Prints "ok - ..." / "not ok - ..." per check and exits 1 if anything failed.
"""

import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "etna-client"))
from etna_client_test import Checks, free_port, read_outbox_code, run_cli, stop_server, wait_healthy  # noqa: E402

PASSWORD = "Browser-Terminal-2FA-58!"

# The terminal: one page, no framework. It keeps the interim token in memory only and shows each step.
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Broker terminal</title>
<style>
 body { font: 15px system-ui, sans-serif; margin: 24px; background: #f4f6f8; color: #1d2733; }
 h1 { font-size: 20px; } #log { background: #fff; border: 1px solid #ccd3da; padding: 12px; width: 640px; }
 #log div { padding: 3px 0; border-bottom: 1px solid #eef1f4; } .ok { color: #17653a; } .bad { color: #a12a2a; }
</style></head>
<body><h1>Broker terminal &mdash; <span id="origin"></span></h1><div id="log"></div>
<script>
const API = "__API__", KEY = "__KEY__";
let interim = null;
window.result = { step: "starting" };
document.getElementById("origin").textContent = location.origin;
function log(text, cls) {
  const line = document.createElement("div"); line.textContent = text; if (cls) line.className = cls;
  document.getElementById("log").appendChild(line);
}
async function start(username, password) {
  try {
    const r = await fetch(API + "token", { method: "POST",
      headers: { "Et-App-Key": KEY, "Username": username, "Password": password, "Accept": "application/json" } });
    const body = await r.json();
    interim = body.Token;
    window.result = { step: "first", status: r.status, state: body.State, reason: body.Reason };
    log("POST /api/token \u2192 " + r.status + " " + body.State + ": " + body.Reason, r.status == 202 ? "ok" : "bad");
  } catch (e) {
    window.result = { step: "first", error: String(e) };
    log("POST /api/token refused by the browser: " + e, "bad");
  }
}
async function finish(username, password, code) {
  const r = await fetch(API + "token", { method: "POST",
    headers: { "Et-App-Key": KEY, "Username": username, "Password": password, "VerificationCode": code,
               "Authorization": "Bearer " + interim } });
  const body = await r.json();
  log("POST /api/token with the code \u2192 " + r.status + " " + body.State, r.status == 200 ? "ok" : "bad");
  const info = await fetch(API + "v1.0/users/@me/info",
    { headers: { "Et-App-Key": KEY, "Authorization": "Bearer " + body.Token } });
  const me = await info.json();
  log("GET /api/v1.0/users/@me/info \u2192 " + info.status + ", signed in as " + (me.Model || {}).Login,
      info.status == 200 ? "ok" : "bad");
  window.result = { step: "done", status: r.status, state: body.State, info: info.status, login: (me.Model || {}).Login };
}
</script></body></html>
"""


class PageServer:
    """Serves PAGE on 127.0.0.1:port, which is the page's origin."""

    def __init__(self, api, key):
        page = PAGE.replace("__API__", api).replace("__KEY__", key).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.origin = "http://127.0.0.1:%d" % self.port

    def stop(self):
        self.httpd.shutdown()


def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=760,420"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


def wait_for(driver, step, seconds=20):
    WebDriverWait(driver, seconds).until(lambda d: d.execute_script("return window.result.step") == step)
    return driver.execute_script("return window.result")


def main():
    exe = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/tessera")
    work = tempfile.mkdtemp(prefix="tessera-browser-")
    shots = os.environ.get("TESSERA_SCREENSHOTS") or tempfile.mkdtemp(prefix="tessera-screenshots-")
    os.makedirs(shots, exist_ok=True)
    db = "sqlite://" + os.path.join(work, "tessera.sqlite")
    outbox = os.path.join(work, "outbox.jsonl")
    t = Checks()
    server = driver = allowed = stranger = None
    try:
        port = free_port()
        api = "http://127.0.0.1:%d/api/" % port
        # Two page servers: one origin the company allows, one it does not.
        run_cli(exe, db, ["company", "create", "broker"])
        key = run_cli(exe, db, ["app", "create", "--company", "broker", "--name", "web terminal"]).strip().splitlines()[-1]
        allowed = PageServer(api, key)
        stranger = PageServer(api, key)
        run_cli(exe, db, ["company", "update", "broker", "--cors-origin", allowed.origin])
        run_cli(exe, db, ["user", "create", "--company", "broker", "--username", "webtrader", "--password-stdin",
                          "--email", "webtrader@broker.example", "--two-factor", "email"], stdin=PASSWORD + "\n")
        server = subprocess.Popen(
            [exe, "serve", "--database", db, "--port", str(port), "--outbox", outbox, "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        if not wait_healthy("http://127.0.0.1:%d" % port, server):
            raise RuntimeError("the server did not start")

        driver = browser()
        driver.get(allowed.origin + "/")
        driver.execute_script("start(arguments[0], arguments[1])", "webtrader", PASSWORD)
        first = wait_for(driver, "first")
        t.check("allowed origin: fetch() reads the 202 VerificationCode step",
                first.get("status") == 202 and first.get("state") == "Expecting", str(first))
        code = read_outbox_code(outbox, "webtrader@broker.example")
        t.check("allowed origin: the code was sent", code is not None)
        driver.execute_script("finish(arguments[0], arguments[1], arguments[2])", "webtrader", PASSWORD, code or "")
        done = wait_for(driver, "done")
        t.check("allowed origin: the 2-FA login completes with fetch()", done.get("status") == 200, str(done))
        t.check("allowed origin: @me/info answers the signed-in user", done.get("info") == 200 and done.get("login") == "webtrader",
                str(done))
        driver.save_screenshot(os.path.join(shots, "allowed-origin.png"))

        driver.get(stranger.origin + "/")
        driver.execute_script("start(arguments[0], arguments[1])", "webtrader", PASSWORD)
        refused = wait_for(driver, "first")
        t.check("other origin: the browser refuses the response (fetch rejects)",
                "error" in refused and "status" not in refused, str(refused))
        driver.save_screenshot(os.path.join(shots, "other-origin.png"))
        print("# screenshots in %s" % shots)
    finally:
        if driver is not None:
            driver.quit()
        for page in (allowed, stranger):
            if page is not None:
                page.stop()
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (t.passed, t.failed))
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    main()
