#!/usr/bin/env python3
"""The back office in a real headless Chromium with JavaScript disabled (Debian's chromium and chromium-driver,
driven through Selenium), plus the admin JSON API and the refusals, against a live `tessera serve --admin-port`.

Three operators are created with the CLI (admin, support, viewer), each signs in with a password and an
authenticator code computed here (RFC 6238). The admin creates a company, edits its policy and creates an app key
in the console; a user created with the CLI logs in with that key. The support operator unlocks the locked-out
user and ends one of its sessions; the viewer's and a CSRF-less POST are refused by the server. Screenshots go to
$TESSERA_SCREENSHOTS (default: a temporary directory, printed); with TESSERA_UPDATE_DOCS_IMAGES=1 they also
replace docs/images/admin-*.png, the README's and OPERATIONS.md's pictures.

Usage: python3 Tests/browser/admin_console_test.py [path/to/tessera]
Prints "ok - ..." / "not ok - ..." per check and exits 1 if anything failed.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

sys.dont_write_bytecode = True  # no __pycache__ beside the shared helpers
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "etna-client"))
from etna_client_test import Checks, free_port, run_cli, stop_server, wait_healthy  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DOCS_IMAGES = os.path.join(ROOT, "docs", "images")
IMAGES = os.environ.get("TESSERA_SCREENSHOTS") or tempfile.mkdtemp(prefix="tessera-admin-shots-")

COMPANY = "brokerco"
TRADER = "trader"
TRADER_PASSWORD = "Trader-Console-Pass-31!"
WRONG_PASSWORD = "Not-The-Traders-Password-1"
APP_NAME = "web terminal"
WAIT = 15
HTTP_TIMEOUT = 15
SUBMIT = "button[type=submit], input[type=submit], button:not([type])"


# ---------------------------------------------------------------------------------------------------------------
# TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps), standard library only.

def totp(secret, step):
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1_000_000)


class Operator:
    """An operator made with the CLI. Codes are single-use: each is of a later 30 s step than the last one used."""

    def __init__(self, username, role, password):
        self.username = username
        self.role = role
        self.password = password
        self.secret = None
        self.last_step = None

    def code(self):
        now = time.time()
        step = int(now // 30)
        if now - step * 30 > 28:  # keep clear of the end of a step, so the server's clock sees the same one
            step += 1
        if self.last_step is not None and step <= self.last_step:
            step = self.last_step + 1
        wait = step * 30 + 0.3 - time.time()
        if wait > 0:
            print("# waiting %.0f s for a fresh authenticator code of %s" % (wait, self.username), flush=True)
            time.sleep(wait)
        self.last_step = step
        return totp(self.secret, step)


# ---------------------------------------------------------------------------------------------------------------
# HTTP with urllib, never following redirects.

class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name) if self.headers is not None else None

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __str__(self):
        return "status=%s body=%r" % (self.status, self.body[:300])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http(method, url, headers=None, data=None, form=None, body_json=None):
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if body_json is not None:
        data = json.dumps(body_json).encode()
        headers["Content-Type"] = "application/json"
    if data is None and method == "POST":
        data = b""
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _OPENER.open(request, timeout=HTTP_TIMEOUT) as response:
            return Answer(response.status, response.headers, response.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read().decode("utf-8", "replace"))


def refused(answer, title):
    """A 403 console page titled `title` (its <h1>)."""
    return re.search(r"<h1[^>]*>\s*%s\s*</h1>" % re.escape(title), answer.body) is not None


def token_login(base, app_key, username, password, agent):
    return http("POST", base + "/token", headers={"Et-App-Key": app_key, "Username": username, "Password": password,
                                                  "User-Agent": agent, "Accept": "application/json"})


def me_info(base, app_key, token):
    return http("GET", base + "/v1.0/users/@me/info",
                headers={"Et-App-Key": app_key, "Authorization": "Bearer " + (token or "")})


# ---------------------------------------------------------------------------------------------------------------
# The browser.

def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900"):
        options.add_argument(argument)
    # The console must work without JavaScript: none runs in this browser.
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


class Console:
    """One operator's browser session on the admin listener."""

    def __init__(self, base, shots):
        self.base = base
        self.shots = shots
        self.driver = browser()

    def quit(self):
        self.driver.quit()

    def open(self, path):
        self.driver.get(self.base + path)

    def path(self):
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return parts.path + ("?" + parts.query if parts.query else "")

    def find(self, selector, within=None):
        try:
            return (within or self.driver).find_element(By.CSS_SELECTOR, selector)
        except NoSuchElementException:
            return None

    def find_all(self, selector, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, selector)

    def text(self, selector):
        element = self.find(selector)
        return element.text.strip() if element is not None else None

    def h1(self):
        return self.text("main h1") or self.text("h1")

    def has_main(self):
        return self.find("main") is not None and self.find("h1") is not None

    def wait(self, condition, seconds=WAIT):
        try:
            WebDriverWait(self.driver, seconds).until(lambda d: condition())
            return True
        except TimeoutException:
            return False

    def wait_for(self, selector, seconds=WAIT):
        return self.wait(lambda: self.find(selector) is not None, seconds)

    def fill(self, form, name, value):
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(str(value))
        return field.get_attribute("value") == str(value)

    def tick(self, form, name, on):
        box = form.find_element(By.NAME, name)
        if box.is_selected() != on:
            box.click()
        return box.is_selected() == on

    def submit(self, form):
        form.find_element(By.CSS_SELECTOR, SUBMIT).click()

    def form_values(self, form):
        """What the browser would post for `form` now."""
        values = {}
        for field in self.find_all("input, select, textarea", form):
            name = field.get_attribute("name")
            kind = (field.get_attribute("type") or "").lower()
            if not name or kind in ("submit", "button"):
                continue
            if kind in ("checkbox", "radio"):
                if field.is_selected():
                    values[name] = field.get_attribute("value") or "on"
            else:
                values[name] = field.get_attribute("value") or ""
        return values

    def csrf(self):
        field = self.find("form#sign-out input[name=csrf]") or self.find("form input[name=csrf]")
        return field.get_attribute("value") if field is not None else None

    def cookie_header(self):
        return "; ".join("%s=%s" % (c["name"], c["value"]) for c in self.driver.get_cookies())

    def cookie(self, name="tessera_admin"):
        for c in self.driver.get_cookies():
            if c["name"] == name:
                return c
        return None

    def shot(self, name):
        path = os.path.join(self.shots, "admin-%s.png" % name)
        self.driver.save_screenshot(path)
        if os.environ.get("TESSERA_UPDATE_DOCS_IMAGES") == "1":
            os.makedirs(DOCS_IMAGES, exist_ok=True)
            shutil.copy(path, os.path.join(DOCS_IMAGES, os.path.basename(path)))
        print("# screenshot %s" % path, flush=True)
        return path

    def sign_in(self, operator):
        self.open("/sign-in")
        form = self.find("form#sign-in")
        if form is None:
            return False
        self.fill(form, "username", operator.username)
        self.fill(form, "password", operator.password)
        self.fill(form, "code", operator.code())
        self.submit(form)
        self.wait(lambda: self.path() == "/" or self.find("p.error") is not None)
        return self.path() == "/" and self.h1() == "Overview"


