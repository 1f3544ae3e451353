#!/usr/bin/env python3
"""The part of ClickHouse's HTTP interface flowlog uses, served by chdb (a current ClickHouse
release running in this process), so the tests can run flowlog's DDL, INSERTs and queries on
a modern server as well as on Debian's 18.16.

Listens on 127.0.0.1 at a free port and prints "port N" on the first line of stdout. A POST
runs the SQL in its body, or with a `query` parameter that INSERT with the body as its data;
the answer is the result (TabSeparated unless the SQL names a format), or status 500 with
the exception's text. Settings that only the HTTP server knows are ignored. Exits when its
standard input closes.
"""
import os
import re
import sys
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import chdb.session

session = chdb.session.Session()
scratch = tempfile.mkdtemp(prefix="chdb-http-")
insert_format = re.compile(r"^(INSERT\s+INTO\s+.*?)\s+FORMAT\s+(\w+)\s*$", re.S | re.I)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(200, b"Ok.\n")

    def do_POST(self):
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            if "query" in params:
                match = insert_format.match(params["query"])
                if not match:
                    raise ValueError("only INSERT … FORMAT F takes its data from the body")
                path = os.path.join(scratch, "rows")
                with open(path, "wb") as f:
                    f.write(body)
                sql = "%s FROM INFILE '%s' FORMAT %s" % (match.group(1), path, match.group(2))
            else:
                sql = body.decode("utf-8")
            answer = session.query(sql, "TabSeparated").bytes()
        except Exception as error:  # the server's way: a 500 carrying the message
            self.reply(500, str(error).encode("utf-8", "replace"))
            return
        self.reply(200, answer)


def exit_when_stdin_closes():
    # The test that started us holds our stdin; when it closes (or the test process dies), go.
    sys.stdin.buffer.read()
    os._exit(0)


threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
server = HTTPServer(("127.0.0.1", 0), Handler)
print("port %d" % server.server_address[1], flush=True)
try:
    server.serve_forever()
finally:
    session.close()
