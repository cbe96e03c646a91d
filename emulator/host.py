"""What every emulated host shares: a threaded HTTP server on 127.0.0.1, started and stopped as a context manager,
and the sending of one answer. A subclass says what a request gets in `handle`."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .stats import Stats


class HttpHost:
    def __init__(self, port: int = 0, host: str = "127.0.0.1", name: str = "emulator") -> None:
        self.host, self.port, self._name = host, port, name
        self._stats = Stats()
        self._lock = threading.Lock()
        self._conns: set = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self):
        handler = type("Handler", (_Handler,), {"emu": self})
        httpd = ThreadingHTTPServer((self.host, self.port), handler, bind_and_activate=False)
        httpd.daemon_threads = True
        httpd.request_queue_size = 512  # many concurrent walkers connect at once
        httpd.allow_reuse_address = True
        httpd.server_bind()
        httpd.server_activate()
        self._httpd, self.port = httpd, httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread:
                self._thread.join(5)
            self._httpd = None
            # Kept-alive connections die with the server, as they do when a host goes away.
            with self._lock:
                conns, self._conns = list(self._conns), set()
            for conn in conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def restart(self) -> None:
        """Stop listening, then listen again on the same port: a host that goes away and comes back."""
        self.stop()
        self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _opened(self, conn) -> None:
        with self._lock:
            self._conns.add(conn)

    def _closed(self, conn) -> None:
        with self._lock:
            self._conns.discard(conn)

    def handle(self, h: _Handler) -> None:
        raise NotImplementedError

    def _send(self, h: _Handler, status: int, body, headers=None, ctype=None) -> None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            ctype = ctype or "application/json"
        else:
            data = body
            ctype = ctype or "application/octet-stream"
        self._stats.answered(status)
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "DatabricksEmulator/1.0"
    # Headers and body go out in two writes; with Nagle on, keep-alive clients wait ~40 ms per call.
    disable_nagle_algorithm = True
    emu: HttpHost
    body: bytes

    def setup(self):
        super().setup()
        self.emu._opened(self.connection)

    def finish(self):
        self.emu._closed(self.connection)
        super().finish()

    def _dispatch(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(n) if n else b""  # read it all, so the connection stays usable
        try:
            self.emu.handle(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format, *args):  # quiet: tests and the CLI own stdout/stderr
        pass
