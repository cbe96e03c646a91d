"""The per-user places the inventory can walk. Pure data: which file system, which root, which name.

- `home`: `dbfs:/Users/<user>` and the Workspace `/Users/<user>` (the original's two homes). A service
  principal's home is named by its applicationId.
- `repos`: the Workspace `/Repos/<user>`, legacy Repos and Git folders; a REPO is opened like a folder.
- `uploads`: `dbfs:/FileStore/shared_uploads/<user>`, where files uploaded through the UI land.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    name: str  # home, repos, uploads
    fs: str  # dbfs, workspace
    root: str  # the folder that holds one sub-folder per user

    def path(self, folder: str) -> str:
        """The user's folder here. DBFS paths are sent without the dbfs: scheme."""
        return f"{self.root}/{folder}"

    def describe(self, folder: str) -> str:
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
