"""The workspace's Unity Catalog metastore: catalogs, schemas and volumes with their owners, the files in each
volume, and what the caller (a workspace admin, not a metastore admin) may read.

Owners are what Unity Catalog stores: a user's userName (exactly as SCIM spells it), a service principal's
applicationId, or a group's name. One catalog is closed to the caller (listing its schemas answers 403), one
volume has no READ VOLUME for the caller (listing its files answers 403), one volume's owner is no longer in
SCIM. Volumes' files are DBFS-shaped trees (path -> {child: (is_dir, size, mtime_ms)}), built on first use from
the seed; the shared volume with a folder per user is places.py's."""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass

from .places import Places
from .workspace import _FIRST, _LAST, NOW_MS, WEIRD_NAMES, Workspace, _Builder, _dbfs_counts

ADMINS, ENGINEERS = "admins", "data-engineers"
SYSTEM_USER = "System user"  # the owner Unity Catalog shows for the system catalog
BIG_DIR_FILES = 2345  # one directory over two Files API pages of 1000
GB = 1024**3


@dataclass(frozen=True)
class Catalog:
    name: str
    owner: str
    catalog_type: str = "MANAGED_CATALOG"
    readable: bool = True  # False: the caller lacks USE CATALOG; listing its schemas is 403


@dataclass(frozen=True)
class Schema:
    catalog: str
    name: str
    owner: str

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.name}"


@dataclass(frozen=True)
class Volume:
    catalog: str
    schema: str
    name: str
    owner: str
    content: str  # how its files are made: "random", "big_dir", "large_files", "weird", "empty", "per_user"
    volume_type: str = "MANAGED"
    readable: bool = True  # False: the caller lacks READ VOLUME; listing its files is 403

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.name}"

    @property
    def path(self) -> str:
        return f"/Volumes/{self.catalog}/{self.schema}/{self.name}"


