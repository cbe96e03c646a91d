"""The per-user places the inventory can walk. Pure data: which file system, which root, which name.

- `home`: `dbfs:/Users/<user>` and the Workspace `/Users/<user>` (the earlier toolkit's two homes). A service
  principal's home is named by its applicationId.
- `repos`: the Workspace `/Repos/<user>`, legacy Repos and Git folders; a REPO is opened like a folder.
- `uploads`: `dbfs:/FileStore/shared_uploads/<user>`, where files uploaded through the UI land.
- `volumes`: the Unity Catalog volumes each identity owns, listed through the Files API; not a folder per user
  but the volumes whose `owner` is the identity (a group's too).
- places of the admin's own naming (`--place NAME=TEMPLATE`): a template with `{user}`, such as
  `/Volumes/main/home/users/{user}`, `/Shared/{user}` or `dbfs:/tmp/{user}`.

`--locations` names exactly the places scanned: `repos` alone scans /Repos and not the homes. What was not
scanned, and why, is said in the summary, the report and the JSON header (`not_scanned`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import FileSystem


@dataclass(frozen=True)
class Location:
    name: str  # home, repos, uploads, volumes, or a --place NAME
    fs: FileSystem
    root: str  # the folder that holds one sub-folder per user ("" for a template whose {user} is not last)
    template: str = ""  # --place: the user's folder, with {user} (DBFS paths without the dbfs: scheme)
    owned: bool = False  # volumes: walked per volume an identity owns, not per user folder

    def path(self, folder: str) -> str:
        """The user's folder here. DBFS paths are sent without the dbfs: scheme."""
        return self.template.replace("{user}", folder) if self.template else f"{self.root}/{folder}"

    def describe(self, folder: str = "<user>") -> str:
        if self.owned:
            return "the Unity Catalog volumes each identity owns"
        return ("dbfs:" if self.fs == "dbfs" else "") + self.path(folder)

    @property
    def listable(self) -> bool:
        """Whether listing `root` finds every user's folder here (for --all-homes)."""
        return bool(self.root) and not self.owned

    @property
    def key(self) -> str:
        return f"{self.name}:{self.fs}"


HOME_DBFS = Location("home", "dbfs", "/Users")
HOME_WORKSPACE = Location("home", "workspace", "/Users")
REPOS = Location("repos", "workspace", "/Repos")
UPLOADS = Location("uploads", "dbfs", "/FileStore/shared_uploads")
VOLUMES = Location("volumes", "files", "/Volumes", owned=True)
ALL = (HOME_DBFS, HOME_WORKSPACE, REPOS, UPLOADS, VOLUMES)
LOCATION_NAMES = ("home", "repos", "uploads", "volumes")
EVERY_USER_FOLDER = ("home", "repos", "uploads")  # --locations all: the volumes need Unity Catalog, asked for by name
# Columns per scope: the two file systems, then the places beyond the homes. A --place adds its own.
SCOPES = ("dbfs", "workspace", "repos", "uploads", "volumes")
PLACE_NAME = re.compile(r"[a-z][a-z0-9_]{0,29}")


def places(location_names: tuple[str, ...], file_systems: tuple[str, ...],
           custom: tuple[Location, ...] = ()) -> tuple[Location, ...]:
    """The locations to walk for each user, in a fixed order, restricted to the file systems scanned (the
    volumes are in the Files API, scanned whatever --dbfs-only or --workspace-only say)."""
    return tuple(loc for loc in (*ALL, *custom) if (loc.name in location_names or loc.template)
                 and (loc.fs in file_systems or loc.fs == "files"))


def parse_place(text: str, taken: frozenset[str] = frozenset()) -> Location:
    """`NAME=TEMPLATE` (--place): a per-user place of the admin's own naming. Raises ValueError with the
    sentence to show. `taken`: column names NAME_files and NAME_bytes must not clash with."""
    name, sep, template = text.partition("=")
    name, template = name.strip(), template.strip()
    if not sep or not template:
        raise ValueError(f"--place takes NAME=TEMPLATE, e.g. scratch=/Volumes/main/scratch/files/{{user}}; not {text!r}")
    if not PLACE_NAME.fullmatch(name):
        raise ValueError(f"--place name {name!r} must be a short lower-case identifier (a-z, 0-9, _; a letter first)")
    if name in (*LOCATION_NAMES, *SCOPES) or {f"{name}_files", f"{name}_bytes"} & taken:
        raise ValueError(f"--place name {name!r} is taken by a built-in place or column: choose another")
    if template.count("{user}") < 1 or "{" in template.replace("{user}", "") or "}" in template.replace("{user}", ""):
        raise ValueError(f"--place {name}: the template must contain {{user}} (and no other {{...}}): {template!r}")
    fs: FileSystem
    if template.startswith("dbfs:/"):
        fs, path = "dbfs", template[len("dbfs:"):]
    elif template.startswith("/Volumes/"):
        fs, path = "files", template
    elif template.startswith("/"):
        fs, path = "workspace", template
    else:
        raise ValueError(f"--place {name}: the template must be an absolute path (/Volumes/..., dbfs:/..., or a "
                         f"Workspace path such as /Shared/{{user}}): {template!r}")
    path = re.sub("/{2,}", "/", path).rstrip("/")
    parent, _, last = path.rpartition("/")
    root = parent if last == "{user}" and "{user}" not in parent else ""
    return Location(name, fs, root, path)


FILE_SYSTEM_WORDS = {"dbfs": "DBFS", "workspace": "the Workspace"}


def places_not_scanned(location_names: tuple[str, ...], file_systems: tuple[str, ...],
                why_not: dict[str, str]) -> dict[str, str]:
    """Every place that is not walked, by its path (`dbfs:/Users/<user>`), with why: not named in --locations,
    or its file system left out (`why_not`, by file system: a flag, or DBFS found disabled)."""
    out: dict[str, str] = {}
    for loc in ALL:
        if loc.name not in location_names:
            if loc.owned:
                continue  # not a folder of anyone's: named only when asked for
            out[loc.describe()] = "not in --locations"
        elif loc.fs not in file_systems:
            out[loc.describe()] = why_not.get(loc.fs, "its file system is not scanned")
    return out


def places_line(location_names: tuple[str, ...], file_systems: tuple[str, ...], why_not: dict[str, str],
                custom: tuple[Location, ...] = ()) -> str:
    """One line for the summary: where this run looked, and where it did not and why."""
    scanned = ", ".join(loc.describe() for loc in places(location_names, file_systems, custom))
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
