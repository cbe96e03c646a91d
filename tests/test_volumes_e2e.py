"""End-to-end: the Unity Catalog volumes each identity owns (--locations volumes) and per-user places of the
admin's own naming (--place), through the real scanner against the emulator's Unity Catalog and Files API,
with short pages that still carry a token and empty first pages."""

from __future__ import annotations

import json
import signal

import pytest

from emulator import EmulatorServer, Faults, build_workspace
from tests.conftest import SCAN, TOKEN, emulator_env, fresh, read_csv, run, start_scan, wait_for_checkpoint
from tests.oracle import write_users_file

PAGING = Faults(rate=None, files_page_cap=7, empty_pages=True, uc_page_cap=2)
PLACES = {"hv": "/Volumes/main/home/users/{user}", "sh": "/Shared/{user}", "tmp": "dbfs:/tmp/{user}"}
PLACE_ARGS = [arg for name, template in PLACES.items() for arg in ("--place", f"{name}={template}")]


@pytest.fixture(scope="module")
def unity():
    ws = build_workspace(seed=11, users=60, removed=5)
    with EmulatorServer(ws, token=TOKEN, faults=PAGING) as srv:
        yield ws, srv


@pytest.fixture
def uc(unity):
    ws, srv = unity
    fresh(srv).set_faults(PAGING)
    return ws, srv


def place_bytes(entry: dict, size_estimate: int = 10_000) -> int:
    """What a folder of a place holds, as the inventory counts it: a Workspace object without a size is
    estimated."""
    return entry["bytes"] + size_estimate * entry.get("unsized", 0)


def assert_volumes_exact(rows: dict[str, dict], truth: dict) -> None:
    for owner, t in truth["owners"].items():
        row = rows[owner]
        if t["unreadable"]:
            assert row["status"] == "error" and "volumes: HTTP 403" in row["error"], owner
            assert row["volumes_bytes"] is None, "a volume that cannot be listed is never 0"
            continue
        assert (row["volumes_files"], row["volumes_bytes"], row["volumes_owned"]) == (t["files"], t["bytes"], t["volumes"]), owner
        if t["kind"] == "removed":
            assert row["owner_status"] == "removed"
    for group, t in truth["groups"].items():
        row = rows[group]
        assert row["owner_status"] == "group" and row["status"] != "error", group
        assert (row["volumes_files"], row["volumes_bytes"], row["volumes_owned"]) == (t["files"], t["bytes"], t["volumes"])
        assert row["dbfs_files"] is None or row["dbfs_files"] == 0  # a group has no home


