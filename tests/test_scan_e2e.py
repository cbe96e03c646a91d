"""End-to-end: the real scanner, as a subprocess, against the emulator; every row against ground truth."""

from __future__ import annotations

import time

import pytest

from emulator import Faults
from tests.conftest import (
    SCAN,
    TOKEN,
    assert_matches_truth,
    emulator_env,
    read_csv,
    run,
    scan,
    scannable_users,
    start_scan,
    user_of,
)

ALL_FAULTS = Faults(rate=None, fault_rate=0.25, seed=5,
                    fault_kinds=("429ra", "429", "500", "502", "503", "504", "drop"))


@pytest.mark.py310
@pytest.mark.parametrize("mode", [[], ["--no-parallel"]], ids=["concurrent", "sequential"])
def test_every_user_matches_ground_truth(tmp_path, server, workspace, truth, users_file, mode):
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", str(out), *mode)
    # One user's home is denied (403): the run finishes with the "some users failed" code.
    assert r.returncode == 3, r.stderr
    rows = read_csv(out)
    assert_matches_truth(rows, truth, scannable_users(workspace))
    assert list(rows[0])[:7] == ["username", "file_count", "total_size", "total_size_gb", "status",
                                 "file_source", "error"]
    stats = server.stats()
    listed_twice = {p: n for p, n in stats["list_calls"].items() if n > 1}
    assert not listed_twice
    if mode:
        assert stats["max_in_flight"] == 1


def test_deep_trees_git_folders_and_odd_names_are_exact(tmp_path, server, workspace, truth):
    special = [p.home for p in workspace.principals if p.case in ("deep", "git", "kinds", "weird")]
    assert len(special) == 4
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, *special, "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert_matches_truth(read_csv(out), truth, special)
    deep = user_of(workspace, "deep")
    assert truth[deep]["dbfs_dirs"] > 10 and truth[deep]["ws_folders"] > 10


@pytest.mark.py310
def test_injected_faults_give_the_fault_free_result(tmp_path, server, workspace, truth, users_file):
    server.set_faults(ALL_FAULTS)
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", str(out), "--debug")
    stats = server.stats()
    assert stats["faults"] > 20, stats
    assert r.returncode == 3, r.stderr[-2000:]
    assert_matches_truth(read_csv(out), truth, scannable_users(workspace))
    assert "retry" in r.stderr  # --debug logs every retry with its reason
    assert TOKEN not in r.stderr + r.stdout


def test_denied_home_is_an_error_row_and_others_go_on(tmp_path, server, workspace, truth):
    denied = next(u for u, g in truth.items() if g["denied"])
    other = user_of(workspace, "both")
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, denied, other, "-o", str(out))
    assert r.returncode == 3
    rows = read_csv(out)
    assert rows[0]["status"] == "error" and "403" in rows[0]["error"] and rows[0]["total_size"] == ""
    assert rows[1]["status"] == "success"


def test_directory_failing_after_retries_makes_the_user_error(tmp_path, server, workspace, truth):
    user = user_of(workspace, "deep")
    server.set_faults(Faults(rate=None, fail_always={f"ws:/Users/{user}/level0/level1": 503}))
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, user, "-o", str(out), "--retry-deadline", "2")
    assert r.returncode == 3
    row = read_csv(out)[0]
    assert row["status"] == "error" and "503" in row["error"] and "level1" in row["error"]
    assert row["dbfs_files"] == str(truth[user]["dbfs_files"])  # the DBFS part was complete


def test_wrong_token_stops_the_run_without_an_inventory(tmp_path, server, users_file):
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", str(out), token="dapi-wrong")
    assert r.returncode == 1
    assert "authentication failed" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
    assert server.stats()["requests"].get("dbfs", 0) == 0


@pytest.mark.py310
def test_single_user_prints_a_report(tmp_path, server, workspace, truth):
    user = user_of(workspace, "both")
    g = truth[user]
    r = scan(tmp_path, server, user)
    assert r.returncode == 0, r.stderr
    assert f"User: {user}" in r.stdout
    assert f"DBFS (dbfs:/Users/{user}): {g['dbfs_files']} files" in r.stdout
    assert f"Workspace (/Users/{user}): {g['ws_files']} files" in r.stdout
    total = g["dbfs_files"] + g["ws_files"]
    assert f"Total: {total} files" in r.stdout and "Found in: both" in r.stdout


def test_single_user_with_output_writes_the_same_csv_schema(tmp_path, server, workspace, truth):
    user = user_of(workspace, "kinds")
    r = scan(tmp_path, server, user, "-o", "-")
    assert r.returncode == 0, r.stderr
    rows = read_csv(r.stdout)
    assert_matches_truth(rows, truth, [user])
    assert "User:" in r.stderr  # the report moves to stderr when the CSV takes stdout


