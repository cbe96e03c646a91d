"""The REST client: auth headers from the SDK's Config, pooled connections, and the one retry loop.

Every API call of the program goes through `RestClient.request`, which paces the request with its family's
shared pacer and applies the one retry policy.
"""

from __future__ import annotations

import json
import logging
import os
import random
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, get_args

import requests
from requests.adapters import HTTPAdapter

from ..core.errors import (
    MALFORMED,
    AuthError,
    MalformedAnswer,
    ThrottledError,
    api_error,
)
from .access import Access
from .clock import Clock, RealClock
from .liveness import HostLiveness
from .pacer import Pacer, PacerState
from .retry import RetryPolicy, Verdict, classify_exception, classify_response

log = logging.getLogger("dbx_inventory")

# The API families: each has its own rate budget on the server, so each has its own pacer here.
FILES_PREFIX = "/api/2.0/fs/directories"  # the Files API's listing: the path follows it
Family = Literal["scim", "dbfs", "workspace", "export", "files", "unity", "clusters", "tokens"]
FAMILIES: tuple[Family, ...] = get_args(Family)
# Why a parsed body is not the documented shape, or None.
Shape = Callable[[Any], "str | None"]


def error_in_body(body: dict[str, Any]) -> str | None:
    """An error body sent with a 2xx status (gateways do that): the Databricks or the SCIM shape."""
    code = body.get("error_code") or body.get("scimType") or body.get("error")
    message = body.get("message") or body.get("detail")
    if code or message:
        return f"an error in a 2xx answer: {code or ''}{': ' if code and message else ''}{message or ''}"[:300]
    return None


def json_object(body: Any) -> str | None:
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    return error_in_body(body)


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


def session_for(host: str) -> requests.Session:
    """A Session that reads the environment once, here, instead of on every request.

    With `trust_env` on, requests looks up the proxy variables (all of os.environ, each call), NO_PROXY and
    ~/.netrc for every request: a quarter of its own CPU per request, on the path every listing takes. The
    same settings are read once instead: the proxies for this host (NO_PROXY honoured) and the CA bundle
    variables. ~/.netrc is left out on purpose: an entry for the host would replace the Authorization header
    the SDK's credentials provide with basic auth (https://github.com/psf/requests/issues/2066)."""
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(host))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    return session


