"""Never a wrong number, never a leak: odd answers from servers and proxies, a host that goes away, a token
echoed back, full disks. The real scripts against an emulator that misbehaves on purpose."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import time

import pytest
import requests

from emulator import Faults
from tests.conftest import (
    CKPT,
    SCAN,
    TOKEN,
    assert_matches_truth,
    clean_env,
    emulator_env,
    read_csv,
    run,
    scan,
    scannable_users,
    start_scan,
    user_of,
    wait_for_checkpoint,
)
from tests.oracle import expected_row, write_users_file

# -- answers that are not the documented shape ---------------------------------------------------------------
SHAPES = ("error_body", "string_items", "object_items", "list_body", "html", "truncated")


@pytest.mark.parametrize("where", ["home", "subfolder"])
@pytest.mark.parametrize("kind", SHAPES)
def test_a_malformed_listing_that_persists_makes_the_user_an_error(tmp_path, server, workspace, truth, kind, where):
    deep, other = user_of(workspace, "deep"), user_of(workspace, "both")
    path = f"/Users/{deep}" + ("/level0" if where == "subfolder" else "")
    server.set_faults(Faults(rate=None, malformed={f"ws:{path}": kind}))
    r = scan(tmp_path, server, deep, other, "-o", "inv.csv", "--retry-deadline", "3")
    assert r.returncode == 3, r.stderr
    rows = read_csv(tmp_path / "inv.csv")
    assert rows[0]["status"] == "error" and rows[0]["file_count"] == ""
    assert "malformed answer" in rows[0]["error"] and path in rows[0]["error"]
    assert rows[0]["dbfs_files"] == str(truth[deep]["dbfs_files"])  # the DBFS part was read completely
    assert_matches_truth(rows[1:], truth, [other])


@pytest.mark.parametrize("kind", SHAPES)
def test_a_malformed_listing_once_is_retried_to_the_truth(tmp_path, server, workspace, truth, kind):
    deep = user_of(workspace, "deep")
    faults = {f"ws:/Users/{deep}": kind, f"dbfs:/Users/{deep}/level0": kind}
    server.set_faults(Faults(rate=None, malformed=faults, malformed_times=1))
    r = scan(tmp_path, server, deep, "-o", "inv.csv", "--debug")
    assert r.returncode == 0, r.stderr[-2000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, [deep])
    assert "malformed answer" in r.stderr  # each retry says why


def test_not_json_on_the_first_access_check_is_fatal(tmp_path, server, workspace):
    server.set_faults(Faults(rate=None, malformed={"ws:/": "html"}))
    r = scan(tmp_path, server, user_of(workspace, "both"), "-o", "inv.csv")
    assert r.returncode == 1
    (line,) = r.stderr.strip().splitlines()
    assert "is it a Databricks workspace URL?" in line


def test_the_walk_never_leaves_the_folder_and_counts_each_entry_once(tmp_path, server, workspace, truth):
    a, b = user_of(workspace, "both"), user_of(workspace, "deep")
    faults = {f"ws:/Users/{a}": "outside", f"dbfs:/Users/{a}": "outside", f"ws:/Users/{b}": "duplicate",
              f"dbfs:/Users/{b}/level0": "duplicate"}
    server.set_faults(Faults(rate=None, malformed=faults))
    r = scan(tmp_path, server, a, b, "-o", "inv.csv")
    assert r.returncode == 0, r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, [a, b])
    # The parent and the other user's folder were never opened.
    assert not [p for p in server.stats()["list_calls"] if p.endswith(("someone.else@example.com", ":/Users"))]


def test_a_negative_or_non_numeric_size_is_no_size(tmp_path, server, workspace, truth):
    user = user_of(workspace, "dbfs_only")
    listing = requests.get(f"{server.url}/api/2.0/dbfs/list", params={"path": f"/Users/{user}"},
                           headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).json()["files"]
    spoiled = [f for f in listing[:3] if not f["is_dir"]]
    assert spoiled
    server.set_faults(Faults(rate=None, malformed={f"dbfs:/Users/{user}": "bad_sizes"}))
    r = scan(tmp_path, server, user, "-o", "inv.csv")
    assert r.returncode == 0, r.stderr
    row = read_csv(tmp_path / "inv.csv")[0]
    want = expected_row(truth[user])
    lost = sum(f["file_size"] for f in spoiled)
    assert row["file_count"] == want["file_count"]
    assert int(row["total_size"]) == int(want["total_size"]) - lost + 10_000 * len(spoiled)
    assert row["estimated_objects"] == str(len(spoiled))


# -- names as typed -----------------------------------------------------------------------------------------
def test_a_list_resolves_against_one_paged_listing(tmp_path, server, workspace, truth, users_file):
    server.set_faults(Faults(rate={"scim": 5.0}))  # SCIM's "few per second"
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv")
    assert r.returncode == 3
    # Users and service principals: one page each, and the empty page that ends each listing, paced from the
    # start, so that no page meets a 429 and waits out its Retry-After.
    stats = server.stats()
    assert stats["requests"]["scim"] == 4 and stats["throttled"] == 0


def test_a_plain_list_with_odd_lines_is_never_merged(tmp_path, server, workspace, truth):
    users = scannable_users(workspace)
    lines = [users[0], "Smith, John", 'stray"quote@example.com', *users[1:55]]
    users_file = write_users_file(tmp_path / "users.txt", lines)
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv")
    assert r.returncode == 3
    rows = read_csv(tmp_path / "inv.csv")
    assert [row["username"] for row in rows] == lines
    for junk in rows[1:3]:
        assert junk["status"] == "error" and "no user, service principal or home named" in junk["error"]


def test_a_line_that_cannot_be_a_name_stops_before_any_request(tmp_path, server):
    users_file = write_users_file(tmp_path / "users.txt", ["a@example.com", "x" * 600])
    r = scan(tmp_path, server, "--users-file", str(users_file))
    assert r.returncode == 1 and "line 2" in r.stderr and "Traceback" not in r.stderr
    assert sum(server.stats()["requests"].values()) == 0


# -- a host that goes away -----------------------------------------------------------------------------------
def start(tmp_path, srv, users_file, *extra):
    return start_scan(tmp_path, srv, "--users-file", str(users_file), "-o", "inv.csv", "--workers", "2", *extra)


def test_a_host_that_goes_away_stops_the_run_and_resume_finishes(tmp_path, server, workspace, truth, users_file):
    server.set_faults(Faults(rate=None, latency_ms=30))
    proc = start(tmp_path, server, users_file, "--retry-deadline", "5")
    wait_for_checkpoint(tmp_path / CKPT, 5, proc=proc)
    server.stop()
    started = time.monotonic()
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        server.start()
    assert proc.returncode == 1, err
    # Wide for a loaded machine, still far below the failure it guards: one retry deadline (5 s) per remaining
    # user, minutes for the 50-odd left.
    assert time.monotonic() - started < 45
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: lost contact with {server.url}") and "--resume" in last
    saved = [json.loads(line) for line in (tmp_path / CKPT).read_bytes().splitlines()[1:]]
    assert not [rec for rec in saved if rec["status"] == "error" and not truth[rec["user"]]["denied"]]
    server.set_faults(Faults(rate=None))
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--resume")
    assert r.returncode == 3, r.stderr[-2000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, scannable_users(workspace))


def test_a_host_that_comes_back_in_time_changes_nothing(tmp_path, server, workspace, truth, users_file):
    server.set_faults(Faults(rate=None, latency_ms=30))
    proc = start(tmp_path, server, users_file)
    wait_for_checkpoint(tmp_path / CKPT, 5, proc=proc)
    server.stop()
    time.sleep(2)
    server.start()
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 3, err[-2000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, scannable_users(workspace))


def test_sigterm_during_an_outage_exits_at_once(tmp_path, server, users_file):
    server.set_faults(Faults(rate=None, latency_ms=30))
    proc = start(tmp_path, server, users_file)
    wait_for_checkpoint(tmp_path / CKPT, 3, proc=proc)
    server.stop()
    try:
        time.sleep(1)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=150)
    finally:
        server.start()
    assert proc.returncode == 130, err
    # Requests in flight are abandoned: wide for a loaded machine, still below the failure it guards, waiting
    # them out for the retry deadline (120 s).
    assert time.monotonic() - started < 60
    assert "--resume" in err


# -- leaks ---------------------------------------------------------------------------------------------------
def test_a_token_echoed_by_the_server_never_reaches_an_output(tmp_path, server, workspace, truth):
    denied = next(u for u, g in truth.items() if g["denied"])
    others = [user_of(workspace, c) for c in ("both", "ws_only")]
    server.set_faults(Faults(rate=None, echo_auth=True, latency_ms=20))
    ckpt = tmp_path / "ck.jsonl"
    proc = start_scan(tmp_path, server, denied, *others, "-o", "inv.csv", "--checkpoint", str(ckpt), "--debug",
                      "--log-file", "scan.log")
    seen = b""
    while proc.poll() is None:
        if ckpt.exists():
            seen = max(seen, ckpt.read_bytes(), key=len)
        time.sleep(0.01)
    out, err = proc.communicate()
    assert proc.returncode == 3, err
    assert b"Authorization" in seen  # the checkpoint was read while it held the echoed error
    row = read_csv(tmp_path / "inv.csv")[0]
    assert "Authorization" in row["error"] and "Bearer ***" in row["error"]
    for text in (out, err, (tmp_path / "inv.csv").read_text(), (tmp_path / "scan.log").read_text(), seen.decode()):
        assert TOKEN not in text
    report = scan(tmp_path, server, denied)  # the one-user report on stdout
    assert report.returncode == 3 and "Authorization" in report.stdout and TOKEN not in report.stdout + report.stderr


def test_credentials_in_the_url_are_refused(tmp_path, server, workspace):
    url = server.url.replace("http://", f"http://token:{TOKEN}@")
    env = clean_env(tmp_path, DATABRICKS_HOST=url, DATABRICKS_TOKEN=TOKEN)
    r = run(SCAN, user_of(workspace, "both"), "--log-file", "scan.log", env=env)
    assert r.returncode == 1
    (line,) = r.stderr.strip().splitlines()
    assert "must not carry credentials" in line
    assert TOKEN not in r.stderr + r.stdout + (tmp_path / "scan.log").read_text()
    r = run(SCAN, user_of(workspace, "both"), "--workspace-url", url, env=clean_env(tmp_path))
    assert r.returncode == 1 and TOKEN not in r.stderr


# -- full disks ----------------------------------------------------------------------------------------------
def limited(max_bytes):
    """A subprocess whose files cannot grow past max_bytes: writes fail with EFBIG, as on a full disk
    (Python ignores SIGXFSZ, so the write returns an error instead of killing the process)."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))


