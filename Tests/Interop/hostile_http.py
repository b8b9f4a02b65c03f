"""A local HTTP server that misbehaves the way the tests script it: redirects, bodies of absurd
size, answers trickled a byte at a time. It records every request it gets (path, headers, body),
so a test can also prove that a request never arrived. Bound to 127.0.0.1 on a port the kernel
picks; every wait in it is bounded."""
from __future__ import annotations

import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HostileServer:
    """`respond(handler, request)` writes the answer with the handler's send_* and wfile; request is
    the recorded dict {path, headers (case-insensitive), body}. Use as a context manager."""

    def __init__(self, respond):
        self.requests: list[dict] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = {"path": self.path, "headers": self.headers, "body": self.rfile.read(min(length, 1 << 20))}
                server.requests.append(request)
                try:
                    respond(self, request)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, which is what these tests want it to do
                self.close_connection = True

            do_GET = do_POST

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def redirect(status: int, location: str):
    def respond(handler, request):
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Type", "application/json")
        body = b'{"moved": true}'
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return respond


def json_answer(status: int, body: bytes):
    def respond(handler, request):
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return respond


def huge_answer(total: int, framing: str):
    """`total` bytes of a JSON string, framed by Content-Length ("declared"), chunked, or as a
    gzip bomb: a Content-Length of about 100 KB that inflates to `total` bytes."""
    chunk = b"A" * (64 << 10)

    def respond(handler, request):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if framing == "gzip":
            compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            bomb = b"".join(compressor.compress(chunk) for _ in range(total // len(chunk))) + compressor.flush()
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(bomb)))
            handler.end_headers()
            handler.wfile.write(bomb)
            return
        if framing == "declared":
            handler.send_header("Content-Length", str(total))
        else:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        sent = 0
        while sent < total:
            piece = chunk[:total - sent]
            if framing == "declared":
                handler.wfile.write(piece)
            else:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        if framing != "declared":
            handler.wfile.write(b"0\r\n\r\n")
    return respond


def trickle(interval: float, where: str, stopping: threading.Event):
    """One byte every `interval` seconds, of the body ("body") or of the status line and headers
    ("headers"), for as long as the client listens (at most ten minutes)."""
    def respond(handler, request):
        if where == "headers":
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            for byte in head:
                if stopping.wait(interval):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(1 << 20))
        handler.end_headers()
        handler.wfile.flush()
        for _ in range(int(600 / interval)):
            if stopping.wait(interval):
                return
            handler.wfile.write(b" ")
            handler.wfile.flush()
    return respond
