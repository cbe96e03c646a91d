"""The gates every API request passes, after auth and before its route answers, in this order: a throttling
storm, the concurrency cap, the family's rate limit, a random fault, latency. So a test can tell which gate
produced a given 429. Malformed answers replace a route's answer afterwards."""

from __future__ import annotations

import json
import random
import threading
import time
from email.utils import formatdate

from .replies import ERROR_CODES, Reply
from .settings import Faults
from .stats import Stats


class Bucket:
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


def _throttled(message: str, retry_after: str | None) -> Reply:
    return Reply(429, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": message},
                 headers={"Retry-After": retry_after} if retry_after is not None else None)


class Gates:
    """One set of faults and limits, and the state they need (buckets, the random faults' generator, counters);
    built anew when a test sets new faults."""

    def __init__(self, faults: Faults, stats: Stats) -> None:
        self.faults, self._stats = faults, stats
        self._lock = threading.Lock()
        self._rng = random.Random(faults.seed)
        self._consecutive: dict[str, int] = {}
        self._malformed_count: dict[str, int] = {}
        self._ra_toggle = 0
        self._storm_left = faults.storm_requests
        self._storm_retry_after = faults.storm_retry_after
        self._buckets: dict[str, Bucket] = {}
        for fam, rate in (faults.rate or {}).items():
            if rate and rate > 0:
                b = faults.burst
                cap = b.get(fam) if isinstance(b, dict) else b
                self._buckets[fam] = Bucket(rate, cap if cap else max(1.0, rate / 5))

    def storm(self, requests: int, retry_after: str | None) -> None:
        with self._lock:
            self._storm_left, self._storm_retry_after = requests, retry_after

    def check(self, family: str, key: str, in_flight: int) -> Reply | None:
        """-> the answer of the first gate that stops this request, or None to let it through."""
        f = self.faults
        with self._lock:
            storming = self._storm_left > 0
            self._storm_left -= storming
            retry_after = self._storm_retry_after
        if storming:
            return _throttled("Rate limit exceeded", retry_after)
        if f.concurrency_cap and in_flight > f.concurrency_cap:  # no Retry-After here
            return _throttled(f"Workspace 1234 exceeded the concurrent limit of {f.concurrency_cap} requests", None)
        with self._lock:
            bucket = self._buckets.get(family)
            ok = bucket.take() if bucket else True
        if not ok:
            return _throttled(f"Too many requests for {family}. Please try again later.", "1")
        fault = self._pick_fault(key)
        return self._fault_reply(fault) if fault else None

    def delay(self) -> None:
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)

    def _pick_fault(self, key: str) -> str | None:
        f = self.faults
        if f.fault_rate <= 0 or not f.fault_kinds:
            return None
        with self._lock:
            n = self._consecutive.get(key, 0)
            # Cap faults in a row per request key, so a retrying client always gets through.
            if n < f.max_consecutive_faults and self._rng.random() < f.fault_rate:
                self._consecutive[key] = n + 1
                self._stats.fault()
                return self._rng.choice(tuple(f.fault_kinds))
            self._consecutive.pop(key, None)
            return None

    def _fault_reply(self, kind: str) -> Reply:
        if kind == "drop":  # close the socket without any response
            return Reply(0, b"", drop=True)
        if kind == "429ra":
            with self._lock:
                self._ra_toggle ^= 1
                as_date = self._ra_toggle == 0
            # Retry-After comes in both legal forms: delta-seconds and an HTTP-date.
            return _throttled("Rate limit exceeded", formatdate(int(time.time()) + 2, usegmt=True) if as_date else "1")
        if kind == "502":  # proxies answer HTML, not JSON
            return Reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", ctype="text/html")
        if kind == "504":  # a gateway's timeout, transient; the API's own DEADLINE_EXCEEDED is `too_slow`
            return Reply(504, b"<html><body><h1>504 Gateway Time-out</h1></body></html>", ctype="text/html")
        status = int(kind)
        return Reply(status, {"error_code": ERROR_CODES[status], "message": f"Injected fault {status}"})

    def malform(self, family: str, path: str, body) -> tuple[bytes, str] | None:
        """-> (bytes, content type) replacing a listing's answer, or None to answer the truth."""
        f = self.faults
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


def _folder(family: str, path: str) -> dict:
    if family == "dbfs":
        return {"path": path, "is_dir": True, "file_size": 0, "modification_time": 0}
    return {"object_type": "DIRECTORY", "path": path, "object_id": 1}
