"""The pure core: entries folded into per-user results, without a server."""

from dbx_inventory.listers import Entry, parse_dbfs_list, parse_workspace_list
from dbx_inventory.summary import FsResult, Tally, UserResult, fold
from dbx_inventory.writers import inventory_row


def test_fold_counts_files_and_estimates_unsized_objects():
    entries = [
        Entry("/a", False, 100, 5, "FILE"),
        Entry("/nb", False, None, None, "NOTEBOOK"),
        Entry("/d", True, None, 9, "DIRECTORY"),
        Entry("/z", False, 0, 7, "FILE"),
    ]
    t = fold(entries, size_estimate=10_000)
    assert (t.files, t.bytes, t.estimated, t.estimated_bytes, t.folders, t.newest_mtime_ms) == (3, 10_100, 1, 10_000, 1, 9)
    assert fold(entries, size_estimate=0).bytes == 100


def test_workspace_parser_tolerates_every_shape():
    body = {"objects": [
        {"object_type": "REPO", "path": "/Users/u/repo"},
        {"object_type": "DIRECTORY", "path": "/Users/u/d", "directory_info": {"is_git_folder": True}},
        {"path": "/Users/u/untyped"},
        {"path": "/Users/u/untyped-dir", "directory_info": {}},
        {"object_type": "MLFLOW_EXPERIMENT", "path": "/Users/u/exp"},
        {"object_type": "FILE", "path": "/Users/u/f", "size": 12, "modified_at": 3},
        {"object_type": "FILE"},  # no path: ignored
    ]}
    entries = parse_workspace_list(body, "/Users/u")
    assert [e.is_folder for e in entries] == [True, True, False, True, False, False]
    assert entries[-1].size == 12 and entries[-1].mtime_ms == 3
    assert parse_workspace_list({}, "/Users/u") == []  # `objects` absent for an empty folder


def test_dbfs_parser_strips_scheme_and_handles_empty():
    body = {"files": [{"path": "dbfs:/Users/u/a b", "is_dir": False, "file_size": 5, "modification_time": 1},
                      {"path": "/Users/u/d", "is_dir": True, "file_size": 0}]}
    entries = parse_dbfs_list(body, "/Users/u")
    assert entries[0].path == "/Users/u/a b" and entries[0].size == 5
    assert entries[1].is_folder and entries[1].size is None
    assert parse_dbfs_list({}, "/Users/u") == []


def result(dbfs=None, ws=None):
    parts = tuple(p for p in (dbfs, ws) if p is not None)
    return UserResult("u@x.com", parts)


def test_status_and_source():
    files = Tally(files=2, bytes=50)
    assert result(FsResult("dbfs", True, files), FsResult("workspace", False)).file_source == "dbfs"
    assert result(FsResult("dbfs", True, files), FsResult("workspace", True, files)).file_source == "both"
    r = result(FsResult("dbfs", False), FsResult("workspace", True, Tally(folders=3)))
    assert (r.status, r.file_source, r.file_count) == ("empty", "none", 0)


def test_a_partial_scan_is_never_success_and_its_totals_are_blank():
    r = result(FsResult("dbfs", True, Tally(files=4, bytes=10)), FsResult("workspace", True, Tally(files=1), "workspace: HTTP 403"))
    assert r.status == "error"
    row = inventory_row(r)
    assert row["file_count"] == row["total_size"] == row["total_size_gb"] == ""
    assert row["dbfs_files"] == "4" and row["workspace_files"] == "" and "403" in row["error"]
    assert row["file_source"] == "dbfs"


def test_gb_has_two_decimals():
    r = result(FsResult("dbfs", True, Tally(files=1, bytes=3 * 1024**3 // 2)))
    assert inventory_row(r)["total_size_gb"] == "1.50"
