"""Crash-safe checkpoints: an append-only JSON Lines file, one record per completed user.

What a checkpoint guarantees:

- line 1 is a header: format version, tool version, workspace host, and the options that change results;
- every completed user is appended as one line, written at once, so `kill -9` loses at most the users in
  flight; the file is fsynced at most once a second (and at the end) by a thread of its own, off the loop that
  hands out work (an fsync per user cost milliseconds each), so a power cut loses at most the last second's
  users as well, which a resume scans again;
- a torn last line (a crash mid-append) is dropped and that user rescanned; any other damage is an error;
- `--resume` refuses a checkpoint from another workspace or with other options;
- a lock file keeps two runs off one checkpoint (through filelock, the cross-platform lock of pip, tox and
  virtualenv, since admins run it on Windows, where there is no fcntl), and a sidecar names the holder's pid;
- a finished run deletes its checkpoint, so the next cron run starts fresh.

Read one with: python -m dbx_inventory.checkpoint PATH [-o partial.csv] (cli/checkpoint.py)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..core.errors import InputError, OutputError
from ..core.model import UserResult
from ..core.records import RECORD_VERSION, record_to_result, result_to_record

if TYPE_CHECKING:
    import filelock

log = logging.getLogger("dbx_inventory")

FORMAT = "dbx-inventory-checkpoint"
SYNC_EVERY = 1.0  # seconds between fsyncs of the records appended since the last one
VERSION = 2  # of the header; version 1 is read and migrated (MIGRATIONS)


@dataclass(frozen=True)
class Header:
    """Line 1 of a checkpoint, and what a resume must agree with: the same workspace, the same
    result-changing options, the same list of users (None: every home, found anew by each run), and the same
    outputs written as the scan goes (`streams`: the --files-output list, which holds the files of the users
    done so far). A run over several workspaces has no host, and `workspaces` names them all."""

    host: str
    options: dict[str, Any]
    users: tuple[str, ...] | None = None
    streams: dict[str, Any] = field(default_factory=dict)
    workspaces: tuple[str, ...] | None = None
    tool_version: str = __version__
    version: int = VERSION

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": FORMAT, "version": self.version, "tool_version": self.tool_version,
                               "host": self.host, "options": self.options, "streams": self.streams,
                               "record_version": RECORD_VERSION}
        if self.users is not None:
            out["users"] = list(self.users)
        if self.workspaces is not None:
            out["workspaces"] = list(self.workspaces)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any], path: str) -> Header:
        """A header of any version this tool reads, migrated to the current one, step by step."""
        version = raw.get("version")
        if version not in MIGRATIONS and version != VERSION:
            raise InputError(f"checkpoint {path} has format version {version}, this tool reads {', '.join(map(str, [*MIGRATIONS, VERSION]))}: "
                             "delete it to start over")
        while raw.get("version") in MIGRATIONS:
            raw = MIGRATIONS[raw["version"]](raw)
        users, workspaces = raw.get("users"), raw.get("workspaces")
        return cls(str(raw.get("host", "")), dict(raw.get("options") or {}), None if users is None else tuple(users),
                   dict(raw.get("streams") or {}), None if workspaces is None else tuple(workspaces),
                   str(raw.get("tool_version", "")), VERSION)


def _from_v1(raw: dict[str, Any]) -> dict[str, Any]:
    # Version 1 did not record the outputs written as the scan goes: it had none to check on resume.
    return {**raw, "version": 2, "streams": raw.get("streams") or {}}


MIGRATIONS = {1: _from_v1}  # version -> the function that takes it one version up


@dataclass
class Loaded:
    header: Header
    results: dict[str, UserResult]  # by UserResult.key: the name, with its workspace in a multi-workspace run
    dropped_torn_line: bool
    # Every user of these workspaces is recorded; with what the run learned there that rows do not hold (the
    # catalogs it could not list, the metastore its volumes are counted under).
    finished_workspaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    metastores: dict[str, str] = field(default_factory=dict)  # Unity Catalog metastore -> the workspace counting it


def is_checkpoint(path: str) -> bool:
    """Whether the file at `path` starts with this tool's checkpoint header (a file of anything else, such as
    a users list given as --checkpoint by mistake, must never be advised for deletion or overwritten)."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)
        return bool(json.loads(first.decode("utf-8")).get("format") == FORMAT)
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return False


