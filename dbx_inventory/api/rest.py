"""The REST client: auth headers from the SDK's Config, pooled connections, and the one retry loop.

Every API call of the program goes through `RestClient.request`, which paces the request with its family's
shared pacer and applies the one retry policy (the original wrote its retry loop four times, each a little
different).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .clock import Clock, RealClock
from .errors import ApiError, AuthError, UnreachableError
from .pacer import Pacer
from .retry import RetryPolicy, classify_exception, classify_response

log = logging.getLogger("dbx_inventory")

FAMILIES = ("scim", "dbfs", "workspace", "export", "files")


def error_fields(resp: requests.Response) -> tuple[str, str]:
    """(error_code, message) from a Databricks error body, the SCIM shape, or a non-JSON page."""
    try:
        body = resp.json()
    except ValueError:
        text = " ".join(resp.text.split())[:120]
        return "", text if text and not text.startswith("<") else (resp.reason or "")
    if not isinstance(body, dict):
        return "", ""
    code = body.get("error_code") or body.get("scimType") or ""
    message = body.get("message") or body.get("detail") or ""
    return str(code), str(message)


class RestClient:
    def __init__(
        self,
        config: Any,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        pacers: Mapping[str, Pacer] | None = None,
        pool_size: int = 16,
        timeout: tuple[float, float] = (10.0, 90.0),
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.host = str(config.host).rstrip("/")
        self.policy = policy or RetryPolicy()
        self.clock = clock or RealClock()
        self.pacers = dict(pacers or {f: Pacer(f, self.clock) for f in FAMILIES})
        self.timeout = timeout
        self._rng = rng or random.Random()
        self.retries = 0
        self._recheck_lock = threading.Lock()
        self._last_check: tuple[float, AuthError | None] = (float("-inf"), None)  # (started, its failure)
        self._session = requests.Session()
        # One pool sized to the worker threads (see client.py), reused by all of them. The SDK mounts its
        # pooled adapter for https only, leaving http at requests' 10 connections (databricks-api.md).
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, pool_size), max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def close(self) -> None:
        self._session.close()

    def get(
        self, family: str, api_path: str, params: Mapping[str, Any] | None = None, policy: RetryPolicy | None = None
    ) -> dict[str, Any]:
        """GET one endpoint; returns the JSON body or raises ApiError once retries are exhausted."""
        return self._json(self.request("GET", family, api_path, params, policy), api_path)

    def request(
        self, method: str, family: str, api_path: str, params: Mapping[str, Any] | None = None,
        policy: RetryPolicy | None = None, data: bytes | None = None,
    ) -> requests.Response:
        """One call with the retry policy and the family's pacer; a 2xx response, or ApiError."""
        policy = policy or self.policy
        pacer = self.pacers[family]
        target = str((params or {}).get("path", api_path))
        started = self.clock.time()
        attempt = 0
        while True:
            attempt += 1
            headers = self._auth_headers()
            pacer.acquire()
            status: int | None = None
            code = message = ""
            try:
                resp = self._session.request(method, self._url(api_path, params), headers=headers, data=data,
                                             timeout=self.timeout)
            except requests.RequestException as exc:
                pacer.release()
                verdict = classify_exception(exc)
                message = verdict.reason
            else:
                status = resp.status_code
                if 200 <= status < 300:
                    pacer.release()
                    return resp
                code, message = error_fields(resp)
                verdict = classify_response(status, code, resp.headers, time.time())
                pacer.release(throttled=verdict.throttled, retry_after=verdict.retry_after)
            if not verdict.retry:
                raise ApiError(status, code, message, target)
            wait = policy.wait(verdict, attempt, self._rng)
            elapsed = self.clock.time() - started
            if policy.gives_up(attempt, elapsed, wait):
                raise ApiError(status, code, f"gave up after {attempt} attempts: {verdict.reason}", target)
            self.retries += 1
            log.debug(
                "retry %s %s in %.1fs (attempt %d/%d): %s",
                family, target, wait, attempt + 1, policy.max_attempts, verdict.reason,
            )
            self.clock.sleep(wait)

    def _url(self, api_path: str, params: Mapping[str, Any] | None) -> str:
        # Percent-encode everything (a space as %20, never '+'), so that names with spaces, '+', '#', '&'
        # or '?' reach the server intact whichever way it decodes a query string.
        if not params:
            return self.host + api_path
        return f"{self.host}{api_path}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe='')}"

    def _auth_headers(self) -> dict[str, str]:
        # authenticate() refreshes OAuth tokens as needed; a failure here is a credentials problem.
        try:
            return dict(self.config.authenticate())
        except Exception as exc:  # the SDK raises ValueError or provider-specific errors
            raise AuthError(f"authentication failed: could not obtain credentials ({type(exc).__name__})") from None

    def _json(self, resp: requests.Response, api_path: str) -> dict[str, Any]:
        try:
            body = resp.json()
        except ValueError:
            # A login page or a proxy: not a Databricks API at all.
            raise UnreachableError(f"{self.host} answered {api_path} with something that is not JSON: is it a Databricks workspace URL?") from None
        return body if isinstance(body, dict) else {}

    def check_access(self, max_seconds: float = 30.0) -> None:
        """Fail fast before scanning: a wrong token must stop the run, not produce an inventory of 'empty'
        users (the original's did, with exit code 0). Everyone may read the workspace root, so 401/403 here means bad credentials.
        Bounded so that an unreachable host fails within a minute."""
        policy = dataclasses.replace(self.policy, deadline=min(self.policy.deadline, max_seconds))
        try:
            self.get("workspace", "/api/2.0/workspace/get-status", {"path": "/"}, policy)
        except ApiError as exc:
            if exc.status in (401, 403):
                detail = f": {exc.message}" if exc.message else ""
                raise AuthError(f"authentication failed for {self.host} (HTTP {exc.status}{detail})") from None
            if exc.status is None:
                raise UnreachableError(f"cannot reach {self.host} ({exc.message})") from None
            if 400 <= exc.status < 500 and exc.status != 429:
                return  # the server read our credentials and answered about the path: good enough
            raise UnreachableError(f"{self.host} is not answering normally: {exc.describe()}") from None

    def confirm_credentials(self) -> None:
        """A 401 or 403 during the scan means either that one place is closed to us, or that the credentials
        stopped working (a revoked or expired token: many workspaces answer 403, not 401). Ask the access
        check again, once at a time for all workers; if it fails now, the run must stop, not mark every
        remaining user as failed."""
        seen = self.clock.time()
        with self._recheck_lock:
            started, failure = self._last_check
            if started < seen:  # no check began after this answer came: its verdict would be stale
                started, failure = self.clock.time(), None
                try:
                    self.check_access()
                except AuthError as exc:
                    failure = AuthError(f"the credentials stopped working during the scan: {exc}")
                self._last_check = (started, failure)
        if failure is not None:
            raise failure

    def throttled(self) -> int:
        return sum(p.throttled for p in self.pacers.values())

    def requests(self) -> int:
        return sum(p.requests for p in self.pacers.values())


