"""What a test sets on the emulator: the limits every workspace imposes, and the faults injected on top of them."""

from __future__ import annotations

from dataclasses import dataclass, field


def _default_rate() -> dict:
    # Secondary-source figures from docs/api-notes.md: DBFS ~30/s, export 60/s, SCIM a few/s. The Files API's and
    # Unity Catalog's limits are not published: 30/s each, as DBFS, so that a client must pace them too.
    return {"dbfs": 30, "workspace": 30, "scim": 5, "export": 60, "files": 30, "unity": 30}


@dataclass(frozen=True)
class Limits:
    """A healthy workspace's limits: latency, per-family rate limits, a cap on requests in flight, SCIM page size."""

    latency_ms: float = 0
    rate: dict | None = field(default_factory=_default_rate)  # family -> tokens/s; None/{} = no limit
    burst: float | dict | None = None  # bucket capacity; default max(1, rate/5) per family
    concurrency_cap: int | None = None
    scim_page_cap: int = 100
    # Unity Catalog's page length, the most a listing of catalogs, schemas or volumes answers at once whatever
    # max_results asks (the real server's is about 10,000): small, so that every client pages.
    uc_page_cap: int = 2


@dataclass(frozen=True)
class Faults(Limits):
    """The limits, and the faults a test injects on top of them. Both sit in one object so that a test states
    the whole condition of its workspace in one call: `Faults(rate=None, fault_rate=0.1)`."""

    fault_rate: float = 0.0
    fault_kinds: tuple = ("429ra", "429", "500", "502", "503", "504", "drop")
    max_consecutive_faults: int = 2
    seed: int = 0  # of the random faults
    # path ("dbfs:"/"ws:" prefix optional) -> status; a SCIM page by its first index: "scim:Users@101"
    fail_always: dict = field(default_factory=dict)
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
    # Files API pages shorter than page_size that still carry a next_page_token: at most this many entries a page
    # (None: pages of page_size). A client that stops on a short page misses the rest.
    files_page_cap: int | None = None
    # Every Files API and Unity Catalog listing begins with a page of no entries that carries a next_page_token,
    # as the Unity Catalog reference warns may happen. A client that stops on an empty page finds nothing.
    empty_pages: bool = False


MALFORMED_KINDS = ("error_body", "string_items", "object_items", "list_body", "outside", "duplicate", "html",
                   "truncated", "bad_sizes")
