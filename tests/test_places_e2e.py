"""`--locations` names exactly the places scanned; a run that could scan nothing is refused before it starts,
and every run says where it looked and where it did not, and why."""

from __future__ import annotations

import json

import pytest

from emulator import Faults
from tests.conftest import read_csv, scan, scannable_users, user_of


@pytest.mark.parametrize("args,message", [
    (["--dbfs-only", "--locations", "repos"],
     "error: nothing to scan: --locations repos lies only in the Workspace, which --dbfs-only leaves out"),
    (["--workspace-only", "--locations", "uploads"],
     "error: nothing to scan: --locations uploads lies only in DBFS, which --workspace-only leaves out"),
])
def test_a_command_that_scans_nothing_is_refused(tmp_path, server, workspace, args, message):
    r = scan(tmp_path, server, "--all-homes", *args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines()[-1].endswith(message.split("error: ", 1)[1])
    assert server.stats()["requests"] == {}


def test_dbfs_disabled_with_only_dbfs_places_is_refused(tmp_path, server):
    server.set_faults(Faults(rate=None, dbfs_disabled=True))
    r = scan(tmp_path, server, "--all-homes", "--locations", "uploads", "-o", "inv.csv")
    assert r.returncode == 1, r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("error: DBFS is disabled on this workspace") and "--locations uploads lies only in DBFS" in line
    assert not (tmp_path / "inv.csv").exists()


def test_places_that_cannot_be_read_are_blank_and_named(tmp_path, server, workspace, truth):
    server.set_faults(Faults(rate=None, dbfs_disabled=True))
    users = [u for u in scannable_users(workspace) if truth[u]["denied"] is None][:5]
    r = scan(tmp_path, server, *users, "--locations", "home,uploads", "-o", "inv.json", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert ("not scanned: dbfs:/Users/<user>, dbfs:/FileStore/shared_uploads/<user> (DBFS is disabled on this "
            "workspace") in r.stderr
    doc = json.loads((tmp_path / "inv.json").read_text())
    assert doc["places"]["scanned"] == ["/Users/<user>"]
    assert set(doc["places"]["not_scanned"]) == {"dbfs:/Users/<user>", "dbfs:/FileStore/shared_uploads/<user>",
                                                 "/Repos/<user>"}
    for rec in doc["users"]:
        assert rec["uploads_files"] is None and rec["dbfs_bytes"] is None  # unknown, never 0


def test_locations_repos_scans_only_repos_and_says_the_homes_were_not(tmp_path, server, workspace, truth):
    users = scannable_users(workspace)[:8]
    r = scan(tmp_path, server, *users, "--locations", "repos", "-o", "inv.csv")
    assert r.returncode in (0, 3), r.stderr
    assert "Scanned /Repos/<user>; not scanned: dbfs:/Users/<user>, /Users/<user>, " \
           "dbfs:/FileStore/shared_uploads/<user> (not in --locations)" in r.stderr
    rows = read_csv(tmp_path / "inv.csv")
    assert all(row["dbfs_files"] == "" for row in rows)
    for row in rows:
        if row["status"] != "error":
            assert int(row["file_count"]) == int(row["repos_files"]) == truth[row["username"]]["repos"]["files"]
    homes = [p for p in server.stats()["list_calls"] if p.startswith(("dbfs:/Users/", "ws:/Users/"))]
    assert not [p for p in homes if any(p.endswith(u) for u in users)]


def test_one_user_report_names_the_places_not_scanned(tmp_path, server, workspace):
    user = user_of(workspace, "both")
    r = scan(tmp_path, server, user, "--locations", "repos")
    assert r.returncode == 0, r.stderr
    assert "not scanned: dbfs:/Users/<user>, /Users/<user>" in r.stdout
    r = scan(tmp_path, server, user)
    assert "not scanned" not in r.stdout  # the usual two homes need no note
