"""Pure views of a Workspace in the REST API's JSON shapes (FileInfo, ObjectInfo, exports).

Functions return dicts/lists, or None for "does not exist"; a denied Workspace path raises Denied.
Paths are already normalised by the caller: absolute, no scheme, no trailing slash.
"""

from __future__ import annotations

from .workspace import FOLDER_TYPES, LANG_EXT, NOTEBOOK_LIMIT, Workspace


class Denied(Exception):
    """The caller may not read this Workspace path (403 PERMISSION_DENIED)."""


def _dir_info(path: str) -> dict:
    # DBFS lists directories with file_size 0; modification_time 0 is what many workspaces return.
    return {"path": path, "is_dir": True, "file_size": 0, "modification_time": 0}


# The places that hold one folder per principal, per file system, and the tree attribute that holds it.
DBFS_AREAS = {"/Users": "dbfs", "/FileStore/shared_uploads": "uploads"}
WS_AREAS = {"/Users": "ws", "/Repos": "repos"}
# Folders above those places, as the root listings show them.
DBFS_PARENTS = {"/": ["/FileStore", "/Users"], "/FileStore": ["/FileStore/shared_uploads"]}
WS_PARENTS = {"/": ["/Repos", "/Users"]}


def _split(path: str, areas: dict):
    """-> (area root, principal's folder name, folder path) when path lies in a principal's folder."""
    for root in areas:
        if path.startswith(root + "/"):
            name = path[len(root) + 1:].split("/", 1)[0]
            return root, name, f"{root}/{name}"
    return None, None, None


def _tree(ws: Workspace, path: str, areas: dict):
    """-> (principal, the tree of the place that holds path, the place's folder path), or Nones."""
    root, name, folder = _split(path, areas)
    p = ws.principal(name) if name else None
    if p is None:
        return None, None, None
    return p, getattr(ws.trees(p), areas[root]), folder


def _place(ws: Workspace, fs: str, path: str):
    """-> (tree, folder, denied) for a path in a per-user place of file system fs (places.py), or Nones."""
    return (None, None, False) if ws.places is None else ws.places.lookup(fs, path)


def _place_roots(ws: Workspace, fs: str) -> dict:
    """The roots of the per-user places in file system fs -> their folders' names."""
    if ws.places is None:
        return {}
    return {p.root: ws.places.names(p.key) for p in ws.places.PLACES if p.fs == fs}


def _parents(ws: Workspace, fs: str, parents: dict) -> dict:
    """The folders above the principals' areas, and, at the root, the per-user places' roots."""
    extra = [r for r in _place_roots(ws, fs) if r.count("/") == 1]
    return {**parents, "/": sorted(parents["/"] + extra)} if extra else parents


def _area_members(ws: Workspace, attr: str) -> list:
    has = {"dbfs": "has_dbfs", "uploads": "has_uploads", "ws": "has_ws", "repos": "has_repos"}[attr]
    return [p for p in ws.principals if getattr(p, has)]


# --- DBFS ------------------------------------------------------------------------------------
def dbfs_status(ws: Workspace, path: str) -> dict | None:
    if path in DBFS_PARENTS or path in DBFS_AREAS or path in _place_roots(ws, "dbfs"):
        return _dir_info(path)
    tree, _, _ = _place(ws, "dbfs", path)
    if tree is None:
        _, tree, _ = _tree(ws, path, DBFS_AREAS)
    if tree is None:
        return None
    if path in tree:
        return _dir_info(path)
    parent, _, name = path.rpartition("/")
    e = tree.get(parent, {}).get(name)
    if e is None:
        return None
    return {"path": path, "is_dir": False, "file_size": e[1], "modification_time": e[2]}


def dbfs_list(ws: Workspace, path: str) -> list | None:
    parents, roots = _parents(ws, "dbfs", DBFS_PARENTS), _place_roots(ws, "dbfs")
    if path in parents:
        return [_dir_info(c) for c in parents[path]]
    if path in DBFS_AREAS:
        return [_dir_info(f"{path}/{p.home}") for p in _area_members(ws, DBFS_AREAS[path])]
    if path in roots:
        return [_dir_info(f"{path}/{name}") for name in roots[path]]
    tree, _, _ = _place(ws, "dbfs", path)
    if tree is None:
        _, tree, _ = _tree(ws, path, DBFS_AREAS)
    if tree is None:
        return None
    children = tree.get(path)
    if children is None:  # listing a file answers a list holding that file
        st = dbfs_status(ws, path)
        return None if st is None else [st]
    return [_dir_info(f"{path}/{n}") if d else
            {"path": f"{path}/{n}", "is_dir": False, "file_size": s, "modification_time": m}
            for n, (d, s, m) in children.items()]