@pytest.mark.parametrize("flag,systems", [("--dbfs-only", ("dbfs",)), ("--workspace-only", ("workspace",))])
def test_one_file_system_only(tmp_path, server, workspace, truth, users_file, flag, systems):
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", str(out), flag)
    # The denied user's home is in the Workspace: only a scan that includes it fails.
    assert r.returncode == (3 if "workspace" in systems else 0), r.stderr
    assert_matches_truth(read_csv(out), truth, scannable_users(workspace), systems=systems)
    skipped = "ws:" if flag == "--dbfs-only" else "dbfs:"
    assert not [p for p in server.stats()["list_calls"] if p.startswith(skipped)]


def test_size_estimate_zero_adds_nothing(tmp_path, server, workspace, truth, users_file):
    out = tmp_path / "inv.csv"
    scan(tmp_path, server, "--users-file", str(users_file), "-o", str(out), "--size-estimate", "0")
    assert_matches_truth(read_csv(out), truth, scannable_users(workspace), size_estimate=0)


def test_messy_users_file(tmp_path, server, workspace, truth):
    a, b, c = (p.home for p in workspace.principals if p.case in ("both", "dbfs_only", "ws_only"))
    messy = tmp_path / "messy.csv"
    text = (f"\ufeffuserName,displayName,active,id\r\n# a comment\r\n\r\n{a},A,true,1\r\n"
            f"{b.upper()},B,true,2\r\n{b},B,true,2\r\n{c},C,false,3\r\n")
    messy.write_bytes(text.encode("utf-8"))
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, a, "--users-file", str(messy), "-o", str(out))
    assert r.returncode == 0, r.stderr
    rows = read_csv(out)
    # the positional user first, then the file's; the header is no user; dupes by case once, first spelling
    assert [row["username"] for row in rows] == [a, b.upper(), c]


def test_a_semicolon_users_file_from_a_spreadsheet(tmp_path, server, workspace, truth):
    # Excel in a locale whose decimal mark is a comma saves "CSV" with ';', and a display name may hold a comma.
    a, b = (p.home for p in workspace.principals if p.case in ("both", "dbfs_only"))
    (tmp_path / "users.csv").write_bytes(
        f"\ufeffDisplay Name;Email Address;Department\r\nDoe, Jane;{a};R&D\r\nRoe, Rick;{b};Ops\r\n".encode())
    r = scan(tmp_path, server, "--users-file", "users.csv", "-o", "inv.csv")
    assert r.returncode == 0, r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, [a, b])


def test_users_from_stdin(tmp_path, server, workspace, truth):
    users = [p.home for p in workspace.principals if p.case in ("both", "empty")]
    r = scan(tmp_path, server, "--users-file", "-", "-o", "-", input="\n".join(users) + "\n")
    assert r.returncode == 0, r.stderr
    assert_matches_truth(read_csv(r.stdout), truth, users)


def test_missing_users_file(tmp_path, server):
    r = scan(tmp_path, server, "--users-file", str(tmp_path / "nope.csv"))
    assert r.returncode == 1 and "users file not found" in r.stderr and "Traceback" not in r.stderr


def test_unwritable_output_fails_before_any_request(tmp_path, server, users_file):
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", str(tmp_path / "no-such-dir" / "inv.csv"))
    assert r.returncode == 1 and "output directory does not exist" in r.stderr
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", str(tmp_path))
    assert r.returncode == 1 and "is a directory" in r.stderr
    assert sum(server.stats()["requests"].values()) == 0