def load(path: str) -> Loaded:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    # Each record is written with its newline in one write: an unterminated last line is a torn append.
    *complete, tail = raw.split(b"\n")
    torn = tail != b""
    records = []
    for number, line in enumerate(complete, 1):
        try:
            records.append(json.loads(line.decode("utf-8")))
        except (ValueError, UnicodeDecodeError):
            raise InputError(f"checkpoint {path} is corrupt at line {number}: delete it to start over") from None
    if not records or not isinstance(records[0], dict) or records[0].get("format") != FORMAT:
        raise InputError(f"{path} is not a checkpoint of this tool: choose another --checkpoint path")
    header = Header.from_json(records[0], path)
    results: dict[str, UserResult] = {}
    finished: dict[str, dict[str, Any]] = {}
    metastores: dict[str, str] = {}
    for rec in records[1:]:
        if "user" not in rec:
            if isinstance(rec.get("workspace_done"), str):
                finished[rec["workspace_done"]] = {k: v for k, v in rec.items() if k != "workspace_done"}
            elif isinstance(rec.get("metastore"), str) and isinstance(rec.get("workspace"), str):
                metastores.setdefault(rec["metastore"], rec["workspace"])
            continue
        try:
            result = record_to_result(rec)
        except (KeyError, TypeError, ValueError):
            raise InputError(f"checkpoint {path} holds a damaged record for {rec.get('user')!r}: delete it to start over") from None
        results[result.key] = result  # a later record (a rescan) replaces an earlier one
    return Loaded(header, results, torn, finished, metastores)