def test_the_volumes_each_identity_and_group_owns_are_exact(tmp_path, uc):
    ws, srv = uc
    r = run(SCAN, "--all-homes", "--locations", "home,volumes", "-o", "inv.json", "--format", "json",
            "--html", "report.html", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3, r.stderr[-3000:]
    truth = ws.volume_truth()
    doc = json.loads((tmp_path / "inv.json").read_text(encoding="utf-8"))
    rows = {u["username"]: u for u in doc["users"]}
    assert_volumes_exact(rows, truth)
    # An identity that owns nothing shows 0, not blank: the volumes were looked at.
    nobody = next(u["userName"] for u in ws.users if u["userName"] not in truth["owners"]
                  and rows[u["userName"]]["status"] != "error")
    assert (rows[nobody]["volumes_files"], rows[nobody]["volumes_owned"]) == (0, 0)
    # The closed catalog: named once, in the summary's lines and the header; the run is not complete.
    assert doc["volumes_not_listed"] == {c: "HTTP 403 PERMISSION_DENIED" for c in truth["unreadable_catalogs"]}
    assert "volumes not counted in finance (HTTP 403 PERMISSION_DENIED)" in r.stderr
    # The largest volumes, with their owners, in the summary and the report.
    biggest = max(truth["volumes"].values(), key=lambda v: v["bytes"] if v["readable"] else -1)
    line = next(line for line in r.stderr.splitlines() if biggest["path"] in line)
    assert biggest["owner"] in line
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f'data-volume="{biggest["path"]}" data-owner="{biggest["owner"]}"' in html
    counted = [u for u in doc["users"] if u["status"] != "error"]
    assert f'data-place="volumes" data-bytes="{sum(u["volumes_bytes"] or 0 for u in counted)}"' in html
    # Every page was read: the short pages carried tokens, and the first pages were empty.
    assert srv.stats()["requests"]["files"] > sum(1 + v["dirs"] for v in truth["volumes"].values() if v["readable"])


def test_a_list_of_names_walks_the_volumes_each_owns(tmp_path, uc):
    ws, srv = uc
    truth = ws.volume_truth()
    owners = [o for o, t in truth["owners"].items() if t["kind"] == "user" and not t["unreadable"]]
    names = [owners[0], owners[0].upper(), ws.users[-1]["userName"]]
    r = run(SCAN, *names[1:], "--locations", "volumes", "-o", "inv.csv", env=emulator_env(tmp_path, srv))
    assert r.returncode == 3, r.stderr[-3000:]  # finance cannot be listed
    rows = {row["username"]: row for row in read_csv(tmp_path / "inv.csv")}
    t = truth["owners"][owners[0]]
    assert (rows[names[1]]["volumes_files"], rows[names[1]]["volumes_bytes"]) == (str(t["files"]), str(t["bytes"]))
    assert rows[names[1]]["file_count"] == str(t["files"])  # only the volumes were asked for


@pytest.mark.parametrize("name", list(PLACES))
def test_a_place_of_ones_own_naming_is_exact_per_user(tmp_path, uc, name):
    ws, srv = uc
    truth = ws.places_truth()[PLACES[name]]
    r = run(SCAN, "--all-homes", "--place", f"{name}={PLACES[name]}", "-o", "inv.json", "--format", "json",
            env=emulator_env(tmp_path, srv))
    assert r.returncode in (0, 3), r.stderr[-3000:]
    rows = {u["username"]: u for u in json.loads((tmp_path / "inv.json").read_text(encoding="utf-8"))["users"]}
    for folder, t in truth.items():
        row = rows[folder]
        if t["denied"]:
            assert row["status"] == "error" and row[f"{name}_files"] is None, folder
            continue
        if row["status"] == "error":  # its home is denied; the place's own numbers are still known
            continue
        assert (row[f"{name}_files"], row[f"{name}_bytes"]) == (t["files"], place_bytes(t)), folder
        if t["identity"] == "removed":
            assert row["owner_status"] == "removed", folder


def test_a_killed_run_with_places_and_volumes_resumes_exactly(tmp_path, uc):
    ws, srv = uc
    srv.set_faults(Faults(rate=None, latency_ms=30, files_page_cap=50, uc_page_cap=2))
    args = ["--all-homes", "--locations", "home,volumes", *PLACE_ARGS, "-o", "inv.json", "--format", "json",
            "--checkpoint", "run.ckpt"]
    env = emulator_env(tmp_path, srv)
    proc = start_scan(tmp_path, None, *args, env=env)
    wait_for_checkpoint(tmp_path / "run.ckpt", 15, proc=proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    srv.set_faults(PAGING)
    r = run(SCAN, *args, "--resume", env=env)
    assert r.returncode == 3, r.stderr[-3000:]
    resumed = {u["username"]: u for u in json.loads((tmp_path / "inv.json").read_text(encoding="utf-8"))["users"]}
    assert_volumes_exact(resumed, ws.volume_truth())
    whole = run(SCAN, *args[:-2], "-o", "whole.json", env=env)
    assert whole.returncode == 3, whole.stderr[-3000:]
    again = {u["username"]: u for u in json.loads((tmp_path / "whole.json").read_text(encoding="utf-8"))["users"]}
    drop = ("scan_seconds",)
    assert {n: {k: v for k, v in u.items() if k not in drop} for n, u in resumed.items()} == \
           {n: {k: v for k, v in u.items() if k not in drop} for n, u in again.items()}


def test_spark_mode_gives_the_same_volumes_and_places(tmp_path, uc):
    ws, srv = uc
    users = [u["userName"] for u in ws.users][:20]
    file = str(write_users_file(tmp_path / "u.txt", users))
    common = ["--users-file", file, "--locations", "home,volumes", *PLACE_ARGS, "--format", "json"]
    env = emulator_env(tmp_path, srv)
    local = run(SCAN, *common, "-o", "local.json", env=env)
    spark = run(SCAN, *common, "-o", "spark.json", "--spark-master", "local[2]", "--chunk-size", "7", env=env,
                timeout=400)
    assert local.returncode == spark.returncode == 3, spark.stderr[-3000:]

    def rows(path):
        doc = json.loads((tmp_path / path).read_text(encoding="utf-8"))
        return {u["username"]: {k: v for k, v in u.items() if k != "scan_seconds"} for u in doc["users"]}

    assert rows("spark.json") == rows("local.json")
