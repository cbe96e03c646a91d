"""A run's checkpoint policy: when to resume, when to refuse, what counts as done."""

from __future__ import annotations

import logging
import os

from ..api.config import normalise_host
from ..api.errors import InputError
from ..core.summary import UserResult
from .checkpoint import Checkpoint, Loaded, RunIdentity, load

log = logging.getLogger("dbx_inventory")


class RunCheckpoint:
    def __init__(self, path: str, resume: bool) -> None:
        self.path = path
        self.resume = resume
        self._ckpt = Checkpoint(path)
        self._started = False  # this run opened (or created) the checkpoint: before that, it is not ours
        self._holds_results = False  # anything worth keeping: earlier records, or one of this run

    def claim(self) -> None:
        """Lock the checkpoint, and refuse an unfinished run's without --resume: before any request."""
        self._ckpt.lock()
        if os.path.exists(self.path) and not self.resume:
            self._ckpt.close(finished=False)
            raise InputError(
                f"a checkpoint of an unfinished run exists at {self.path}: add --resume to continue it, "
                "or delete it (or pass another --checkpoint) to start over")

    def open(self, identity: RunIdentity) -> dict[str, UserResult]:
        """Validate the checkpoint against this run and start recording; return the users already done,
        by name. Users recorded as `error` are not done: they are scanned again (the original counted them
        as done)."""
        previous: Loaded | None = None
        if os.path.exists(self.path):
            previous = load(self.path)
            self._check_same_run(previous, identity)
            if previous.dropped_torn_line:
                log.warning("checkpoint %s ended with a torn record (a crash mid-write): that user is scanned again", self.path)
        elif self.resume:
            log.info("no checkpoint at %s: starting from the beginning", self.path)
        self._ckpt.start(identity, previous)
        self._started = True
        self._holds_results = bool(previous and previous.results)
        if previous is None:
            return {}
        return {name: r for name, r in previous.results.items() if r.status != "error"}

    def _refuse(self, message: str) -> None:
        self._ckpt.close(finished=False)
        raise InputError(message)

    def _check_same_run(self, previous: Loaded, identity: RunIdentity) -> None:
        header = previous.header
        if normalise_host(str(header.get("host", ""))) != normalise_host(identity.host):
            self._refuse(f"checkpoint {self.path} belongs to another workspace ({header.get('host')}): "
                         "delete it or pass another --checkpoint")
        if header.get("options") != identity.options:
            self._refuse(f"checkpoint {self.path} was made with other options ({header.get('options')}, now "
                         f"{identity.options}): rerun with the same options, or delete it to start over")
        if identity.users is not None:
            before = set(header.get("users") or ())
            now = set(identity.users)
            if before != now:
                self._refuse(f"checkpoint {self.path} was made for another list of users: {len(before - now)} of its "
                             f"{len(before)} users are not in this list and {len(now - before)} of this list's "
                             f"{len(now)} are not in it; resume with the same list, or delete it to start over")

    def record(self, result: UserResult) -> None:
        self._ckpt.record(result)
        self._holds_results = True

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
