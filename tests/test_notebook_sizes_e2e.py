"""--exact-notebook-sizes: notebooks measured by exporting them, end to end against the emulator, plus the
walker's export semantics (too big, 404, 403) with a fake client."""

from __future__ import annotations

import pytest

from dbx_inventory.core.errors import ApiError, api_error
from dbx_inventory.core.model import Entry, ScanTarget
from dbx_inventory.core.records import record_to_result, result_to_record
from dbx_inventory.scan.walker import Walker, WalkOptions
from emulator import Faults
from tests.conftest import NO_LIMITS, SCAN, assert_matches_truth, emulator_env, read_csv, run, scannable_users, user_of
from tests.fakes import WORKSPACE_HOME, NoHttp
from tests.oracle import write_users_file

FLAG = "--exact-notebook-sizes"
DATA_COLUMNS = ("file_count", "total_size", "status", "file_source", "estimated_objects", "estimated_bytes",
                "notebooks_too_big", "dbfs_files", "dbfs_bytes", "workspace_files", "workspace_bytes", "folders")


def assert_exact(rows, truth, users) -> None:
    assert_matches_truth(rows, truth, users, exact_notebooks=True)


@pytest.fixture(scope="module")
def exact_run(tmp_path_factory, shared_server, workspace):
    """One fault-free concurrent scan with the flag: its rows and the emulator's counters."""
    tmp = tmp_path_factory.mktemp("exact")
    users_file = write_users_file(tmp / "users.csv", scannable_users(workspace))
    shared_server.set_faults(NO_LIMITS)
    shared_server.reset_stats()
    out = tmp / "inv.csv"
    r = run(SCAN, "--users-file", str(users_file), "-o", str(out), FLAG, env=emulator_env(tmp, shared_server))
    return r, read_csv(out) if out.exists() else [], shared_server.stats()


def test_concurrent_scan_is_exact(exact_run, workspace, truth):
    r, rows, _ = exact_run
    assert r.returncode == 3, r.stderr  # the denied user
    assert_exact(rows, truth, scannable_users(workspace))
    assert sum(int(row["notebooks_too_big"] or 0) for row in rows) >= 1


