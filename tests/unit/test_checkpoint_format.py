"""The checkpoint's header as a versioned dataclass: what this tool writes reads back the same, an older
version is migrated explicitly, an unknown one is refused with a sentence."""

from __future__ import annotations

import json

import pytest

from dbx_inventory.core.errors import InputError
from dbx_inventory.core.model import PartResult, Tally, UserResult
from dbx_inventory.core.records import record_to_result, result_to_record
from dbx_inventory.state.checkpoint import FORMAT, VERSION, Header, load


def write(path, header: dict, *records: dict) -> None:
    path.write_text("".join(json.dumps(x) + "\n" for x in (header, *records)))


def test_a_header_reads_back_as_written(tmp_path):
    header = Header("https://h", {"locations": ["home"]}, ("a@x.com", "b@x.com"), {"files_output": "f.csv"})
    write(tmp_path / "c", header.to_json())
    assert load(str(tmp_path / "c")).header == header


def test_a_version_1_checkpoint_is_migrated(tmp_path):
    user = UserResult("a@x.com", (PartResult("dbfs", True, Tally(files=2, bytes=5)),), owner_status="active")
    write(tmp_path / "c", {"format": FORMAT, "version": 1, "tool_version": "2.0.0", "host": "https://h",
                           "options": {"size_estimate": 1}, "users": ["a@x.com"]}, result_to_record(user))
    loaded = load(str(tmp_path / "c"))
    assert loaded.header.version == VERSION and loaded.header.streams == {} and loaded.header.users == ("a@x.com",)
    assert loaded.results["a@x.com"] == user


def test_an_unknown_version_is_refused(tmp_path):
    write(tmp_path / "c", {"format": FORMAT, "version": 99, "host": "https://h"})
    with pytest.raises(InputError, match="format version 99"):
        load(str(tmp_path / "c"))


def test_a_record_round_trips_every_counter():
    user = UserResult("a@x.com", (PartResult("workspace", True, Tally(files=1, bytes=9, estimated=1, estimated_bytes=9,
                                                                       folders=3, newest_mtime_ms=7, notebooks_too_big=1),
                                             None, "repos", "/Repos/a@x.com"),), 1.5, "w1", "A@x.com", "removed")
    assert record_to_result(json.loads(json.dumps(result_to_record(user)))) == user
