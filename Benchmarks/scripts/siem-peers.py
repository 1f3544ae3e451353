#!/usr/bin/env python3
"""Receivers and a reference sender for Benchmarks/scripts/siem.sh, on 127.0.0.1 only.

  siem-peers.py tcp-receiver PORTFILE SAVE      counts (and with SAVE != -, keeps) what each
                                                 connection sends, until killed
  siem-peers.py tcp-send PORT FILE              the reference writer: FILE's bytes on one
                                                 connection, half-close, wait for the receiver's close
  siem-peers.py hec-receiver PORTFILE SAVEDIR   HTTP/1.1 keep-alive; answers every POST like
                                                 Splunk HEC; with SAVEDIR != -, keeps each body
  siem-peers.py http-send PORT PATH DIR         the reference writer: every saved body, in order,
                                                 on one keep-alive connection
"""
import http.client
import http.server
import os
import socket
import sys


def tcp_receiver(port_file, save):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    out = open(save, "wb") if save != "-" else None
    while True:
        conn, _ = server.accept()
        total = 0
        while True:
            chunk = conn.recv(1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if out:
                out.write(chunk)
        if out:
            out.flush()
        conn.close()
        print(total, file=sys.stderr, flush=True)


def tcp_send(port, path):
    conn = socket.create_connection(("127.0.0.1", int(port)))
    with open(path, "rb") as f:
        conn.sendfile(f)
    conn.shutdown(socket.SHUT_WR)
    conn.recv(1)
    conn.close()


class HEC(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    save_dir = None
    count = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if HEC.save_dir:
            HEC.count += 1
            with open(os.path.join(HEC.save_dir, "body-%08d" % HEC.count), "wb") as f:
                f.write(body)
        answer = b'{"text":"Success","code":0}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def hec_receiver(port_file, save_dir):
    HEC.save_dir = None if save_dir == "-" else save_dir
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HEC)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


def http_send(port, path, directory):
    conn = http.client.HTTPConnection("127.0.0.1", int(port))
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            body = f.read()
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            sys.exit("http-send: %d" % response.status)
    conn.close()


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"tcp-receiver": tcp_receiver, "tcp-send": tcp_send, "hec-receiver": hec_receiver, "http-send": http_send}[mode](*args)