def test_default_output_file_in_the_current_directory(tmp_path, server, workspace, truth):
    users = [p.home for p in workspace.principals if p.case in ("both", "ws_only")]
    r = run(SCAN, *users, env=emulator_env(tmp_path, server), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert_matches_truth(read_csv(tmp_path / "inventory.csv"), truth, users)
    assert "inventory.csv" in r.stderr.strip().splitlines()[-1]


def test_token_never_appears_anywhere(tmp_path, server, workspace, users_file):
    server.set_faults(Faults(rate=None, fault_rate=0.1, seed=9))
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", str(out), "--debug", "--token", TOKEN)
    assert r.returncode == 3
    for text in (r.stdout, r.stderr, out.read_text(encoding="utf-8")):
        assert TOKEN not in text


def test_many_users_one_schema(tmp_path, server, workspace):
    one = tmp_path / "one.csv"
    many = tmp_path / "many.csv"
    user = user_of(workspace, "both")
    scan(tmp_path, server, user, "-o", str(one))
    scan(tmp_path, server, user, user_of(workspace, "empty"), "-o", str(many))
    assert one.read_text().splitlines()[0] == many.read_text().splitlines()[0]


def test_retry_after_is_honoured_end_to_end(tmp_path, server, workspace):
    user = user_of(workspace, "ws_only")
    server.set_faults(Faults(rate=None, fault_rate=1.0, fault_kinds=("429ra",), max_consecutive_faults=1))
    started = time.monotonic()
    r = scan(tmp_path, server, user, "-o", str(tmp_path / "x.csv"), "--debug")
    assert r.returncode == 0, r.stderr
    assert "throttled" in r.stderr
    assert time.monotonic() - started >= 1.0  # every request was told to wait at least 1 s once


def test_rate_limit_and_concurrency_cap_give_exact_results(tmp_path, server, workspace, truth, users_file):
    server.set_faults(Faults(rate={"dbfs": 40.0, "workspace": 40.0, "scim": 5.0}, concurrency_cap=6, latency_ms=5))
    out = tmp_path / "inv.csv"
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", str(out), "--debug")
    assert r.returncode == 3, r.stderr[-2000:]
    assert_matches_truth(read_csv(out), truth, scannable_users(workspace))
    stats = server.stats()
    assert stats["throttled"] > 0  # the limits were really hit...
    total = sum(stats["requests"].values())
    assert stats["throttled"] < 0.25 * total  # ...without a storm of retries
    assert "pacer" in r.stderr  # --debug shows the pacers' state
    assert "pacing at" in r.stderr or "concurrency limit hit" in r.stderr  # ...and each adjustment


def test_no_progress_display_when_stderr_is_not_a_terminal(tmp_path, server, workspace):
    users = [p.home for p in workspace.principals if p.case in ("both", "ws_only")]
    r = scan(tmp_path, server, *users, "-o", str(tmp_path / "x.csv"))
    assert "\x1b[" not in r.stderr and "\r" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith(f"Scanned 2 users of {server.url}")


def run_in_terminal(tmp_path, srv, *args, columns=150, rows=40):
    """Run the scanner with stderr on a pseudo-terminal, and read what a terminal would show: every screen
    (pyte emulates the terminal) while it runs, and the last one."""
    import os
    import pty
    import subprocess

    import pyte

    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    master, slave = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = emulator_env(tmp_path, srv)
    env.pop("COLUMNS", None)
    proc = start_scan(tmp_path, srv, *args, env=env, stdout=subprocess.DEVNULL, stderr=slave, text=False)
    os.close(slave)
    frames = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        stream.feed(chunk)
        frames.append(list(screen.display))
    proc.wait(timeout=120)
    os.close(master)
    return proc.returncode, frames


def test_progress_display_on_a_terminal(tmp_path, server, workspace, truth):
    denied = next(u for u, g in truth.items() if g["denied"])
    users = [p.home for p in workspace.principals if p.case in ("both", "ws_only", "deep", "git", "kinds")]
    server.set_faults(Faults(rate=None, latency_ms=60))
    code, frames = run_in_terminal(tmp_path, server, users[0], denied, *users[1:], "-o", "x.csv")
    assert code == 3
    host = server.url.split("://")[1]
    bars = [line for frame in frames for line in frame if "users" in line and "eta" in line]
    assert bars, "the progress line never showed"
    assert all(line.startswith(host) for line in bars)  # the workspace's host, users done, time left
    n = len(users) + 1
    assert any(f"/{n}" in line and "files" in line for line in bars), bars[-3:]
    final = [line.rstrip() for line in frames[-1]]
    # The user's error printed on a line of its own, never glued to a frame of the bar.
    errors = [line for frame in frames for line in frame if "error: workspace: HTTP 403" in line]
    assert errors and all(line.startswith("[") and "eta" not in line for line in errors)
    assert any(line.startswith(f"Scanned {n} users of http://") for line in final)


@pytest.fixture(scope="module")
def big_workspace():
    from emulator import EmulatorServer, build_workspace

    ws = build_workspace(seed=300, users=300)
    with EmulatorServer(ws, token=TOKEN, faults=Faults(rate=None)) as srv:
        yield ws, ws.ground_truth(), srv


@pytest.mark.parametrize("mode", [[], ["--no-parallel"]], ids=["concurrent", "sequential"])
def test_300_users_exact_in_both_modes(tmp_path, big_workspace, mode):
    ws, truth, srv = big_workspace
    users = scannable_users(ws)
    assert len(users) == 300
    users_file = tmp_path / "users.txt"
    users_file.write_text("".join(u + "\n" for u in users), encoding="utf-8")
    r = scan(tmp_path, srv, "--users-file", str(users_file), "-o", "inv.csv", *mode)
    assert r.returncode == 3, r.stderr[-2000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, users)
