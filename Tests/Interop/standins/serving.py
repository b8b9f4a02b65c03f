"""What every stand-in server shares: a ThreadingHTTPServer on a daemon thread, and the handle
tests use to reach and stop it. Each stand-in keeps its own request handler and app."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ServerHandle:
    """Returned by a stand-in's start_server: .url, .host, .port, .app (the stand-in), .stop()."""

    def __init__(self, httpd: ThreadingHTTPServer, thread: threading.Thread):
        self.httpd, self.thread, self.app = httpd, thread, httpd.app
        self.host, self.port = httpd.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def serve_in_background(host: str, port: int, handler: type[BaseHTTPRequestHandler], app, *,
                        log_requests: bool, name: str) -> ServerHandle:
    """Start `app` behind `handler` on a daemon thread; it accepts connections once this returns."""
    httpd = ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    httpd.app = app
    httpd.log_requests = log_requests
    # A short poll interval keeps stop(), and so every test's teardown, quick.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=name, daemon=True)
    thread.start()
    return ServerHandle(httpd, thread)
