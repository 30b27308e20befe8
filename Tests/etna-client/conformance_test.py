#!/usr/bin/env python3
"""Real-client conformance: clients that behave exactly as ETNA's published material says its clients do
(../shared/ETNA-CLIENTS.md), written from that description only, against a live `tessera serve`.

1. ETNA's 2-FA sample: a base URL ending in /api/, `baseURL + "token"`, `Accept: application/json`, no body,
   reads only `Token` and keeps "Bearer " + Token, resends Username and Password with VerificationCode and
   Authorization.
2. A QA script: header names in lower case, with a browser's origin, referer and x-requested-with.
3. A broker SDK wrapper: anything but State == "Succeeded" is a failure; it logs in again after a 401 from another
   endpoint (ETNA gives no refresh token).
4. A load plan for ETNA's login guard: form content type, counts 200/202/401 as normal, and knows it is throttled
   only by the phrase "Too many login requests".
Plus credentials in a form body (ETNA's schema declares /token as consuming x-www-form-urlencoded).

Usage: python3 Tests/etna-client/conformance_test.py [path/to/tessera]
Prints "ok - ..." / "not ok - ..." per check and exits 1 if anything failed. Needs Python 3 and `requests`.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from etna_client_test import Checks, describe, free_port, json_body, read_outbox_code, run_cli, stop_server, wait_healthy  # noqa: E402

TRADER_PASSWORD = "Trader-Two-Factor-31!"
SDK_PASSWORD = "Sdk-Wrapper-Session-77!"
TIMEOUT = 15


class ETNASample:
    """ETNA's Python 2-FA sample, as its help pages describe it."""

    def __init__(self, base_url, app_key):
        self.base_url = base_url  # ends in /api/
        self.app_key = app_key
        self.token = None

    def headers(self, username, password):
        return {"Accept": "application/json", "Et-App-Key": self.app_key, "Username": username, "Password": password}

    def step_one(self, username, password):
        # No body: requests sends Content-Length: 0, as the sample's curl twin does.
        r = requests.post(self.base_url + "token", headers=self.headers(username, password), timeout=TIMEOUT)
        self.token = "Bearer " + r.json()["Token"]  # it reads only Token, never the status or State
        return r

    def step_two(self, username, password, code):
        headers = self.headers(username, password)
        headers["VerificationCode"] = code
        headers["Authorization"] = self.token
        r = requests.post(self.base_url + "token", headers=headers, timeout=TIMEOUT)
        self.token = "Bearer " + r.json()["Token"]
        return r

    def info(self):
        return requests.get(
            self.base_url + "v1.0/users/@me/info",
            headers={"Accept": "application/json", "Et-App-Key": self.app_key, "Authorization": self.token},
            timeout=TIMEOUT,
        )


class SDKSession:
    """A broker SDK wrapper's session helper: keeps the password, logs in again after any 401."""

    class LoginFailed(Exception):
        pass

    def __init__(self, base_url, app_key, username, password):
        self.base_url, self.app_key, self.username, self.password = base_url, app_key, username, password
        self.token = None
        self.logins = 0

    def login(self):
        self.logins += 1
        r = requests.post(
            self.base_url + "token",
            headers={"Et-App-Key": self.app_key, "Username": self.username, "Password": self.password},
            timeout=TIMEOUT,
        )
        body = json_body(r) or {}
        if body.get("State") != "Succeeded":
            raise SDKSession.LoginFailed("%s %s" % (r.status_code, body))
        self.token = body["Token"]

    def get(self, path):
        if self.token is None:
            self.login()
        for _ in range(2):
            r = requests.get(
                self.base_url + path,
                headers={"Et-App-Key": self.app_key, "Authorization": "Bearer " + self.token},
                timeout=TIMEOUT,
            )
            if r.status_code != 401:
                return r
            self.login()
        return r


