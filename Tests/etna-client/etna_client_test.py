#!/usr/bin/env python3
"""A client of Tessera written only against ETNA Trader's published docs.

It speaks POST /token the way ETNA documents it: no body, everything in
headers, unused headers sent with the documented default "" and the token
passed back as "Bearer " + Token in Authorization.

Usage: python3 Tests/etna-client/etna_client_test.py [path/to/tessera]

The script builds a fresh world with the `tessera` CLI in a temporary SQLite
database, starts `tessera serve` on a free port, runs the checks, prints one
"ok - ..." / "not ok - ..." line per check and a final "N passed, M failed"
line, and exits 1 if anything failed. Needs Python 3 and `requests`.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests

ALICE_PASSWORD = "Alice-Correct-Horse-42!"
BOB_PASSWORD = "Bob-Battery-Staple-17!"
CAROL_PASSWORD = "Carol-Pin-Owner-99!"
CAROL_PIN = "8642"
HTTP_TIMEOUT = 15

# Every secret the run hands to or receives from the server; none may show up in its trace-level log.
SECRETS = [ALICE_PASSWORD, BOB_PASSWORD, CAROL_PASSWORD, CAROL_PIN]


def remember(*values):
    for value in values:
        if isinstance(value, str) and value:
            SECRETS.append(value)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print("ok - " + name, flush=True)
        else:
            self.failed += 1
            line = "not ok - " + name
            if detail:
                line += "  # " + detail
            print(line, flush=True)
        return bool(condition)


def describe(resp):
    """A one-line summary of a response, for failure messages."""
    if resp is None:
        return "no response"
    return "status=%s headers=%s body=%r" % (
        resp.status_code,
        dict(resp.headers),
        resp.text[:500],
    )


def json_body(resp):
    try:
        return resp.json()
    except ValueError:
        return None


def run_cli(exe, db_url, args, stdin=None):
    cmd = [exe] + args + ["--database", db_url]
    proc = subprocess.run(
        cmd,
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            "command failed (exit %d): %s\nstdout:\n%s\nstderr:\n%s"
            % (proc.returncode, " ".join(cmd), proc.stdout, proc.stderr)
        )
    return proc.stdout


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def wait_healthy(base, server, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            r = requests.get(base + "/healthz", timeout=2)
            if r.status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def stop_server(server):
    """Stops a `tessera serve` child: SIGTERM, then SIGKILL if it has not gone within 10 s."""
    if server is None or server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def read_outbox_code(path, to, timeout=10.0):
    """The code of the last login message sent to `to`, waiting for it to land."""
    deadline = time.monotonic() + timeout
    while True:
        code = None
        if os.path.exists(path):
            with open(path, "r", encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue
                    if (
                        msg.get("channel") == "email"
                        and msg.get("to") == to
                        and msg.get("purpose") == "login"
                    ):
                        code = msg.get("code")
        if code is not None or time.monotonic() >= deadline:
            return code
        time.sleep(0.1)


def token_headers(app_key, username="", password="", verification_code="",
                  pin_code="", authorization=""):
    """POST /token headers as ETNA documents them, defaults "" for unused ones."""
    headers = {
        "VerificationCode": verification_code,
        "PinCode": pin_code,
        "Authorization": authorization,
    }
    if app_key is not None:
        headers["Et-App-Key"] = app_key
    if username is not None:
        headers["Username"] = username
    if password is not None:
        headers["Password"] = password
    return headers


def post_token(base, headers):
    # No body: requests sends Content-Length: 0 for a body-less POST.
    return requests.post(base + "/token", headers=headers, timeout=HTTP_TIMEOUT)


def get_info(base, app_key, token):
    return requests.get(
        base + "/v1.0/users/@me/info",
        headers={"Et-App-Key": app_key, "Authorization": "Bearer " + token},
        timeout=HTTP_TIMEOUT,
    )


def run_pin_checks(t, base, pin_key):
    r = post_token(base, token_headers(pin_key, "carol", CAROL_PASSWORD))
    body = json_body(r)
    interim = body.get("Token") if isinstance(body, dict) else None
    remember(interim)
    t.check(
        "PIN: first POST /token answers 202 SecutityPin/Expecting pin code",
        r.status_code == 202 and isinstance(body, dict) and body.get("Step") == "SecutityPin"
        and body.get("Reason") == "Expecting pin code",
        describe(r),
    )
    r = post_token(base, token_headers(pin_key, "carol", CAROL_PASSWORD, pin_code="1111",
                                       authorization="Bearer %s" % interim))
    body = json_body(r)
    t.check(
        "PIN: a wrong PIN answers 202 Invalid pin",
        r.status_code == 202 and isinstance(body, dict) and body.get("Reason") == "Invalid pin",
        describe(r),
    )
    r = post_token(base, token_headers(pin_key, "carol", CAROL_PASSWORD, pin_code=CAROL_PIN,
                                       authorization="Bearer %s" % interim))
    body = json_body(r)
    remember(body.get("Token") if isinstance(body, dict) else None)
    t.check("PIN: the right PIN answers 200", r.status_code == 200, describe(r))


def run_checks(t, base, app_key, outbox):
    # --- single factor -------------------------------------------------
    r = post_token(base, token_headers(app_key, "alice", ALICE_PASSWORD))
    body = json_body(r)
    t.check("single factor: POST /token answers 200", r.status_code == 200, describe(r))
    t.check(
        "single factor: body is exactly {State: Succeeded, Token: <string>}",
        isinstance(body, dict)
        and set(body.keys()) == {"State", "Token"}
        and body.get("State") == "Succeeded"
        and isinstance(body.get("Token"), str)
        and body.get("Token") != "",
        describe(r),
    )
    t.check(
        "single factor: Cache-Control: no-store",
        "no-store" in r.headers.get("Cache-Control", ""),
        describe(r),
    )
    alice_token = body.get("Token") if isinstance(body, dict) else None
    remember(alice_token)
    if isinstance(alice_token, str) and alice_token:
        r = get_info(base, app_key, alice_token)
        info = json_body(r)
        t.check("single factor: users/@me/info answers 200", r.status_code == 200, describe(r))
        t.check(
            "single factor: users/@me/info IsSucceed and Model.Login == alice",
            isinstance(info, dict)
            and info.get("IsSucceed") is True
            and isinstance(info.get("Model"), dict)
            and info["Model"].get("Login") == "alice",
            describe(r),
        )
    else:
        t.check("single factor: users/@me/info answers 200", False, "no token to use")
        t.check("single factor: users/@me/info IsSucceed and Model.Login == alice",
                False, "no token to use")

    # --- email 2-FA ----------------------------------------------------
    r = post_token(base, token_headers(app_key, "bob", BOB_PASSWORD))
    body = json_body(r)
    t.check("2-FA: first POST /token answers 202", r.status_code == 202, describe(r))
    interim = body.get("Token") if isinstance(body, dict) else None
    remember(interim)
    t.check(
        "2-FA: 202 body is Expecting/VerificationCode/'Expecting confirmation code' with a Token",
        isinstance(body, dict)
        and set(body.keys()) == {"State", "Step", "Reason", "Token"}
        and body.get("State") == "Expecting"
        and body.get("Step") == "VerificationCode"
        and body.get("Reason") == "Expecting confirmation code"
        and isinstance(interim, str)
        and interim != "",
        describe(r),
    )
    t.check(
        "2-FA: 202 carries Cache-Control: no-store",
        "no-store" in r.headers.get("Cache-Control", ""),
        describe(r),
    )
    code = read_outbox_code(outbox, "bob@example.com")
    remember(code)
    t.check(
        "2-FA: a 6-digit login code for bob@example.com is in the outbox",
        isinstance(code, str) and len(code) == 6 and code.isdigit(),
        "code=%r" % (code,),
    )
    if not (isinstance(interim, str) and interim and isinstance(code, str)):
        for name in (
            "2-FA: second POST /token answers 200 Succeeded",
            "2-FA: final token opens users/@me/info as bob",
            "2-FA: interim token does not open users/@me/info (401)",
            "2-FA: reusing the interim token after success is 401 Corrupted ticket",
        ):
            t.check(name, False, "no interim token or code")
    else:
        # The interim token must not be an access token (checked before and
        # after success).
        r = get_info(base, app_key, interim)
        t.check(
            "2-FA: interim token does not open users/@me/info (401)",
            r.status_code == 401,
            describe(r),
        )
        r = post_token(
            base,
            token_headers(app_key, "bob", BOB_PASSWORD,
                          verification_code=code,
                          authorization="Bearer " + interim),
        )
        body = json_body(r)
        bob_token = body.get("Token") if isinstance(body, dict) else None
        remember(bob_token)
        t.check(
            "2-FA: second POST /token answers 200 Succeeded",
            r.status_code == 200
            and isinstance(body, dict)
            and set(body.keys()) == {"State", "Token"}
            and body.get("State") == "Succeeded"
            and isinstance(bob_token, str)
            and bob_token != "",
            describe(r),
        )
        t.check(
            "2-FA: 200 carries Cache-Control: no-store",
            "no-store" in r.headers.get("Cache-Control", ""),
            describe(r),
        )
        if isinstance(bob_token, str) and bob_token:
            r = get_info(base, app_key, bob_token)
            info = json_body(r)
            t.check(
                "2-FA: final token opens users/@me/info as bob",
                r.status_code == 200
                and isinstance(info, dict)
                and info.get("IsSucceed") is True
                and isinstance(info.get("Model"), dict)
                and info["Model"].get("Login") == "bob",
                describe(r),
            )
        else:
            t.check("2-FA: final token opens users/@me/info as bob", False, "no token")
        r = get_info(base, app_key, interim)
        t.check(
            "2-FA: interim token still does not open users/@me/info after success (401)",
            r.status_code == 401,
            describe(r),
        )
        r = post_token(
            base,
            token_headers(app_key, "bob", BOB_PASSWORD,
                          verification_code=code,
                          authorization="Bearer " + interim),
        )
        body = json_body(r)
        t.check(
            "2-FA: reusing the interim token after success is 401 Corrupted ticket",
            r.status_code == 401
            and body == {"State": "Failed", "Step": "VerificationCode",
                         "Reason": "Corrupted ticket"},
            describe(r),
        )

    # --- failures ------------------------------------------------------
    r = post_token(base, token_headers(app_key, "alice", "not-" + ALICE_PASSWORD))
    t.check(
        "wrong password is 401 Failed/BaseAuthentication/Invalid credentials",
        r.status_code == 401
        and json_body(r) == {"State": "Failed", "Step": "BaseAuthentication",
                             "Reason": "Invalid credentials"},
        describe(r),
    )
    r = post_token(base, token_headers(None, "alice", ALICE_PASSWORD))
    t.check(
        "missing Et-App-Key is 401 {error: Application key is not defined or does not exist}",
        r.status_code == 401
        and json_body(r) == {"error": "Application key is not defined or does not exist"},
        describe(r),
    )


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/tessera"
    exe = os.path.abspath(exe)
    if not os.access(exe, os.X_OK):
        print("not ok - tessera executable not found at %s" % exe)
        print("0 passed, 1 failed")
        return 1

    t = Checks()
    tmp = tempfile.mkdtemp(prefix="tessera-etna-")
    db_url = "sqlite://%s/t.sqlite" % tmp
    outbox = os.path.join(tmp, "outbox.jsonl")
    server = None
    server_out = os.path.join(tmp, "server.stdout")
    server_err = os.path.join(tmp, "server.stderr")
    try:
        # --- the world, through the CLI ---
        try:
            run_cli(exe, db_url, ["company", "create", "acme"])
            out = run_cli(exe, db_url, ["app", "create", "--company", "acme", "--name", "terminal"])
            lines = [l.strip() for l in out.splitlines() if l.strip()]
            app_key = lines[-1] if lines else ""
            if not app_key or " " in app_key:
                raise RuntimeError("no app key on the last line of:\n" + out)
            run_cli(exe, db_url,
                    ["user", "create", "--company", "acme", "--username", "alice",
                     "--password-stdin", "--email", "alice@example.com"],
                    stdin=ALICE_PASSWORD + "\n")
            run_cli(exe, db_url,
                    ["user", "create", "--company", "acme", "--username", "bob",
                     "--password-stdin", "--email", "bob@example.com",
                     "--two-factor", "email"],
                    stdin=BOB_PASSWORD + "\n")
            run_cli(exe, db_url, ["company", "create", "pinco", "--require-pin"])
            out = run_cli(exe, db_url, ["app", "create", "--company", "pinco", "--name", "mobile"])
            pin_key = [l.strip() for l in out.splitlines() if l.strip()][-1]
            run_cli(exe, db_url,
                    ["user", "create", "--company", "pinco", "--username", "carol",
                     "--password-stdin", "--pin", CAROL_PIN],
                    stdin=CAROL_PASSWORD + "\n")
            remember(app_key, pin_key)
            t.check("setup: company, app, alice and bob created with the CLI", True)
        except Exception as e:  # noqa: BLE001 - report any setup failure
            t.check("setup: company, app, alice and bob created with the CLI", False)
            print(str(e))
            return 1

        # --- the server ---
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        with open(server_out, "wb") as so, open(server_err, "wb") as se:
            server = subprocess.Popen(
                [exe, "serve", "--database", db_url, "--host", "127.0.0.1",
                 "--port", str(port), "--outbox", outbox, "--log-level", "trace"],
                stdout=so, stderr=se, stdin=subprocess.DEVNULL,
            )
        if not t.check("server: GET /healthz answers 200 within 30 s",
                       wait_healthy(base, server),
                       "exit code %r" % (server.poll(),)):
            return 1

        try:
            run_checks(t, base, app_key, outbox)
            run_pin_checks(t, base, pin_key)
        except Exception as e:  # noqa: BLE001 - a crash is a failed check
            t.check("checks ran to the end without an exception", False, repr(e))

        # --- the log, at trace level, holds no secret ---
        server.terminate()
        server.wait(timeout=10)
        log = b""
        for path in (server_out, server_err):
            with open(path, "rb") as f:
                log += f.read()
        t.check("log: the server logged one line per request at trace level",
                log.count(b"path=/token") >= 8, "%d bytes of log" % len(log))
        leaked = [s for s in SECRETS if s.encode() in log]
        t.check("log: none of the %d secrets used appears in the server's log" % len(SECRETS),
                not leaked, "%d secrets leaked (lengths %s)" % (len(leaked), [len(s) for s in leaked]))
        return 1 if t.failed else 0
    finally:
        stop_server(server)
        if t.failed:
            for label, path in (("server stdout", server_out), ("server stderr", server_err)):
                if os.path.exists(path):
                    with open(path, "r", encoding="utf-8", errors="replace") as f:
                        print("----- %s -----" % label)
                        print(f.read().rstrip())
            if os.path.exists(outbox):
                with open(outbox, "r", encoding="utf-8", errors="replace") as f:
                    print("----- outbox -----")
                    print(f.read().rstrip())
        print("%d passed, %d failed" % (t.passed, t.failed))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
