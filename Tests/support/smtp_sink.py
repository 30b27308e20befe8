#!/usr/bin/env python3
"""A real SMTP server for Tessera's tests (aiosmtpd): every message it accepts is appended to a JSON-lines mailbox.

    smtp_sink.py --port N --mailbox PATH [--auth USER:PASS] [--tls DIR [--implicit-tls]]

Prints "ready <port>" once it listens (port 0 picks a free one). With --auth it offers AUTH PLAIN and LOGIN and
refuses mail from clients that did not authenticate (on the plain connection too, unless --tls: loopback tests
only). With --tls it makes a self-signed certificate for "localhost" (DIR/cert.pem, DIR/key.pem) and requires
STARTTLS before mail, or with --implicit-tls speaks TLS from the first byte.
"""
import argparse
import asyncio
import json
import logging
import signal
import ssl
import subprocess
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Mailbox:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        line = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            "authenticated": session.authenticated,
            "tls": server.transport.get_extra_info("sslcontext") is not None or server._tls_protocol is not None,
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mailbox", required=True)
    parser.add_argument("--auth")
    parser.add_argument("--tls")
    parser.add_argument("--implicit-tls", action="store_true")
    args = parser.parse_args()
    # AUTH without TLS is what the loopback test wants; keep aiosmtpd's warnings about it out of the test output.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    handler = Mailbox(args.mailbox)
    user, password = (args.auth.split(":", 1) + [""])[:2] if args.auth else (None, None)

    def authenticator(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
        return AuthResult(success=ok)

    context = None
    if args.tls:
        cert, key = args.tls + "/cert.pem", args.tls + "/key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
            check=True, capture_output=True,
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
    starttls = context is not None and not args.implicit_tls

    def factory():
        options = {"hostname": "tessera-test"}
        if starttls:
            options.update(tls_context=context, require_starttls=True)
        if user is not None:
            # With implicit TLS aiosmtpd cannot see the TLS under it, so it must not wait for STARTTLS to offer AUTH.
            options.update(authenticator=authenticator, auth_required=True, auth_require_tls=starttls)
        return SMTP(handler, **options)

    async def serve():
        loop = asyncio.get_running_loop()
        implicit = context if args.implicit_tls else None
        server = await loop.create_server(factory, "127.0.0.1", args.port, ssl=implicit)
        print("ready", server.sockets[0].getsockname()[1], flush=True)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        server.close()

    asyncio.run(serve())


if __name__ == "__main__":
    sys.exit(main())
