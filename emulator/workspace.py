"""Synthetic Databricks workspace: principals, DBFS and Workspace trees, ground truth.

Everything derives from the seed. Per-principal trees are generated lazily from a per-principal
RNG and kept in a small LRU cache, so a 10,000-user workspace costs almost nothing to build and a
server only materialises the trees that are actually walked.
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .metastore import Metastore
    from .places import Places

# Workspace export refuses notebooks above 10 MB (MAX_NOTEBOOK_SIZE_EXCEEDED).
NOTEBOOK_LIMIT = 10 * 1024 * 1024
# A fixed "now" keeps timestamps deterministic across runs.
NOW_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
THREE_YEARS_MS = 3 * 365 * 24 * 3600 * 1000

# The first regular users each get one case, so even a 12-user workspace holds every case.
# "denied" sits third because the brief names the 3rd user as the default denied one.
CASES = (
    "both", "dbfs_only", "denied", "ws_only", "none", "empty",
    "deep", "git", "kinds", "weird", "bignb", "empty_dirs",
)
WEIRD_NAMES = (
    "my file.csv", "café.txt", "日本語ノート", "a#b", "100% done", "this&that", "c++ notes",
    "what?", "it's", 'say "hi"', "mixé 日本 #%&+?'\"",
)
LANG_EXT = {"PYTHON": "py", "SQL": "sql", "SCALA": "scala", "R": "r"}
OTHER_KINDS = ("LIBRARY", "DASHBOARD", "MLFLOW_EXPERIMENT", None)  # None: no object_type key
# Seen in practice beyond the documented types; each is counted as an object.
UNDOCUMENTED_KINDS = ("ALERT", "GENIE_SPACE", "QUERY", "DASHBOARD_V2")
FOLDER_TYPES = ("DIRECTORY", "REPO")

_FIRST = ("anna", "bob", "chen", "dara", "eve", "farid", "gia", "hugo", "ines", "jon", "kai",
          "lena", "mo", "nia", "omar", "pia", "quin", "raj", "sara", "tom", "uma", "vic")
_LAST = ("smith", "garcia", "nguyen", "muller", "rossi", "kim", "silva", "novak", "sato", "ali")
_WORDS = ("data", "report", "etl", "model", "raw", "clean", "train", "eval", "tmp", "export",
          "daily", "jobs", "features", "scratch", "archive")
_SPECIAL_NAMES = ("Mixed.Case@Example.com", "ann+data@example.com", "o'brien@example.com")
HUGE_USER = "huge.user@example.com"


@dataclass(frozen=True)
class Principal:
    home: str  # folder name under /Users: userName, or applicationId for service principals
    index: int  # position in build order; seeds the RNG and the object_id range
    case: str
    active: bool
    has_dbfs: bool  # decided up front so /Users can be listed without generating every tree
    has_ws: bool
    service_principal: bool = False
    in_scim: bool = True  # False: a removed user, whose homes Databricks keeps
    has_repos: bool = False  # /Repos/<home>
    has_uploads: bool = False  # dbfs:/FileStore/shared_uploads/<home>

    @property
    def owner_status(self) -> str:
        if not self.in_scim:
            return "removed"
        if self.service_principal:
            return "service_principal"
        return "active" if self.active else "inactive"

    @property
    def oid_base(self) -> int:
        return 10**12 + self.index * 10**7  # disjoint object_id range per principal


@dataclass
class Trees:
    """One principal's trees. Each maps a directory path to {child name: entry tuple}.

    DBFS entry: (is_dir, size, mtime_ms).
    Workspace entry: (object_type|None, object_id, a, b, c) where for NOTEBOOK a=language,
    b=source size; for FILE a=size|None, b=created_at, c=modified_at; for DIRECTORY a=is_git_folder.
    """
    dbfs: dict | None
    ws: dict | None
    home_oid: int
    repos: dict | None = None  # Workspace-shaped, rooted at /Repos/<home>
    uploads: dict | None = None  # DBFS-shaped, rooted at /FileStore/shared_uploads/<home>


class _Builder:
    """Appends entries to one principal's trees; keeps names unique per directory."""

    def __init__(self, rng: random.Random, home: str, oid_base: int):
        self.rng = rng
        self.home = home
        self.dbfs: dict | None = None
        self.ws: dict | None = None
        self.oid = oid_base

    def _uniq(self, children: dict, name: str) -> str:
        n, base = 1, name
        while name in children:
            n += 1
            name = f"{base}_{n}"
        return name

    def _mtime(self) -> int:
        return NOW_MS - self.rng.randrange(THREE_YEARS_MS)

    def _next_oid(self) -> int:
        self.oid += 1
        return self.oid

    # DBFS
    def dbfs_home(self) -> str:
        self.dbfs = {self.home: {}}
        return self.home

    def dbfs_dir(self, parent: str, name: str) -> str:
        name = self._uniq(self.dbfs[parent], name)
        self.dbfs[parent][name] = (True, 0, 0)  # DBFS reports dirs with size 0; mtime 0 here
        path = f"{parent}/{name}"
        self.dbfs[path] = {}
        return path

    def dbfs_file(self, parent: str, name: str, size: int | None = None) -> None:
        if size is None:
            size = self.file_size()
        self.dbfs[parent][self._uniq(self.dbfs[parent], name)] = (False, size, self._mtime())

    def file_size(self) -> int:
        r = self.rng.random()
        if r < 0.05:
            return 0
        return min(int(self.rng.expovariate(1 / 300_000)), 5_000_000)

    # Workspace
    def ws_home(self) -> str:
        self.ws = {self.home: {}}
        return self.home

    def ws_folder(self, parent: str, name: str, kind: str = "DIRECTORY", git: bool = False) -> str:
        name = self._uniq(self.ws[parent], name)
        self.ws[parent][name] = (kind, self._next_oid(), git, None, None)
        path = f"{parent}/{name}"
        self.ws[path] = {}
        return path

    def notebook(self, parent: str, name: str, size: int | None = None) -> None:
        lang = self.rng.choice(("PYTHON", "PYTHON", "PYTHON", "SQL", "SCALA", "R"))
        if size is None:
            size = max(200, min(200_000, int(self.rng.lognormvariate(8, 1.4))))
        self.ws[parent][self._uniq(self.ws[parent], name)] = ("NOTEBOOK", self._next_oid(), lang, size, None)

    def ws_file(self, parent: str, name: str, size: int | None | bool = True) -> None:
        # size=True: random size; None: the API omits size; an int: that size.
        if size is True:
            size = self.file_size()
        created = self._mtime()
        modified = min(NOW_MS, created + self.rng.randrange(30 * 24 * 3600 * 1000))
        self.ws[parent][self._uniq(self.ws[parent], name)] = ("FILE", self._next_oid(), size, created, modified)

    def other(self, parent: str, name: str, kind: str | None) -> None:
        self.ws[parent][self._uniq(self.ws[parent], name)] = (kind, self._next_oid(), None, None, None)

    # helpers used by several cases
    def word(self) -> str:
        return self.rng.choice(_WORDS)

    def random_dbfs(self, n_files: int, max_depth: int = 4) -> None:
        dirs = [self.dbfs_home()]
        for _ in range(n_files):
            parent = self.rng.choice(dirs)
            if self.rng.random() < 0.25 and parent.count("/") - self.home.count("/") < max_depth:
                dirs.append(self.dbfs_dir(parent, self.word()))
            ext = self.rng.choice(("csv", "parquet", "json", "txt", "pkl"))
            self.dbfs_file(self.rng.choice(dirs), f"{self.word()}_{self.rng.randrange(1000)}.{ext}")

    def random_ws(self, n_objects: int, sized_p: float = 0.7) -> None:
        dirs = [self.ws_home()]
        for _ in range(n_objects):
            if self.rng.random() < 0.2:
                dirs.append(self.ws_folder(self.rng.choice(dirs), self.word()))
            parent, r = self.rng.choice(dirs), self.rng.random()
            if r < 0.6:
                self.notebook(parent, f"{self.word()} notebook {self.rng.randrange(100)}")
            elif r < 0.93:
                self.ws_file(parent, f"{self.word()}.py", True if self.rng.random() < sized_p else None)
            else:
                self.other(parent, f"{self.word()} item", self.rng.choice(OTHER_KINDS))


