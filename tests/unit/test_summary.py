"""The pure core: entries folded into per-user results, without a server."""

from dataclasses import fields

from dbx_inventory.api.listers import parse_dbfs_list, parse_workspace_list
from dbx_inventory.core.model import COUNTERS, Entry, PartResult, Tally, UserResult, fold
from dbx_inventory.core.records import record_to_result, result_to_record
from dbx_inventory.outputs.columns import COLUMN_NAMES, text_row


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
    assert result(PartResult("dbfs", True, files), PartResult("workspace", False)).file_source == "dbfs"
    assert result(PartResult("dbfs", True, files), PartResult("workspace", True, files)).file_source == "both"
    r = result(PartResult("dbfs", False), PartResult("workspace", True, Tally(folders=3)))
    assert (r.status, r.file_source, r.total.files) == ("empty", "none", 0)


def test_a_partial_scan_is_never_success_and_its_totals_are_blank():
    r = result(PartResult("dbfs", True, Tally(files=4, bytes=10)), PartResult("workspace", True, Tally(files=1), "workspace: HTTP 403"))
    assert r.status == "error"
    row = text_row(r)
    assert row["file_count"] == row["total_size"] == row["total_size_gb"] == ""
    assert row["dbfs_files"] == "4" and row["workspace_files"] == "" and "403" in row["error"]
    assert row["file_source"] == "dbfs"


def test_gb_has_two_decimals():
    r = result(PartResult("dbfs", True, Tally(files=1, bytes=3 * 1024**3 // 2)))
    assert text_row(r)["total_size_gb"] == "1.50"


def test_tallies_add_every_counter():
    a = Tally(files=1, bytes=10, estimated=1, estimated_bytes=5, folders=2, newest_mtime_ms=7, notebooks_too_big=1)
    b = Tally(files=2, bytes=1, folders=1, newest_mtime_ms=3)
    s = a + b
    assert (s.files, s.bytes, s.estimated, s.estimated_bytes, s.folders, s.newest_mtime_ms, s.notebooks_too_big) == (
        3, 11, 1, 5, 3, 7, 1)
    assert (Tally() + Tally()).newest_mtime_ms is None


def test_every_counter_reaches_the_columns_and_the_checkpoint():
    # One definition: a counter of Tally appears in the inventory's columns and survives a checkpoint round trip.
    assert {f.metadata["column"] for f in COUNTERS} <= set(COLUMN_NAMES)
    tally = Tally(**{f.name: 3 for f in fields(Tally)})
    r = result(PartResult("dbfs", True, tally), PartResult("workspace", True, tally, location="home"))
    back = record_to_result(result_to_record(r))
    assert back == r
    row = text_row(r)
    assert row["file_count"] == "6" and row["notebooks_too_big"] == "6" and row["dbfs_files"] == "3"