def test_a_full_disk_under_the_checkpoint(tmp_path, server, workspace, truth, users_file):
    r = subprocess.run([sys.executable, str(SCAN), "--users-file", str(users_file), "-o", "inv.csv"],
                       env=emulator_env(tmp_path, server), cwd=tmp_path, capture_output=True, text=True,
                       preexec_fn=limited(12_000), timeout=120)
    assert r.returncode == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: could not write checkpoint {CKPT}") and "--resume" in last
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert not (tmp_path / (CKPT + ".lock")).exists()
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--resume")
    assert r.returncode == 3, r.stderr[-2000:]
    assert "already done" in r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, scannable_users(workspace))


def test_a_full_disk_under_the_log_file_is_said_once(tmp_path, server, workspace, truth):
    users = [user_of(workspace, "deep")]  # one user: no checkpoint, so only the log can fill the disk
    server.set_faults(Faults(rate=None, fault_rate=0.3, seed=4))  # retries, each logged under --debug
    r = subprocess.run([sys.executable, str(SCAN), *users, "-o", "inv.csv", "--debug", "--log-file", "scan.log"],
                       env=emulator_env(tmp_path, server), cwd=tmp_path, capture_output=True, text=True,
                       preexec_fn=limited(2_000), timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stderr.count("cannot write the log file") == 1
    assert "Logging error" not in r.stderr and "Traceback" not in r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, users)


