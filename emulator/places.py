"""Per-user folders of a company's own naming, in the three file systems: a shared volume with a folder per
user (`/Volumes/main/home/users/<user>`, listed through the Files API), `/Shared/<user>` in the Workspace and
`dbfs:/tmp/<user>` in DBFS. Some folders belong to people SCIM no longer lists (their folders stay, as homes do),
one in /Shared to nobody at all (a team's folder), and one user's /Shared folder is closed to the caller.

Everything derives from the workspace's seed through generators of its own, so the principals, their homes and
the existing ground truth stay as they were. Trees are built on first use and kept."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from .workspace import _FIRST, _LAST, Workspace, _Builder, _dbfs_counts, _ws_counts

SHARED_VOLUME = "/Volumes/main/home/users"


@dataclass(frozen=True)
class Place:
    key: str  # short name: "volume", "shared", "tmp"
    root: str  # the folder that holds one folder per user, as the file system's API names it
    fs: str  # "files" (the Files API), "workspace" or "dbfs"
    template: str  # as an admin writes it for the scanner
    share: float  # the part of SCIM users with a folder here


PLACES = (
    Place("volume", SHARED_VOLUME, "files", SHARED_VOLUME + "/{user}", 0.6),
    Place("shared", "/Shared", "workspace", "/Shared/{user}", 0.3),
    Place("tmp", "/tmp", "dbfs", "dbfs:/tmp/{user}", 0.35),
)
TEAM_FOLDER = "team-dashboards"  # a /Shared folder named after no identity
BIG_FOLDER_FILES = 1001  # one folder past a Files API page (1000 entries)


class Places:
    """The per-user folders. Public: PLACES, names(place), tree(place, name), lookup(fs, path), denied, truth()."""

    PLACES = PLACES

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        rng = random.Random(f"{ws.seed}:places-of-users")
        users = [u["userName"] for u in ws.users]
        case = {p.home: p.case for p in ws.principals}
        first_both = next((u for u in users if case.get(u) == "both"), users[0] if users else None)
        self.big_folder_user = first_both
        sps = [sp["applicationId"] for sp in ws.service_principals]
        gone = [p.home for p in ws.removed][:1]
        gone += [f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}.gone{k}@example.com" for k in range(3 - len(gone))]
        self._names: dict[str, list[str]] = {}
        for place in PLACES:
            chosen = [u for u in users if u == first_both or rng.random() < place.share
                      or (place.key == "volume" and u in users[:3])  # '+', "'" and capitals in URL paths
                      or (place.key != "shared" and case.get(u) == "empty")  # a folder that exists, empty
                      or (place.key == "shared" and case.get(u) == "denied")]
            if place.key == "volume" and sps:
                chosen.append(sps[0])  # a job writes to its own folder
            chosen += [g for i, g in enumerate(gone) if place.key == "volume" or i % 2 == (place.key == "tmp")]
            if place.key == "shared":
                chosen.append(TEAM_FOLDER)
            self._names[place.key] = chosen
        self.empty = {u for u in users if case.get(u) == "empty"}
        # A folder whose ACL shuts the caller out (403 on listing it), as a user may set on /Shared/<user>.
        self.denied = {("shared", u) for u in users if case.get(u) == "denied"}
        self._trees: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    def place(self, key: str) -> Place:
        return next(p for p in PLACES if p.key == key)

    def names(self, key: str) -> list[str]:
        """The folders in a place, in listing order."""
        return self._names[key]

    def tree(self, key: str, name: str) -> dict | None:
        """One folder's tree, or None where it does not exist. DBFS-shaped for "volume" and "tmp" (path ->
        {child: (is_dir, size, mtime_ms)}), Workspace-shaped for "shared" (see workspace.Trees)."""
        if name not in self._names[key]:
            return None
        with self._lock:
            t = self._trees.get((key, name))
        if t is None:
            t = self._generate(self.place(key), name)
            with self._lock:
                self._trees[(key, name)] = t
        return t

    def _generate(self, place: Place, name: str) -> dict:
        rng = random.Random(f"{self.ws.seed}:{place.key}:{name}")
        b = _Builder(rng, f"{place.root}/{name}", 9 * 10**14 + self._names[place.key].index(name) * 10**6)
        if place.fs == "workspace":
            b.random_ws(0 if name in self.empty else rng.randint(2, 15))
            return b.ws
        if name in self.empty:
            b.dbfs_home()
            return b.dbfs
        b.random_dbfs(rng.randint(1, 25), max_depth=3)
        if place.key == "volume" and name == self.big_folder_user:
            logs = b.dbfs_dir(b.home, "logs")
            for i in range(BIG_FOLDER_FILES):
                b.dbfs_file(logs, f"run-{i:05d}.log", 100 + i)
        return b.dbfs

    def lookup(self, fs: str, path: str) -> tuple[dict | None, str | None, bool]:
        """-> (tree, the user's folder, denied) for a path inside a user's folder of a place in file system
        `fs`; (None, None, False) when the path lies in none."""
        for place in PLACES:
            if place.fs == fs and path.startswith(place.root + "/"):
                name = path[len(place.root) + 1:].split("/", 1)[0]
                return self.tree(place.key, name), f"{place.root}/{name}", (place.key, name) in self.denied
        return None, None, False

    def truth(self) -> dict:
        """Per template (as `--place` takes it) and folder name: what the folder holds.

        {"/Volumes/main/home/users/{user}" | "dbfs:/tmp/{user}": {name: {"exists", "files", "bytes", "dirs",
         "denied", "identity"}},
         "/Shared/{user}": {name: {"exists", "files", "bytes", "known_bytes", "unsized", "folders", "notebooks",
         "notebook_bytes", "denied", "identity"}}}

        Every SCIM user and service principal has an entry (exists False and zeros where it has no folder), and
        so has every folder named after nobody in SCIM. `identity` is "user", "service_principal" or "removed"
        (no identity of that name: a removed user's folder, or a team's). `denied`: listing the folder answers
        403. In /Shared, notebooks and files without a size are `unsized` (their bytes are not in the listing);
        `bytes` is `known_bytes`, the sizes the listing gives."""
        identity = {u["userName"]: "user" for u in self.ws.users}
        identity.update({sp["applicationId"]: "service_principal" for sp in self.ws.service_principals})
        out: dict = {}
        for place in PLACES:
            rows = {}
            for name in list(identity) + [n for n in self._names[place.key] if n not in identity]:
                tree = self.tree(place.key, name)
                if place.fs == "workspace":
                    c = _ws_counts(tree)
                    c["bytes"] = c["known_bytes"]
                    c["notebooks"] = c["notebook_bytes"] = 0
                    for children in (tree or {}).values():
                        for kind, _oid, _a, size, _c in children.values():
                            if kind == "NOTEBOOK":
                                c["notebooks"] += 1
                                c["notebook_bytes"] += size
                else:
                    c = _dbfs_counts(tree)
                rows[name] = {**c, "denied": (place.key, name) in self.denied,
                              "identity": identity.get(name, "removed")}
            out[place.template] = rows
        return out
