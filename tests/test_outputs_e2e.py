"""Formats, per-file output, the largest files, the summary, service principals: against ground truth."""

from __future__ import annotations

import csv
import json
import re

import pytest

from tests.conftest import USERS, assert_matches_truth, emulator_env, read_csv, run, scan, user_of


def numbers(rows):
    """The numeric content of CSV rows, as the machine formats should carry it."""
    out = []
    for r in rows:
        out.append({k: (None if v == "" else v) for k, v in r.items() if k != "scan_seconds"})
    return out


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_machine_formats_round_trip_to_the_csv_numbers(tmp_path, server, workspace, users_file, fmt):
    assert scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv").returncode == 3
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", f"inv.{fmt}", "--format", fmt)
    assert r.returncode == 3, r.stderr
    text = (tmp_path / f"inv.{fmt}").read_text(encoding="utf-8")
    if fmt == "json":
        doc = json.loads(text)
        assert doc["format"] == "dbx-inventory" and doc["format_version"] == 1
        assert doc["host"] == server.url and doc["options"]["size_estimate"] == 10000
        assert doc["tool_version"] and doc["generated_at"].endswith("Z")
        users = doc["users"]
    else:
        users = [json.loads(line) for line in text.splitlines()]
    assert isinstance(users[0]["total_size"], (int, type(None)))
    csv_rows = numbers(read_csv(tmp_path / "inv.csv"))
    as_text = [{k: (None if v in (None, "") else (f"{v:.2f}" if k == "total_size_gb" else str(v)))
                for k, v in u.items() if k != "scan_seconds"} for u in users]
    assert as_text == csv_rows


@pytest.mark.parametrize("ext,extra", [("csv", []), ("jsonl", ["--exact-notebook-sizes"]), ("parquet", [])])
def test_files_output_lists_exactly_the_files_and_sums_to_the_inventory(tmp_path, server, workspace, truth, users_file,
                                                                        ext, extra):
    out = tmp_path / f"files.{ext}"
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--files-output", str(out), *extra)
    assert r.returncode == 3, r.stderr
    if ext == "csv":
        records = list(csv.DictReader(open(out, encoding="utf-8")))
        for rec in records:
            rec["size"] = int(rec["size"])
    elif ext == "jsonl":
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        import pyarrow.parquet as pq

        records = pq.read_table(out).to_pylist()
    inventory = {row["username"]: row for row in read_csv(tmp_path / "inv.csv")}
    per_user: dict[str, list] = {}
    for rec in records:
        per_user.setdefault(rec["user"], []).append(rec)
    for user, row in inventory.items():
        if row["status"] == "error":
            continue
        mine = per_user.get(user, [])
        assert len(mine) == int(row["file_count"]) == truth[user]["dbfs_files"] + truth[user]["ws_files"]
        assert sum(r["size"] for r in mine) == int(row["total_size"])
        assert len({(r["file_system"], r["path"]) for r in mine}) == len(mine)  # each file once
    assert not (tmp_path / f"files.{ext}.part").exists()


def test_top_files_and_summary(tmp_path, server, workspace, truth, users_file):
    files = tmp_path / "files.jsonl"
    r = scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--top", "5",
             "--files-output", str(files))
    assert r.returncode == 3
    records = [json.loads(line) for line in files.read_text().splitlines()]
    exact = sorted((rec for rec in records if not rec["size_estimated"]), key=lambda rec: -rec["size"])[:5]
    assert "Top 5 files by size" in r.stderr
    for rec in exact:
        assert rec["path"] in r.stderr
    rows = [row for row in read_csv(tmp_path / "inv.csv") if row["status"] != "error"]
    biggest = max(rows, key=lambda row: int(row["total_size"]))
    assert "Top 10 users by size" in r.stderr and biggest["username"] in r.stderr
    assert "Errors by reason" in r.stderr and "workspace: HTTP 403 PERMISSION_DENIED" in r.stderr
    all_rows = read_csv(tmp_path / "inv.csv")
    for status in ("success", "empty", "error"):
        count = sum(1 for row in all_rows if row["status"] == status)
        assert re.search(rf"^\s+{status}\s+{count}$", r.stderr, re.M), (status, count)


def test_top_in_the_single_user_report(tmp_path, server, workspace, truth):
    user = user_of(workspace, "deep")
    files = tmp_path / "files.jsonl"
    r = scan(tmp_path, server, user, "--top", "2", "--files-output", str(files))
    assert r.returncode == 0
    records = [json.loads(line) for line in files.read_text().splitlines()]
    largest = sorted((rec for rec in records if not rec["size_estimated"]), key=lambda rec: -rec["size"])[:2]
    assert "Top 2 files by size" in r.stdout
    assert all(rec["path"] in r.stdout for rec in largest)


def test_service_principals_are_exported_and_scanned(tmp_path, server, workspace, truth):
    users = tmp_path / "principals.txt"
    r = run(USERS, "--service-principals", "-o", str(users), env=emulator_env(tmp_path, server))
    assert r.returncode == 0
    sps = [k for k, v in truth.items() if v.get("service_principal")]
    r = scan(tmp_path, server, *sps, "-o", "inv.csv")
    assert r.returncode == 0, r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, sps)
    assert any(truth[s]["ws_files"] for s in sps)