def page_excerpt(console):
    try:
        return "url=%s h1=%r text=%r" % (console.driver.current_url, console.h1(),
                                         console.driver.find_element(By.TAG_NAME, "body").text[:300])
    except Exception as error:  # noqa: BLE001
        return "no page: %s" % error


# ---------------------------------------------------------------------------------------------------------------

def main():
    started = time.monotonic()
    exe = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/tessera")
    work = tempfile.mkdtemp(prefix="tessera-admin-")
    os.makedirs(IMAGES, exist_ok=True)
    db = "sqlite://" + os.path.join(work, "t.sqlite")
    outbox = os.path.join(work, "outbox.jsonl")
    log_path = os.path.join(work, "serve.log")
    t = Checks()
    state = {}
    consoles = []
    server = None
    log = None

    admin = Operator("ada", "admin", "Ada-Back-Office-Pass-71!")
    support = Operator("sam", "support", "Sam-Support-Desk-Pass-52!")
    viewer = Operator("vic", "viewer", "Vic-Read-Only-Pass-38!")

    def section(name, function):
        try:
            function()
        except Exception as error:  # noqa: BLE001
            t.check("%s: runs to the end" % name, False, "%s: %s" % (type(error).__name__, error))
            traceback.print_exc()

    try:
        # 1. Operators with the CLI, then the server with both listeners.
        for operator in (admin, support, viewer):
            out = run_cli(exe, db, ["operator", "create", "--username", operator.username, "--role", operator.role,
                                    "--password-stdin"], stdin=operator.password + "\n")
            match = re.search(r"^\s+secret:\s*([A-Za-z2-7=]+)\s*$", out, re.MULTILINE)
            operator.secret = match.group(1).rstrip("=") if match else None
            t.check("CLI: operator create %s (%s) prints its authenticator secret" % (operator.username, operator.role),
                    operator.secret is not None and ('"%s"' % operator.username) in out, out[:300])
        listed = run_cli(exe, db, ["operator", "list"])
        t.check("CLI: operator list shows each operator with its role",
                all(re.search(r"^%s\t%s\s*$" % (o.username, o.role), listed, re.MULTILINE)
                    for o in (admin, support, viewer)), listed[:300])
        if not all(o.secret for o in (admin, support, viewer)):
            raise RuntimeError("no authenticator secrets; cannot sign in")

        port, admin_port = free_port(), free_port()
        while admin_port == port:
            admin_port = free_port()
        base = "http://127.0.0.1:%d" % port
        abase = "http://127.0.0.1:%d" % admin_port
        log = open(log_path, "w")
        server = subprocess.Popen(
            [exe, "serve", "--database", db, "--port", str(port), "--admin-port", str(admin_port), "--outbox", outbox],
            stdout=log, stderr=subprocess.STDOUT, text=True,
        )
        if not wait_healthy(base, server):
            raise RuntimeError("the public listener did not become healthy")
        deadline = time.monotonic() + 30
        admin_up = False
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if http("GET", abase + "/sign-in").status == 200:
                    admin_up = True
                    break
            except OSError:
                pass
            time.sleep(0.2)
        t.check("serve: the admin listener answers GET /sign-in", admin_up)
        if not admin_up:
            raise RuntimeError("the admin listener did not come up")
        with open(log_path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        t.check("serve: the log names the admin listener and its address",
                any("admin listener" in line and ("address=127.0.0.1:%d" % admin_port) in line for line in lines),
                " | ".join(lines[-5:])[:400])

        # 2. Nothing of the back office on the public port.
        def public_port():
            for path in ("/sign-in", "/admin/v1/companies", "/"):
                answer = http("GET", base + path)
                t.check("public port: GET %s answers 404 {\"error\":\"Not Found\"}" % path,
                        answer.status == 404 and answer.json() == {"error": "Not Found"}, str(answer))
        section("public port", public_port)

        # Not signed in: the console sends to /sign-in, the API answers 401.
        def anonymous():
            answer = http("GET", abase + "/companies")
            t.check("console: GET /companies not signed in answers 303 to /sign-in",
                    answer.status == 303 and (answer.header("Location") or "").endswith("/sign-in"),
                    "%s location=%s" % (answer, answer.header("Location")))
            answer = http("GET", abase + "/admin/v1/companies")
            t.check("API: GET /admin/v1/companies without a token answers 401 operator sign-in required",
                    answer.status == 401 and answer.json() == {"error": "operator sign-in required"}, str(answer))
            answer = http("GET", abase + "/admin/v1/companies", headers={"Authorization": "Bearer not-a-token"})
            t.check("API: GET /admin/v1/companies with a made-up token answers 401", answer.status == 401, str(answer))
        section("anonymous", anonymous)

        # The viewer signs in to the API first (its browser sign-in, at the end, needs a later code).
        def api_sign_in():
            answer = http("POST", abase + "/admin/v1/sign-in",
                          body_json={"username": viewer.username, "password": "wrong-" + viewer.password,
                                     "code": "000000"})
            t.check("API: sign-in with a wrong password answers 401 sign-in failed",
                    answer.status == 401 and answer.json() == {"error": "sign-in failed"}, str(answer))
            code = viewer.code()
            answer = http("POST", abase + "/admin/v1/sign-in",
                          body_json={"username": viewer.username, "password": viewer.password, "code": code})
            body = answer.json() or {}
            state["viewer_token"] = body.get("token")
            t.check("API: POST /admin/v1/sign-in as the viewer answers 200 {token, role viewer, expiresAt}",
                    answer.status == 200 and isinstance(body.get("token"), str) and body.get("role") == "viewer"
                    and "expiresAt" in body, str(answer))
            again = http("POST", abase + "/admin/v1/sign-in",
                         body_json={"username": viewer.username, "password": viewer.password, "code": code})
            t.check("API: the same authenticator code does not sign in twice (401)", again.status == 401, str(again))
            me = http("GET", abase + "/admin/v1/me", headers={"Authorization": "Bearer %s" % state.get("viewer_token")})
            t.check("API: GET /admin/v1/me answers the viewer",
                    me.status == 200 and (me.json() or {}).get("username") == viewer.username
                    and (me.json() or {}).get("role") == "viewer", str(me))
        section("API sign-in", api_sign_in)

        # 3. The admin, in a browser without JavaScript.
        ada = Console(abase, IMAGES)
        consoles.append(ada)
        state["ada"] = ada

        def admin_console():
            ada.driver.get("data:text/html,<title>static</title><script>document.title='script ran'</script>")
            t.check("browser: JavaScript is disabled", ada.driver.title == "static", ada.driver.title)

            ada.open("/sign-in")
            form = ada.find("form#sign-in")
            t.check("console: GET /sign-in shows form#sign-in with username, password, code and a submit button",
                    form is not None and form.get_attribute("method").lower() == "post"
                    and all(ada.find("input[name=%s]" % n, form) for n in ("username", "password", "code"))
                    and ada.find("button[type=submit]", form) is not None
                    and ada.find("input[name=csrf]", form) is not None, page_excerpt(ada))
            ada.shot("sign-in")

            # A wrong code: the same page, 401, "Sign-in failed." (no code of a real step is spent).
            form = ada.find("form#sign-in")
            ada.fill(form, "username", admin.username)
            ada.fill(form, "password", admin.password)
            ada.fill(form, "code", "%06d" % ((int(totp(admin.secret, int(time.time() // 30))) + 500000) % 1000000))
            ada.submit(form)
            ada.wait_for("p.error")
            t.check("console: a wrong code shows \"Sign-in failed.\"", ada.text("p.error") == "Sign-in failed.",
                    page_excerpt(ada))

            signed_in = ada.sign_in(admin)
            t.check("console: the admin signs in with password and code and lands on the Overview", signed_in,
                    page_excerpt(ada))
            if not signed_in:
                raise RuntimeError("the admin could not sign in")
            t.check("console: the Overview has svg#logins-chart and table#lockouts or p#no-lockouts",
                    ada.has_main() and ada.find("svg#logins-chart") is not None
                    and (ada.find("table#lockouts") or ada.find("p#no-lockouts")) is not None, page_excerpt(ada))
            t.check("console: navigation links and the sign-out form are on the page",
                    all(ada.find('a[href="%s"]' % h) for h in ("/", "/companies", "/users", "/audit", "/operators"))
                    and ada.find("form#sign-out input[name=csrf]") is not None, page_excerpt(ada))

            # Create the company.
            ada.open("/companies")
            form = ada.find("form#create-company")
            t.check("console: /companies has table#companies and, for the admin, form#create-company",
                    ada.h1() is not None and ada.find("table#companies") is not None and form is not None,
                    page_excerpt(ada))
            ada.fill(form, "name", COMPANY)
            ada.submit(form)
            ada.wait(lambda: ada.path().startswith("/companies/" + COMPANY))
            t.check("console: creating a company goes to /companies/%s" % COMPANY,
                    ada.path() == "/companies/" + COMPANY and ada.h1() == COMPANY, page_excerpt(ada))
            ada.open("/companies")
            t.check("console: the new company is listed with its link",
                    ada.find('table#companies a[href="/companies/%s"]' % COMPANY) is not None, page_excerpt(ada))
            ada.shot("companies")

            # The policy tab.
            ada.find('table#companies a[href="/companies/%s"]' % COMPANY).click()
            ada.wait_for("form#policy")
            form = ada.find("form#policy")
            t.check("console: the company page has its tabs and form#policy with every field",
                    ada.h1() == COMPANY and ada.find('a[href="/companies/%s"]' % COMPANY) is not None
                    and ada.find('a[href="/companies/%s/webapi"]' % COMPANY) is not None and form is not None
                    and all(ada.find("[name=%s]" % n, form) for n in (
                        "require2fa", "requirePin", "tokenTtl", "passwordMinLength", "passwordMaxAge",
                        "maxFailuresPerDevice", "maxFailuresPerAccount", "maxFailuresPerAddress", "refreshTokens",
                        "stepUp", "trustedDeviceDays")), page_excerpt(ada))
            filled = ada.fill(form, "passwordMinLength", 14) and ada.fill(form, "maxFailuresPerAccount", 3)
            filled = ada.tick(form, "require2fa", True) and filled
            ada.submit(form)
            ada.wait(lambda: "saved=1" in ada.path())
            t.check("console: saving the policy answers ?saved=1 with \"Policy saved.\"",
                    filled and ada.path() == "/companies/%s?saved=1" % COMPANY
                    and ada.text("p.notice") == "Policy saved.", page_excerpt(ada))
            ada.open("/companies/" + COMPANY)
            form = ada.find("form#policy")
            t.check("console: after a reload the policy shows passwordMinLength 14, maxFailuresPerAccount 3, 2-FA on",
                    form.find_element(By.NAME, "passwordMinLength").get_attribute("value") == "14"
                    and form.find_element(By.NAME, "maxFailuresPerAccount").get_attribute("value") == "3"
                    and form.find_element(By.NAME, "require2fa").is_selected(), page_excerpt(ada))
            ada.tick(form, "require2fa", False)
            ada.submit(form)
            ada.wait(lambda: "saved=1" in ada.path())
            saved = ada.text("p.notice") == "Policy saved."
            ada.open("/companies/" + COMPANY)
            form = ada.find("form#policy")
            t.check("console: 2-FA ticked off again is saved, the other values kept",
                    saved and not form.find_element(By.NAME, "require2fa").is_selected()
                    and form.find_element(By.NAME, "passwordMinLength").get_attribute("value") == "14"
                    and form.find_element(By.NAME, "maxFailuresPerAccount").get_attribute("value") == "3",
                    page_excerpt(ada))
            ada.shot("policy")

            # An invalid value (posted as the browser would, past any min= attribute): 400, nothing saved.
            values = ada.form_values(form)
            values["passwordMinLength"] = "3"
            values["maxFailuresPerAccount"] = "7"
            answer = http("POST", abase + "/companies/%s/policy" % COMPANY, form=values,
                          headers={"Cookie": ada.cookie_header()})
            t.check("console: an invalid policy value answers 400 with p.error",
                    answer.status == 400 and 'class="error"' in answer.body, str(answer))
            ada.open("/companies/" + COMPANY)
            form = ada.find("form#policy")
            t.check("console: after the invalid value nothing was saved",
                    form.find_element(By.NAME, "passwordMinLength").get_attribute("value") == "14"
                    and form.find_element(By.NAME, "maxFailuresPerAccount").get_attribute("value") == "3",
                    page_excerpt(ada))

            # The WebApi tab: a new app key, shown once.
            ada.find('a[href="/companies/%s/webapi"]' % COMPANY).click()
            ada.wait_for("form#create-app-key")
            form = ada.find("form#create-app-key")
            t.check("console: the WebApi tab has table#app-keys, form#create-app-key and form#cors",
                    ada.find("table#app-keys") is not None and form is not None
                    and ada.find("form#cors textarea[name=origins]") is not None, page_excerpt(ada))
            ada.fill(form, "appName", APP_NAME)
            ada.tick(form, "introspect", False)
            ada.submit(form)
            ada.wait_for("#new-secret code.app-key")
            key = ada.text("#new-secret code.app-key")
            state["app_key"] = key
            t.check("console: the new app key is shown in #new-secret code.app-key", bool(key), page_excerpt(ada))
            t.check("console: the key's row is in table#app-keys",
                    APP_NAME in (ada.text("table#app-keys") or ""), page_excerpt(ada))
            ada.shot("webapi")
            ada.open("/companies/%s/webapi" % COMPANY)
            t.check("console: the app key is shown once (not after a reload)",
                    bool(key) and key not in ada.driver.page_source and ada.find("#new-secret") is None,
                    page_excerpt(ada))
        section("admin console", admin_console)

        # The API, with the viewer's token.
        def api_reads():
            bearer = {"Authorization": "Bearer %s" % state.get("viewer_token")}
            answer = http("GET", abase + "/admin/v1/companies", headers=bearer)
            companies = answer.json()
            mine = [c for c in companies if isinstance(c, dict) and c.get("name") == COMPANY] \
                if isinstance(companies, list) else []
            t.check("API: GET /admin/v1/companies as the viewer answers 200 with the created company",
                    answer.status == 200 and len(mine) == 1, str(answer))
            if mine:
                policy = mine[0].get("policy") or {}
                t.check("API: the company's policy holds what the console saved",
                        policy.get("passwordMinLength") == 14 and policy.get("maxFailuresPerAccount") == 3
                        and policy.get("requireTwoFactor") is False, json.dumps(policy)[:300])
            answer = http("GET", abase + "/admin/v1/companies/%s/app-keys" % COMPANY, headers=bearer)
            keys = answer.json()
            t.check("API: the app-key list has the key's name and never the key",
                    answer.status == 200 and isinstance(keys, list)
                    and any(k.get("name") == APP_NAME for k in keys)
                    and state.get("app_key") and state["app_key"] not in answer.body, str(answer))
            answer = http("POST", abase + "/admin/v1/companies", headers=bearer, body_json={"name": "viewerco"})
            t.check("API: POST /admin/v1/companies as the viewer answers 403 needs the admin role",
                    answer.status == 403 and "admin role" in ((answer.json() or {}).get("error") or ""), str(answer))
        section("API reads", api_reads)

        # The user logs in with the new app key.
        def trader_login():
            run_cli(exe, db, ["user", "create", "--company", COMPANY, "--username", TRADER, "--password-stdin"],
                    stdin=TRADER_PASSWORD + "\n")
            answer = token_login(base, state["app_key"], TRADER, TRADER_PASSWORD, "admin-test first-session")
            body = answer.json() or {}
            state["token1"] = body.get("Token")
            t.check("token: the user logs in with the console's app key (200 Succeeded)",
                    answer.status == 200 and body.get("State") == "Succeeded" and bool(body.get("Token")), str(answer))
        section("trader login", trader_login)

        # 4. Lock the user out, then the support operator unlocks it and ends a session.
        def support_desk():
            key = state["app_key"]
            statuses = [token_login(base, key, TRADER, WRONG_PASSWORD, "admin-test guesser").status for _ in range(3)]
            t.check("token: 3 wrong passwords answer 401", statuses == [401, 401, 401], str(statuses))

            sam = Console(abase, IMAGES)
            consoles.append(sam)
            signed_in = sam.sign_in(support)
            t.check("console: the support operator signs in", signed_in, page_excerpt(sam))
            if not signed_in:
                raise RuntimeError("the support operator could not sign in")
            sam.open("/users")
            form = sam.find("form#user-search")
            sam.fill(form, "q", TRADER)
            sam.submit(form)
            link = 'table#users a[href="/companies/%s/users/%s"]' % (COMPANY, TRADER)
            sam.wait_for(link)
            t.check("console: form#user-search finds the user", sam.find(link) is not None
                    and "q=" + TRADER in sam.path(), page_excerpt(sam))
            sam.find(link).click()
            sam.wait_for("#lock")
            user_path = "/companies/%s/users/%s" % (COMPANY, TRADER)
            t.check("console: the user page shows h1, #status active and #two-factor none",
                    sam.path() == user_path and sam.h1() == TRADER and sam.text("#status") == "active"
                    and sam.text("#two-factor") == "none", page_excerpt(sam))
            lock = sam.text("#lock") or ""
            if not lock.startswith("locked until"):
                # Give the lock one more round (still under the per-device limit of 10).
                for _ in range(3):
                    token_login(base, key, TRADER, WRONG_PASSWORD, "admin-test guesser")
                sam.open(user_path)
                lock = sam.text("#lock") or ""
            t.check("console: after maxFailuresPerAccount wrong passwords #lock reads \"locked until …\"",
                    lock.startswith("locked until"), repr(lock))
            answer = token_login(base, key, TRADER, TRADER_PASSWORD, "admin-test locked")
            t.check("token: the right password of the locked user answers 401", answer.status == 401, str(answer))

            ada = state["ada"]
            ada.open("/")
            t.check("console: the Overview lists the lock in table#lockouts",
                    ada.find("table#lockouts") is not None and TRADER in (ada.text("table#lockouts") or "")
                    and COMPANY in (ada.text("table#lockouts") or ""), page_excerpt(ada))
            ada.shot("overview")

            sam.open(user_path)
            form = sam.find("form#unlock")
            t.check("console: the support operator sees form#unlock with a csrf field",
                    form is not None and sam.find("input[name=csrf]", form) is not None, page_excerpt(sam))
            sam.submit(form)
            sam.wait(lambda: "done=unlock" in sam.path())
            t.check("console: unlock answers ?done=unlock with a notice and #lock \"not locked\"",
                    sam.path() == user_path + "?done=unlock" and sam.find("p.notice") is not None
                    and sam.text("#lock") == "not locked", page_excerpt(sam))

            answer = token_login(base, key, TRADER, TRADER_PASSWORD, "admin-test second-session")
            body = answer.json() or {}
            state["token2"] = body.get("Token")
            t.check("token: after the unlock the right password answers 200 Succeeded",
                    answer.status == 200 and body.get("State") == "Succeeded", str(answer))

            sam.open(user_path)
            rows = [r for r in sam.find_all("table#sessions tr") if sam.find("form.end-session", r) is not None]
            t.check("console: table#sessions has a row with form.end-session per session (2)", len(rows) == 2,
                    "%d rows: %s" % (len(rows), page_excerpt(sam)))
            second = [r for r in rows if "second-session" in r.text]
            t.check("console: the session rows show the user agent", len(second) == 1,
                    " | ".join(r.text for r in rows)[:300])
            row = second[0] if second else None
            if row is None:
                # Fall back to the API to tell which session is the second one.
                sessions = http("GET", abase + "/admin/v1/companies/%s/users/%s/sessions" % (COMPANY, TRADER),
                                headers={"Authorization": "Bearer %s" % state.get("viewer_token")}).json() or []
                newest = max(sessions, key=lambda s: s.get("createdAt") or "") if sessions else {}
                row = [r for r in rows if "/sessions/%s/end" % newest.get("id") in
                       (sam.find("form.end-session", r).get_attribute("action") or "")][0]
            form = sam.find("form.end-session", row)
            action = urllib.parse.urlsplit(form.get_attribute("action")).path
            sam.submit(form)
            sam.wait(lambda: staleness_of(form)(sam.driver))
            sam.open(user_path)
            remaining = [urllib.parse.urlsplit(f.get_attribute("action")).path
                         for f in sam.find_all("table#sessions form.end-session")]
            t.check("console: the ended session leaves table#sessions, the other stays",
                    re.fullmatch(r"/sessions/[^/]+/end", action or "") is not None and action not in remaining
                    and len(remaining) == 1, "ended %s, remaining %s" % (action, remaining))
            sam.shot("user")
            answer = me_info(base, key, state.get("token2"))
            t.check("token: the ended session's token gets 401 from /v1.0/users/@me/info", answer.status == 401,
                    str(answer))
            answer = me_info(base, key, state.get("token1"))
            t.check("token: the user's other session still gets 200", answer.status == 200, str(answer))

            # The support role may not create a company (refused on the server).
            sam.open("/companies")
            t.check("console: no form#create-company for the support operator",
                    sam.find("table#companies") is not None and sam.find("form#create-company") is None,
                    page_excerpt(sam))
            answer = http("POST", abase + "/companies", form={"name": "supportco", "csrf": sam.csrf() or ""},
                          headers={"Cookie": sam.cookie_header()})
            t.check("console: a company POSTed by the support operator answers 403 Not allowed",
                    answer.status == 403 and refused(answer, "Not allowed"), str(answer))
        section("support desk", support_desk)

        # 5. The viewer's write is refused by the server.
        def viewer_refused():
            vic = Console(abase, IMAGES)
            consoles.append(vic)
            signed_in = vic.sign_in(viewer)
            t.check("console: the viewer signs in", signed_in, page_excerpt(vic))
            if not signed_in:
                raise RuntimeError("the viewer could not sign in")
            vic.open("/companies")
            t.check("console: no form#create-company for the viewer",
                    vic.find("table#companies") is not None and vic.find("form#create-company") is None,
                    page_excerpt(vic))
            csrf = vic.csrf()
            cookie = vic.cookie()
            t.check("console: the viewer has a csrf value and a tessera_admin cookie",
                    bool(csrf) and cookie is not None, str(vic.driver.get_cookies()))
            answer = http("POST", abase + "/companies", form={"name": "x", "csrf": csrf or ""},
                          headers={"Cookie": vic.cookie_header()})
            t.check("console: a company POSTed by the viewer with a valid csrf answers 403 Not allowed",
                    answer.status == 403 and refused(answer, "Not allowed"), str(answer))
            answer = http("POST", abase + "/companies/%s/users/%s/disable" % (COMPANY, TRADER),
                          form={"csrf": csrf or ""}, headers={"Cookie": vic.cookie_header()})
            t.check("console: a support action POSTed by the viewer answers 403 Not allowed",
                    answer.status == 403 and refused(answer, "Not allowed"), str(answer))
            vic.open("/companies")
            t.check("console: company x was not created",
                    vic.find("table#companies") is not None and vic.find('a[href="/companies/x"]') is None,
                    page_excerpt(vic))
            vic.open("/companies/%s/users/%s" % (COMPANY, TRADER))
            t.check("console: the user was not disabled", vic.text("#status") == "active", page_excerpt(vic))
            events = http("GET", abase + "/admin/v1/audit?limit=1000",
                          headers={"Authorization": "Bearer %s" % state.get("viewer_token")})
            rows = events.json()
            t.check("API: the refused writes are audited nowhere (no event of company x, no disable)",
                    events.status == 200 and isinstance(rows, list) and rows
                    and not any(r.get("company") == "x" or "disable" in (r.get("kind") or "") for r in rows),
                    str(events))
        section("viewer refused", viewer_refused)

        # 6. CSRF, and 7. the security headers, with the admin's session.
        def csrf_and_headers():
            ada = state["ada"]
            ada.open("/companies")
            cookie = {"Cookie": ada.cookie_header()}
            for label, form in (("without its csrf", {"name": "y"}),
                                ("with a wrong csrf", {"name": "y", "csrf": "not-the-csrf-value"})):
                answer = http("POST", abase + "/companies", form=form, headers=cookie)
                t.check("console: a company POSTed by the admin %s answers 403 Form expired" % label,
                        answer.status == 403 and refused(answer, "Form expired"), str(answer))
            # The same POST with the page's csrf value does create (so the refusals above were the csrf's).
            answer = http("POST", abase + "/companies", form={"name": "acme", "csrf": ada.csrf() or ""}, headers=cookie)
            t.check("console: the admin's POST with the page's csrf creates (303 to /companies/acme)",
                    answer.status == 303 and (answer.header("Location") or "").endswith("/companies/acme"),
                    "%s location=%s" % (answer, answer.header("Location")))
            ada.open("/companies")
            t.check("console: company y was not created", ada.find('a[href="/companies/y"]') is None
                    and ada.find('a[href="/companies/acme"]') is not None, page_excerpt(ada))

            answers = {
                "GET /sign-in": http("GET", abase + "/sign-in"),
                "GET /companies": http("GET", abase + "/companies", headers=cookie),
                "a 403": http("POST", abase + "/companies", form={"name": "y"}, headers=cookie),
            }
            for label, answer in answers.items():
                t.check("headers: %s has CSP default-src 'self', X-Frame-Options DENY, Referrer-Policy no-referrer, "
                        "Cache-Control no-store" % label,
                        (answer.header("Content-Security-Policy") or "").startswith("default-src 'self'")
                        and (answer.header("X-Frame-Options") or "").upper() == "DENY"
                        and answer.header("Referrer-Policy") == "no-referrer"
                        and "no-store" in (answer.header("Cache-Control") or ""),
                        "status=%s CSP=%r XFO=%r RP=%r CC=%r" % (
                            answer.status, answer.header("Content-Security-Policy"), answer.header("X-Frame-Options"),
                            answer.header("Referrer-Policy"), answer.header("Cache-Control")))
            page = http("GET", abase + "/sign-in")
            pre = [c.split(";")[0] for c in (page.headers.get_all("Set-Cookie") or [])]
            answer = http("POST", abase + "/sign-in", headers={"Cookie": "; ".join(pre)},
                          form={"username": admin.username, "password": admin.password, "code": "000000"})
            t.check("console: a sign-in POSTed without its csrf answers 403 Form expired",
                    answer.status == 403 and "Form expired" in answer.body
                    and not any(c.startswith("tessera_admin=") for c in answer.headers.get_all("Set-Cookie") or []),
                    str(answer))
            session = ada.cookie()
            t.check("cookie: tessera_admin is HttpOnly, SameSite=Strict, Path=/",
                    session is not None and session.get("httpOnly") is True and session.get("sameSite") == "Strict"
                    and session.get("path") == "/", str(session))
        section("csrf and headers", csrf_and_headers)

        # The audit page and its CSV, the operators page.
        def audit():
            ada = state["ada"]
            ada.open("/audit")
            rows = ada.find_all("table#audit tr")
            text = ada.text("table#audit") or ""
            t.check("console: /audit shows form#audit-filter and table#audit with the unlock by the support operator",
                    ada.find("form#audit-filter") is not None and len(rows) > 1
                    and any(TRADER in r.text and support.username in r.text for r in rows), text[:300])
            csv_link = ada.find('a#csv[href^="/audit.csv"]')
            t.check("console: /audit links a#csv", csv_link is not None, page_excerpt(ada))
            ada.shot("audit")
            if csv_link is not None:
                answer = http("GET", csv_link.get_attribute("href"), headers={"Cookie": ada.cookie_header()})
                t.check("console: the CSV is text/csv with the contract's header line",
                        answer.status == 200 and (answer.header("Content-Type") or "").startswith("text/csv")
                        and answer.body.splitlines()[:1] == ["time,kind,company,user,actor,address,outcome"],
                        "%s type=%s" % (answer, answer.header("Content-Type")))
            ada.open("/operators")
            text = ada.text("table#operators") or ""
            t.check("console: /operators lists the three operators",
                    all(o.username in text for o in (admin, support, viewer)), text[:300])
        section("audit", audit)
    except Exception as error:  # noqa: BLE001
        t.check("the test runs to the end", False, "%s: %s" % (type(error).__name__, error))
        traceback.print_exc()
    finally:
        for console in consoles:
            try:
                console.quit()
            except Exception:  # noqa: BLE001
                pass
        stop_server(server)
        if log is not None:
            log.close()
        if t.failed and os.path.exists(log_path):
            with open(log_path, encoding="utf-8", errors="replace") as f:
                tail = f.read().splitlines()[-25:]
            print("# last lines of the server log:")
            for line in tail:
                print("#   " + line[:300])
        shutil.rmtree(work, ignore_errors=True)
    print("# %.0f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (t.passed, t.failed))
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    main()