class Checkpoint:
    """The open checkpoint of a run: holds the lock, appends records."""

    def __init__(self, path: str, sync_every: float = SYNC_EVERY) -> None:
        self.path = path
        self._lock: filelock.BaseFileLock | None = None
        self._fd: int | None = None
        self._sync_every = sync_every
        self._fd_lock = threading.Lock()  # the writer and the syncing thread share the descriptor
        self._unsynced = False
        self._sync_failure: OSError | None = None  # an fsync of the syncing thread failed: the next record says so
        self._stop_syncing = threading.Event()
        self._syncer: threading.Thread | None = None

    def lock(self) -> None:
        """Hold the checkpoint's lock for the run. The operating system releases it when the process dies
        (even by kill -9), so a crashed run never blocks the next one."""
        lock_path = self.path + ".lock"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Where neither fcntl nor Windows' msvcrt exists, filelock takes a lock file that a contender removes
            # once its holder's pid is gone (filelock 3.22+), and says so on import: enough for a checkpoint.
            warnings.filterwarnings("ignore", "only soft file lock is available")
            # Imported here, not above: the Spark tasks import this module for its records and need no lock.
            import filelock

            lock = filelock.FileLock(lock_path)
            try:
                # A second, not 0: some filelock versions spend their first attempt at a soft lock on removing a
                # dead holder's file, and take the lock only on the next.
                lock.acquire(timeout=1)
            except filelock.Timeout:
                raise OutputError(f"another run ({self._holder()}) is using checkpoint {self.path}; wait for it to finish") from None
            except OSError as exc:
                raise OutputError(f"cannot create lock file {lock_path}: {exc.strerror or exc}") from None
        for warning in caught:  # e.g. a network or FUSE mount (/Volumes) without locks: a softer lock is taken
            log.warning("locking %s: %s", lock_path, warning.message)
        self._lock = lock
        try:
            # Beside the lock file, not in it: Windows locks a file's bytes against reading by other processes.
            with open(self._holder_path(), "w", encoding="utf-8") as fh:
                fh.write(f"pid {os.getpid()}\n")
        except OSError:
            pass  # only the refusal of a second run would lack the pid

    def _holder_path(self) -> str:
        return self.path + ".lock.pid"

    def _holder(self) -> str:
        try:
            with open(self._holder_path(), encoding="utf-8") as fh:
                text = fh.read(100)
        except OSError:
            text = ""
        found = re.match(r"pid \d+", text)
        return found.group() if found else "another process"

    def start(self, identity: Header, previous: Loaded | None) -> None:
        """Begin writing: a new file with a header, or, on resume, the previous records kept as they are."""
        try:
            if previous is None:
                self._replace([identity.to_json()])
            elif previous.dropped_torn_line:
                # Drop the torn tail atomically, so that the next append starts on a line of its own.
                self._replace([previous.header.to_json(), *(result_to_record(r) for r in previous.results.values()),
                               *({"workspace_done": w, **notes} for w, notes in previous.finished_workspaces.items()),
                               *({"metastore": m, "workspace": w} for m, w in previous.metastores.items())])
            # O_BINARY: on Windows os.open is in text mode by default and would write each newline as CRLF.
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise OutputError(f"could not write checkpoint {self.path}: {exc.strerror or exc}") from None
        self._syncer = threading.Thread(target=self._sync_loop, name="checkpoint-sync", daemon=True)
        self._syncer.start()

    def _sync_loop(self) -> None:
        while not self._stop_syncing.wait(self._sync_every):
            self._sync()

    def _sync(self) -> None:
        with self._fd_lock:
            if self._fd is None or not self._unsynced:
                return
            try:
                os.fsync(self._fd)
                self._unsynced = False
            except OSError as exc:
                self._sync_failure = exc

    def _replace(self, records: list[dict[str, Any]]) -> None:
        target = os.path.realpath(self.path)  # through a symlink, never over it
        tmp = target + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    def record(self, result: UserResult) -> None:
        """Append one user, written at once; synced to the disk within a second. A failed write (a full disk)
        is cut back off, so the checkpoint keeps every user recorded before it, and can be resumed once there
        is room."""
        self._append(result_to_record(result))

    def workspace_done(self, workspace: str, notes: dict[str, Any] | None = None) -> None:
        """Every user of `workspace` is recorded: a resume need not ask it anything. `notes`: what the run
        learned there beside the users (JSON)."""
        self._append({"workspace_done": workspace, **(notes or {})})

    def metastore(self, metastore: str, workspace: str) -> None:
        """The volumes of a Unity Catalog metastore (shared by the workspaces of a region) are counted under
        this workspace's rows: a resume keeps it so, whichever workspace asks first."""
        self._append({"metastore": metastore, "workspace": workspace})

    def _append(self, line: dict[str, Any]) -> None:
        data = memoryview(json.dumps(line, ensure_ascii=False).encode() + b"\n")
        with self._fd_lock:
            assert self._fd is not None
            failure, self._sync_failure = self._sync_failure, None
            if failure is not None:
                raise OutputError(f"could not write checkpoint {self.path}: {failure.strerror or failure}")
            start = os.lseek(self._fd, 0, os.SEEK_END)
            try:
                while data:
                    data = data[os.write(self._fd, data):]
                self._unsynced = True
            except OSError as exc:
                try:
                    os.ftruncate(self._fd, start)
                except OSError:
                    pass  # a torn last line is dropped when the checkpoint is read
                raise OutputError(f"could not write checkpoint {self.path}: {exc.strerror or exc}") from None

    def close(self, finished: bool) -> None:
        self._stop_syncing.set()
        if self._syncer is not None:
            self._syncer.join()
            self._syncer = None
        if not finished:
            self._sync()  # what is kept for --resume is on the disk
        with self._fd_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        if finished:
            for p in (self.path, self.path + ".tmp"):
                if os.path.exists(p):
                    os.unlink(p)
        if self._lock is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._holder_path())
            self._lock.release()
            self._lock = None
            with contextlib.suppress(OSError):
                os.unlink(self.path + ".lock")