# --- Workspace -------------------------------------------------------------------------------
def _object(path: str, e: tuple) -> dict:
    kind, oid, a, b, c = e
    if kind is None:  # objects without object_type have been seen in the wild
        return {"path": path, "object_id": oid}
    d = {"object_type": kind, "path": path, "object_id": oid, "resource_id": str(oid)}
    if kind == "NOTEBOOK":
        d["language"] = a
    elif kind == "FILE":
        d["created_at"], d["modified_at"] = b, c
        if a is not None:  # "size can be returned": often absent
            d["size"] = a
    elif kind == "DIRECTORY" and a:
        d["directory_info"] = {"is_git_folder": True}
    return d


def _dir_object(path: str, oid: int) -> dict:
    return {"object_type": "DIRECTORY", "path": path, "object_id": oid, "resource_id": str(oid)}


def ws_entry(ws: Workspace, path: str):
    """-> ("root", oid) / ("dir", oid) / ("obj", entry tuple) / None. Raises Denied."""
    if path in WS_PARENTS or path in WS_AREAS or path in _place_roots(ws, "workspace"):
        return ("root", 1)
    tree, folder, denied = _place(ws, "workspace", path)
    if folder is not None:
        if tree is None:
            return None
        if denied and path == folder:
            raise Denied(path)
        if path == folder:
            return ("dir", 9 * 10**14 + sum(map(ord, folder)))
        parent, _, name = path.rpartition("/")
        e = tree.get(parent, {}).get(name)
        return None if e is None else ("obj", e)
    p, tree, folder = _tree(ws, path, WS_AREAS)
    if p is None:
        return None
    if p.home in ws.denied and folder == f"/Users/{p.home}":
        raise Denied(path)
    if tree is None:
        return None
    if path == folder:
        return ("dir", p.oid_base)
    parent, _, name = path.rpartition("/")
    e = tree.get(parent, {}).get(name)
    return None if e is None else ("obj", e)


def ws_status(ws: Workspace, path: str) -> dict | None:
    found = ws_entry(ws, path)
    if found is None:
        return None
    kind, val = found
    return _object(path, val) if kind == "obj" else _dir_object(path, val)


def ws_list(ws: Workspace, path: str) -> list | None:
    parents, roots = _parents(ws, "workspace", WS_PARENTS), _place_roots(ws, "workspace")
    if path in parents:
        return [_dir_object(c, 2 + i) for i, c in enumerate(parents[path])]
    if path in WS_AREAS:
        return [_dir_object(f"{path}/{p.home}", p.oid_base) for p in _area_members(ws, WS_AREAS[path])]
    if path in roots:
        return [_dir_object(f"{path}/{name}", 9 * 10**14 + sum(map(ord, f"{path}/{name}"))) for name in roots[path]]
    found = ws_entry(ws, path)
    if found is None:
        return None
    if found[0] == "obj" and found[1][0] not in FOLDER_TYPES:
        return [_object(path, found[1])]  # listing a notebook/file answers that object
    tree, _, _ = _place(ws, "workspace", path)
    if tree is None:
        _, tree, _ = _tree(ws, path, WS_AREAS)
    return [_object(f"{path}/{n}", e) for n, e in tree[path].items()]


def ws_export(ws: Workspace, path: str):
    """-> (status, payload): (200, (bytes, file_type)) or (4xx, (error_code, message)). Raises Denied."""
    found = ws_entry(ws, path)
    if found is None:
        return 404, ("RESOURCE_DOES_NOT_EXIST", f"Path ({path}) doesn't exist.")
    kind, val = found
    if kind != "obj" or val[0] in FOLDER_TYPES:
        return 400, ("INVALID_PARAMETER_VALUE", f"Cannot export a directory: {path}")
    otype, oid, a, b, _ = val
    if otype == "NOTEBOOK":
        if b > NOTEBOOK_LIMIT:  # never build the content of an oversize notebook
            return 400, ("MAX_NOTEBOOK_SIZE_EXCEEDED",
                         f"File {path} size ({b} bytes) exceeded the maximum size of {NOTEBOOK_LIMIT} bytes.")
        return 200, (_content(oid, b, "# Databricks notebook source\n"), LANG_EXT[a])
    if otype == "FILE":
        size = a if a is not None else 1000 + oid % 9000  # unsized files still have real bytes
        return 200, (_content(oid, size, ""), None)
    return 400, ("INVALID_PARAMETER_VALUE", f"Export is not supported for object type {otype} at {path}")


def _content(oid: int, size: int, header: str) -> bytes:
    """Deterministic ASCII content of exactly size bytes."""
    line = f"print('object {oid}')  # line of filler\n"
    text = (header + line * (size // len(line) + 1)).encode()
    return text[:size]
