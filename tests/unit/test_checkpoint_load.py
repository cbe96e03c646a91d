"""Reading a checkpoint back, in process: a torn last line (a crash mid-append) is dropped and its user
rescanned, and the next append starts on a line of its own; any other damage is refused with a sentence."""

from __future__ import annotations

import pytest

from dbx_inventory.core.errors import InputError
from dbx_inventory.core.model import PartResult, Tally, UserResult
from dbx_inventory.state.checkpoint import Checkpoint, Header, load
from dbx_inventory.state.resume import RunCheckpoint

IDENTITY = Header("https://h", {})


def result(i: int) -> UserResult:
    return UserResult(f"user{i}@example.com", (PartResult("dbfs", True, Tally(files=i, bytes=10 * i)),))


def written(tmp_path, users: int) -> str:
    path = str(tmp_path / "ckpt.json")
    ckpt = Checkpoint(path, sync_every=3600)
    ckpt.start(IDENTITY, None)
    for i in range(users):
        ckpt.record(result(i))
    ckpt.close(finished=False)
    return path


def tear(path: str, keep: int | None) -> None:
    """Cut the last record after `keep` bytes (None: all but its newline), as a crash mid-append leaves it."""
    with open(path, "rb") as fh:
        raw = fh.read()
    last = raw.rstrip(b"\n").rfind(b"\n") + 1
    with open(path, "wb") as fh:
        fh.write(raw[:-1] if keep is None else raw[:last + keep])


def test_a_whole_checkpoint_reads_back_every_user(tmp_path):
    loaded = load(written(tmp_path, 3))
    assert sorted(loaded.results) == [f"user{i}@example.com" for i in range(3)] and not loaded.dropped_torn_line
    assert loaded.results["user2@example.com"].total.bytes == 20


@pytest.mark.parametrize("keep", [1, 10, None])  # a byte of it, part of it, all but its newline
def test_a_torn_last_line_is_dropped_and_its_user_scanned_again(tmp_path, keep):
    path = written(tmp_path, 3)
    tear(path, keep)
    loaded = load(path)
    assert loaded.dropped_torn_line
    assert sorted(loaded.results) == ["user0@example.com", "user1@example.com"]


def test_after_a_torn_line_the_next_record_starts_a_line_of_its_own(tmp_path):
    path = written(tmp_path, 3)
    tear(path, 12)
    previous = load(path)
    ckpt = Checkpoint(path, sync_every=3600)
    ckpt.start(IDENTITY, previous)  # resume
    ckpt.record(result(2))  # the torn user, scanned again
    ckpt.record(result(3))
    ckpt.close(finished=False)
    again = load(path)
    assert not again.dropped_torn_line
    assert sorted(again.results) == [f"user{i}@example.com" for i in range(4)]


def test_a_later_record_of_a_user_replaces_the_earlier(tmp_path):
    path = written(tmp_path, 2)
    ckpt = Checkpoint(path, sync_every=3600)
    ckpt.start(IDENTITY, load(path))
    ckpt.record(UserResult("user1@example.com", (PartResult("dbfs", True, Tally(files=5, bytes=999)),)))
    ckpt.close(finished=False)
    assert load(path).results["user1@example.com"].total.bytes == 999


def test_damage_before_the_last_line_is_refused_with_its_line_number(tmp_path):
    path = written(tmp_path, 3)
    lines = open(path, "rb").read().split(b"\n")
    lines[2] = lines[2][:5]  # the second record, cut: not a torn append, the file is damaged
    open(path, "wb").write(b"\n".join(lines))
    with pytest.raises(InputError, match="corrupt at line 3: delete it to start over"):
        load(path)


@pytest.mark.parametrize("content,message", [
    (b"", "is not a checkpoint of this tool"),
    (b'{"user": "a@x.com"}\n', "is not a checkpoint of this tool"),
    (b"\xff\xfe\n", "corrupt at line 1"),
])
def test_a_file_that_is_no_checkpoint_is_refused(tmp_path, content, message):
    path = tmp_path / "other.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load(str(path))


def test_a_missing_checkpoint_is_a_sentence_not_a_traceback(tmp_path):
    with pytest.raises(InputError, match="cannot read checkpoint"):
        load(str(tmp_path / "nowhere.json"))


def made_for(tmp_path, users: tuple[str, ...]) -> str:
    path = str(tmp_path / "list.ckpt")
    ckpt = Checkpoint(path, sync_every=3600)
    ckpt.start(Header("https://h", {}, users), None)
    ckpt.record(result(1))
    ckpt.close(finished=False)
    return path


@pytest.mark.parametrize("now, same", [
    (("a@x.com", "A@X.COM", "b@x.com"), True),  # 2.0.0 merged the spellings of one home in its list
    (("a@x.com", "b@x.com"), True),
    (("a@x.com", "b@x.com", "c@x.com"), False),  # a user more is another list
    (("a@x.com",), False),
])
def test_a_resume_takes_the_same_names_whatever_their_case_twins(tmp_path, now, same):
    resumed = RunCheckpoint(made_for(tmp_path, ("a@x.com", "b@x.com")), resume=True)
    resumed.claim()
    try:
        if same:
            assert list(resumed.open(Header("https://h", {}, now))) == ["user1@example.com"]
        else:
            with pytest.raises(InputError, match="another list of users"):
                resumed.open(Header("https://h", {}, now))
    finally:
        resumed.abandon()
