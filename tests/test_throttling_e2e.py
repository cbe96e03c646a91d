"""Throttling is never fatal while the retry deadline lasts, on every path: the first access check, the re-check
after a 403, SCIM, listings. Past the deadline the run stops with a sentence and keeps its checkpoint, and no
user becomes an error because of it.

The long Retry-After cases run the real client against the emulator on a fake clock (waits recorded, never
slept); the end-to-end cases scale the Retry-After down to seconds."""

from __future__ import annotations

import json
import random
import time

import pytest

from dbx_inventory.api.pacer import Pacer
from dbx_inventory.api.rest import FAMILIES, RestClient
from dbx_inventory.api.retry import RetryPolicy
from dbx_inventory.core.errors import ApiError, AuthError, ThrottledError
from emulator import Faults
from tests.conftest import (
    CKPT,
    TOKEN,
    assert_matches_truth,
    read_csv,
    scan,
    scannable_users,
    start_scan,
    user_of,
    wait_for_checkpoint,
)
from tests.fakes import FakeClock, token_auth
from tests.oracle import write_users_file


def client_for(srv, clock, **policy):
    pacers = {f: Pacer(f, clock) for f in FAMILIES}
    return RestClient(token_auth(srv.url, TOKEN), RetryPolicy(**policy), clock, pacers, rng=random.Random(1))


def test_a_long_retry_after_at_the_first_check_is_waited_out(server):
    # Two answers of 429 with Retry-After: 45, longer than the 30 s allowed to reach a host at all.
    server.set_faults(Faults(rate=None, storm_requests=2, storm_retry_after="45"))
    clock = FakeClock()
    started = time.monotonic()
    client_for(server, clock).access.check()
    assert sum(s for s in clock.sleeps if s >= 45) >= 2 * 45
    assert time.monotonic() - started < 45  # waited on the fake clock: sleeping would take at least 90 s


def test_the_recheck_after_a_403_waits_out_throttling_too(server):
    client = client_for(server, FakeClock())
    server.storm(2, "40")
    client.access.confirm()  # no AuthError, no "not answering normally"


def test_throttling_is_not_counted_as_failed_attempts(server):
    # Twenty 429s in a row with a short Retry-After fit in the deadline: more than max_attempts (8) answers.
    server.set_faults(Faults(rate=None, storm_requests=20, storm_retry_after="1"))
    body = client_for(server, FakeClock()).get("dbfs", "/api/2.0/dbfs/list", {"path": "/Users"})
    assert "files" in body


def test_throttling_past_the_deadline_stops_the_run_not_the_user(server):
    server.set_faults(Faults(rate=None, storm_requests=10**6, storm_retry_after="30"))
    with pytest.raises(ThrottledError) as info:
        client_for(server, FakeClock(), deadline=100).get("dbfs", "/api/2.0/dbfs/list", {"path": "/Users"})
    assert "retry deadline" in str(info.value) and "throttling dbfs" in str(info.value)


def test_other_failures_still_stop_after_max_attempts(server):
    server.set_faults(Faults(rate=None, fault_rate=1.0, fault_kinds=("503",), max_consecutive_faults=10**6))
    clock = FakeClock()
    with pytest.raises(ApiError) as info:
        client_for(server, clock, deadline=10**6).get("dbfs", "/api/2.0/dbfs/list", {"path": "/Users"})
    assert "gave up after 8 attempts" in info.value.message


def test_a_wrong_token_is_still_an_auth_failure(server):
    client = RestClient(token_auth(server.url, "dapi-wrong"), RetryPolicy(), FakeClock())
    with pytest.raises(AuthError):
        client.access.check()


def test_a_storm_at_start_and_a_denied_home_finish_the_scan(tmp_path, server, workspace, truth):
    denied = user_of(workspace, "denied")
    users = [denied, *scannable_users(workspace)[:6]]
    users_file = write_users_file(tmp_path / "users.txt", list(dict.fromkeys(users)))
    server.set_faults(Faults(rate=None, storm_requests=6, storm_retry_after="2"))
    proc = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--retry-deadline", "30")
    assert proc.returncode == 3, proc.stderr  # the denied home is that user's error, nothing else
    rows = {r["username"]: r for r in read_csv(tmp_path / "inv.csv")}
    assert [u for u, r in rows.items() if r["status"] == "error"] == [denied]
    assert "403" in rows[denied]["error"]
    assert server.stats()["throttled"] >= 6


def test_throttled_past_the_deadline_mid_run_keeps_the_checkpoint(tmp_path, server, workspace, truth):
    users = [u for u in scannable_users(workspace) if truth[u]["denied"] is None][:30]
    users_file = write_users_file(tmp_path / "users.txt", users)
    server.set_faults(Faults(rate=None, latency_ms=30))
    proc = start_scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--workers", "2",
                      "--retry-deadline", "3")
    ckpt = tmp_path / CKPT
    wait_for_checkpoint(ckpt, 3, proc=proc)
    server.storm(10**6, "5")  # longer than the whole retry deadline
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "kept throttling" in err and "--resume" in err and "Traceback" not in err
    assert not (tmp_path / "inv.csv").exists()
    records = [json.loads(line) for line in ckpt.read_text().splitlines()[1:]]
    assert records and all(r["status"] != "error" for r in records)
    server.set_faults(Faults(rate=None))
    resumed = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    rows = read_csv(tmp_path / "inv.csv")
    assert [r["username"] for r in rows] == users
    assert_matches_truth(rows, truth, users)