def main():
    exe = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/tessera")
    work = tempfile.mkdtemp(prefix="tessera-conformance-")
    db = "sqlite://" + os.path.join(work, "tessera.sqlite")
    outbox = os.path.join(work, "outbox.jsonl")
    server = None
    t = Checks()
    try:
        run_cli(exe, db, ["company", "create", "broker", "--throttle-answer", "etna", "--max-failures-per-address", "6"])
        app_key = run_cli(exe, db, ["app", "create", "--company", "broker", "--name", "terminal"]).strip().splitlines()[-1]
        run_cli(exe, db, ["user", "create", "--company", "broker", "--username", "trader", "--password-stdin",
                          "--email", "trader@broker.example", "--two-factor", "email"], stdin=TRADER_PASSWORD + "\n")
        run_cli(exe, db, ["user", "create", "--company", "broker", "--username", "sdkuser", "--password-stdin"],
                stdin=SDK_PASSWORD + "\n")

        port = free_port()
        root = "http://127.0.0.1:%d" % port
        server = subprocess.Popen(
            [exe, "serve", "--database", db, "--port", str(port), "--outbox", outbox, "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        if not wait_healthy(root, server):
            raise RuntimeError("the server did not start: %s" % (server.stderr.read() if server.poll() is not None else ""))
        api = root + "/api/"

        # 1. ETNA's 2-FA sample, unchanged but for the host.
        sample = ETNASample(api, app_key)
        r = sample.step_one("trader", TRADER_PASSWORD)
        t.check("ETNA sample: step one at /api/token answers a Token", r.status_code == 202 and sample.token, describe(r))
        code = read_outbox_code(outbox, "trader@broker.example")
        t.check("ETNA sample: the code was sent by email", code is not None)
        r = sample.step_two("trader", TRADER_PASSWORD, code or "")
        t.check("ETNA sample: step two answers 200 Succeeded", r.status_code == 200 and r.json().get("State") == "Succeeded",
                describe(r))
        r = sample.info()
        t.check("ETNA sample: its token opens /api/v1.0/users/@me/info", r.status_code == 200 and json_body(r)["IsSucceed"],
                describe(r))

        # 2. A QA script: lower-case header names and a browser's headers.
        r = requests.post(api + "token", timeout=TIMEOUT, headers={
            "et-app-key": app_key, "username": "sdkuser", "password": SDK_PASSWORD,
            "origin": "https://terminal.broker.example", "referer": "https://terminal.broker.example/login",
            "x-requested-with": "XMLHttpRequest",
        })
        body = json_body(r) or {}
        t.check("lower-case headers: 200 Succeeded", r.status_code == 200 and body.get("State") == "Succeeded", describe(r))
        t.check("lower-case headers: an origin no company allows gets no Access-Control-Allow-Origin",
                "Access-Control-Allow-Origin" not in r.headers, describe(r))

        # 3. The SDK wrapper: logs in, is logged out behind its back, logs in again on the 401.
        session = SDKSession(api, app_key, "sdkuser", SDK_PASSWORD)
        r = session.get("v1.0/users/@me/info")
        t.check("SDK wrapper: first call succeeds after one login", r.status_code == 200 and session.logins == 1, describe(r))
        out = requests.post(api + "logout", headers={"Et-App-Key": app_key, "Authorization": "Bearer " + session.token},
                            timeout=TIMEOUT)
        t.check("SDK wrapper: POST /api/logout (ETNA's SignOut) answers 204", out.status_code == 204, describe(out))
        r = session.get("v1.0/users/@me/info")
        t.check("SDK wrapper: after the 401 it logs in again and the call succeeds",
                r.status_code == 200 and session.logins == 2, describe(r))
        two_factor = SDKSession(api, app_key, "trader", TRADER_PASSWORD)
        try:
            two_factor.login()
            t.check("SDK wrapper: a 2-FA user is a failure to it (202 is not Succeeded)", False)
        except SDKSession.LoginFailed:
            t.check("SDK wrapper: a 2-FA user is a failure to it (202 is not Succeeded)", True)

        # Credentials in a form body, ETNA's declared content type.
        r = requests.post(api + "token", headers={"Et-App-Key": app_key},
                          data={"Username": "sdkuser", "Password": SDK_PASSWORD}, timeout=TIMEOUT)
        t.check("form body: Username and Password in the body log in", r.status_code == 200, describe(r))
        r = requests.post(api + "token", headers={"Et-App-Key": app_key, "Password": SDK_PASSWORD},
                          data={"Username": "sdkuser", "Password": "something else entirely"}, timeout=TIMEOUT)
        t.check("form body: a body password that contradicts the header is a 400 that names no secret",
                r.status_code == 400 and "something else" not in r.text and SDK_PASSWORD not in r.text, describe(r))

        # 4. The load plan: wrong logins until the guard's phrase shows; every answer is 200, 202 or 401.
        statuses, throttled = [], None
        for i in range(12):
            r = requests.post(root + "/api/token", timeout=TIMEOUT, headers={
                "Et-App-Key": app_key, "Content-Type": "application/x-www-form-urlencoded",
                "Username": "load-%d" % i, "Password": "not a password",
            })
            statuses.append(r.status_code)
            if "Too many login requests" in r.text:
                throttled = r
                break
        t.check("load plan: every answer is 200, 202 or 401", all(s in (200, 202, 401) for s in statuses), str(statuses))
        t.check("load plan: throttling shows as 'Too many login requests' with Retry-After",
                throttled is not None and throttled.status_code == 401 and int(throttled.headers.get("Retry-After", "0")) >= 1,
                describe(throttled))
    finally:
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (t.passed, t.failed))
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    main()
