"""The checkpoint's group commit: records are written at once, fsynced at most once per interval and at the
end, by a thread of their own, never once per user on the loop that hands out work."""

from __future__ import annotations

import os
import time

from dbx_inventory.core.model import PartResult, Tally, UserResult
from dbx_inventory.state.checkpoint import Checkpoint, Header, load


def result(i: int) -> UserResult:
    return UserResult(f"user{i}@example.com", (PartResult("dbfs", True, Tally(files=i, bytes=10 * i)),))


def counting_fsync(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def test_records_are_written_at_once_and_synced_once_at_the_end(tmp_path, monkeypatch):
    path = str(tmp_path / "ckpt.json")
    ckpt = Checkpoint(path, sync_every=3600)
    ckpt.start(Header("https://h", {}), None)
    calls = counting_fsync(monkeypatch)
    for i in range(200):
        ckpt.record(result(i))
    assert calls == []  # no fsync per user
    assert len(load(path).results) == 200  # but every record is in the file already (a kill -9 keeps them)
    ckpt.close(finished=False)
    assert len(calls) == 1
    assert load(path).results["user7@example.com"].total.bytes == 70


def test_the_syncing_thread_syncs_within_its_interval(tmp_path, monkeypatch):
    path = str(tmp_path / "ckpt.json")
    ckpt = Checkpoint(path, sync_every=0.02)
    ckpt.start(Header("https://h", {}), None)
    calls = counting_fsync(monkeypatch)
    ckpt.record(result(1))
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls, "the records were never synced"
    quiet = len(calls)
    time.sleep(0.1)
    assert len(calls) == quiet  # nothing new, nothing synced again
    ckpt.close(finished=True)
    assert not os.path.exists(path)
