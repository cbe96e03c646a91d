"""End-to-end: the real user exporter against the emulator's SCIM endpoint."""

from __future__ import annotations

import pytest

from emulator import Faults
from tests.conftest import USERS, emulator_env, read_csv, run


def list_users(tmp_path, srv, *args, **kw):
    return run(USERS, *args, env=emulator_env(tmp_path, srv), **kw)


def names(workspace, active=None):
    return [u["userName"] for u in workspace.users if active is None or u.get("active", True) == active]


@pytest.mark.py310
def test_export_pages_by_items_returned(tmp_path, server, workspace):
    # The server returns 7 per page although we ask for 100: paging must advance by what came back.
    server.set_faults(Faults(rate=None, scim_page_cap=7))
    out = tmp_path / "users.csv"
    r = list_users(tmp_path, server, "--output", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8").splitlines() == names(workspace)
    assert server.stats()["requests"]["scim"] >= len(workspace.users) // 7


def test_default_format_splits_like_the_original(tmp_path, server, workspace):
    out = tmp_path / "users.csv"
    list_users(tmp_path, server, "-o", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == workspace.users[0]["userName"]  # no header: head -500 / tail -n +501 still work
    assert all("," not in ln for ln in lines)


@pytest.mark.parametrize("flag,active", [("--active-only", True), ("--inactive-only", False)])
def test_active_filters(tmp_path, server, workspace, flag, active):
    out = tmp_path / "users.csv"
    r = list_users(tmp_path, server, flag, "-o", str(out))
    assert r.returncode == 0
    got = out.read_text(encoding="utf-8").splitlines()
    assert got == names(workspace, active) and got


def test_scim_filter_is_passed_through(tmp_path, server, workspace):
    out = tmp_path / "users.csv"
    r = list_users(tmp_path, server, "--filter", 'userName sw "o"', "-o", str(out))
    assert r.returncode == 0, r.stderr
    want = [n for n in names(workspace) if n.lower().startswith("o")]
    assert out.read_text(encoding="utf-8").splitlines() == want and want


def test_details_csv_and_max_users(tmp_path, server, workspace):
    out = tmp_path / "users.csv"
    r = list_users(tmp_path, server, "--details", "--max-users", "5", "-o", str(out))
    assert r.returncode == 0
    rows = read_csv(out)
    assert list(rows[0]) == ["userName", "displayName", "active", "id", "owner_status"]
    assert [r["userName"] for r in rows] == names(workspace)[:5]
    assert rows[0]["id"] == workspace.users[0]["id"]


def test_printed_list_without_output(tmp_path, server, workspace):
    r = list_users(tmp_path, server, "--max-users", "3")
    assert r.returncode == 0
    assert f"  1. {workspace.users[0]['userName']}" in r.stdout


def test_scim_failure_is_an_error_not_a_partial_list(tmp_path, server):
    out = tmp_path / "users.csv"
    server.set_faults(Faults(rate=None, fault_rate=1.0, fault_kinds=("500",), max_consecutive_faults=1000))
    r = list_users(tmp_path, server, "-o", str(out), "--retry-deadline", "2")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and r.stderr.startswith("error:")
    assert not out.exists()


def test_wrong_token(tmp_path, server):
    env = emulator_env(tmp_path, server, token="dapi-nope")
    r = run(USERS, "-o", str(tmp_path / "u.csv"), env=env)
    assert r.returncode == 1 and "authentication failed" in r.stderr


def test_service_principals(tmp_path, server, workspace, truth):
    out = tmp_path / "users.csv"
    r = list_users(tmp_path, server, "--service-principals", "-o", str(out))
    assert r.returncode == 0, r.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    sps = [k for k, v in truth.items() if v.get("service_principal")]
    assert sps and set(sps) <= set(lines)
    assert lines[: len(workspace.users)] == names(workspace)
