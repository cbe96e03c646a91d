"""HTTP front of the emulator: routing, auth, concurrency cap, rate limits, random faults, stats.

Per API request the order is: auth -> concurrency cap -> rate limit -> random fault -> latency ->
answer, so a test can reason about which gate produced a given 429.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import scim, views
from .workspace import Workspace

FAMILIES = ("scim", "dbfs", "workspace", "export", "clusters", "tokens")
SCIM = "/api/2.0/preview/scim/v2/"
ERROR_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
               404: "RESOURCE_DOES_NOT_EXIST", 429: "REQUEST_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR",
               503: "TEMPORARILY_UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


def _default_rate() -> dict:
    # Secondary-source figures from the API notes: DBFS ~30/s, export 60/s, SCIM a few/s.
    return {"dbfs": 30, "workspace": 30, "scim": 5, "export": 60}


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 0
    rate: dict | None = field(default_factory=_default_rate)  # family -> tokens/s; None/{} = no limit
    burst: float | dict | None = None  # bucket capacity; default max(1, rate/5) per family
    concurrency_cap: int | None = None
    fault_rate: float = 0.0
    fault_kinds: tuple = ("429ra", "429", "500", "502", "503", "504", "drop")
    max_consecutive_faults: int = 2
    fail_always: dict = field(default_factory=dict)  # path ("dbfs:"/"ws:" prefix optional) -> status
    dbfs_disabled: bool = False  # the workspace's DBFS root is off (disable_legacy_dbfs): every DBFS call is 403
    # Raw or malformed 200 answers for chosen listings, as proxies, gateways and odd servers send them:
    # "dbfs:/Users/u" or "ws:/Users/u" -> one of MALFORMED_KINDS. `malformed_times` answers so that many times
    # per path, then the truth (None: always).
    malformed: dict = field(default_factory=dict)
    malformed_times: int | None = None
    echo_auth: bool = False  # error bodies echo the request's Authorization header, as some proxies do
    # A throttling storm: the next `storm_requests` requests (of any family) answer 429 with this Retry-After
    # (None: without one, as the concurrency cap does). `EmulatorServer.storm()` starts one mid-run.
    storm_requests: int = 0
    storm_retry_after: str | None = "30"
    # Listings the API cannot finish (dbfs/list on a directory beyond about 10K entries stops after about 60 s):
    # "dbfs:/Users/u/big" or "ws:/..." -> "504" (answer 504 DEADLINE_EXCEEDED at once) or "hang" (answer it only
    # after `hang_seconds`, past a client's read timeout). `too_slow_above`: every DBFS directory of more than
    # that many entries answers so, the way `too_slow_kind` says. Attempts are counted in stats()["too_slow"].
    too_slow: dict = field(default_factory=dict)
    too_slow_above: int | None = None
    too_slow_kind: str = "504"
    hang_seconds: float = 65.0
    # Token API: (status, error_code) refuses token/create, as a workspace with tokens disabled or a user
    # without the permission does, e.g. (403, "PERMISSION_DENIED"); None mints tokens.
    refuse_tokens: tuple | None = None
    seed: int = 0
    scim_page_cap: int = 100


class _Bucket:
    """Token bucket: `rate` tokens/s, capacity `cap`; starts full."""

    def __init__(self, rate: float, cap: float):
        self.rate, self.cap, self.tokens, self.t = rate, cap, cap, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.cap, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False  # throttled requests don't consume tokens


class _Reply(Exception):
    """Raised inside routing to answer with an error early."""

    def __init__(self, status: int, body, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


def _err(status: int, message: str, code: str | None = None) -> _Reply:
    return _Reply(status, {"error_code": code or ERROR_CODES.get(status, str(status)), "message": message})


class EmulatorServer:
    def __init__(self, ws: Workspace, token: str = "dapi-test-token", faults: Faults | None = None,
                 port: int = 0, host: str = "127.0.0.1"):
        self.ws, self.token, self.host, self.port = ws, token, host, port
        # Clusters, for Databricks Connect's check of the runtime (clusters/get): id -> spark_version, state.
        self.clusters = {"1234-567890-abc123": {"spark_version": "19.3.x-scala2.13", "state": "RUNNING"}}
        # Unity Catalog Volumes that exist, for the Files API; files written there are kept in memory.
        self.volumes = {"/Volumes/main/admin/inventory"}
        self.volume_files: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # the token label of the request this thread is answering
        self._conns: set = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.set_faults(faults or Faults())
        self.reset_stats()

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

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- configuration and stats ---------------------------------------------------------
    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)
            self._consecutive: dict[str, int] = {}
            self._malformed_count: dict[str, int] = {}
            self._ra_toggle = 0
            self._storm_left = faults.storm_requests
            self._buckets = {}
            for fam, rate in (faults.rate or {}).items():
                if rate and rate > 0:
                    b = faults.burst
                    cap = b.get(fam) if isinstance(b, dict) else b
                    self._buckets[fam] = _Bucket(rate, cap if cap else max(1.0, rate / 5))

    def storm(self, requests: int, retry_after: str | None = "30") -> None:
        """From now on, answer the next `requests` requests with 429 and this Retry-After."""
        with self._lock:
            self.faults = dataclasses.replace(self.faults, storm_retry_after=retry_after)
            self._storm_left = requests

    def set_token(self, token: str) -> None:
        """Rotate the workspace's valid token at run time: the old one is refused from now on, as when an
        admin revokes a token mid-scan."""
        with self._lock:
            self.token = token

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = {"requests": {}, "by_status": {}, "throttled": 0, "faults": 0,
                           "max_in_flight": 0, "list_calls": {}, "too_slow": {},
                           # Which token each request used: "user" (the workspace's token) or a minted token's
                           # id, per family and per listing; and the tokens minted (never their values).
                           "by_token": {}, "list_tokens": {}, "tokens": {}}
            self.minted: dict[str, dict] = {}  # token_id -> value, expiry (epoch s or None), deleted
            self._in_flight = 0
            self._t0 = time.monotonic()

    def stats(self) -> dict:
        with self._lock:
            s = json.loads(json.dumps(self._stats))
            s["elapsed_s"] = round(time.monotonic() - self._t0, 3)
            s["in_flight"] = self._in_flight
            return s

    def _count(self, key: str, sub: str, n: int = 1) -> None:
        with self._lock:
            d = self._stats[key]
            d[sub] = d.get(sub, 0) + n

    def _record_status(self, status) -> None:
        with self._lock:
            self._stats["by_status"][str(status)] = self._stats["by_status"].get(str(status), 0) + 1
            if status == 429:
                self._stats["throttled"] += 1

    # --- request pipeline ----------------------------------------------------------------
    def handle(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        route = parts.path
        if route == "/.well-known/databricks-config":  # SDK config probe: a 404 is fine
            return self._send(h, 404, {"error_code": "NOT_FOUND", "message": "Not found"})
        if route == "/__emulator/stats":
            return self._send(h, 200, self.stats())
        family = _family(route)
        self._count("requests", family)
        auth = h.headers.get("Authorization")
        if not auth:
            return self._send(h, 401, {"error_code": "UNAUTHENTICATED",
                                       "message": "Unable to authenticate: no credentials provided"})
        label = self._token_label(auth)
        if label is None:  # legacy shape: the status number as error_code
            return self._send(h, 403, {"error_code": "403", "message": "Invalid access token."})
        self._local.label = label
        with self._lock:
            per_family = self._stats["by_token"].setdefault(label, {})
            per_family[family] = per_family.get(family, 0) + 1
        f = self.faults
        with self._lock:
            self._in_flight += 1
            in_flight = self._in_flight
            self._stats["max_in_flight"] = max(self._stats["max_in_flight"], in_flight)
        try:
            with self._lock:
                storming = self._storm_left > 0
                self._storm_left -= storming
            if storming:
                ra = self.faults.storm_retry_after
                return self._send(h, 429, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "Rate limit exceeded"},
                                  headers={"Retry-After": ra} if ra is not None else None)
            if f.concurrency_cap and in_flight > f.concurrency_cap:  # no Retry-After here
                return self._send(h, 429, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message":
                                           f"Workspace 1234 exceeded the concurrent limit of "
                                           f"{f.concurrency_cap} requests"})
            with self._lock:
                bucket = self._buckets.get(family)
                ok = bucket.take() if bucket else True
            if not ok:
                return self._send(h, 429, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message":
                                           f"Too many requests for {family}. Please try again later."},
                                  headers={"Retry-After": "1"})
            fault = self._pick_fault(f, f"{family} {route}?{parts.query}")
            if fault:
                return self._send_fault(h, fault)
            if f.latency_ms:
                time.sleep(f.latency_ms / 1000)
            try:
                status, body = self._answer(family, route, parts.query, h.command, getattr(h, "body", b""))
            except _Reply as r:
                if f.echo_auth and isinstance(r.body, dict) and r.status >= 400:
                    r.body["message"] = f"{r.body.get('message', '')} (request had Authorization: {auth})"
                return self._send(h, r.status, r.body, headers=r.headers)
            raw = self._malform(family, route, parts.query, body)
            if raw is not None:
                return self._send(h, 200, raw[0], ctype=raw[1])
            return self._send(h, status, body)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _token_label(self, auth: str) -> str | None:
        """"user" for the workspace's token, a live minted token's id, or None: refused."""
        if auth == f"Bearer {self.token}":
            return "user"
        with self._lock:
            for token_id, t in self.minted.items():
                if auth == f"Bearer {t['value']}" and not t["deleted"]:
                    return token_id if t["expiry"] is None or time.time() < t["expiry"] else None
        return None

    def _tokens(self, route: str, method: str, body: bytes):
        """Token API: create (a token valid until deleted or expired) and delete."""
        if method != "POST" or route not in ("/api/2.0/token/create", "/api/2.0/token/delete"):
            raise _err(404, f"No API found for '{method} {route}'", "ENDPOINT_NOT_FOUND")
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            raise _err(400, "Malformed request body") from None
        if route.endswith("/delete"):
            token_id = str(req.get("token_id", ""))
            with self._lock:
                t = self.minted.get(token_id)
                if t is None or t["deleted"]:
                    raise _err(404, f"Token with id {token_id} does not exist")
                t["deleted"] = True
                self._stats["tokens"][token_id]["deleted"] = True
            return 200, {}
        if self.faults.refuse_tokens:
            status, code = self.faults.refuse_tokens
            raise _err(status, "Token creation is not allowed for this user in this workspace", code)
        lifetime = req.get("lifetime_seconds")
        now = time.time()
        expiry = now + lifetime if isinstance(lifetime, (int, float)) and lifetime > 0 else None
        token_id, value = secrets.token_hex(32), "dapi" + secrets.token_hex(16)
        info = {"token_id": token_id, "creation_time": int(now * 1000),
                "expiry_time": int(expiry * 1000) if expiry else -1, "comment": req.get("comment", "")}
        with self._lock:
            self.minted[token_id] = {"value": value, "expiry": expiry, "deleted": False}
            self._stats["tokens"][token_id] = {"comment": info["comment"], "lifetime_seconds": lifetime,
                                               "created_with": getattr(self._local, "label", None),
                                               "deleted": False}
        return 200, {"token_value": value, "token_info": info}

    def _malform(self, family: str, route: str, query: str, body):
        """-> (bytes, content type) replacing a listing's answer, or None to answer the truth."""
        f = self.faults
        if not f.malformed or not route.endswith(("/list", "/get-status")):
            return None
        path = self._path({k: v[-1] for k, v in parse_qs(query).items()}, dbfs=family == "dbfs")
        kind = f.malformed.get(f"{'dbfs' if family == 'dbfs' else 'ws'}:{path}")
        if kind is None:
            return None
        with self._lock:
            n = self._malformed_count.get(path, 0)
            if f.malformed_times is not None and n >= f.malformed_times:
                return None
            self._malformed_count[path] = n + 1
        key = "files" if family == "dbfs" else "objects"
        items = list(body.get(key, [])) if isinstance(body, dict) else []
        parent = path.rsplit("/", 1)[0] or "/"
        shapes = {
            "error_body": {"error_code": "INTERNAL_ERROR", "message": "Upstream request failed"},
            "string_items": {key: "oops"},
            "object_items": {key: {"path": path}},
            "list_body": items,
            "outside": {key: items + [_folder(family, parent), _folder(family, parent + "/someone.else@example.com")]},
            "duplicate": {key: items + items[:1]},
        }
        if kind == "html":
            return b"<html><body>Sign in to continue</body></html>", "text/html"
        if kind == "truncated":
            return json.dumps({key: items}).encode()[:-7], "application/json"
        if kind == "bad_sizes":
            bad = [{**i, ("file_size" if family == "dbfs" else "size"): s} for i, s in zip(items, (-5, "abc", None))]
            return json.dumps({key: bad + items[len(bad):]}).encode(), "application/json"
        return json.dumps(shapes[kind]).encode(), "application/json"

    def restart(self) -> None:
        """Stop listening, then listen again on the same port: a workspace that goes away and comes back."""
        self.stop()
        self.start()

    def _pick_fault(self, f: Faults, key: str) -> str | None:
        if f.fault_rate <= 0 or not f.fault_kinds:
            return None
        with self._lock:
            n = self._consecutive.get(key, 0)
            # Cap faults in a row per request key, so a retrying client always gets through.
            if n < f.max_consecutive_faults and self._rng.random() < f.fault_rate:
                self._consecutive[key] = n + 1
                self._stats["faults"] += 1
                return self._rng.choice(tuple(f.fault_kinds))
            self._consecutive.pop(key, None)
            return None

    def _send_fault(self, h: _Handler, kind: str) -> None:
        if kind == "drop":  # close the socket without any response
            self._record_status("drop")
            h.close_connection = True
            return None
        if kind == "429ra":
            with self._lock:
                self._ra_toggle ^= 1
                as_date = self._ra_toggle == 0
            # Retry-After comes in both legal forms: delta-seconds and an HTTP-date.
            ra = formatdate(int(time.time()) + 2, usegmt=True) if as_date else "1"
            return self._send(h, 429, {"error_code": "REQUEST_LIMIT_EXCEEDED",
                                       "message": "Rate limit exceeded"}, headers={"Retry-After": ra})
        if kind == "502":  # proxies answer HTML, not JSON
            return self._send(h, 502, b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                              ctype="text/html")
        if kind == "504":  # a gateway's timeout, transient; the API's own DEADLINE_EXCEEDED is `too_slow`
            return self._send(h, 504, b"<html><body><h1>504 Gateway Time-out</h1></body></html>",
                              ctype="text/html")
        status = int(kind)
        return self._send(h, status, {"error_code": ERROR_CODES[status],
                                      "message": f"Injected fault {status}"})

    def _send(self, h: _Handler, status: int, body, headers=None, ctype=None) -> None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            ctype = ctype or "application/json"
        else:
            data = body
            ctype = ctype or "application/octet-stream"
        self._record_status(status)
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    # --- routing -------------------------------------------------------------------------
    def _files(self, route: str, method: str, q: dict, body: bytes):
        """Files API for Unity Catalog Volumes: PUT/GET/HEAD a file, HEAD/GET a directory.
        Volumes listed in `volumes` exist; files live in memory."""
        kind, _, rest = route[len("/api/2.0/fs/"):].partition("/")
        path = "/" + unquote(rest)
        if not any(path == v or path.startswith(v + "/") for v in self.volumes):
            raise _err(404, f"Volume for {path} does not exist", "NOT_FOUND")
        if kind == "files":
            if method == "PUT":
                if path in self.volume_files and q.get("overwrite", "false").lower() != "true":
                    raise _err(409, f"{path} already exists", "ALREADY_EXISTS")
                self.volume_files[path] = body
                return 204, b""
            if path not in self.volume_files:
                raise _err(404, f"{path} does not exist", "NOT_FOUND")
            return 200, self.volume_files[path]
        if kind == "directories" and method in ("GET", "HEAD"):
            is_dir = path in self.volumes or any(f.startswith(path.rstrip("/") + "/") for f in self.volume_files)
            if not is_dir:
                raise _err(404, f"{path} does not exist", "NOT_FOUND")
            return 200, {"contents": []}
        raise _err(404, f"No API found for '{method} {route}'", "ENDPOINT_NOT_FOUND")

    def _answer(self, family: str, route: str, query: str, method: str, body: bytes = b""):
        try:
            q = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True, errors="strict").items()}
        except UnicodeDecodeError:
            raise _err(400, "Query string is not valid UTF-8") from None
        if family == "files":
            return self._files(route, method, q, body)
        if family == "tokens":
            return self._tokens(route, method, body)
        if method != "GET":
            raise _err(404, f"No API found for '{method} {route}'", "ENDPOINT_NOT_FOUND")
        if family == "scim":
            return self._scim(route, q)
        if family == "clusters":
            return self._cluster(route, q)
        if route in ("/api/2.0/dbfs/list", "/api/2.0/dbfs/get-status"):
            return self._dbfs(route.rsplit("/", 1)[1], q)
        if route in ("/api/2.0/workspace/list", "/api/2.0/workspace/get-status"):
            return self._workspace(route.rsplit("/", 1)[1], q)
        if route == "/api/2.0/workspace/export":
            return self._export(q)
        raise _err(404, f"No API found for 'GET {route}'", "ENDPOINT_NOT_FOUND")

    def _scim(self, route: str, q: dict):
        rest = route[len(SCIM):]
        kind, _, ident = rest.partition("/")
        if kind == "Users":
            items, schema, allowed = self.ws.users, scim.USER_SCHEMA, scim.USER_ATTRS
        elif kind == "ServicePrincipals":
            items, schema, allowed = self.ws.service_principals, scim.SP_SCHEMA, scim.SP_ATTRS
        else:
            raise _err(404, f"No API found for 'GET {route}'", "ENDPOINT_NOT_FOUND")
        if ident:
            for r in items:
                if r["id"] == ident:
                    return 200, {"schemas": [schema], **r}
            raise _Reply(404, scim.error(f"Resource {ident} not found.", 404, None))
        try:
            return 200, scim.list_page(items, schema, allowed, q, self.faults.scim_page_cap)
        except scim.InvalidFilter as e:
            raise _Reply(400, scim.error(str(e))) from None

    def _cluster(self, route: str, q: dict):
        if route not in ("/api/2.0/clusters/get", "/api/2.1/clusters/get"):
            raise _err(404, f"No API found for 'GET {route}'", "ENDPOINT_NOT_FOUND")
        cluster_id = q.get("cluster_id", "")
        cluster = self.clusters.get(cluster_id)
        if cluster is None:  # what the real API answers for an unknown id
            raise _err(400, f"Cluster {cluster_id} does not exist", "INVALID_PARAMETER_VALUE")
        if cluster.get("denied"):
            raise _err(403, f"User does not have permission to attach to cluster {cluster_id}")
        return 200, {"cluster_id": cluster_id, "cluster_name": f"cluster {cluster_id}", "state": cluster["state"],
                     "spark_version": cluster["spark_version"], "num_workers": 2}

    def _path(self, q: dict, dbfs: bool) -> str:
        path = q.get("path")
        if not path:
            raise _err(400, "Path must be provided")
        if dbfs and path.startswith("dbfs:"):
            path = path[5:]
        if not path.startswith("/"):
            raise _err(400, f"Path ({path}) must be absolute")
        while "//" in path:
            path = path.replace("//", "/")
        return path.rstrip("/") or "/"

    def _fail_always(self, prefix: str, path: str) -> None:
        fa = self.faults.fail_always
        status = (fa.get(f"{prefix}:{path}") or fa.get(path)) if fa else None
        if status:
            raise _err(int(status), f"Persistent failure on {path}")

    def _list_token(self, key: str) -> None:
        with self._lock:
            self._stats["list_tokens"][key] = getattr(self._local, "label", None)

    def _too_slow(self, key: str, entries: int | None) -> None:
        """A listing the server gives up on: 504 DEADLINE_EXCEEDED, at once or after hanging."""
        f = self.faults
        kind = f.too_slow.get(key)
        if kind is None and f.too_slow_above is not None and entries is not None and entries > f.too_slow_above:
            kind = f.too_slow_kind
        if kind is None:
            return
        self._count("too_slow", key)
        if kind == "hang":
            time.sleep(f.hang_seconds)
        raise _err(504, f"The request to list {key} did not finish in time", "DEADLINE_EXCEEDED")

    def _dbfs(self, op: str, q: dict):
        path = self._path(q, dbfs=True)
        if self.faults.dbfs_disabled:
            raise _err(403, f"Public DBFS root is disabled. Access is denied on path: {path}")
        self._fail_always("dbfs", path)
        result = views.dbfs_list(self.ws, path) if op == "list" else views.dbfs_status(self.ws, path)
        if result is None:
            raise _err(404, f"No file or directory exists on path dbfs:{path}.")
        if op == "get-status":
            return 200, result
        self._too_slow(f"dbfs:{path}", len(result))
        self._count("list_calls", f"dbfs:{path}")
        self._list_token(f"dbfs:{path}")
        return 200, {"files": result} if result else {}  # "files" absent for an empty dir

    def _workspace(self, op: str, q: dict):
        path = self._path(q, dbfs=False)
        self._fail_always("ws", path)
        try:
            result = views.ws_list(self.ws, path) if op == "list" else views.ws_status(self.ws, path)
        except views.Denied:
            raise _err(403, f"User does not have READ permission on {path}") from None
        if result is None:
            raise _err(404, f"Path ({path}) doesn't exist.")
        if op == "get-status":
            return 200, result
        self._too_slow(f"ws:{path}", None)
        self._count("list_calls", f"ws:{path}")
        self._list_token(f"ws:{path}")
        return 200, {"objects": result} if result else {}  # "objects" absent for an empty dir

    def _export(self, q: dict):
        path = self._path(q, dbfs=False)
        fmt = q.get("format", "SOURCE").upper()
        if fmt not in ("SOURCE", "AUTO", "JUPYTER", "HTML", "DBC", "R_MARKDOWN", "RAW"):
            raise _err(400, f"Invalid format: {fmt}")
        try:
            status, payload = views.ws_export(self.ws, path)
        except views.Denied:
            raise _err(403, f"User does not have READ permission on {path}") from None
        if status != 200:
            raise _err(status, payload[1], payload[0])
        content, file_type = payload
        if q.get("direct_download", "").lower() == "true":
            return 200, content  # raw bytes
        body = {"content": base64.b64encode(content).decode("ascii")}
        if file_type:
            body["file_type"] = file_type
        return 200, body


def _folder(family: str, path: str) -> dict:
    if family == "dbfs":
        return {"path": path, "is_dir": True, "file_size": 0, "modification_time": 0}
    return {"object_type": "DIRECTORY", "path": path, "object_id": 1}


def _family(route: str) -> str:
    if route.startswith(SCIM):
        return "scim"
    if route.startswith("/api/2.0/dbfs/"):
        return "dbfs"
    if route == "/api/2.0/workspace/export":
        return "export"
    if route.startswith("/api/2.0/workspace/"):
        return "workspace"
    if route.startswith("/api/2.0/fs/"):
        return "files"
    if "/clusters/" in route:
        return "clusters"
    if route.startswith("/api/2.0/token/"):
        return "tokens"
    return "other"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "DatabricksEmulator/1.0"
    # Headers and body go out in two writes; with Nagle on, keep-alive clients wait ~40 ms per call.
    disable_nagle_algorithm = True
    emu: EmulatorServer

    def setup(self):
        super().setup()
        with self.emu._lock:
            self.emu._conns.add(self.connection)

    def finish(self):
        with self.emu._lock:
            self.emu._conns.discard(self.connection)
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