# Which homes exist, per case (DBFS, Workspace). "random" draws them from the seed.
HOMES = {"both": (1, 1), "dbfs_only": (1, 0), "denied": (1, 1), "ws_only": (0, 1), "none": (0, 0),
         "empty": (1, 1), "deep": (1, 1), "git": (1, 1), "kinds": (1, 1), "weird": (1, 1),
         "bignb": (1, 1), "empty_dirs": (1, 1), "sp": (0, 1), "huge": (1, 1)}


def _gen_case(b: _Builder, p: Principal, deep_levels: int, huge_files: int) -> None:
    """Fill the builder's trees for one case. Each branch says what it is there to exercise."""
    rng, case = b.rng, p.case
    if case == "none":
        return
    if case in ("both", "denied", "git", "kinds", "weird", "bignb"):
        b.random_dbfs(rng.randint(3, 25))
        b.random_ws(rng.randint(3, 20))
    if case == "dbfs_only":
        b.random_dbfs(rng.randint(5, 30))
    elif case == "ws_only":
        b.random_ws(rng.randint(5, 30))
    elif case == "empty":  # homes exist but hold nothing
        b.dbfs_home()
        b.ws_home()
    elif case == "empty_dirs":  # homes hold only empty folders: zero files, some dirs
        h = b.dbfs_home()
        b.dbfs_dir(b.dbfs_dir(h, "empty"), "nested empty")
        h = b.ws_home()
        b.ws_folder(b.ws_folder(h, "empty"), "nested empty")
    elif case == "deep":  # deeper than deep_levels: catches depth-limited walkers
        d = b.dbfs_home()
        w = b.ws_home()
        for level in range(deep_levels + 3):
            d = b.dbfs_dir(d, f"level{level}")
            w = b.ws_folder(w, f"level{level}")
            if level % 4 == 0:
                b.dbfs_file(d, f"f{level}.bin")
                b.notebook(w, f"nb{level}")
        b.dbfs_file(d, "bottom.bin", 4242)
        b.ws_file(w, "bottom.txt", 4242)
    elif case == "git":  # REPO objects and is_git_folder dirs are folders, not files
        repo = b.ws_folder(b.home, "my-repo", kind="REPO")
        src = b.ws_folder(repo, "src")
        b.notebook(src, "main")
        b.ws_file(src, "util.py", True)
        b.ws_file(b.ws_folder(src, "pkg"), "__init__.py", 0)
        b.ws_file(repo, "README.md", None)
        git = b.ws_folder(b.home, "git folder", git=True)
        b.notebook(git, "analysis")
        b.ws_file(b.ws_folder(git, "lib"), "helpers.py", True)
    elif case == "kinds":  # every object kind once, sized and unsized files
        k = b.ws_folder(b.home, "kinds")
        b.notebook(k, "a notebook")
        b.ws_file(k, "sized.py", True)
        b.ws_file(k, "zero.txt", 0)
        b.ws_file(k, "unsized.txt", None)
        for kind in OTHER_KINDS + UNDOCUMENTED_KINDS:
            b.other(k, f"obj {kind or 'untyped'}", kind)
        bundle = b.ws_folder(b.ws_folder(b.home, ".bundle"), "my_project")  # what `databricks bundle deploy` leaves
        b.ws_file(bundle, "databricks.yml", True)
        b.notebook(bundle, "job notebook")
        trash = b.ws_folder(b.home, "Trash")  # deleted objects wait here
        b.notebook(trash, "deleted notebook")
        b.ws_file(trash, "deleted.csv", None)
    elif case == "weird":  # names that break naive URL handling
        d = b.dbfs_dir(b.home, "weird names é 日本 #%&+?'\"")
        w = b.ws_folder(b.home, "weird names é 日本 #%&+?'\"")
        for name in WEIRD_NAMES:
            b.dbfs_file(d, name)
            b.ws_file(w, name, True)
            b.notebook(w, name + " nb")
    elif case == "bignb":  # one notebook too big to export
        b.notebook(b.home, "huge notebook", 12_000_000)
    elif case == "sp":
        h = b.ws_home()
        b.notebook(h, "job entrypoint")
        b.ws_file(h, "config.json", True)
        b.ws_file(b.ws_folder(h, ".bundle"), "state.json", None)
    elif case == "huge":
        _gen_huge(b, huge_files)
    elif case == "random":
        if p.has_dbfs:
            b.random_dbfs(rng.randint(0, 90))
        if p.has_ws:
            b.random_ws(rng.randint(0, 50))
            if rng.random() < 0.1:
                repo = b.ws_folder(b.home, f"repo-{b.word()}", kind="REPO")
                b.notebook(b.ws_folder(repo, "notebooks"), "pipeline")
        if rng.random() < 0.05:
            if b.dbfs is not None:
                b.dbfs_file(b.home, rng.choice(WEIRD_NAMES))
            if b.ws is not None:
                b.notebook(b.home, rng.choice(WEIRD_NAMES))