def test_a_full_disk_under_the_files_output(tmp_path, server, workspace, truth):
    users = scannable_users(workspace)[:20]
    users_file = write_users_file(tmp_path / "users.txt", users)
    r = subprocess.run([sys.executable, str(SCAN), "--users-file", str(users_file), "-o", "inv.csv",
                        "--files-output", "files.csv"], env=emulator_env(tmp_path, server), cwd=tmp_path,
                       capture_output=True, text=True, preexec_fn=limited(40_000), timeout=120)
    assert r.returncode == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: could not write --files-output files.csv"), r.stderr
    assert "internal error" not in r.stderr, r.stderr
    assert not (tmp_path / (CKPT + ".lock")).exists()
    # What was finished is kept; when the disk filled before any user was (a loaded machine), the checkpoint
    # holds nobody and is removed, as after a wrong token: the same command starts over.
    kept = (tmp_path / CKPT).exists()
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--files-output", "files.csv",
             *(["--resume"] if kept else []))
    assert r.returncode == 3, r.stderr[-2000:]
    files = read_csv(tmp_path / "files.csv")
    for row in read_csv(tmp_path / "inv.csv"):
        if row["status"] != "error":
            mine = [f for f in files if f["user"] == row["username"]]
            assert len(mine) == int(row["file_count"]) and sum(int(f["size"]) for f in mine) == int(row["total_size"])


def test_a_killed_write_leaves_no_temporary_file_after_the_next_run(tmp_path, server, workspace):
    stale = tmp_path / ".inv.csv.tmp-abc123.part"
    stale.write_text("half a row")
    r = scan(tmp_path, server, user_of(workspace, "both"), "-o", "inv.csv")
    assert r.returncode == 0
    assert not list(tmp_path.glob(".inv.csv.tmp-*"))


def test_localhost_and_127_0_0_1_are_one_workspace(tmp_path, server, workspace, truth):
    users = [user_of(workspace, c) for c in ("both", "ws_only", "empty")]
    users_file = write_users_file(tmp_path / "users.txt", users)
    server.set_faults(Faults(rate=None, latency_ms=200))
    proc = start(tmp_path, server, users_file)
    wait_for_checkpoint(tmp_path / CKPT, 1, proc=proc)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    server.set_faults(Faults(rate=None))
    env = emulator_env(tmp_path, server)
    env["DATABRICKS_HOST"] = server.url.replace("127.0.0.1", "localhost")
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--resume", env=env)
    assert r.returncode == 0, r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, users)
