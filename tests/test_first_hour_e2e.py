"""A new admin's first hour: nothing finished is thrown away, the files are named for what they hold, and
what the terminal and the help say is plain. The real scripts against the emulator."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from emulator import Faults
from tests.conftest import (
    CKPT,
    SCAN,
    TOKEN,
    USERS,
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
from tests.oracle import write_users_file


def interrupt_after(tmp_path, srv, n_records, *args):
    """Start a scan, SIGINT it once the checkpoint holds n users, and return its stderr."""
    proc = start_scan(tmp_path, srv, *args, "--workers", "2")
    wait_for_checkpoint(tmp_path / CKPT, n_records, proc=proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    return err


# -- lose nothing ----------------------------------------------------------------------------------------
def test_resume_with_another_list_is_refused_and_keeps_the_checkpoint(tmp_path, server, workspace, truth, users_file):
    server.set_faults(Faults(rate=None, latency_ms=30))
    interrupt_after(tmp_path, server, 6, "--users-file", str(users_file), "-o", "inv.csv")
    saved = (tmp_path / CKPT).read_bytes()
    fewer = write_users_file(tmp_path / "five.txt", scannable_users(workspace)[:5])
    r = scan(tmp_path, server, "--users-file", str(fewer), "-o", "inv.csv", "--resume")
    assert r.returncode == 1
    (line,) = r.stderr.strip().splitlines()
    n = len(scannable_users(workspace))
    assert "another list of users" in line and f"{n - 5} of its {n} users are not in this list" in line
    assert (tmp_path / CKPT).read_bytes() == saved  # never deleted, never touched
    server.set_faults(Faults(rate=None))
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--resume")
    assert r.returncode == 3
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, scannable_users(workspace))


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_files_output_survives_any_number_of_resumes(tmp_path, server, workspace, truth, users_file, ext):
    server.set_faults(Faults(rate=None, latency_ms=30))
    args = ("--users-file", str(users_file), "-o", "inv.csv", "--files-output", f"files.{ext}")
    err = interrupt_after(tmp_path, server, 8, *args)
    assert f"files.{ext}.part" in err  # the interrupt message says where the list so far is
    err = interrupt_after(tmp_path, server, 25, *args, "--resume")
    assert (tmp_path / f"files.{ext}.part").exists()
    server.set_faults(Faults(rate=None))
    r = scan(tmp_path, server, *args, "--resume")
    assert r.returncode == 3, r.stderr[-2000:]
    assert not (tmp_path / f"files.{ext}.part").exists()
    if ext == "csv":
        files = read_csv(tmp_path / "files.csv")
    else:
        import pyarrow.parquet as pq

        files = pq.read_table(tmp_path / "files.parquet").to_pylist()
    assert len({(f["user"], f["file_system"], f["path"]) for f in files}) == len(files)  # each file once
    for row in read_csv(tmp_path / "inv.csv"):
        if row["status"] == "error":
            continue
        mine = [f for f in files if f["user"] == row["username"]]
        assert len(mine) == int(row["file_count"]) and sum(int(f["size"]) for f in mine) == int(row["total_size"])


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_the_default_file_is_named_for_its_format(tmp_path, server, workspace, truth, fmt):
    users = [user_of(workspace, c) for c in ("both", "empty")]
    (tmp_path / "inventory.csv").write_text("an earlier CSV inventory\n")
    r = scan(tmp_path, server, *users, "--format", fmt)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "inventory.csv").read_text() == "an earlier CSV inventory\n"
    text = (tmp_path / f"inventory.{fmt}").read_text()
    records = json.loads(text)["users"] if fmt == "json" else [json.loads(x) for x in text.splitlines()]
    assert [r["username"] for r in records] == users
    assert f"inventory.{fmt}" in r.stderr.strip().splitlines()[-1]


def test_one_user_in_json_goes_to_stdout(tmp_path, server, workspace, truth):
    user = user_of(workspace, "both")
    r = scan(tmp_path, server, user, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["users"][0]["username"] == user and doc["users"][0]["error"] is None  # null, never ""
    assert f"User: {user}" in r.stderr  # the readable report moves to stderr


@pytest.mark.parametrize("header,ok", [("login,team", True), ("mail", True), ("Email Address,Team", True),
                                       ("User Name,Full Name", True), ("Email Address,Name", True),
                                       ("Full Name,Team", False)])
def test_users_csv_headers(tmp_path, server, workspace, truth, header, ok):
    user = user_of(workspace, "both")
    first_known = header.split(",")[0] != "Full Name"
    row = f"{user},Eve Example" if first_known else f"Eve Example,{user}"
    users_file = tmp_path / "users.csv"
    users_file.write_text(f"{header}\n{row}\n", encoding="utf-8")
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv")
    if ok:
        assert r.returncode == 0, r.stderr
        assert [row["username"] for row in read_csv(tmp_path / "inv.csv")] == [user]
    else:
        assert r.returncode == 1 and "--users-column" in r.stderr and "'Full Name'" in r.stderr
        assert sum(server.stats()["requests"].values()) == 0
        r = scan(tmp_path, server, "--users-file", str(users_file), "--users-column", "team", "-o", "inv.csv")
        assert r.returncode == 0 and read_csv(tmp_path / "inv.csv")[0]["username"] == user


# -- say what is happening -------------------------------------------------------------------------------
def test_the_summary_names_the_workspace_and_uses_binary_units(tmp_path, server, workspace):
    users = [user_of(workspace, c) for c in ("both", "empty", "none")]
    r = scan(tmp_path, server, *users, "-o", "inv.csv")
    assert r.returncode == 0, r.stderr
    assert f"Inventory of {server.url}" in r.stderr
    assert "MiB" in r.stderr and " MB" not in r.stderr
    top = r.stderr.split("Top ")[1].split("\n\n")[0]
    assert user_of(workspace, "empty") not in top and user_of(workspace, "none") not in top  # no 0-byte users


def test_host_is_an_alias_of_workspace_url(tmp_path, server, workspace):
    r = run(SCAN, user_of(workspace, "both"), "--host", server.url, "--token", TOKEN, env=clean_env(tmp_path))
    assert r.returncode == 0, r.stderr


def test_a_name_that_does_not_resolve_is_final_and_fast(tmp_path):
    env = clean_env(tmp_path, DATABRICKS_HOST="https://adb-123.azuredatabricks.net.invalid", DATABRICKS_TOKEN=TOKEN)
    started = time.monotonic()
    r = run(SCAN, "a@b.com", env=env)
    assert r.returncode == 1
    assert r.stderr.strip() == "error: cannot resolve adb-123.azuredatabricks.net.invalid: no such host"
    # Not the 30 s of retries a transient DNS failure gets: the widest bound below them (the run itself takes
    # a few seconds even on a loaded machine).
    assert time.monotonic() - started < 25


def test_the_one_user_report_says_where_there_is_no_home(tmp_path, server, workspace, truth):
    user = user_of(workspace, "ws_only")
    r = scan(tmp_path, server, user)
    assert r.returncode == 0
    assert f"DBFS (dbfs:/Users/{user}): no home in DBFS" in r.stdout and " 0 B" not in r.stdout
    assert r.stderr.strip().splitlines()[-1].startswith("Scanned 1 user of")


def test_a_failed_part_never_ends_in_a_contradicting_total(tmp_path, server, workspace, truth):
    user = user_of(workspace, "both")
    server.set_faults(Faults(rate=None, fail_always={f"ws:/Users/{user}": 500}))
    r = scan(tmp_path, server, user, "--retry-deadline", "2")
    assert r.returncode == 3
    assert f"{truth[user]['dbfs_files']} files" in r.stdout  # the DBFS part, read completely
    assert "Total: unknown, the scan failed" in r.stdout and "Total: 0 files" not in r.stdout


def test_a_closed_stdout_is_a_quiet_normal_end(tmp_path, server, workspace):
    # The reader is gone before the inventory is written (`| head -2` on a long one): no message, exit 0.
    users = " ".join(f"'{user_of(workspace, c)}'" for c in ("both", "ws_only", "deep"))
    r = subprocess.run(f"set -o pipefail; {sys.executable} {SCAN} {users} -o - | true", shell=True,
                       env=emulator_env(tmp_path, server), cwd=tmp_path, capture_output=True, text=True,
                       executable="/bin/bash")
    assert r.returncode == 0, r.stderr
    assert "rror" not in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / CKPT).exists()  # the run was complete: nothing to resume


def test_a_bad_files_output_name_is_a_usage_error(tmp_path, server):
    r = scan(tmp_path, server, "a@b.com", "--files-output", "x.txt")
    assert r.returncode == 2 and "--files-output must end in .csv, .jsonl or .parquet" in r.stderr


def test_help_examples_and_debug_say_nothing_misleading(tmp_path, server, workspace):
    help_text = run(SCAN, "--help", env=clean_env(tmp_path)).stdout
    assert "| tail -n +2 | sort -t, -k3 -n" in help_text  # the header is not sorted into the rows
    assert "--host" in help_text and "--version" in help_text
    r = scan(tmp_path, server, user_of(workspace, "both"), "--debug")
    assert r.returncode == 0 and "databricks-config" not in r.stderr and "host metadata" not in r.stderr


def test_the_exporter_names_the_workspace_in_its_help_and_version(tmp_path):
    r = run(USERS, "--version", env=clean_env(tmp_path))
    assert r.returncode == 0 and r.stdout.startswith("databricks_user_list.py ")


def test_the_demo_shows_commands_to_copy(tmp_path):
    from tests.conftest import ROOT

    r = subprocess.run([sys.executable, "-m", "emulator.demo"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "export DATABRICKS_HOST=http://127.0.0.1:" in r.stdout and "DATABRICKS_TOKEN=dapi-demo-token" in r.stdout
    assert "-m emulator --users" in r.stdout and "ground_truth.json is what" in r.stdout
    assert "(exit code 3: some users could not be scanned" in r.stdout  # said where an exit code is shown
