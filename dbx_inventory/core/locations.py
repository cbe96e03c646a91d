"""The per-user places the inventory can walk. Pure data: which file system, which root, which name.

- `home`: `dbfs:/Users/<user>` and the Workspace `/Users/<user>` (the earlier toolkit's two homes). A service
  principal's home is named by its applicationId.
- `repos`: the Workspace `/Repos/<user>`, legacy Repos and Git folders; a REPO is opened like a folder.
- `uploads`: `dbfs:/FileStore/shared_uploads/<user>`, where files uploaded through the UI land.

`--locations` names exactly the places scanned: `repos` alone scans /Repos and not the homes. What was not
scanned, and why, is said in the summary, the report and the JSON header (`not_scanned`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import FileSystem


@dataclass(frozen=True)
class Location:
    name: str  # home, repos, uploads
    fs: FileSystem
    root: str  # the folder that holds one sub-folder per user

    def path(self, folder: str) -> str:
        """The user's folder here. DBFS paths are sent without the dbfs: scheme."""
        return f"{self.root}/{folder}"

    def describe(self, folder: str = "<user>") -> str:
        return ("dbfs:" if self.fs == "dbfs" else "") + self.path(folder)

    @property
    def key(self) -> str:
        return f"{self.name}:{self.fs}"


HOME_DBFS = Location("home", "dbfs", "/Users")
HOME_WORKSPACE = Location("home", "workspace", "/Users")
REPOS = Location("repos", "workspace", "/Repos")
UPLOADS = Location("uploads", "dbfs", "/FileStore/shared_uploads")
ALL = (HOME_DBFS, HOME_WORKSPACE, REPOS, UPLOADS)
LOCATION_NAMES = ("home", "repos", "uploads")
# Columns per scope: the two file systems, then the places beyond the homes.
SCOPES = ("dbfs", "workspace", "repos", "uploads")


def places(location_names: tuple[str, ...], file_systems: tuple[str, ...]) -> tuple[Location, ...]:
    """The locations to walk for each user, in a fixed order, restricted to the file systems scanned."""
    return tuple(loc for loc in ALL if loc.name in location_names and loc.fs in file_systems)


FILE_SYSTEM_WORDS = {"dbfs": "DBFS", "workspace": "the Workspace"}


def places_not_scanned(location_names: tuple[str, ...], file_systems: tuple[str, ...],
                why_not: dict[str, str]) -> dict[str, str]:
    """Every place that is not walked, by its path (`dbfs:/Users/<user>`), with why: not named in --locations,
    or its file system left out (`why_not`, by file system: a flag, or DBFS found disabled)."""
    out: dict[str, str] = {}
    for loc in ALL:
        if loc.name not in location_names:
            out[loc.describe()] = "not in --locations"
        elif loc.fs not in file_systems:
            out[loc.describe()] = why_not.get(loc.fs, "its file system is not scanned")
    return out


def places_line(location_names: tuple[str, ...], file_systems: tuple[str, ...], why_not: dict[str, str]) -> str:
    """One line for the summary: where this run looked, and where it did not and why."""
    scanned = ", ".join(loc.describe() for loc in places(location_names, file_systems))
    by_reason: dict[str, list[str]] = {}
    for where, why in places_not_scanned(location_names, file_systems, why_not).items():
        by_reason.setdefault(why, []).append(where)
    skipped = "; ".join(f"{', '.join(where)} ({why})" for why, where in by_reason.items())
    return f"Scanned {scanned}" + (f"; not scanned: {skipped}" if skipped else "")


def nothing_left(location_names: tuple[str, ...], file_systems: tuple[str, ...]) -> str | None:
    """Where the chosen places lie, when none is in the file systems scanned (a part of a sentence); None when
    some place is left to walk."""
    if places(location_names, file_systems):
        return None
    systems = sorted({loc.fs for loc in ALL if loc.name in location_names})
    return f"--locations {','.join(location_names)} lies only in {' and '.join(FILE_SYSTEM_WORDS[fs] for fs in systems)}"
