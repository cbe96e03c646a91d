"""The retry policy, pure: Retry-After parsing, which answers are retried, the backoff, when a slow request is
given up. Against the emulator, on a fake clock: tests/test_retry_emulator.py."""

import email.utils
import random
import time

import pytest
import requests

from dbx_inventory.api.retry import RetryPolicy, classify_exception, classify_response, parse_retry_after


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


# -- requests the server cannot answer in time: two attempts, never minutes of them --------------------------
def test_a_server_deadline_or_a_read_timeout_gets_two_attempts_in_all():
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