class RestClient:
    def __init__(
        self,
        config: Any,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        pacers: Mapping[Family, Pacer] | None = None,
        pool_size: int = 16,
        timeout: tuple[float, float] = (10.0, 90.0),
        rng: random.Random | None = None,
        lost_after: float = 60.0,
    ) -> None:
        self.config = config
        self.host = str(config.host).rstrip("/")
        self.policy = policy or RetryPolicy()
        self.clock = clock or RealClock()
        self.pacers = dict(pacers or {f: Pacer(f, self.clock) for f in FAMILIES})
        # (connect, read) in seconds. The read timeout outlasts the API's own deadline (about 60 s, after which
        # it answers 504 DEADLINE_EXCEEDED), so a request that hangs past it ends here instead of never.
        self.timeout = timeout
        self._rng = rng or random.Random()
        self.retries = 0
        self.liveness = HostLiveness(self.host, self.clock, lost_after)
        self.access = Access(self)
        self._session = session_for(self.host)
        # One pool sized to the worker threads (see client.py), reused by all of them. The SDK mounts its
        # pooled adapter for https only, leaving http at requests' 10 connections (docs/api-notes.md).
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, pool_size), max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def close(self) -> None:
        self._session.close()

    def get(
        self, family: Family, api_path: str, params: Mapping[str, Any] | None = None, policy: RetryPolicy | None = None,
        shape: Shape | None = None, retry_malformed: bool = True,
    ) -> dict[str, Any]:
        """GET one endpoint; returns its JSON body, or raises ApiError once retries are exhausted.

        A 2xx answer that is not JSON, or whose body is not the documented shape (`shape` says why not; by
        default any JSON object will do), is a failed request like a 5xx: proxies and gateways answer 200 with
        an HTML page or an error body, and counting that as an empty folder would report data as gone."""
        return self._json("GET", family, api_path, params, policy, shape, retry_malformed)

    def pages(self, family: Family, api_path: str, params: Mapping[str, Any], shape: Shape,
              what: str) -> Iterator[dict[str, Any]]:
        """Every page of a listing paged by `page_token` (the Files API, Unity Catalog): pages go on while a
        `next_page_token` comes back, whatever their length; a token handed back twice would page forever,
        and is a malformed answer about `what`."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            body = self.get(family, api_path, {**params, **({"page_token": token} if token else {})}, shape=shape)
            yield body
            token = body.get("next_page_token") or None
            if token is None:
                return
            if token in seen:
                raise MalformedAnswer(200, MALFORMED, f"the {family} API repeated a page token while listing {what}", what)
            seen.add(token)

    def post(self, family: Family, api_path: str, body: Mapping[str, Any], policy: RetryPolicy | None = None,
             shape: Shape | None = None) -> dict[str, Any]:
        """POST a JSON body to one endpoint; its JSON answer, checked as `get` checks it."""
        return self._json("POST", family, api_path, None, policy, shape, True, json.dumps(body).encode("utf-8"))

    def _json(
        self, method: str, family: Family, api_path: str, params: Mapping[str, Any] | None, policy: RetryPolicy | None,
        shape: Shape | None, retry_malformed: bool, data: bytes | None = None,
    ) -> dict[str, Any]:
        parsed: dict[str, dict[str, Any]] = {}

        def accept(resp: requests.Response) -> str | None:
            try:
                body = resp.json()
            except ValueError:
                return "not JSON"
            problem = (shape or json_object)(body)
            if problem is None:
                parsed["body"] = body
            return problem

        self.request(method, family, api_path, params, policy, data, accept=accept, retry_malformed=retry_malformed,
                     content_type="application/json" if data is not None else None)
        return parsed["body"]

    def request(
        self, method: str, family: Family, api_path: str, params: Mapping[str, Any] | None = None,
        policy: RetryPolicy | None = None, data: bytes | None = None,
        accept: Callable[[requests.Response], str | None] | None = None, retry_malformed: bool = True,
        content_type: str | None = None,
    ) -> requests.Response:
        """One call with the retry policy and the family's pacer; a 2xx response that `accept` finds no
        fault with, or ApiError."""
        policy = policy or self.policy
        pacer = self.pacers[family]
        # What an error names: the path asked about (in the query, or a Files API path after its prefix).
        target = str((params or {}).get("path") or urllib.parse.unquote(api_path.removeprefix(FILES_PREFIX)))
        started = self.clock.time()
        first_drop: float | None = None  # this request's first connection failure
        attempt = failures = 0
        while True:
            attempt += 1
            headers = self._auth_headers()
            if content_type:
                headers["Content-Type"] = content_type
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
                if not verdict.too_slow:  # a read timeout: the host took the request, it is there, only slow
                    first_drop = self.clock.time() if first_drop is None else first_drop
                    if verdict.retry and self.liveness.lost(first_drop, give_up=False):
                        raise self.liveness.lost_error(verdict.reason) from None
            else:
                status = resp.status_code
                if 200 <= status < 300:
                    pacer.release()
                    problem = accept(resp) if accept else None
                    if problem is None:
                        self.liveness.answered()
                        return resp
                    code, message = MALFORMED, f"malformed answer: {problem}"
                    verdict = Verdict(retry_malformed, message)
                else:
                    self.liveness.answered()  # the host answered: it is there
                    code, message = error_fields(resp)
                    verdict = classify_response(status, code, resp.headers, self.clock.epoch())
                    pacer.release(throttled=verdict.throttled, retry_after=verdict.retry_after)
            if not verdict.retry:
                raise api_error(status, code, message, target)
            failures += not verdict.throttled
            wait = policy.wait(verdict, failures, self._rng)
            elapsed = self.clock.time() - started
            if policy.gives_up(failures, elapsed, wait, verdict, answered=status is not None):
                if status is None and first_drop is not None and self.liveness.lost(first_drop, give_up=True):
                    raise self.liveness.lost_error(verdict.reason)
                if verdict.throttled:
                    # Throttling is the workspace's answer for every request, not this user's problem: no user
                    # may become an error because of it. The run stops, and keeps what it has.
                    raise ThrottledError(
                        f"{self.host} kept throttling {family} requests (HTTP {status}) for {elapsed:.0f} s, and waiting "
                        f"as asked would pass the retry deadline of {policy.deadline:.0f} s (--retry-deadline)"
                        + (f"; its last answer asked to wait {verdict.retry_after:.0f} s" if verdict.retry_after else ""))
                raise api_error(status, code, f"gave up after {attempt} attempts: {verdict.reason}", target,
                                too_slow=verdict.too_slow)
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

    def pacer_states(self) -> list[PacerState]:
        """How each API family is paced now, for the progress line and --debug."""
        return [p.state() for p in self.pacers.values()]

    def learned_rates(self) -> dict[str, float]:
        """The request rate of each API family whose limit was learned from the workspace's 429s (not only
        --max-rps): what a Spark task, or the next chunk's tasks, start from."""
        return {f: s.rate for f, p in self.pacers.items() if (s := p.state()).limit_found and s.rate}

    def throttled(self) -> int:
        return sum(p.throttled for p in self.pacers.values())

    def requests(self) -> int:
        return sum(p.requests for p in self.pacers.values())