class Metastore:
    """Public: catalogs, schemas, volumes, the REST shapes (catalog_info, schema_info, volume_info), tree(volume),
    volume_at(path), truth()."""

    def __init__(self, ws: Workspace, places: Places) -> None:
        self.ws, self.places = ws, places
        rng = random.Random(f"{ws.seed}:metastore")
        self._uuid = lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.metastore_id = self._uuid()
        users = [u["userName"] for u in ws.users] or ["someone@example.com"]
        a = users[0]  # with capitals, where the workspace has the special names: owners keep SCIM's spelling
        b, c, d, e = (rng.choice(users[1:] or users) for _ in range(4))
        sp = ws.service_principals[0]["applicationId"] if ws.service_principals else None
        former = f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}.former@example.com"  # left; UC keeps the name
        self.catalogs = [Catalog("main", ADMINS), Catalog("sandbox", b), Catalog("finance", e, readable=False),
                         Catalog("system", SYSTEM_USER, "SYSTEM_CATALOG")]
        self.schemas = [Schema("main", s, ADMINS) for s in ("default", "admin", "home", "projects")]
        self.schemas += [Schema("sandbox", s, b) for s in ("scratch", "ml", "jobs", "empty")]
        self.schemas += [Schema("finance", "reports", e)]
        self.schemas += [Schema("system", s, SYSTEM_USER) for s in ("access", "billing", "information_schema")]
        v = Volume
        self.volumes = [
            v("main", "admin", "inventory", ADMINS, "empty"),  # where outputs are written (tests upload there)
            v("main", "home", "users", ADMINS, "per_user"),
            v("main", "projects", "etl_staging", a, "random"),
            v("main", "projects", "shared_models", ENGINEERS, "large_files"),
            v("main", "projects", "legacy_etl", former, "random"),
            v("sandbox", "scratch", "notes", a, "weird"),
            v("sandbox", "scratch", "experiments", c, "random"),
            v("sandbox", "scratch", "empty_vol", c, "empty"),
            v("sandbox", "scratch", "private_data", d, "random", readable=False),
            v("sandbox", "ml", "features", ENGINEERS, "big_dir", "EXTERNAL"),
            v("finance", "reports", "ledger", e, "random"),
        ]
        if sp:
            self.volumes.append(v("sandbox", "jobs", "checkpoints", sp, "random", "EXTERNAL"))
        self._ids = {vol.full_name: self._uuid() for vol in self.volumes}
        self._by_path = {vol.path: vol for vol in self.volumes}
        self._trees: dict[str, dict] = {}
        self._lock = threading.Lock()

    # --- REST shapes (databricks-sdk catalog.py: CatalogInfo, SchemaInfo, VolumeInfo) ----------------
    def catalog_info(self, c: Catalog) -> dict:
        info = {"name": c.name, "full_name": c.name, "owner": c.owner, "catalog_type": c.catalog_type,
                "metastore_id": self.metastore_id, "isolation_mode": "OPEN", "securable_type": "CATALOG",
                "created_at": NOW_MS - 400 * 86_400_000, "created_by": c.owner, "comment": f"{c.name} catalog"}
        if c.catalog_type == "MANAGED_CATALOG":
            info["storage_root"] = info["storage_location"] = f"s3://emu-metastore/{self.metastore_id}/{c.name}"
        return info

    def schema_info(self, s: Schema) -> dict:
        return {"name": s.name, "catalog_name": s.catalog, "full_name": s.full_name, "owner": s.owner,
                "catalog_type": next(c.catalog_type for c in self.catalogs if c.name == s.catalog),
                "metastore_id": self.metastore_id, "created_at": NOW_MS - 300 * 86_400_000, "created_by": s.owner}

    def volume_info(self, vol: Volume) -> dict:
        vid = self._ids[vol.full_name]
        location = (f"s3://emu-external/{vol.schema}/{vol.name}" if vol.volume_type == "EXTERNAL"
                    else f"s3://emu-metastore/{self.metastore_id}/volumes/{vid}")
        return {"name": vol.name, "catalog_name": vol.catalog, "schema_name": vol.schema,
                "full_name": vol.full_name, "owner": vol.owner, "volume_type": vol.volume_type,
                "storage_location": location, "volume_id": vid, "metastore_id": self.metastore_id,
                "created_at": NOW_MS - 200 * 86_400_000, "created_by": vol.owner,
                "updated_at": NOW_MS - 20 * 86_400_000, "updated_by": vol.owner}

    # --- files ---------------------------------------------------------------------------------
    def volume_at(self, path: str) -> Volume | None:
        """The volume that holds a /Volumes path, or None."""
        parts = path.split("/")
        return self._by_path.get("/".join(parts[:5])) if len(parts) >= 5 else None

    def tree(self, vol: Volume) -> dict:
        """A volume's files (not the shared volume's: places.py holds those per user)."""
        with self._lock:
            t = self._trees.get(vol.full_name)
        if t is None:
            t = self._generate(vol)
            with self._lock:
                self._trees[vol.full_name] = t
        return t

    def _generate(self, vol: Volume) -> dict:
        rng = random.Random(f"{self.ws.seed}:volume:{vol.full_name}")
        b = _Builder(rng, vol.path, 0)
        if vol.content == "empty":
            b.dbfs_home()
        elif vol.content == "big_dir":
            b.random_dbfs(rng.randint(5, 15), max_depth=2)
            parts = b.dbfs_dir(b.dbfs_dir(b.home, "snapshots"), "part-files")
            for i in range(BIG_DIR_FILES):
                b.dbfs_file(parts, f"part-{i:05d}.parquet", 1000 + (i * 7919) % 500_000)
        elif vol.content == "large_files":
            b.random_dbfs(rng.randint(3, 10), max_depth=2)
            models = b.dbfs_dir(b.home, "models")
            for k, size in enumerate((3 * GB + 12345, 0, 750 * 1024**2, 17 * GB)):
                b.dbfs_file(b.dbfs_dir(models, f"v{k}"), "model.bin", size)
        elif vol.content == "weird":
            b.random_dbfs(rng.randint(3, 10), max_depth=3)
            d = b.dbfs_dir(b.home, "raw data é 日本 #%&+?'\"")
            for name in WEIRD_NAMES:
                b.dbfs_file(d, name)
        else:
            b.random_dbfs(rng.randint(10, 80), max_depth=5)
        return b.dbfs

    # --- ground truth --------------------------------------------------------------------------
    def truth(self) -> dict:
        """What a scan of every volume the caller can see should find.

        {"volumes": {full_name: {"path", "owner", "owner_kind", "files", "bytes", "dirs", "readable"}},
         "owners": {owner: {"kind", "files", "bytes", "volumes", "unreadable"}},   # users, service principals,
         "groups": {group: {"files", "bytes", "volumes", "unreadable"}},           # names not in SCIM ("removed")
         "unreadable_catalogs": [name]}

        Volumes of a catalog the caller cannot read are in none of these (a scan cannot see them); the catalog is
        named in `unreadable_catalogs`. An unreadable volume counts in `volumes` and is named in `unreadable`
        (full names) with its files and bytes left out: a scan can list it but not size it. `files` and `bytes`
        of the shared volume are the sum of its per-user folders. Files written through the Files API at run time
        (EmulatorServer.volume_files) are not counted. `owner_kind`: "user", "service_principal", "group" or
        "removed"."""
        kinds = {u["userName"]: "user" for u in self.ws.users}
        kinds.update({sp["applicationId"]: "service_principal" for sp in self.ws.service_principals})
        kinds.update({g["displayName"]: "group" for g in self.ws.groups})
        closed = {c.name for c in self.catalogs if not c.readable}
        volumes, owners, groups = {}, {}, {}
        for vol in self.volumes:
            if vol.catalog in closed:
                continue
            c = self._counts(vol)
            kind = kinds.get(vol.owner, "removed")
            volumes[vol.full_name] = {"path": vol.path, "owner": vol.owner, "owner_kind": kind, **c,
                                      "readable": vol.readable}
            into = groups if kind == "group" else owners
            o = into.setdefault(vol.owner, {"kind": kind, "files": 0, "bytes": 0, "volumes": 0, "unreadable": []})
            o["volumes"] += 1
            if vol.readable:
                o["files"] += c["files"]
                o["bytes"] += c["bytes"]
            else:
                o["unreadable"].append(vol.full_name)
        for g in groups.values():
            del g["kind"]
        return {"volumes": volumes, "owners": owners, "groups": groups, "unreadable_catalogs": sorted(closed)}

    def _counts(self, vol: Volume) -> dict:
        if vol.content != "per_user":
            c = _dbfs_counts(self.tree(vol))
            return {"files": c["files"], "bytes": c["bytes"], "dirs": c["dirs"]}
        out = {"files": 0, "bytes": 0, "dirs": 0}
        for name in self.places.names("volume"):
            c = _dbfs_counts(self.places.tree("volume", name))
            out["files"] += c["files"]
            out["bytes"] += c["bytes"]
            out["dirs"] += c["dirs"] + 1  # the user's folder itself
        return out

