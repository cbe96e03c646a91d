"""Never lose work: kill the scanner at random points, interrupt it, damage its checkpoint; then resume."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time

import filelock
import pytest

from dbx_inventory.core.model import PartResult, Tally, UserResult
from dbx_inventory.core.records import result_to_record
from dbx_inventory.scan.options import ScanOptions
from dbx_inventory.state.checkpoint import FORMAT, VERSION
from emulator import Faults
from tests.conftest import (
    CKPT,
    ROOT,
    SCAN,
    TOKEN,
    assert_matches_truth,
    checkpoint_records,
    emulator_env,
    read_csv,
    run,
    scannable_users,
    start_scan,
    user_of,
    wait_for_checkpoint,
)

SLOW = Faults(rate=None, latency_ms=40)


def start(tmp_path, srv, users_file, *extra):
    return start_scan(tmp_path, srv, "--users-file", str(users_file), "-o", "inv.csv", "--workers", "2", *extra)


def full_scan_requests(tmp_path, server, users_file) -> int:
    server.reset_stats()
    r = run(SCAN, "--users-file", str(users_file), "-o", "full.csv", env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr
    assert not (tmp_path / CKPT).exists()  # a finished run removes its checkpoint
    return sum(server.stats()["requests"].values())


def test_sigkill_at_random_points_then_resume(tmp_path, server, workspace, truth, users_file):
    full = full_scan_requests(tmp_path, server, users_file)
    rng = random.Random(2026)
    users = scannable_users(workspace)
    for _ in range(3):
        server.set_faults(SLOW)
        proc = start(tmp_path, server, users_file)
        wait_for_checkpoint(tmp_path / CKPT, rng.randint(2, 20), proc=proc)
        time.sleep(rng.uniform(0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (tmp_path / "inv.csv").exists()
        saved = {r["user"] for r in checkpoint_records(tmp_path / CKPT)}
        assert saved and len(saved) < len(users)
        server.set_faults(Faults(rate=None))
        server.reset_stats()
        r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--resume", env=emulator_env(tmp_path, server))
        assert r.returncode == 3, r.stderr
        assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, users)  # every user once, exact
        assert sum(server.stats()["requests"].values()) < full
        assert not (tmp_path / CKPT).exists()
        (tmp_path / "inv.csv").unlink()


@pytest.mark.py310
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_keeps_completed_users_and_says_how_to_resume(tmp_path, server, workspace, truth, users_file, sig):
    server.set_faults(SLOW)
    proc = start(tmp_path, server, users_file)
    wait_for_checkpoint(tmp_path / CKPT, 3, proc=proc)
    proc.send_signal(sig)
    started = time.monotonic()
    out, err = proc.communicate(timeout=90)
    # Wide for a loaded machine, still far below the failure it guards: an interrupt that waits out the requests
    # in flight (a retry deadline, 120 s) instead of stopping.
    assert time.monotonic() - started < 60
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    assert not (tmp_path / "inv.csv").exists()  # nothing half-done
    done = len(checkpoint_records(tmp_path / CKPT))
    assert 3 <= done < len(workspace.users)  # it stopped, it did not finish the run first
    server.set_faults(Faults(rate=None))
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--resume", env=emulator_env(tmp_path, server))
    assert r.returncode == 3
    assert "already done" in r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, scannable_users(workspace))


def write_checkpoint(tmp_path, host, users, options=None, results=(), tail=b""):
    header = {"format": FORMAT, "version": VERSION, "tool_version": "x", "host": host,
              "options": options or ScanOptions().result_options(), "users": list(users)}
    body = json.dumps(header).encode() + b"\n"
    for r in results:
        body += json.dumps(result_to_record(r)).encode() + b"\n"
    (tmp_path / CKPT).write_bytes(body + tail)


def test_existing_checkpoint_without_resume_is_refused(tmp_path, server, workspace, users_file):
    write_checkpoint(tmp_path, server.url, scannable_users(workspace))
    r = run(SCAN, "--users-file", str(users_file), env=emulator_env(tmp_path, server))
    assert r.returncode == 1 and "--resume" in r.stderr
    assert (tmp_path / CKPT).exists()  # never silently deleted
    assert sum(server.stats()["requests"].values()) == 0


def test_foreign_workspace_and_other_options_are_refused(tmp_path, server, workspace, users_file):
    users = scannable_users(workspace)
    write_checkpoint(tmp_path, "https://other.cloud.databricks.com", users)
    r = run(SCAN, "--users-file", str(users_file), "--resume", env=emulator_env(tmp_path, server))
    assert r.returncode == 1 and "another workspace" in r.stderr
    write_checkpoint(tmp_path, server.url, users)
    r = run(SCAN, "--users-file", str(users_file), "--resume", "--dbfs-only", env=emulator_env(tmp_path, server))
    assert r.returncode == 1 and "other options" in r.stderr


def test_corrupt_checkpoint_is_an_error_naming_the_file(tmp_path, server, workspace, users_file):
    write_checkpoint(tmp_path, server.url, scannable_users(workspace))
    with open(tmp_path / CKPT, "ab") as fh:
        fh.write(b"{not json\n")
    r = run(SCAN, "--users-file", str(users_file), "--resume", env=emulator_env(tmp_path, server))
    assert r.returncode == 1 and CKPT in r.stderr and "corrupt" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_torn_last_record_is_dropped_and_that_user_rescanned(tmp_path, server, workspace, truth, users_file):
    users = scannable_users(workspace)
    write_checkpoint(tmp_path, server.url, users, tail=b'{"user": "' + users[0].encode() + b'", "sta')
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--resume", env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr
    assert "torn" in r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, users)


def test_error_users_are_rescanned_and_done_users_are_not(tmp_path, server, workspace, truth):
    a, b = (p.home for p in workspace.principals if p.case in ("both", "ws_only"))
    done = UserResult(a, (PartResult("dbfs", True, Tally(files=1, bytes=7)), PartResult("workspace", False)))
    failed = UserResult(b, (PartResult("dbfs", False), PartResult("workspace", True, Tally(), "workspace: HTTP 500")))
    write_checkpoint(tmp_path, server.url, [a, b], results=[done, failed])
    r = run(SCAN, a, b, "-o", "inv.csv", "--resume", env=emulator_env(tmp_path, server))
    assert r.returncode == 0, r.stderr
    rows = read_csv(tmp_path / "inv.csv")
    assert rows[0]["file_count"] == "1" and rows[0]["total_size"] == "7"  # taken from the checkpoint
    assert_matches_truth(rows[1:], truth, [b])
    assert not [p for p in server.stats()["list_calls"] if a in p]


def test_a_second_run_on_the_same_checkpoint_is_refused(tmp_path, server, users_file):
    (tmp_path / (CKPT + ".lock.pid")).write_text("pid 4242\n")
    with filelock.FileLock(tmp_path / (CKPT + ".lock")):
        r = run(SCAN, "--users-file", str(users_file), env=emulator_env(tmp_path, server))
    assert r.returncode == 1 and "another run (pid 4242) is using checkpoint" in r.stderr, r.stderr
    assert (tmp_path / (CKPT + ".lock.pid")).read_text() == "pid 4242\n"  # the refused run leaves the holder's
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr  # released: the next run goes ahead
    assert not list(tmp_path.glob(CKPT + "*"))  # and cleans up after itself


def test_a_crashed_runs_checkpoint_reads_as_csv(tmp_path, server, workspace):
    a = user_of(workspace, "both")
    write_checkpoint(tmp_path, server.url, [a], results=[UserResult(a, (PartResult("dbfs", True, Tally(files=2, bytes=9)),))])
    r = subprocess.run([sys.executable, "-m", "dbx_inventory.checkpoint", str(tmp_path / CKPT)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert read_csv(r.stdout)[0]["file_count"] == "2"


def test_quiet_with_log_file_keeps_the_last_line(tmp_path, server, workspace):
    a = user_of(workspace, "both")
    b = user_of(workspace, "empty")
    log = tmp_path / "scan.log"
    r = run(SCAN, a, b, "-o", "inv.csv", "--quiet", "--log-file", str(log), env=emulator_env(tmp_path, server))
    assert r.returncode == 0 and r.stderr == ""
    last = log.read_text().strip().splitlines()[-1]
    assert "1 with files, 1 empty, 0 failed" in last and "inv.csv" in last


def test_a_run_that_fails_before_any_user_leaves_no_checkpoint(tmp_path, server, users_file):
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", env=emulator_env(tmp_path, server, token="dapi-bad"))
    assert r.returncode == 1 and "authentication failed" in r.stderr
    assert not (tmp_path / CKPT).exists()
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr  # the next run starts normally


def test_quiet_still_reports_failed_users(tmp_path, server, truth):
    denied = next(u for u, g in truth.items() if g["denied"])
    r = run(SCAN, denied, "-o", "inv.csv", "--quiet", env=emulator_env(tmp_path, server))
    assert r.returncode == 3
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and denied in lines[0] and "403" in lines[0]


def test_a_token_revoked_mid_scan_stops_the_run_and_resume_finishes(tmp_path, server, workspace, truth, users_file):
    """The workspace starts refusing the token (403 "Invalid access token.", as many do): the run stops with
    one sentence and exit 1 instead of marking the remaining users as failed, keeps what it finished, and
    --resume with a working token completes exactly."""
    denied = {u for u, g in truth.items() if g["denied"]}
    server.set_faults(SLOW)
    proc = start(tmp_path, server, users_file)
    wait_for_checkpoint(tmp_path / CKPT, 6, proc=proc)
    new_token = "dapi-rotated-token-77c1"
    server.set_token(new_token)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: the credentials stopped working") and "--resume" in lines[-1]
    assert "Traceback" not in err and TOKEN not in err
    saved = checkpoint_records(tmp_path / CKPT)
    assert len(saved) >= 6 and len(saved) < len(scannable_users(workspace))
    # No user was recorded as failed because of the revoked token: only the one whose home is denied.
    assert {r["user"] for r in saved if r["status"] == "error"} <= denied
    server.set_faults(Faults(rate=None))
    server.reset_stats()
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--resume",
            env=emulator_env(tmp_path, server, token=new_token))
    assert r.returncode == 3, r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, scannable_users(workspace))
    done_before = {r["user"] for r in saved if r["status"] != "error"}
    assert not [p for p in server.stats()["list_calls"] if any(f"/Users/{u}" == p.split(":", 1)[1] for u in done_before)]


def test_a_resume_must_keep_the_file_list_it_started(tmp_path, server, workspace, truth, users_file):
    """Killed with --files-output A: a resume with B, or without a list, is refused and the checkpoint kept;
    with A it finishes, and A holds every user's files exactly once."""
    server.set_faults(SLOW)
    proc = start(tmp_path, server, users_file, "--files-output", "A.jsonl")
    wait_for_checkpoint(tmp_path / CKPT, 5, proc=proc)
    proc.kill()
    proc.wait()
    server.set_faults(Faults(rate=None))
    for other in (["--files-output", "B.jsonl"], []):
        r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--resume", *other,
                env=emulator_env(tmp_path, server))
        assert r.returncode == 1, r.stderr
        assert "made with --files-output A.jsonl" in r.stderr and "resume with --files-output A.jsonl" in r.stderr
        assert (tmp_path / CKPT).exists() and (tmp_path / "A.jsonl.part").exists()
        assert not (tmp_path / "B.jsonl").exists() and not (tmp_path / "B.jsonl.part").exists()
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--resume", "--files-output", "./A.jsonl",
            env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr
    rows = read_csv(tmp_path / "inv.csv")
    listed: dict[str, int] = {}
    paths = [json.loads(line) for line in (tmp_path / "A.jsonl").read_text().splitlines()]
    for f in paths:
        listed[f["user"]] = listed.get(f["user"], 0) + 1
    assert len({(f["user"], f["file_system"], f["path"]) for f in paths}) == len(paths)  # exactly once
    for row in rows:
        if row["status"] != "error":
            assert listed.get(row["username"], 0) == int(row["file_count"]), row["username"]


