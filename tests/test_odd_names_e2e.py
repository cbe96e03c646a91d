"""Home folders with names a users file reads differently (a leading `#`, a tab, U+2028, a leading space): the
README's two-step flow (the exporter's --all-homes --details, then --users-file) scans each exact folder, and
the exporter warns about the names a plain list cannot carry."""

from __future__ import annotations

import pytest

from emulator import EmulatorServer, build_workspace
from tests.conftest import NO_LIMITS, TOKEN, USERS, emulator_env, read_csv, run, scan

CARRIED = ("#hash@x.com", "tab\tx@x.com", "\u2028ls@x.com")  # a --details CSV carries these exactly
LOST = " space@x.com"  # trimmed by any users file: only --all-homes scans it


@pytest.fixture(scope="module")
def odd():
    ws = build_workspace(seed=53, users=4, service_principals=0)
    for name in (*CARRIED, LOST):
        ws.add_removed_home(name)
    with EmulatorServer(ws, token=TOKEN, faults=NO_LIMITS) as srv:
        yield ws, srv


def test_the_details_list_read_back_scans_each_exact_folder(tmp_path, odd):
    ws, srv = odd
    env = emulator_env(tmp_path, srv)
    r = run(USERS, "--all-homes", "--details", "-o", "homes.csv", env=env)
    assert r.returncode == 0, r.stderr
    assert "1 of these names cannot be read back exactly" in r.stderr and repr(LOST) in r.stderr
    r = scan(tmp_path, srv, "--users-file", "homes.csv", "-o", "inv.csv")
    assert r.returncode in (0, 3), r.stderr[-2000:]
    rows = {row["username"]: row for row in read_csv(tmp_path / "inv.csv")}
    for name in CARRIED:
        assert rows[name]["owner_status"] == "removed" and rows[name]["error"] == "", (name, rows.get(name))
        assert rows[name]["file_count"] != ""


def test_a_plain_list_warns_about_a_leading_hash(tmp_path, odd):
    ws, srv = odd
    r = run(USERS, "--all-homes", "-o", "homes.txt", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr
    assert "'#hash@x.com'" in r.stderr and "--details" in r.stderr
