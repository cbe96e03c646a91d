"""The REST client's retries on a fake clock, against the emulator: waits are recorded, never slept. The pure
policy: tests/unit/test_retry.py."""

import random
import time

import pytest

from dbx_inventory.api.pacer import Pacer
from dbx_inventory.api.rest import FAMILIES, RestClient
from dbx_inventory.api.retry import RetryPolicy
from dbx_inventory.core.errors import ApiError, NotFound
from emulator import Faults
from tests.conftest import TOKEN
from tests.fakes import FakeClock, token_auth


def client_for(srv, clock, **policy):
    pacers = {f: Pacer(f, clock) for f in FAMILIES}
    return RestClient(token_auth(srv.url, TOKEN), RetryPolicy(**policy), clock, pacers, rng=random.Random(1))


def test_retries_every_fault_kind_on_a_fake_clock(server):
    server.set_faults(Faults(rate=None, fault_rate=1.0, max_consecutive_faults=3, seed=2))
    clock = FakeClock()
    # Long backoffs (ceilings of 20, 40 and 80 s), so that sleeping them for real would show.
    client = client_for(server, clock, base_delay=20, max_delay=200, deadline=1000)
    started = time.monotonic()
    body = client.get("workspace", "/api/2.0/workspace/get-status", {"path": "/"})
    assert body["object_type"] == "DIRECTORY"
    assert len([s for s in clock.sleeps if s >= 0.5]) == 3  # three faults, three waits
    assert sum(clock.sleeps) > 25  # one may be a Retry-After of a second or two; the backoffs are 10 s and more
    # The waits were on the fake clock: sleeping them would take more than 25 s; three local requests take
    # milliseconds, and 15 s leaves room for a loaded machine.
    assert time.monotonic() - started < 15


def test_retry_after_is_honoured(server):
    server.set_faults(Faults(rate=None, fault_rate=1.0, fault_kinds=("429ra",), max_consecutive_faults=1))
    clock = FakeClock()
    client_for(server, clock).get("workspace", "/api/2.0/workspace/get-status", {"path": "/"})
    assert any(s >= 1.0 for s in clock.sleeps)


def test_gives_up_at_the_deadline_with_the_reason(server):
    server.set_faults(Faults(rate=None, fault_rate=1.0, fault_kinds=("503",), max_consecutive_faults=10**6))
    clock = FakeClock()
    with pytest.raises(ApiError) as info:
        client_for(server, clock, deadline=20).get("dbfs", "/api/2.0/dbfs/list", {"path": "/Users"})
    assert info.value.status == 503 and "gave up" in info.value.message
    assert sum(clock.sleeps) <= 20


def test_not_found_is_not_retried(server):
    clock = FakeClock()
    with pytest.raises(ApiError) as info:
        client_for(server, clock).get("dbfs", "/api/2.0/dbfs/list", {"path": "/Users/nobody@x.com"})
    assert isinstance(info.value, NotFound)
    assert all(s == 0 for s in clock.sleeps)  # the pacer's zero waits only: no retry


# -- a request the server cannot answer in time: two attempts, never minutes of them --------------------------
def test_a_listing_that_hangs_past_the_read_timeout_is_asked_twice(server):
    path = "/Users"
    server.set_faults(Faults(rate=None, too_slow={f"dbfs:{path}": "hang"}, hang_seconds=1.0))
    clock = FakeClock()
    pacers = {f: Pacer(f, clock) for f in FAMILIES}
    # A short read timeout stands for the real 90 s; lost_after shorter than the backoff: a read timeout must
    # not count as a host gone away (it took the request), or the run would stop instead of failing one user.
    client = RestClient(token_auth(server.url, TOKEN), RetryPolicy(), clock, pacers, timeout=(5.0, 0.3),
                        rng=random.Random(1), lost_after=0.1)
    client.get("workspace", "/api/2.0/workspace/get-status", {"path": "/"})  # the host answered once
    started = time.monotonic()
    with pytest.raises(ApiError) as info:
        client.get("dbfs", "/api/2.0/dbfs/list", {"path": path})
    assert info.value.too_slow and info.value.status is None and "read timeout" in info.value.message
    assert "gave up after 2 attempts" in info.value.message
    assert server.stats()["too_slow"] == {f"dbfs:{path}": 2}
    # Two read timeouts of 0.3 s and a backoff on the fake clock: wide for a loaded machine, still far below the
    # failure it guards, minutes of retries (the retry deadline is 120 s).
    assert time.monotonic() - started < 60
