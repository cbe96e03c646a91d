"""Building the one REST client of a process: credentials, a pacer per API family, a pooled connection per
worker thread. The command lines, the notebook entry point and the Spark tasks all build it here."""

from __future__ import annotations

import dataclasses
from typing import Any

from .clock import Clock, RealClock
from .config import AuthOptions, resolve_config
from .pacer import Pacer
from .rest import FAMILIES, RestClient
from .retry import RetryPolicy

# The walk runs a lane of workers for each of DBFS listings, Workspace listings and notebook exports.
WALK_LANES = 3
# A run stops when the workspace has answered nothing for this long (or --retry-deadline, if shorter).
LOST_AFTER = 60.0
# Where pacing starts, before the workspace has said anything: SCIM reads are limited to "a few per second"
# (docs/api-notes.md), and its pages are read one after another, so without a start every page but the first
# would meet a 429 and wait out its Retry-After. Only a start: the pacer speeds up on success, slows on 429s.
STARTING_RATES = {"scim": 4.0}


def build_client(config: Any, workers: int, max_rps: float | None = None, retry_deadline: float = 120.0,
                 clock: Clock | None = None, rates: dict[str, float] | None = None) -> RestClient:
    """`config` is the SDK's Config, or anything with `host` and `authenticate()` (a Spark task's StaticAuth);
    `rates`: the request rates per API family learned before, to start from."""
    clock = clock or RealClock()
    starting = {**STARTING_RATES, **(rates or {})}
    pacers = {f: Pacer(f, clock, max_rps=max_rps, max_in_flight=workers, initial_rate=starting.get(f),
                       learned=f in (rates or {})) for f in FAMILIES}
    return RestClient(config, RetryPolicy(deadline=retry_deadline), clock, pacers,
                      pool_size=WALK_LANES * workers + 4, lost_after=min(LOST_AFTER, retry_deadline))


def connect(auth: AuthOptions, workers: int, max_rps: float | None = None, retry_deadline: float = 120.0,
            clock: Clock | None = None, check: bool = True) -> RestClient:
    """Resolve credentials through the SDK, build the client, and (unless told otherwise) check access."""
    # The SDK's own probe of the host, bounded: against a dead host it would otherwise retry for minutes.
    probe = int(max(1, min(5, retry_deadline)))
    config = resolve_config(dataclasses.replace(auth, probe_seconds=probe))
    client = build_client(config, workers, max_rps, retry_deadline, clock)
    if check:
        client.access.check()
    return client
