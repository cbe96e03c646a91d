"""The retry policy on a fake clock, against the emulator: waits are recorded, never slept."""

import email.utils
import random
import time

import pytest

from dbx_inventory.api.errors import ApiError
from dbx_inventory.api.pacer import Pacer
from dbx_inventory.api.rest import FAMILIES, RestClient
from dbx_inventory.api.retry import RetryPolicy, classify_response, parse_retry_after
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
    assert info.value.not_found
    assert all(s == 0 for s in clock.sleeps)  # the pacer's zero waits only: no retry
