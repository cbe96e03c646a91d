"""Cleaning up after people who left: every home and its owner (--all-homes), the places beyond the homes
(--locations), names as typed, and workspaces whose DBFS root is disabled. The real scripts against the
emulator, every row against its ground truth."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from emulator import EmulatorServer, Faults, build_workspace
from tests.conftest import (
    SCAN,
    TOKEN,
    USERS,
    assert_matches_truth,
    emulator_env,
    fresh,
    read_csv,
    run,
    scannable_users,
    start_scan,
    wait_for_checkpoint,
)
from tests.oracle import expected_row, write_users_file

ALL = ("home", "repos", "uploads")


@pytest.fixture(scope="module")
def departed():
    """120 users, 25 removed users' homes and 9 service principals."""
    ws = build_workspace(seed=77, users=120, removed=25, service_principals=9)
    with EmulatorServer(ws, token=TOKEN, faults=Faults(rate=None)) as srv:
        yield ws, ws.ground_truth(), srv


@pytest.fixture
def dep(departed):
    ws, truth, srv = departed
    return ws, truth, fresh(srv)


def every_home(ws) -> list[str]:
    """The rows --all-homes must give, in its order: SCIM users, service principals, then removed homes."""
    sps = [p.home for p in ws.principals if p.service_principal]
    removed = sorted((p.home for p in ws.removed), key=str.casefold)
    return scannable_users(ws) + sps + removed


