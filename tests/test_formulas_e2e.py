"""Text a spreadsheet would run as a formula: a displayName from the identity provider and folders under /Users
named `=...`, `+...`, `-...`, `@...`. Every CSV the scripts write escapes them with an apostrophe; JSON keeps
them as they are; and our own readers (--users-file, --compare) read the escaped CSVs back exactly."""

from __future__ import annotations

import csv
import json

import pytest

from dbx_inventory.outputs.csv_safe import FORMULA_STARTS, unescape
from emulator import EmulatorServer, build_workspace
from tests.conftest import NO_LIMITS, TOKEN, USERS, assert_matches_truth, emulator_env, run, scan

HOMES = ("=1+2@evil.example.com", "+cmd@evil.example.com", "-2+3@evil.example.com", "@SUM(A1)@evil.example.com")
DISPLAY = '=HYPERLINK("http://evil.example.com","click")'


@pytest.fixture(scope="module")
def hostile():
    ws = build_workspace(seed=47, users=8, service_principals=0)
    ws.users[0]["displayName"] = DISPLAY
    ws.users[1]["displayName"] = "@risky name"
    for name in HOMES:
        ws.add_removed_home(name)
    with EmulatorServer(ws, token=TOKEN, faults=NO_LIMITS) as srv:
        yield ws, srv, ws.ground_truth()


def raw_rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def no_cell_starts_a_formula(rows: list[dict[str, str]]) -> None:
    bad = [v for row in rows for v in row.values() if v.startswith(FORMULA_STARTS)]
    assert not bad, bad


def test_csv_outputs_escape_formulas_and_json_keeps_the_text(tmp_path, hostile):
    ws, srv, truth = hostile
    r = scan(tmp_path, srv, "--all-homes", "-o", "inv.csv", "--files-output", "files.csv")
    assert r.returncode == 3, r.stderr[-2000:]  # the workspace's denied home
    rows = raw_rows(tmp_path / "inv.csv")
    no_cell_starts_a_formula(rows)
    names = [row["username"] for row in rows]
    assert all("'" + h in names for h in HOMES)
    by_name = {unescape(row["username"]): row for row in rows}
    assert by_name[ws.users[0]["userName"]]["display_name"] == "'" + DISPLAY
    assert by_name[ws.users[1]["userName"]]["display_name"] == "'@risky name"
    # Read back, the rows are the truth, hostile names included.
    assert_matches_truth([{k: unescape(v) for k, v in row.items()} for row in rows], truth,
                         [unescape(n) for n in names])
    files = raw_rows(tmp_path / "files.csv")
    no_cell_starts_a_formula(files)
    assert {f["user"] for f in files} >= {"'" + h for h in HOMES}

    r = scan(tmp_path, srv, "--all-homes", "-o", "inv.json", "--format", "json", "--files-output", "files.jsonl",
             "--compare", "inv.csv")
    assert r.returncode == 3, r.stderr[-2000:]
    users = {u["username"]: u for u in json.loads((tmp_path / "inv.json").read_text())["users"]}
    assert set(HOMES) <= set(users) and users[ws.users[0]["userName"]]["display_name"] == DISPLAY
    listed = {json.loads(line)["user"] for line in (tmp_path / "files.jsonl").read_text().splitlines()}
    assert set(HOMES) <= listed
    # --compare read the CSV's escaped names as the same homes: none new, none gone.
    assert "Largest changes since inv.csv" in r.stderr and "gone since" not in r.stderr


def test_the_exporters_details_escape_and_the_scanner_reads_them_back(tmp_path, hostile):
    ws, srv, truth = hostile
    r = run(USERS, "--all-homes", "--details", "-o", "homes.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 0, r.stderr
    exported = raw_rows(tmp_path / "homes.csv")
    no_cell_starts_a_formula(exported)
    assert {row["userName"] for row in exported} >= {"'" + h for h in HOMES}
    assert "'" + DISPLAY in {row["displayName"] for row in exported}

    r = scan(tmp_path, srv, "--users-file", "homes.csv", "-o", "inv.jsonl", "--format", "jsonl")
    assert r.returncode == 3, r.stderr[-2000:]
    records = [json.loads(line) for line in (tmp_path / "inv.jsonl").read_text().splitlines()]
    assert [rec["username"] for rec in records] == [unescape(row["userName"]) for row in exported]
    hostile_rows = [rec for rec in records if rec["username"] in HOMES]
    assert len(hostile_rows) == len(HOMES)
    for rec in hostile_rows:
        assert rec["owner_status"] == "removed" and rec["status"] != "error", rec
        assert rec["file_count"] == truth[rec["username"]]["dbfs_files"] + truth[rec["username"]]["ws_files"]
