"""The emulator's lifecycle and request pipeline: a threaded HTTP server on 127.0.0.1, started and stopped as a
context manager, and per request: auth -> gates (gates.py) -> route (routes.py) -> malformed answer -> send."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .gates import Gates
from .replies import Reply
from .routes import LISTINGS, Routes, family_of, path_of, query
from .settings import Faults
from .stats import Stats
from .tokens import Tokens
from .workspace import Workspace


class EmulatorServer:
    def __init__(self, ws: Workspace, token: str = "dapi-test-token", faults: Faults | None = None,
                 port: int = 0, host: str = "127.0.0.1"):
        self.ws, self.host, self.port = ws, host, port
        self._stats = Stats()
        self._tokens = Tokens(token, self._stats)
        self.routes = Routes(ws, self._tokens, self._stats)
        self._lock = threading.Lock()
        self._conns: set = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.set_faults(faults or Faults())

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        handler = type("Handler", (_Handler,), {"emu": self})
        httpd = ThreadingHTTPServer((self.host, self.port), handler, bind_and_activate=False)
        httpd.daemon_threads = True
        httpd.request_queue_size = 512  # many concurrent walkers connect at once
        httpd.allow_reuse_address = True
        httpd.server_bind()
        httpd.server_activate()
        self._httpd, self.port = httpd, httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="emulator", daemon=True)
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
        """Stop listening, then listen again on the same port: a workspace that goes away and comes back."""
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

    # --- what a test sets and reads ------------------------------------------------------
    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.routes.faults = faults
        self._gates = Gates(faults, self._stats)

    def storm(self, requests: int, retry_after: str | None = "30") -> None:
        """From now on, answer the next `requests` requests with 429 and this Retry-After."""
        self._gates.storm(requests, retry_after)

    @property
    def token(self) -> str:
        return self._tokens.token

    def set_token(self, token: str) -> None:
        """Rotate the workspace's valid token at run time: the old one is refused from now on, as when an
        admin revokes a token mid-scan."""
        self._tokens.token = token

    @property
    def minted(self) -> dict[str, dict]:
        """Tokens minted through the token API: id -> value, expiry (epoch s or None), deleted."""
        return self._tokens.minted

    @property
    def clusters(self) -> dict:
        return self.routes.clusters

    @clusters.setter
    def clusters(self, clusters: dict) -> None:
        self.routes.clusters = clusters

    @property
    def volumes(self) -> set:
        return self.routes.volumes

    @property
    def volume_files(self) -> dict[str, bytes]:
        return self.routes.volume_files

    def reset_stats(self) -> None:
        """Fresh counters, and no minted tokens."""
        self._stats.reset()
        self._tokens.reset()

    def stats(self) -> dict:
        return self._stats.snapshot()

    # --- request pipeline ----------------------------------------------------------------
    def handle(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        route = parts.path
        if route == "/.well-known/databricks-config":  # SDK config probe: a 404 is fine
            return self._send(h, 404, {"error_code": "NOT_FOUND", "message": "Not found"})
        if route == "/__emulator/stats":
            return self._send(h, 200, self.stats())
        family = family_of(route)
        self._stats.request(family)
        auth = h.headers.get("Authorization")
        if not auth:
            return self._send(h, 401, {"error_code": "UNAUTHENTICATED",
                                       "message": "Unable to authenticate: no credentials provided"})
        label = self._tokens.label(auth)
        if label is None:  # legacy shape: the status number as error_code
            return self._send(h, 403, {"error_code": "403", "message": "Invalid access token."})
        self._stats.by_token(label, family)
        gates, in_flight = self._gates, self._stats.enter()
        try:
            stopped = gates.check(family, f"{family} {route}?{parts.query}", in_flight)
            if stopped is not None:
                return self._reply(h, stopped)
            gates.delay()
            try:
                q = query(parts.query)
                status, body = self.routes.answer(family, route, q, h.command, getattr(h, "body", b""), label)
            except Reply as r:
                if gates.faults.echo_auth and isinstance(r.body, dict) and r.status >= 400:
                    r.body["message"] = f"{r.body.get('message', '')} (request had Authorization: {auth})"
                return self._reply(h, r)
            if gates.faults.malformed and route.endswith(LISTINGS):
                raw = gates.malform(family, path_of(q, dbfs=family == "dbfs"), body)
                if raw is not None:
                    return self._send(h, 200, raw[0], ctype=raw[1])
            return self._send(h, status, body)
        finally:
            self._stats.leave()

    def _reply(self, h: _Handler, r: Reply) -> None:
        if r.drop:  # close the socket without any response
            self._stats.answered("drop")
            h.close_connection = True
            return None
        return self._send(h, r.status, r.body, headers=r.headers, ctype=r.ctype)

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
    emu: EmulatorServer

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