def test_a_resume_cannot_start_a_file_list_late(tmp_path, server, workspace, users_file):
    users = scannable_users(workspace)
    done = UserResult(users[0], (PartResult("dbfs", True, Tally(files=1, bytes=7)),))
    write_checkpoint(tmp_path, server.url, users, results=[done])
    r = run(SCAN, "--users-file", str(users_file), "--resume", "--files-output", "f.csv",
            env=emulator_env(tmp_path, server))
    assert r.returncode == 1 and "made without --files-output" in r.stderr and "1 users" in r.stderr
    assert (tmp_path / CKPT).exists()


def test_resume_messages_say_what_differs(tmp_path, server, workspace, users_file):
    users = scannable_users(workspace)
    env = emulator_env(tmp_path, server)
    # An --all-homes checkpoint resumed with a list, and a list's resumed with --all-homes.
    write_checkpoint(tmp_path, server.url, users)
    header = json.loads((tmp_path / CKPT).read_text().splitlines()[0])
    del header["users"]
    (tmp_path / CKPT).write_text(json.dumps(header) + "\n")
    r = run(SCAN, "--users-file", str(users_file), "--resume", env=env)
    assert r.returncode == 1 and "made by an --all-homes run" in r.stderr and "0 of its 0" not in r.stderr
    write_checkpoint(tmp_path, server.url, users)
    r = run(SCAN, "--all-homes", "--resume", env=env)
    assert r.returncode == 1 and f"list of {len(users)} users, not --all-homes" in r.stderr
    # The same command after the workspace's DBFS root was disabled: say that.
    server.set_faults(Faults(rate=None, dbfs_disabled=True))
    r = run(SCAN, "--users-file", str(users_file), "--resume", env=env)
    assert r.returncode == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "cannot be finished the same way: DBFS is disabled on this workspace" in last and "delete it" in last
    assert "other options" not in last


def test_a_checkpoint_path_that_is_not_a_checkpoint_is_never_advised_for_deletion(tmp_path, server, users_file):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    for extra in ([], ["--resume"]):
        r = run(SCAN, "--users-file", str(users_file), "--checkpoint", "notes.txt", *extra,
                env=emulator_env(tmp_path, server))
        assert r.returncode == 1 and "is not a checkpoint of this tool" in r.stderr
        assert "delete" not in r.stderr.strip().splitlines()[-1]
        assert notes.read_text() == "my notes\n"
