#!/usr/bin/env python3
"""An SMS gateway stand-in for Tessera's tests: appends every POSTed JSON body to a JSON-lines log.

    sms_receiver.py --log PATH [--port N] [--fail N] [--secret S]

Prints "ready <port>" once it listens. The first --fail requests answer 500 (and are logged with "answered":500);
with --secret, a request without "Authorization: Bearer S" answers 401.
"""
import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail", type=int, default=0)
    parser.add_argument("--secret")
    args = parser.parse_args()
    state = {"failures_left": args.fail}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace")
            if args.secret is not None and self.headers.get("Authorization") != "Bearer " + args.secret:
                status = 401
            elif state["failures_left"] > 0:
                state["failures_left"] -= 1
                status = 500
            else:
                status = 200
            with open(args.log, "a", encoding="utf-8") as out:
                out.write(json.dumps({
                    "answered": status,
                    "content_type": self.headers.get("Content-Type"),
                    "body": json.loads(body) if body else None,
                }) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *arguments):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
