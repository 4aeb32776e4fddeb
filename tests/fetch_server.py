#!/usr/bin/python3
"""fetch_server.py — a threaded HTTP test server for `facesift fetch`, on 127.0.0.1 only.

Usage: fetch_server.py PORTFILE [--images DIR]
Binds an ephemeral port on 127.0.0.1, writes it to PORTFILE, and serves until killed:

  /img/N.jpg|png|webp   a generated image (Pillow), N picks its size; /slow/N.jpg the same
                        after 20 ms; /gif/N.gif a GIF (not kept: fetch stores jpg/png/webp)
  /404 /500             that status, always
  /flaky/ID             500 on the first request for ID, then an image (a retry succeeds)
  /429/ID               429 with Retry-After: 1 on the first request for ID, then an image
  /429long              429 with Retry-After: 3600 (over the client's limit)
  /timeout              sleeps 30 s before answering
  /drip                 headers, then one body byte every 0.5 s for 60 s
  /reset                closes the connection with a TCP reset before answering
  /truncated            Content-Length 20000, sends 300 bytes of JPEG, closes
  /html                 200 text/html
  /octet                200 application/octet-stream that is not an image
  /redirect             302 to /img/7.jpg;  /redirloop  302 to itself;  /redirftp  302 to ftp://
  /huge                 200 image/jpeg with Content-Length 200 MB (headers only, then closes)
  /hugechunked          200 image/jpeg, chunked, JPEG magic then endless bytes (no length)
  /robots/KIND          an image with X-Robots-Tag: noai | noimageai | noindex | noimageindex |
                        "facesift: noimageai" (ours) | "otherbot: noai" (someone else's) |
                        "noindex, nofollow" | "nofollow" (not an opt-out)
  /_counts              JSON {path: requests} of every path requested so far
  /_inflight?TAG        JSON {"max": most requests with query string TAG served at once}

Every fault is chosen by the path, so a test knows each URL's expected outcome.
"""
import io
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

COUNTS = {}
INFLIGHT = {}  # query string -> [now, max]
LOCK = threading.Lock()
CACHE = {}

ROBOTS = {
    "noai": "noai", "noimageai": "noimageai", "noindex": "noindex", "noimageindex": "noimageindex",
    "ours": "facesift: noimageai", "other": "otherbot: noai", "multi": "noindex, nofollow",
    "nofollow": "nofollow",
}


def image_bytes(n, fmt):
    key = (n, fmt)
    if key not in CACHE:
        w, h = 16 + (n * 7) % 120, 16 + (n * 13) % 90
        im = Image.new("RGB", (w, h), ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256))
        for x in range(0, w, 4):
            im.putpixel((x, (x * 3 + n) % h), (255 - (n % 256), x % 256, 128))
        b = io.BytesIO()
        im.save(b, {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}[fmt])
        CACHE[key] = b.getvalue()
    return CACHE[key]


def num(s):
    digits = "".join(ch for ch in s if ch.isdigit())
    return int(digits) if digits else 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_body(self, code, body, ctype, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the client went away (a killed or aborting fetch)
            self.close_connection = True

    def image(self, n, fmt, extra=()):
        ct = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}[fmt]
        self.send_body(200, image_bytes(n, fmt), ct, extra)

    def do_GET(self):
        tag = self.path.split("?", 1)[1] if "?" in self.path else ""
        if self.path.startswith("/_inflight"):
            with LOCK:
                body = json.dumps({"max": INFLIGHT.get(tag, [0, 0])[1]}).encode()
            return self.send_body(200, body, "application/json")
        with LOCK:
            st = INFLIGHT.setdefault(tag, [0, 0])
            st[0] += 1
            st[1] = max(st[1], st[0])
        try:
            self.route()
        finally:
            with LOCK:
                INFLIGHT[tag][0] -= 1

    def route(self):
        full = self.path
        with LOCK:
            COUNTS[full] = COUNTS.get(full, 0) + 1
            seen = COUNTS[full]
        p = full.split("?", 1)[0]  # a query string only tells requests apart
        parts = p.strip("/").split("/")
        head = parts[0]
        if head == "_counts":
            with LOCK:
                body = json.dumps(COUNTS).encode()
            return self.send_body(200, body, "application/json")
        if head in ("img", "slow") and len(parts) == 2 and "." in parts[1]:
            if head == "slow":
                time.sleep(0.02)
            n, ext = parts[1].rsplit(".", 1)
            if ext in ("jpg", "png", "webp"):
                return self.image(num(n), ext)
        if head == "gif":
            return self.image(num(parts[-1]), "gif")
        if head == "404":
            return self.send_body(404, b"not found", "text/plain")
        if head == "500":
            return self.send_body(500, b"server error", "text/plain")
        if head == "flaky":
            if seen == 1:
                return self.send_body(500, b"try again", "text/plain")
            return self.image(num(p), "jpg")
        if head == "429":
            if seen == 1:
                return self.send_body(429, b"slow down", "text/plain", [("Retry-After", "1")])
            return self.image(num(p), "png")
        if head == "429long":
            return self.send_body(429, b"slow down", "text/plain", [("Retry-After", "3600")])
        if head == "timeout":
            time.sleep(30)
            return self.send_body(200, image_bytes(1, "jpg"), "image/jpeg")
        if head == "drip":
            body = image_bytes(2, "jpg")
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(120):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass
            return
        if head == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if head == "truncated":
            body = image_bytes(3, "jpg")[:300]
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "20000")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        if head == "html":
            return self.send_body(200, b"<html><body>hello</body></html>", "text/html; charset=utf-8")
        if head == "octet":
            return self.send_body(200, b"this is not an image at all, just text" * 4, "application/octet-stream")
        if head == "redirect":
            return self.send_body(302, b"", "text/plain", [("Location", "/img/7.jpg")])
        if head == "redirloop":
            return self.send_body(302, b"", "text/plain", [("Location", "/redirloop")])
        if head == "redirftp":
            return self.send_body(302, b"", "text/plain", [("Location", "ftp://127.0.0.1/x.jpg")])
        if head == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(200 << 20))
            self.end_headers()
            self.close_connection = True
            return
        if head == "hugechunked":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = image_bytes(4, "jpg")[:64] + b"\0" * (65536 - 64)
            try:
                for _ in range(2000):  # at most ~128 MB, stops when the client aborts
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    chunk = b"\0" * 65536
            except OSError:
                pass
            self.close_connection = True
            return
        if head == "robots" and len(parts) == 2 and parts[1] in ROBOTS:
            return self.image(5, "jpg", [("X-Robots-Tag", ROBOTS[parts[1]])])
        return self.send_body(404, b"unknown test path", "text/plain")


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that abort (opt-outs, size limits, kills) are part of the test


def main():
    portfile = sys.argv[1]
    srv = Server(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.request_queue_size = 512
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.replace(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
