"""A user's result as a JSON object, and back: the one record format of the checkpoint (one line per user) and
of Spark's results (one row per user). Pure: no I/O.

Version 1: `user`, `status`, `seconds`, `worker`, where known `home`, `owner_status`, `display_name`, `error`,
`workspace` (a run over several workspaces), and `parts`, each with `location`, `fs`, `path`, `found`, `error` and every counter of the tally. A counter
added to Tally is added here by itself (Tally.to_dict), and an older record without it loads with its default.
"""

from __future__ import annotations

from typing import Any

from .model import PartResult, Tally, UserResult, as_owner_status

RECORD_VERSION = 1


def result_to_record(r: UserResult) -> dict[str, Any]:
    """One user as a JSON object: what it is, and per place its state and every counter of its tally."""
    rec: dict[str, Any] = {"user": r.username, "status": r.status, "seconds": r.seconds, "worker": r.worker}
    for key in ("home", "owner_status", "display_name", "error", "workspace"):
        if getattr(r, key):
            rec[key] = getattr(r, key)
    rec["parts"] = [{"location": p.location, "fs": p.fs, "path": p.path, "found": p.found, "error": p.error,
                     **p.tally.to_dict()} for p in r.parts]
    return rec


def record_to_result(rec: dict[str, Any]) -> UserResult:
    """Raises KeyError, TypeError or ValueError for a record that is not one."""
    parts = tuple(PartResult(p["fs"], bool(p["found"]), Tally.from_dict(p), p.get("error"), p.get("location", "home"),
                             p.get("path", "")) for p in rec["parts"])
    return UserResult(rec["user"], parts, float(rec.get("seconds", 0.0)), str(rec.get("worker", "")),
                      rec.get("home", ""), as_owner_status(rec.get("owner_status", "")), rec.get("display_name", ""),
                      rec.get("error"), str(rec.get("workspace", "")))