def test_all_homes_finds_every_identity_and_every_home_once(tmp_path, dep):
    ws, truth, srv = dep
    assert len(ws.removed) == 25 and len(ws.service_principals) == 9 and len(ws.users) == 120
    r = run(SCAN, "--all-homes", "-o", "inv.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3, r.stderr[-2000:]  # the one user whose home is denied
    rows = read_csv(tmp_path / "inv.csv")
    assert_matches_truth(rows, truth, every_home(ws))
    statuses = [row["owner_status"] for row in rows]
    assert statuses.count("removed") == 25 and statuses.count("service_principal") == 9
    assert statuses.count("inactive") == sum(1 for u in ws.users if not u["active"])
    sp = next(p for p in ws.principals if p.service_principal and p.has_ws)
    assert next(row for row in rows if row["username"] == sp.home)["display_name"] == "sp-jobs"
    # Discovery: one listing of each root, the SCIM pages, and nothing listed twice.
    stats = srv.stats()
    assert stats["list_calls"]["ws:/Users"] == 1 and stats["list_calls"]["dbfs:/Users"] == 1
    pages = -(-len(ws.users) // 100) + 1 + -(-len(ws.service_principals) // 100) + 1  # and an empty page after each
    assert stats["requests"]["scim"] == pages
    assert not {p: n for p, n in stats["list_calls"].items() if n > 1}
    # The summary leads with what can be reclaimed.
    assert "Homes by owner" in r.stderr and "Largest homes of removed users" in r.stderr
    assert r.stderr.index("Homes by owner") < r.stderr.index("Totals by file system")


def test_locations_all_against_ground_truth(tmp_path, dep):
    ws, truth, srv = dep
    users = scannable_users(ws)[:40]
    with_repos = [u for u in users if truth[u]["repos"]["exists"]]
    with_uploads = [u for u in users if truth[u]["uploads"]["exists"]]
    assert with_repos and with_uploads
    r = run(SCAN, "--users-file", str(write_users_file(tmp_path / "u.txt", users)), "-o", "inv.csv",
            "--locations", "all", "--files-output", "files.jsonl", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3, r.stderr[-2000:]
    rows = read_csv(tmp_path / "inv.csv")
    assert_matches_truth(rows, truth, users, locations=ALL)
    # A user without a /Repos folder is not an error: the location is simply missing.
    no_repos = next(row for row in rows if not truth[row["username"]]["repos"]["exists"] and row["status"] != "error")
    assert no_repos["repos_files"] == "0"
    files = [json.loads(line) for line in (tmp_path / "files.jsonl").read_text().splitlines()]
    assert {f["location"] for f in files} == set(ALL)
    per_user_repos = {}
    for f in files:
        if f["location"] == "repos":
            per_user_repos[f["user"]] = per_user_repos.get(f["user"], 0) + 1
    assert per_user_repos == {u: truth[u]["repos"]["files"] for u in with_repos if truth[u]["repos"]["files"]}


def test_a_checkpoint_knows_its_locations(tmp_path, dep):
    ws, truth, srv = dep
    users_file = write_users_file(tmp_path / "u.txt", scannable_users(ws)[:5])
    (tmp_path / ".checkpoint_progress.json").write_text(json.dumps(
        {"format": "dbx-inventory-checkpoint", "version": 1, "tool_version": "x", "host": srv.url,
         "options": {"file_systems": ["dbfs", "workspace"], "locations": ["home"], "size_estimate": 10000,
                     "exact_notebook_sizes": False}, "users": scannable_users(ws)[:5]}) + "\n")
    r = run(SCAN, "--users-file", str(users_file), "--locations", "all", "--resume", env=emulator_env(tmp_path, srv))
    assert r.returncode == 1 and "other options" in r.stderr


def test_names_as_typed_resolve_to_their_homes(tmp_path, dep):
    ws, truth, srv = dep
    active = next(u["userName"] for u in ws.users if u["active"] and truth[u["userName"]]["dbfs_files"]
                  and not truth[u["userName"]]["denied"])
    removed = next(p.home for p in ws.removed if truth[p.home]["ws_files"])
    sp = next(p.home for p in ws.principals if p.service_principal and p.has_ws)
    typed = [active.upper(), removed.upper(), sp, "no.such.person@example.com"]
    r = run(SCAN, *typed, "-o", "inv.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3, r.stderr[-2000:]
    rows = {row["username"]: row for row in read_csv(tmp_path / "inv.csv")}
    assert list(rows) == typed  # the name as typed stays in username
    for name, home in ((active.upper(), active), (removed.upper(), removed), (sp, sp)):
        want = expected_row(truth[home])
        got = {k: rows[name][k] for k in want}
        assert got == want, name
        assert rows[name]["home_name"] == ("" if name == home else home)
    assert rows[removed.upper()]["owner_status"] == "removed"
    typo = rows["no.such.person@example.com"]
    assert typo["status"] == "error" and "no user, service principal or home named" in typo["error"]
    assert typo["file_count"] == "" and typo["owner_status"] == ""


def test_exporter_all_homes_writes_the_same_union(tmp_path, dep):
    ws, truth, srv = dep
    r = run(USERS, "--all-homes", "--details", "-o", "homes.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr
    rows = read_csv(tmp_path / "homes.csv")
    assert list(rows[0]) == ["userName", "displayName", "active", "id", "owner_status"]
    assert [row["userName"] for row in rows] == every_home(ws)
    assert [row["owner_status"] for row in rows] == [truth[u]["owner_status"] for u in every_home(ws)]
    r = run(USERS, "--all-homes", "-o", "homes.txt", env=emulator_env(tmp_path, srv))
    assert (tmp_path / "homes.txt").read_text().splitlines() == every_home(ws)
    # The list feeds the scanner, which keeps each row's owner_status.
    some = every_home(ws)[-30:]
    write_users_file(tmp_path / "some.txt", some)
    r = run(SCAN, "--users-file", "some.txt", "-o", "inv.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr[-2000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, some)


def test_resume_after_a_kill_in_an_all_homes_run(tmp_path, dep):
    ws, truth, srv = dep
    srv.set_faults(Faults(rate=None, latency_ms=30))
    ckpt = tmp_path / ".checkpoint_progress.json"
    proc = start_scan(tmp_path, srv, "--all-homes", "-o", "inv.csv", "--workers", "2", stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL)
    wait_for_checkpoint(ckpt, 29, proc=proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "inv.csv").exists()
    srv.set_faults(Faults(rate=None))
    r = run(SCAN, "--all-homes", "-o", "inv.csv", "--resume", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3, r.stderr[-2000:]
    assert "already done" in r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, every_home(ws))


# -- workspaces without DBFS ------------------------------------------------------------------------------
def readable(ws, truth, n=6):
    return [u for u in scannable_users(ws) if not truth[u]["denied"]][:n]


def test_dbfs_disabled_scans_the_workspace_and_leaves_dbfs_blank(tmp_path, dep):
    ws, truth, srv = dep
    srv.set_faults(Faults(rate=None, dbfs_disabled=True))
    users = readable(ws, truth)
    r = run(SCAN, *users, "-o", "inv.json", "--format", "json", "--locations", "all", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr
    assert "DBFS is disabled on this workspace (HTTP 403 PERMISSION_DENIED on dbfs:/): scanning the Workspace only" in r.stderr
    doc = json.loads((tmp_path / "inv.json").read_text())
    assert doc["not_scanned"]["dbfs"].startswith("DBFS is disabled")
    for rec in doc["users"]:
        g = truth[rec["username"]]
        assert rec["status"] != "error"
        assert rec["dbfs_files"] is None and rec["dbfs_bytes"] is None and rec["uploads_files"] is None
        assert rec["workspace_files"] == g["ws_files"] + g["repos"]["files"]
    # One probe of the root, and no DBFS listing of any user.
    assert srv.stats()["requests"]["dbfs"] == 1


def test_dbfs_disabled_with_dbfs_only_is_fatal(tmp_path, dep):
    ws, truth, srv = dep
    srv.set_faults(Faults(rate=None, dbfs_disabled=True))
    r = run(SCAN, *readable(ws, truth, 3), "-o", "inv.csv", "--dbfs-only", env=emulator_env(tmp_path, srv))
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "error: DBFS is disabled on this workspace (HTTP 403 PERMISSION_DENIED on dbfs:/): there is nothing to "
        "scan with --dbfs-only"]
    assert not (tmp_path / "inv.csv").exists()


def test_dbfs_disabled_in_spark_mode(tmp_path, dep):
    ws, truth, srv = dep
    srv.set_faults(Faults(rate=None, dbfs_disabled=True))
    users = readable(ws, truth, 4)
    r = run(SCAN, *users, "-o", "inv.csv", "--spark-master", "local[1]", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr[-2000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, users, systems=("workspace",))


def test_a_single_denied_home_stays_a_user_error(tmp_path, dep):
    ws, truth, srv = dep
    denied = next(u for u in scannable_users(ws) if truth[u]["denied"])
    other = readable(ws, truth, 1)
    r = run(SCAN, denied, *other, "-o", "inv.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3
    rows = read_csv(tmp_path / "inv.csv")
    assert rows[0]["status"] == "error" and "403" in rows[0]["error"] and rows[1]["status"] != "error"
    assert "DBFS is disabled" not in r.stderr


def test_objects_of_every_shape_are_counted(tmp_path, dep):
    ws, truth, srv = dep
    user = next(p.home for p in ws.principals if p.case == "kinds")
    r = run(SCAN, user, "-o", "inv.csv", "--files-output", "files.jsonl", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, [user])
    files = [json.loads(line) for line in (tmp_path / "files.jsonl").read_text().splitlines()]
    kinds = {f["object_type"] for f in files}
    assert {"MLFLOW_EXPERIMENT", "ALERT", "GENIE_SPACE", "UNKNOWN", "LIBRARY", "DASHBOARD"} <= kinds
    assert any("/.bundle/" in f["path"] for f in files) and any("/Trash/" in f["path"] for f in files)


def test_a_removed_users_name_is_known_whatever_places_are_scanned(tmp_path, dep):
    """A name typed for a removed user, with --locations repos: its /Users home makes it `removed`, not a
    typo, even though only /Repos is scanned; --all-homes with repos lists the homes too."""
    ws, truth, srv = dep
    gone = next(p.home for p in ws.removed if not p.has_repos)
    r = run(SCAN, gone, "--locations", "repos", "-o", "one.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr
    row = read_csv(tmp_path / "one.csv")[0]
    assert row["owner_status"] == "removed" and row["status"] == "empty" and row["error"] == ""
    r = run(SCAN, "--all-homes", "--locations", "repos", "-o", "all.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr[-2000:]
    rows = {row["username"]: row for row in read_csv(tmp_path / "all.csv")}
    assert rows[gone]["owner_status"] == "removed"
    assert len(rows) == len(every_home(ws))


def test_the_scan_starts_while_identities_are_still_paged(tmp_path, dep):
    # Seven identities a page: the users file's first names are listed before the last SCIM page is read,
    # and a name that resolves only once every identity is known (a case twin, a removed user's home) is
    # still exact.
    ws, truth, srv = dep
    srv.set_faults(Faults(rate=None, scim_page_cap=7))
    removed = next(p.home for p in ws.removed if truth[p.home]["ws_files"])
    late = scannable_users(ws)[-1]  # on the last page of users
    names = [*scannable_users(ws)[:40], late.upper(), removed]
    r = run(SCAN, "--users-file", str(write_users_file(tmp_path / "u.txt", names)), "-o", "inv.csv",
            env=emulator_env(tmp_path, srv))
    assert r.returncode in (0, 3), r.stderr[-2000:]
    rows = {row["username"]: row for row in read_csv(tmp_path / "inv.csv")}
    assert list(rows) == names  # the order of the file, whatever order users finished in
    assert_matches_truth(list(rows.values())[:40], truth, names[:40])
    assert rows[late.upper()]["home_name"] == late
    assert {k: rows[late.upper()][k] for k in expected_row(truth[late])} == expected_row(truth[late])
    assert rows[removed]["owner_status"] == "removed"
    stats = srv.stats()
    first_home = min(stats["listed_at"][f"{fs}/Users/{names[0]}"] for fs in ("dbfs:", "ws:"))
    assert first_home < stats["spans"]["scim"][1], stats["spans"]


def test_identities_lost_mid_listing_stop_the_run_with_a_sentence(tmp_path, dep):
    # The scan has begun on the first pages' names when the third page refuses the credentials: no inventory,
    # nothing marked removed, and the users already scanned are kept for --resume.
    ws, truth, srv = dep
    srv.set_faults(Faults(rate=None, scim_page_cap=7, fail_always={"scim:Users@15": 401}))
    names = scannable_users(ws)
    r = run(SCAN, "--users-file", str(write_users_file(tmp_path / "u.txt", names)), "-o", "inv.csv",
            env=emulator_env(tmp_path, srv))
    assert r.returncode == 1 and r.stderr.startswith("error:") and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "authentication failed while listing the workspace's users" in r.stderr.splitlines()[-1]
    assert not (tmp_path / "inv.csv").exists()


def test_places_of_ones_own_naming_count_exactly_what_they_name(tmp_path, dep):
    # A DBFS and a Workspace template naming the folders the built-in places walk: the same numbers, in columns
    # of their own, counted in the totals once more; every format and the files output carry them.
    ws, truth, srv = dep
    users = scannable_users(ws)[:30]
    r = run(SCAN, "--users-file", str(write_users_file(tmp_path / "u.txt", users)), "-o", "inv.jsonl",
            "--format", "jsonl", "--place", "up=dbfs:/FileStore/shared_uploads/{user}", "--place", "rp=/Repos/{user}",
            "--files-output", "files.jsonl", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3, r.stderr[-2000:]
    assert "up: dbfs:/FileStore/shared_uploads/<user>" not in r.stderr  # the summary describes them by path
    rows = {rec["username"]: rec for rec in map(json.loads, (tmp_path / "inv.jsonl").read_text().splitlines())}
    assert list(rows) == users
    for name in users:
        rec, gt = rows[name], truth[name]
        if rec["status"] == "error":
            assert rec["up_files"] is None or rec["rp_files"] is None or rec["file_count"] is None
            continue
        want = expected_row(gt)
        assert (rec["up_files"], rec["up_bytes"]) == (gt["uploads"]["files"], gt["uploads"]["bytes"]), name
        assert rec["rp_files"] == gt["repos"]["files"], name
        assert rec["file_count"] == int(want["file_count"]) + rec["up_files"] + rec["rp_files"], name
        assert rec["total_size"] == int(want["total_size"]) + rec["up_bytes"] + rec["rp_bytes"], name
    files = [json.loads(line) for line in (tmp_path / "files.jsonl").read_text().splitlines()]
    up = {}
    for f in files:
        if f["location"] == "up":
            up[f["user"]] = up.get(f["user"], 0) + 1
    assert up == {u: truth[u]["uploads"]["files"] for u in users
                  if truth[u]["uploads"]["files"] and rows[u]["status"] != "error"}


def test_all_homes_finds_removed_users_folders_in_a_place_of_ones_own_naming(tmp_path, dep):
    # Only the place, no home: its parent is listed once, and a folder no identity owns is a removed user's row.
    ws, truth, srv = dep
    r = run(SCAN, "--all-homes", "--locations", "repos", "--place", "up=dbfs:/FileStore/shared_uploads/{user}",
            "-o", "inv.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode in (0, 3), r.stderr[-2000:]
    rows = {row["username"]: row for row in read_csv(tmp_path / "inv.csv")}
    gone_with_uploads = [p.home for p in ws.removed if truth[p.home]["uploads"]["exists"]]
    assert gone_with_uploads
    for home in gone_with_uploads:
        assert rows[home]["owner_status"] == "removed"
        assert rows[home]["up_files"] == str(truth[home]["uploads"]["files"])
    assert srv.stats()["list_calls"].get("dbfs:/FileStore/shared_uploads") == 1