def _gen_repos(b: _Builder) -> None:
    """/Repos/<user>: one or two Git folders (REPO objects) holding notebooks, files and folders."""
    home = b.ws_home()
    for k in range(b.rng.randint(1, 2)):
        repo = b.ws_folder(home, f"{b.word()}-repo-{k}", kind="REPO")
        b.ws_file(repo, "README.md", True)
        src = b.ws_folder(repo, "src")
        for _ in range(b.rng.randint(1, 6)):
            b.notebook(src, f"{b.word()} notebook")
        b.ws_file(b.ws_folder(src, "lib"), "util.py", True if b.rng.random() < 0.7 else None)


def _gen_huge(b: _Builder, n: int) -> None:
    """About n DBFS files over about n/50 dirs (two levels), plus about n/10 workspace objects."""
    h = b.dbfs_home()
    n_dirs = max(1, n // 50)
    dirs = []
    for g in range(0, n_dirs, 20):
        group = b.dbfs_dir(h, f"batch_{g // 20:04d}")
        dirs.extend(b.dbfs_dir(group, f"part_{i:05d}") for i in range(g, min(g + 20, n_dirs)))
    for i in range(n):
        b.dbfs_file(dirs[i % len(dirs)], f"file_{i:07d}.parquet")
    w = b.ws_home()
    n_ws = max(1, n // 10)
    wdirs = [b.ws_folder(w, f"folder_{i:04d}") for i in range(max(1, n_ws // 50))]
    for i in range(n_ws):
        parent = wdirs[i % len(wdirs)]
        if i % 3 == 0:
            b.ws_file(parent, f"file_{i:06d}.py", True if i % 2 else None)
        else:
            b.notebook(parent, f"nb_{i:06d}")


class Workspace:
    """The synthetic workspace. Public: users, service_principals, ground_truth(), write_ground_truth()."""

    def __init__(self, seed: int, users: int, huge_user_files: int, deep_levels: int, deny_users=(),
                 removed: int = 0, service_principals: int | None = None, case_twins: int = 0,
                 volumes: bool = True):
        self.seed = seed
        self.deep_levels = deep_levels
        self.huge_user_files = huge_user_files
        rng = random.Random(seed)
        self.users: list[dict] = []
        self.service_principals: list[dict] = []
        self.principals: list[Principal] = []
        self._by_home: dict[str, Principal] = {}
        ids: set[str] = set()

        def new_id() -> str:
            while True:
                i = str(rng.randrange(10**14, 10**15))
                if i not in ids:
                    ids.add(i)
                    return i

        names: list[tuple[str, str]] = []  # (userName, case)
        if huge_user_files > 0:
            names.append((HUGE_USER, "huge"))
        for i in range(users):
            if i < len(_SPECIAL_NAMES):
                name = _SPECIAL_NAMES[i]
            else:
                first, last = rng.choice(_FIRST), rng.choice(_LAST)
                name = f"{first}.{last}{i}@example.com"
            names.append((name, CASES[i] if i < len(CASES) else "random"))
        self.denied = {n for n, c in names if c == "denied"} | set(deny_users)

        for idx, (name, case) in enumerate(names):
            # ~15% inactive; the empty_dirs case (12th user) is forced inactive so that small
            # workspaces still hold one.
            active = not (rng.random() < 0.15 or case == "empty_dirs")
            user = {"id": new_id(), "userName": name}
            r = rng.random()
            if r < 0.1:
                pass  # displayName missing
            elif r < 0.2:
                user["displayName"] = name
            else:
                local = name.split("@")[0].replace(".", " ").replace("+", " ").title()
                user["displayName"] = "".join(c for c in local if not c.isdigit()).strip()
            user["active"] = active
            user["emails"] = [{"value": name, "type": "work", "primary": True}]
            self.users.append(user)
            if case == "random":
                has = (rng.random() < 0.6, rng.random() < 0.75)
            else:
                has = tuple(bool(x) for x in HOMES[case])
            self._add(Principal(name, idx, case, active, *has))

        n_sps = (2 if users >= 20 else 0) if service_principals is None else service_principals
        if n_sps:
            for k in range(n_sps):
                a, b, c, d, e = (rng.getrandbits(32), rng.getrandbits(16), 0x4000 | rng.getrandbits(12),
                                 0x8000 | rng.getrandbits(14), rng.getrandbits(48))
                app_id = f"{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}"
                sp = {"id": new_id(), "applicationId": app_id,
                      "displayName": f"sp-{'jobs' if k == 0 else 'ci' if k == 1 else k}", "active": True}
                self.service_principals.append(sp)
                case = "sp" if k % 2 == 0 else "none"
                self._add(Principal(app_id, len(self.principals), case, True, *map(bool, HOMES[case]),
                                    service_principal=True))

        # Removed users: Databricks keeps their homes, SCIM no longer lists them. Drawn from a generator of
        # their own, so adding them leaves every other principal (and every benchmark) as it was.
        extra = random.Random(f"{seed}:places")
        for k in range(removed):
            name = f"{extra.choice(_FIRST)}.{extra.choice(_LAST)}.left{k}@example.com"
            self._add(Principal(name, len(self.principals), "random", False, extra.random() < 0.5, True, in_scim=False))
        # Folders whose names differ from another's only in case: paths are case-sensitive, so each is a home
        # of its own. Beside a removed home, a removed one; beside a SCIM user's, a leftover of that user (SCIM
        # names ignore case, so it is theirs). Both hold files in both file systems.
        twinned = [p for p in self.principals if not p.in_scim][:case_twins]
        twinned += [p for p in self.principals if p.in_scim and not p.service_principal and p.case == "random"][:case_twins]
        for p in twinned:
            self._add(Principal(p.home.upper(), len(self.principals), "random", p.active, True, True,
                                in_scim=p.in_scim))
        # The places beyond the homes: Repos and UI uploads, for about a third and a quarter of principals,
        # and always for the first "both" user.
        for i, p in enumerate(self.principals):
            first_both = p.case == "both" and not any(q.case == "both" for q in self.principals[:i])
            repos = first_both or (p.case != "none" and extra.random() < 0.3)
            uploads = first_both or (p.case != "none" and extra.random() < 0.25)
            if repos or uploads:
                self.principals[i] = dataclasses.replace(p, has_repos=repos, has_uploads=uploads)
                self._by_home[p.home] = self.principals[i]
        self._cache: OrderedDict[str, Trees] = OrderedDict()
        self._lock = threading.Lock()
        self.groups = _groups(random.Random(f"{seed}:groups"), self.users, self.service_principals)
        # Unity Catalog and the per-user folders of a company's naming: drawn from generators of their own, so
        # that everything above (and its ground truth) is the same with or without them. Imported here: both
        # modules build on this one.
        self.places: Places | None = None
        self.metastore: Metastore | None = None
        if volumes:
            from .metastore import Metastore
            from .places import Places

            self.places = Places(self)
            self.metastore = Metastore(self, self.places)

    @property
    def removed(self) -> list[Principal]:
        return [p for p in self.principals if not p.in_scim]

    def _add(self, p: Principal) -> None:
        self.principals.append(p)
        self._by_home[p.home] = p

    def add_removed_home(self, name: str, has_dbfs: bool = True) -> Principal:
        """A home no identity owns, under any name a test likes (a folder under /Users can be given any)."""
        p = Principal(name, len(self.principals), "random", False, has_dbfs, True, in_scim=False)
        self._add(p)
        return p

    # --- trees ---------------------------------------------------------------------------
    def principal(self, home: str) -> Principal | None:
        return self._by_home.get(home)

    def trees(self, p: Principal) -> Trees:
        """Generate (or fetch from the LRU) one principal's trees; deterministic per (seed, index)."""
        with self._lock:
            t = self._cache.get(p.home)
            if t is not None:
                self._cache.move_to_end(p.home)
                return t
        t = self._generate(p)
        with self._lock:
            self._cache[p.home] = t
            while len(self._cache) > 256:
                self._cache.popitem(last=False)
        return t

    def _generate(self, p: Principal) -> Trees:
        rng = random.Random(f"{self.seed}:{p.index}:{p.home}")
        b = _Builder(rng, f"/Users/{p.home}", p.oid_base)
        _gen_case(b, p, self.deep_levels, self.huge_user_files)
        assert (b.dbfs is not None, b.ws is not None) == (p.has_dbfs, p.has_ws), p
        repos = uploads = None
        if p.has_repos:
            r = _Builder(rng, f"/Repos/{p.home}", p.oid_base + 5 * 10**6)
            _gen_repos(r)
            repos = r.ws
        if p.has_uploads:
            u = _Builder(rng, f"/FileStore/shared_uploads/{p.home}", p.oid_base)
            u.random_dbfs(rng.randint(1, 12), max_depth=2)
            uploads = u.dbfs
        return Trees(b.dbfs, b.ws, p.oid_base, repos, uploads)

    # --- ground truth --------------------------------------------------------------------
    def ground_truth(self) -> dict:
        out = {}
        for p in self.principals:
            t = self._generate(p)  # bypass the cache: a full pass would just evict useful trees
            out[p.home] = _summarise(t, p, p.home in self.denied)
        return out

    def volume_truth(self) -> dict | None:
        """Unity Catalog volumes per volume, per owner and per group: metastore.Metastore.truth() documents the
        shape. None when the workspace was built without volumes."""
        return None if self.metastore is None else self.metastore.truth()

    def places_truth(self) -> dict | None:
        """Per-user folders per template (`/Volumes/main/home/users/{user}`, `/Shared/{user}`,
        `dbfs:/tmp/{user}`) and name: places.Places.truth() documents the shape. None without volumes."""
        return None if self.places is None else self.places.truth()

    def write_ground_truth(self, path) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.ground_truth(), f, ensure_ascii=False, indent=1)


def _groups(rng: random.Random, users: list[dict], sps: list[dict]) -> list[dict]:
    """SCIM groups: the two every workspace has, and `data-engineers` (some users and the first service
    principal), which owns volumes."""
    def member(r: dict, kind: str) -> dict:
        return {"display": r.get("displayName", r.get("userName", "")), "value": r["id"], "$ref": f"{kind}/{r['id']}"}

    engineers = [member(u, "Users") for u in users if rng.random() < 0.25]
    engineers += [member(sp, "ServicePrincipals") for sp in sps[:1]]
    groups = []
    for name, members in (("admins", [member(u, "Users") for u in users[:1]]),
                          ("users", [member(u, "Users") for u in users]), ("data-engineers", engineers)):
        groups.append({"id": str(rng.randrange(10**14, 10**15)), "displayName": name, "members": members,
                       "meta": {"resourceType": "WorkspaceGroup"}})
    return groups


def _dbfs_counts(tree: dict | None) -> dict:
    out = {"exists": tree is not None, "files": 0, "bytes": 0, "dirs": 0}
    if tree is not None:
        out["dirs"] = len(tree) - 1  # every directory is a key; the root of the place is excluded
        for children in tree.values():
            for is_dir, size, _mtime in children.values():
                if not is_dir:
                    out["files"] += 1
                    out["bytes"] += size
    return out


def _ws_counts(tree: dict | None) -> dict:
    out = {"exists": tree is not None, "files": 0, "known_bytes": 0, "unsized": 0, "folders": 0}
    for children in (tree or {}).values():
        for kind, _oid, a, _b, _c in children.values():
            if kind in FOLDER_TYPES:
                out["folders"] += 1
                continue
            out["files"] += 1
            if kind == "FILE" and a is not None:
                out["known_bytes"] += a
            else:
                out["unsized"] += 1
    return out


def _summarise(t: Trees, p: Principal, denied: bool) -> dict:
    d, w = _dbfs_counts(t.dbfs), _ws_counts(t.ws)
    g = {"dbfs_exists": d["exists"], "dbfs_files": d["files"], "dbfs_bytes": d["bytes"], "dbfs_dirs": d["dirs"],
         "ws_exists": w["exists"], "ws_files": w["files"], "ws_known_bytes": w["known_bytes"],
         "ws_unsized": w["unsized"], "ws_folders": w["folders"], "ws_notebooks": 0, "ws_notebook_bytes": 0,
         "ws_notebooks_too_big": 0, "denied": "workspace" if denied else None, "active": p.active,
         "service_principal": p.service_principal, "owner_status": p.owner_status,
         "repos": _ws_counts(t.repos), "uploads": _dbfs_counts(t.uploads)}
    times = [m for children in (t.dbfs or {}).values() for is_dir, _s, m in children.values() if not is_dir]
    for children in (t.ws or {}).values():
        for kind, _oid, _a, b, c in children.values():
            if kind == "FILE":
                times.append(c)
            elif kind == "NOTEBOOK":
                g["ws_notebooks"] += 1
                if b > NOTEBOOK_LIMIT:
                    g["ws_notebooks_too_big"] += 1
                else:
                    g["ws_notebook_bytes"] += b
    g["newest_mtime_ms"] = max(times, default=None)
    return g


def build_workspace(seed: int = 1, users: int = 40, huge_user_files: int = 0, deep_levels: int = 14,
                    deny_users=(), removed: int = 0, service_principals: int | None = None,
                    case_twins: int = 0, volumes: bool = True) -> Workspace:
    """Build a deterministic synthetic workspace (trees are generated lazily on first use). `removed` adds
    homes of users SCIM no longer lists; `service_principals` overrides the default (2 from 20 users);
    `case_twins` adds an upper-case twin folder beside each of the first N removed homes and N users' homes.
    `volumes` adds Unity Catalog (catalogs, schemas, volumes and their files: metastore.py), SCIM's
    `data-engineers` group's volumes and the per-user folders of places.py; ground_truth() stays the same,
    volume_truth() and places_truth() describe them."""
    return Workspace(seed, users, huge_user_files, deep_levels, tuple(deny_users), removed, service_principals,
                     case_twins, volumes)
