"""The retry policy on a fake clock, against the emulator: waits are recorded, never slept."""

import email.utils
import random
import time

import pytest

from dbx_inventory.api.errors import ApiError, NotFound
from dbx_inventory.api.pacer import Pacer
from dbx_inventory.api.rest import FAMILIES, RestClient
from dbx_inventory.api.retry import RetryPolicy, classify_exception, classify_response, parse_retry_after
from tests.conftest import TOKEN
from tests.emulator import Faults
from tests.fakes import FakeClock, token_auth


def client_for(srv, clock, **policy):
    pacers = {f: Pacer(f, clock) for f in FAMILIES}
    return RestClient(token_auth(srv.url, TOKEN), RetryPolicy(**policy), clock, pacers, rng=random.Random(1))


def test_retry_after_seconds_and_http_date():
    now = time.time()
    assert parse_retry_after("3", now) == 3
    date = email.utils.formatdate(now + 5, usegmt=True)
    assert 3.5 <= parse_retry_after(date, now) <= 5.5
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


@pytest.mark.parametrize("status,code,retry", [
    (429, "REQUEST_LIMIT_EXCEEDED", True), (500, "INTERNAL_ERROR", True), (502, "", True), (503, "", True),
    (504, "DEADLINE_EXCEEDED", True), (400, "INVALID_PARAMETER_VALUE", False), (403, "PERMISSION_DENIED", False),
    (404, "RESOURCE_DOES_NOT_EXIST", False), (400, "REQUEST_LIMIT_EXCEEDED", True),
])
def test_classification(status, code, retry):
    assert classify_response(status, code, {}, time.time()).retry is retry


def test_backoff_grows_with_jitter_up_to_32s():
    policy = RetryPolicy()
    rng = random.Random(3)
    waits = [policy.backoff(n, rng) for n in range(1, 10)]
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0
    assert max(waits) <= 32 and waits[-1] >= 16


def test_retries_every_fault_kind_on_a_fake_clock(server):
    server.set_faults(Faults(rate=None, fault_rate=1.0, max_consecutive_faults=3, seed=2))
    clock = FakeClock()
    client = client_for(server, clock)
    started = time.monotonic()
    body = client.get("workspace", "/api/2.0/workspace/get-status", {"path": "/"})
    assert body["object_type"] == "DIRECTORY"
    assert len([s for s in clock.sleeps if s >= 0.5]) == 3  # three faults, three waits
    assert time.monotonic() - started < 5  # waits were on the fake clock


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


# -- requests the server cannot answer in time: two attempts, never minutes of them --------------------------
def test_a_server_deadline_or_a_read_timeout_gets_two_attempts_in_all():
    import requests

    policy = RetryPolicy()
    deadline = classify_response(504, "DEADLINE_EXCEEDED", {}, time.time())
    gateway = classify_response(504, "", {}, time.time())  # a load balancer's 504: as transient as a 502
    hang = classify_exception(requests.ReadTimeout("read timed out"))
    refused = classify_exception(requests.ConnectTimeout("connect timed out"))
    assert deadline.retry and deadline.too_slow and hang.retry and hang.too_slow
    assert gateway.retry and not gateway.too_slow and refused.retry and not refused.too_slow
    for slow in (deadline, hang):
        assert not policy.gives_up(1, 0.0, 1.0, slow) and policy.gives_up(2, 0.0, 1.0, slow)
    assert not policy.gives_up(2, 0.0, 1.0, gateway) and policy.gives_up(8, 0.0, 1.0, gateway)


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
    assert time.monotonic() - started < 20  # two read timeouts of 0.3 s and a backoff, never minutes
