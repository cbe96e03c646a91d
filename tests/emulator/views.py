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


def _split(path: str):
    """-> (principal, home path) when path is /Users/<home>[/...], else (None, None)."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[0] != "" or parts[1] != "Users":
        return None, None
    return parts[2], f"/Users/{parts[2]}"


# --- DBFS ------------------------------------------------------------------------------------
def _dbfs_tree(ws: Workspace, path: str):
    home, _ = _split(path)
    p = ws.principal(home) if home else None
    if p is None or not p.has_dbfs:
        return None
    return ws.trees(p).dbfs


def dbfs_status(ws: Workspace, path: str) -> dict | None:
    if path in ("/", "/Users"):
        return _dir_info(path)
    tree = _dbfs_tree(ws, path)
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
    if path == "/":
        return [_dir_info("/Users")]
    if path == "/Users":
        return [_dir_info(f"/Users/{p.home}") for p in ws.principals if p.has_dbfs]
    tree = _dbfs_tree(ws, path)
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
    if path == "/":
        return ("root", 1)
    if path == "/Users":
        return ("root", 2)
    home, home_path = _split(path)
    p = ws.principal(home) if home else None
    if p is None:
        return None
    if p.home in ws.denied:
        raise Denied(path)
    if not p.has_ws:
        return None
    tree = ws.trees(p).ws
    if path == home_path:
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
    if path == "/":
        return [_dir_object("/Users", 2)]
    if path == "/Users":
        return [_dir_object(f"/Users/{p.home}", p.oid_base) for p in ws.principals if p.has_ws]
    found = ws_entry(ws, path)
    if found is None:
        return None
    if found[0] == "obj" and found[1][0] not in FOLDER_TYPES:
        return [_object(path, found[1])]  # listing a notebook/file answers that object
    home, _ = _split(path)
    children = ws.trees(ws.principal(home)).ws[path]
    return [_object(f"{path}/{n}", e) for n, e in children.items()]


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
