"""Homes whose names differ only in case (`/Users/gone@x.com` and `/Users/GONE@X.COM`) are two folders: the
real scripts against an emulator that holds such twins, every row against its own folder's ground truth."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from emulator import EmulatorServer, Faults, build_workspace
from tests.conftest import ROOT, SCAN, TOKEN, USERS, assert_matches_truth, emulator_env, fresh, read_csv, run
from tests.oracle import expected_row


@pytest.fixture(scope="module")
def twins():
    """20 users, 3 removed users' homes, and an upper-case twin beside 2 removed homes and 2 users' homes."""
    ws = build_workspace(seed=23, users=20, removed=3, service_principals=1, case_twins=2)
    with EmulatorServer(ws, token=TOKEN, faults=Faults(rate=None)) as srv:
        yield ws, ws.ground_truth(), srv


@pytest.fixture
def tw(twins):
    ws, truth, srv = twins
    return ws, truth, fresh(srv)


def pairs(ws) -> list[tuple[str, str]]:
    """(the original, its upper-case twin) for each twin folder."""
    return [(p.home, p.home.upper()) for p in ws.principals if p.home != p.home.upper() and ws.principal(p.home.upper())]


def every_home(ws) -> list[str]:
    """The rows --all-homes gives: SCIM users, service principals, then every other folder, by name."""
    scim = [u["userName"] for u in ws.users] + [p["applicationId"] for p in ws.service_principals]
    rest = [p.home for p in ws.principals if p.home not in set(scim)]
    return scim + sorted(rest, key=lambda s: (s.casefold(), s))


def test_the_fixture_holds_twins_of_removed_and_of_current_users(tw):
    ws, truth, _ = tw
    kinds = [truth[twin]["owner_status"] for _, twin in pairs(ws)]
    assert len(kinds) == 4 and kinds.count("removed") == 2
    for home, twin in pairs(ws):  # each its own files
        assert truth[twin]["dbfs_files"] and truth[twin]["ws_files"]
        assert (truth[home]["dbfs_bytes"], truth[home]["ws_files"]) != (truth[twin]["dbfs_bytes"], truth[twin]["ws_files"])


def test_all_homes_scans_each_twin_as_its_own_row(tmp_path, tw):
    ws, truth, srv = tw
    r = run(SCAN, "--all-homes", "-o", "inv.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3, r.stderr[-2000:]  # the workspace's one denied home
    rows = read_csv(tmp_path / "inv.csv")
    assert_matches_truth(rows, truth, every_home(ws))
    assert all(row["home_name"] == "" for row in rows)
    assert not {p: n for p, n in srv.stats()["list_calls"].items() if n > 1}


def test_a_name_typed_exactly_gets_its_own_folders_numbers(tmp_path, tw):
    ws, truth, srv = tw
    typed = [name for pair in pairs(ws) for name in pair]
    r = run(SCAN, *typed, "-o", "inv.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr[-2000:]
    rows = read_csv(tmp_path / "inv.csv")
    assert_matches_truth(rows, truth, typed)
    assert all(row["home_name"] == "" for row in rows)
    # A third spelling that names no folder exactly: a user's name is their identity's home (SCIM names ignore
    # case); a removed user's twins both match it without case, and it is an error that names them.
    user = next(home for home, _ in pairs(ws) if truth[home]["owner_status"] != "removed")
    removed, twin = next(pair for pair in pairs(ws) if truth[pair[0]]["owner_status"] == "removed")
    third_user, third_removed = (name[0].upper() + name[1:] for name in (user, removed))
    r = run(SCAN, third_removed, removed, third_user, "-o", "inv.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3
    rows = read_csv(tmp_path / "inv.csv")
    assert rows[0]["status"] == "error" and removed in rows[0]["error"] and twin in rows[0]["error"]
    assert_matches_truth(rows[1:2], truth, [removed])
    assert rows[2]["home_name"] == user and rows[2]["total_size"] == expected_row(truth[user])["total_size"]


def test_the_exporters_list_feeds_the_scanner_with_both_twins(tmp_path, tw):
    ws, truth, srv = tw
    env = emulator_env(tmp_path, srv)
    r = run(USERS, "--all-homes", "--details", "-o", "homes_list.csv", env=env)
    assert r.returncode == 0, r.stderr
    exported = read_csv(tmp_path / "homes_list.csv")
    assert [row["userName"] for row in exported] == every_home(ws)
    assert [row["owner_status"] for row in exported] == [truth[u]["owner_status"] for u in every_home(ws)]
    r = run(SCAN, "--users-file", "homes_list.csv", "-o", "inv.csv", env=env)
    assert r.returncode == 3, r.stderr[-2000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, every_home(ws))


def test_an_inventory_compared_with_itself_shows_no_change(tmp_path, tw):
    ws, truth, srv = tw
    env = emulator_env(tmp_path, srv)
    for fmt in ("csv", "json"):
        r = run(SCAN, "--all-homes", "-o", f"inv.{fmt}", "--format", fmt, env=env)
        assert r.returncode == 3, r.stderr[-2000:]
        r = subprocess.run([sys.executable, "-m", "dbx_inventory.report", str(tmp_path / f"inv.{fmt}"), "--previous",
                            str(tmp_path / f"inv.{fmt}"), "-o", str(tmp_path / "r.html")],
                           cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "warning" not in r.stderr
        page = (tmp_path / "r.html").read_text()
        assert re.search(r'id="removed-bytes" data-bytes="0"', page) and re.search(r'id="added-bytes" data-bytes="0"', page)
        assert re.search(r'id="new-count">0<', page) and re.search(r'id="gone-count">0<', page)
    # The scanner's --compare against the same workspace's inventory: no change either.
    r = run(SCAN, "--all-homes", "-o", "again.csv", "--compare", "inv.csv", env=env)
    assert r.returncode == 3, r.stderr[-2000:]
    assert "Largest changes since inv.csv (added 0 B, removed 0 B)" in r.stderr and "warning" not in r.stderr
