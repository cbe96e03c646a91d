"""A run's checkpoint policy: when to resume, when to refuse, what counts as done."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from ..api.hosts import normalise_host
from ..core.errors import InputError
from ..core.model import UserResult
from ..outputs.paths import same_file
from .checkpoint import Checkpoint, Header, Loaded, is_checkpoint, load

log = logging.getLogger("dbx_inventory")

# The result-changing options of a checkpoint's header, by the flags that set them.
OPTION_NAMES = {"file_systems": "file systems (--dbfs-only, --workspace-only)", "locations": "--locations",
                "size_estimate": "--size-estimate", "exact_notebook_sizes": "--exact-notebook-sizes"}


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "none"
    return "not set" if value is None else str(value)


class RunCheckpoint:
    def __init__(self, path: str, resume: bool) -> None:
        self.path = path
        self.resume = resume
        self._ckpt = Checkpoint(path)
        self._started = False  # this run opened (or created) the checkpoint: before that, it is not ours
        self._holds_results = False  # anything worth keeping: earlier records, or one of this run
        self.finished_workspaces: dict[str, dict[str, Any]] = {}  # of a run over several workspaces, before
        self.failed: set[str] = set()  # the keys of the users recorded as `error`: scanned again
        self.metastores: dict[str, str] = {}  # Unity Catalog metastore -> the workspace its volumes count under

    def claim(self) -> None:
        """Lock the checkpoint, and refuse an unfinished run's without --resume: before any request."""
        self._ckpt.lock()
        if os.path.exists(self.path) and not is_checkpoint(self.path):
            self._ckpt.close(finished=False)
            raise InputError(f"{self.path} exists and is not a checkpoint of this tool: choose another --checkpoint path")
        if os.path.exists(self.path) and not self.resume:
            self._ckpt.close(finished=False)
            raise InputError(
                f"a checkpoint of an unfinished run exists at {self.path}: add --resume to continue it, "
                "or delete it (or pass another --checkpoint) to start over")

    def open(self, identity: Header, why: Mapping[str, str] | None = None) -> dict[str, UserResult]:
        """Validate the checkpoint against this run and start recording; return the users already done,
        by name. Users recorded as `error` are not done: they are scanned again. `why`: per option, why this
        run's value differs from what was asked for (DBFS found disabled), to name it if the checkpoint's
        differs."""
        previous: Loaded | None = None
        if os.path.exists(self.path):
            previous = load(self.path)
            self._check_same_run(previous, identity, why or {})
            if previous.dropped_torn_line:
                log.warning("checkpoint %s ended with a torn record (a crash mid-write): that user is scanned again", self.path)
        elif self.resume:
            log.info("no checkpoint at %s: starting from the beginning", self.path)
        self._ckpt.start(identity, previous)
        self._started = True
        self._holds_results = bool(previous and previous.results)
        if previous is None:
            return {}
        self.finished_workspaces = dict(previous.finished_workspaces)
        self.failed = {key for key, r in previous.results.items() if r.status == "error"}
        self.metastores = dict(previous.metastores)
        return {key: r for key, r in previous.results.items() if r.status != "error"}

    def _refuse(self, message: str) -> None:
        self._ckpt.close(finished=False)
        raise InputError(message)

    def _check_same_run(self, previous: Loaded, identity: Header, why: Mapping[str, str]) -> None:
        header = previous.header
        if normalise_host(header.host) != normalise_host(identity.host):
            self._refuse(f"checkpoint {self.path} belongs to another workspace ({header.host}): "
                         "delete it or pass another --checkpoint")
        before = header.options
        if before != identity.options:
            changed = [f"{OPTION_NAMES.get(key, key)} {_shown(before.get(key))} then, {_shown(identity.options.get(key))} "
                       f"now{f' ({why[key]})' if key in why else ''}"
                       for key in sorted(set(before) | set(identity.options)) if before.get(key) != identity.options.get(key)]
            differing = {key for key in set(before) | set(identity.options) if before.get(key) != identity.options.get(key)}
            if differing <= set(why):  # the same command; the workspace changed under it
                self._refuse(f"checkpoint {self.path} cannot be finished the same way: {'; '.join(why[k] for k in sorted(differing))}, "
                             "which was not so when it was made: delete it to start over (or undo that change)")
            self._refuse(f"checkpoint {self.path} was made with other options ({'; '.join(changed)}): rerun with the "
                         "same options, or delete it to start over")
        if set(header.workspaces or ()) != set(identity.workspaces or ()):
            self._refuse(self._other_workspaces(header.workspaces, identity.workspaces))
        listed = header.users
        if identity.users is None and listed is not None:
            self._refuse(f"checkpoint {self.path} was made for a list of {len(listed)} users, not --all-homes: resume "
                         "with the same list, or delete it to start over")
        if identity.users is not None and listed is None:
            self._refuse(f"checkpoint {self.path} was made by an --all-homes run: resume it with --all-homes, or "
                         "delete it to start over")
        if identity.users is not None:
            was, now = set(listed or ()), set(identity.users)
            # Checkpoints of 2.0.0 list the names after spellings of one home were merged (`jane@x.com`,
            # `JANE@X.COM`), now the names as given: a spelling that only adds case twins is the same list.
            folded = {n.casefold() for n in was}
            if was != now and not (was <= now and all(n.casefold() in folded for n in now - was)):
                self._refuse(f"checkpoint {self.path} was made for another list of users: {len(was - now)} of its "
                             f"{len(was)} users are not in this list and {len(now - was)} of this list's "
                             f"{len(now)} are not in it; resume with the same list, or delete it to start over")
        self._check_same_streams(header.streams, identity.streams, len(previous.results))

    def _check_same_streams(self, before: Mapping[str, Any], now: Mapping[str, Any], done: int) -> None:
        """A file list written as the scan goes holds the files of the users done so far: a resume that writes
        another list, or none, or starts one only now, would leave files out without a word."""
        was, wanted = before.get("files_output"), now.get("files_output")
        if was == wanted or (was and wanted and same_file(was, wanted)):
            return
        if not was:
            self._refuse(f"checkpoint {self.path} was made without --files-output, so the files of the {done} users "
                         "it holds were not listed: resume without --files-output, or delete the checkpoint to "
                         "start over with it")
        self._refuse(f"checkpoint {self.path} was made with --files-output {was} (the list so far is in {was}.part): "
                     f"resume with --files-output {was}, or delete the checkpoint and {was}.part to start over")

    def _other_workspaces(self, was: tuple[str, ...] | None, now: tuple[str, ...] | None) -> str:
        if not was or not now:
            return (f"checkpoint {self.path} was made by a run over {'several workspaces' if was else 'one workspace'}: "
                    "resume it the same way, or delete it to start over")
        gone, new = sorted(set(was) - set(now)), sorted(set(now) - set(was))
        said = "; ".join(part for part in (f"not in this run: {', '.join(gone)}" if gone else "",
                                           f"new in this run: {', '.join(new)}" if new else "") if part)
        return (f"checkpoint {self.path} was made for another set of workspaces ({said}): resume with the same "
                "workspaces, or delete it to start over")

    def record(self, result: UserResult) -> None:
        self._ckpt.record(result)
        self._holds_results = True

    def workspace_done(self, workspace: str, notes: dict[str, Any] | None = None) -> None:
        self._ckpt.workspace_done(workspace, notes)

    def metastore(self, metastore: str, workspace: str) -> None:
        self._ckpt.metastore(metastore, workspace)

    @property
    def holds_results(self) -> bool:
        """Whether the checkpoint holds a user worth keeping, from this run or an earlier one."""
        return self._holds_results

    def finish(self) -> None:
        """The final output is written: remove the checkpoint so the next run starts fresh."""
        self._ckpt.close(finished=True)

    def abandon(self) -> None:
        """Interrupted or failed: keep every completed user for --resume. A checkpoint with no user in it
        (a wrong token, an unreachable host) is removed: it would only make the next run refuse to start."""
        self._ckpt.close(finished=self._started and not self._holds_results)
