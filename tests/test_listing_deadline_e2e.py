"""A DBFS directory the REST API cannot list in time (dbfs/list gives up after about 60 s beyond about 10K
entries): its user becomes an error that says so, after two attempts, and the other users are exact."""

from __future__ import annotations

import time

from emulator import Faults
from tests.conftest import assert_matches_truth, read_csv, scan, user_of


def test_a_directory_the_api_cannot_list_in_time_fails_its_user_after_two_attempts(tmp_path, server, workspace,
                                                                                  truth):
    slow_user = user_of(workspace, "both")
    others = [user_of(workspace, case) for case in ("dbfs_only", "ws_only", "deep")]
    tree = workspace.trees(workspace.principal(slow_user)).dbfs
    big = next(path for path in sorted(tree) if path != f"/Users/{slow_user}")  # a folder below the home
    server.set_faults(Faults(rate=None, too_slow={f"dbfs:{big}": "504"}))
    started = time.monotonic()
    r = scan(tmp_path, server, slow_user, *others, "-o", "inv.csv")
    assert r.returncode == 3, r.stderr[-2000:]
    # Not minutes of retries (the retry deadline is 120 s per request); the scan itself takes seconds.
    assert time.monotonic() - started < 60
    rows = {row["username"]: row for row in read_csv(tmp_path / "inv.csv")}
    row = rows[slow_user]
    assert row["status"] == "error" and row["file_count"] == "" and row["dbfs_files"] == ""
    assert f"dbfs: the REST API could not list dbfs:{big} in time" in row["error"], row["error"]
    assert "DEADLINE_EXCEEDED" in row["error"] and "2 attempts" in row["error"]
    assert row["workspace_files"] == str(truth[slow_user]["ws_files"])  # the Workspace part was complete
    assert_matches_truth([rows[u] for u in others], truth, others)
    assert server.stats()["too_slow"] == {f"dbfs:{big}": 2}
    assert f"could not list dbfs:{big} in time" in r.stderr  # the user's error line
