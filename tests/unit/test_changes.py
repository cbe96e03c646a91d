"""What changed between two inventories, without a server: users keyed by their exact home, each compared on
the parts both sides counted, and the differences between the two inventories said."""

from dbx_inventory.outputs.changes import Basis, compare, differences
from dbx_inventory.outputs.columns import COLUMN_NAMES

MIB = 1024**2


def rec(username, dbfs=(0, 0), workspace=(0, 0), repos=None, uploads=None, home_name=None, status="success",
        estimated=(0, 0)):
    """A record as inventory_file.py reads it back: every column, None where the file is blank."""
    r = dict.fromkeys(COLUMN_NAMES)
    dbfs_all = None if dbfs is None else (dbfs[0] + (uploads or (0, 0))[0], dbfs[1] + (uploads or (0, 0))[1])
    ws_all = None if workspace is None else (workspace[0] + (repos or (0, 0))[0], workspace[1] + (repos or (0, 0))[1])
    for scope, pair in (("dbfs", dbfs_all), ("workspace", ws_all), ("repos", repos), ("uploads", uploads)):
        if pair is not None:
            r[f"{scope}_files"], r[f"{scope}_bytes"] = pair
    parts = [p for p in (dbfs_all, ws_all) if p is not None]
    r.update(username=username, home_name=home_name, status=status, file_count=sum(p[0] for p in parts),
             total_size=sum(p[1] for p in parts), estimated_objects=estimated[0], estimated_bytes=estimated[1])
    return r


def test_case_twins_are_two_users_and_the_same_file_shows_no_change():
    inv = [rec("gone@x.com", (3, 4 * MIB), (1, 10_000)), rec("GONE@X.COM", (9, 10 * MIB), (2, 20_000))]
    c = compare(inv, inv)
    assert c.removed_bytes == 0 and c.added_bytes == 0 and not c.new and not c.gone and len(c.changes) == 2


def test_users_match_on_the_home_name_as_typed_elsewhere():
    old = [rec("jane@x.com", (1, 100))]
    new = [rec("JANE@X.COM", (2, 300), home_name="jane@x.com")]
    (change,) = compare(new, old).changes
    assert (change.username, change.files, change.bytes) == ("JANE@X.COM", 1, 200)


def test_a_place_one_side_did_not_count_is_unknown_never_removed():
    home_only = [rec("a@x.com", (2, 1000), (1, 500))]
    everything = [rec("a@x.com", (2, 1000), (1, 500), repos=(4, 2 * MIB), uploads=(1, 7))]
    for new, old in ((home_only, everything), (everything, home_only)):
        c = compare(new, old)
        assert c.removed_bytes == 0 and c.added_bytes == 0
        (change,) = c.changes
        assert change.columns["repos_bytes"] is None and change.columns["uploads_files"] is None
        assert change.columns["workspace_bytes"] == (2 * MIB if new is everything else -2 * MIB)
    # A file system one side did not scan: the other one only is compared.
    c = compare([rec("a@x.com", None, (1, 900))], [rec("a@x.com", (5, 10**9), (1, 500))])
    assert (c.changes[0].bytes, c.removed_bytes, c.changes[0].columns["dbfs_bytes"]) == (400, 0, None)
    # Nothing in common: no difference to tell.
    c = compare([rec("a@x.com", None, (1, 900))], [rec("a@x.com", (5, 10**9), None)])
    assert not c.changes and c.apart == ["a@x.com"]


def test_the_originals_7_columns_compare_with_the_homes():
    original = rec("a@x.com", None, None)
    original.update(file_count=3, total_size=1000)
    c = compare([rec("a@x.com", (2, 1000), (3, 700), repos=(1, 5 * MIB))], [original])
    assert (c.changes[0].files, c.changes[0].bytes) == (2, 700)


def test_differences_name_the_host_the_places_and_the_estimate():
    header = {"host": "https://a.cloud.databricks.com", "options": {
        "file_systems": ["dbfs", "workspace"], "locations": ["home"], "size_estimate": 10000,
        "exact_notebook_sizes": False}}
    new = Basis.of("new.json", [], header)
    assert differences(new, Basis.of("old.json", [], header)) == []
    assert differences(new, Basis.of("old.json", [], {**header, "host": "https://a.cloud.databricks.com:443/"})) == []
    other = Basis.of("old.json", [], {**header, "host": "https://b.cloud.databricks.com"})
    (line,) = differences(new, other)
    assert "old.json is an inventory of https://b.cloud.databricks.com" in line and "https://a." in line
    everything = Basis.of("old.json", [], {**header, "options": {**header["options"], "locations": ["home", "repos", "uploads"]}})
    (line,) = differences(new, everything)
    assert "old.json counted dbfs, repos, uploads, workspace and new.json dbfs, workspace" in line
    # A CSV says what its columns say: the parts filled in some row, the estimate per object.
    csv_all = Basis.of("old.csv", [rec("a@x.com", (1, 1), (1, 5000), repos=(0, 0), uploads=(0, 0), estimated=(2, 0))])
    assert csv_all.host is None and csv_all.size_estimate == 0
    lines = differences(new, csv_all)
    assert len(lines) == 2 and "repos, uploads" in lines[0] and "old.csv counted 0 bytes per object without a size and new.json 10,000" in lines[1]
    assert differences(new, Basis.of("orig.csv", [{**dict.fromkeys(COLUMN_NAMES), "status": "success"}])) == []