def test_sequential_scan_is_exact(tmp_path, server, workspace, truth, users_file):
    out = tmp_path / "inv.csv"
    r = run(SCAN, "--users-file", str(users_file), "-o", str(out), FLAG, "--no-parallel",
            env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr
    assert_exact(read_csv(out), truth, scannable_users(workspace))
    stats = server.stats()
    assert stats["max_in_flight"] == 1
    assert stats["requests"].get("export", 0) > 0


def test_too_big_notebook_stays_estimated_and_is_no_error(tmp_path, server, workspace, truth):
    user = user_of(workspace, "bignb")
    assert truth[user]["ws_notebooks_too_big"] == 1
    out = tmp_path / "inv.csv"
    r = run(SCAN, user, "-o", str(out), FLAG, env=emulator_env(tmp_path, server))
    assert r.returncode == 0, r.stderr
    row = read_csv(out)[0]
    assert row["status"] == "success" and row["error"] == "" and row["notebooks_too_big"] == "1"
    assert_exact([row], truth, [user])
    assert server.stats()["by_status"].get("400") == 1  # the one refusal, not retried


def test_injected_faults_give_the_fault_free_result(tmp_path, server, workspace, exact_run):
    _, clean_rows, _ = exact_run
    # Every case with notebooks (and the denied one), plus some random users; not the deep chain, whose
    # retries add up level by level (the full run under faults is test_scan_e2e's).
    cases = ("both", "denied", "ws_only", "git", "kinds", "weird", "bignb")
    users = [p.home for p in workspace.principals if p.case in cases]
    users += [p.home for p in workspace.principals if p.case == "random"][:8]
    users_file = write_users_file(tmp_path / "users.txt", users)
    server.set_faults(Faults(rate=None, fault_rate=0.2, seed=3))
    out = tmp_path / "inv.csv"
    r = run(SCAN, "--users-file", str(users_file), "-o", str(out), FLAG, env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr[-2000:]
    assert server.stats()["faults"] > 20
    clean = {row["username"]: {k: row[k] for k in DATA_COLUMNS} for row in clean_rows}
    rows = read_csv(out)
    assert [row["username"] for row in rows] == users
    assert [{k: row[k] for k in DATA_COLUMNS} for row in rows] == [clean[u] for u in users]


def test_exports_use_the_export_family(exact_run, truth, workspace):
    _, _, stats = exact_run
    readable = [u for u in scannable_users(workspace) if not truth[u]["denied"]]
    # Each notebook exported exactly once (the too-big ones too: their 400 is final).
    assert stats["requests"].get("export") == sum(truth[u]["ws_notebooks"] for u in readable)
    assert stats["requests"].get("workspace", 0) > 0


def test_without_the_flag_nothing_is_exported(tmp_path, server, workspace):
    user = user_of(workspace, "bignb")
    out = tmp_path / "inv.csv"
    r = run(SCAN, user, "-o", str(out), env=emulator_env(tmp_path, server))
    assert r.returncode == 0, r.stderr
    assert "export" not in server.stats()["requests"]
    assert read_csv(out)[0]["notebooks_too_big"] == "0"


# -- the walker's export semantics, in process ---------------------------------------------------------
TREE = {
    "/Users/u": [Entry("/Users/u/a", False, None, None, "NOTEBOOK"), Entry("/Users/u/d", True, None, None, "DIRECTORY"),
                 Entry("/Users/u/f.py", False, 7, 5, "FILE")],
    "/Users/u/d": [Entry("/Users/u/d/b", False, None, None, "NOTEBOOK"),
                   Entry("/Users/u/d/big", False, None, None, "NOTEBOOK")],
}


def _walk(export_errors: dict[str, ApiError], sequential: bool):
    def exporter(client, path):
        if path in export_errors:
            raise export_errors[path]
        return len(path)

    opts = WalkOptions(WORKSPACE_HOME, 3, sequential, 100, exact_notebook_sizes=True)
    walker = Walker(NoHttp(), opts, listers={"workspace": lambda c, p: TREE[p]}, exporter=exporter)
    (result,) = list(walker.scan([ScanTarget("u")]))
    return result


TOO_BIG = api_error(400, "MAX_NOTEBOOK_SIZE_EXCEEDED", "too big", "/Users/u/d/big")


@pytest.mark.parametrize("sequential", [False, True], ids=["concurrent", "sequential"])
def test_walker_measures_notebooks_and_keeps_too_big_ones_estimated(sequential):
    result = _walk({"/Users/u/d/big": TOO_BIG}, sequential)
    assert result.status == "success"
    t = result.part("workspace").tally
    assert (t.files, t.estimated, t.notebooks_too_big, t.folders) == (4, 1, 1, 1)
    assert t.bytes == len("/Users/u/a") + len("/Users/u/d/b") + 7 + 100
    back = record_to_result(result_to_record(result))
    assert back.part("workspace").tally == t


@pytest.mark.parametrize("status,code", [(404, "RESOURCE_DOES_NOT_EXIST"), (403, "PERMISSION_DENIED"),
                                         (503, "TEMPORARILY_UNAVAILABLE")])
def test_walker_export_failure_makes_the_user_error(status, code):
    result = _walk({"/Users/u/d/big": TOO_BIG, "/Users/u/d/b": api_error(status, code, "no", "/Users/u/d/b")},
                   False)
    assert result.status == "error" and str(status) in result.errors[0] and "export" in result.errors[0]


def test_old_checkpoint_records_still_load():
    rec = {"user": "u", "parts": [{"fs": "workspace", "found": True, "error": None, "files": 1, "bytes": 2,
                                   "estimated": 1, "estimated_bytes": 2, "folders": 0, "newest_mtime_ms": None}]}
    result = record_to_result(rec)
    assert result.total.notebooks_too_big == 0 and result.part("workspace").location == "home"
