"""One-level listers for DBFS and the Workspace: one request, a list of entries.

The walk itself (which directories to open next) lives in walker.py; these only turn one API answer into
entries, tolerating every shape docs/api-notes.md ("DBFS listing", "Workspace listing and export") says can appear.
"""

from __future__ import annotations

import base64
import binascii
import logging
import urllib.parse
from collections.abc import Callable
from typing import Any

from ..core.errors import ApiError, AuthError, PermissionDenied, Unauthenticated
from ..core.model import Entry
from .rest import FILES_PREFIX, RestClient, Shape, error_in_body

# Folders are opened, never counted. REPO is a Git folder: counted as one file, it would hide everything
# inside.
WORKSPACE_FOLDERS = frozenset({"DIRECTORY", "REPO"})
log = logging.getLogger("dbx_inventory")


def _int_or_none(value: Any) -> int | None:
    """A size or a time as the API may send it (a number, or digits in a string). Anything else, and any
    negative value, is no size at all: an estimate is counted for it, never a subtraction."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        value = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None


def listing_shape(key: str, paths: bool = True) -> Shape:
    """The documented shape of a listing: an object whose `key` is a list of objects (with a `path`, unless
    `paths` is False), or is absent (an empty folder or page). An error body, a list, or a `key` that is not a
    list is no listing at all."""

    def shape(body: Any) -> str | None:
        if not isinstance(body, dict):
            return f"a JSON {type(body).__name__}, not an object"
        items = body.get(key)
        if items is None:
            return error_in_body(body)
        if not isinstance(items, list):
            return f"'{key}' is a {type(items).__name__}, not a list"
        for item in items if paths else ():
            if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"]:
                return f"an item of '{key}' without a path: {str(item)[:80]}"
        return None

    return shape


def _inside(parent: str, path: str) -> bool:
    """Whether `path` is directly inside the folder `parent`: a listing never takes the walk anywhere else
    (a server that names the parent, or another user's folder, must not have it counted here)."""
    return path != parent and path.rsplit("/", 1)[0] == (parent.rstrip("/") or "")


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _child_path(parent: str, raw: Any) -> str:
    path = str(raw or "")
    if path.startswith("dbfs:"):
        path = path[len("dbfs:"):]
    if not path.startswith("/"):
        # Relative names have not been seen, but an absolute path is what the walk needs.
        path = parent.rstrip("/") + "/" + path
    return path.rstrip("/") or "/"


def _children(items: Any, parent: str, entry: Callable[[dict[str, Any], str], Entry]) -> list[Entry]:
    """The entries of a listing directly inside `parent`, each path once (a server may repeat one)."""
    entries: dict[str, Entry] = {}
    for item in items or []:  # the key is absent for an empty folder
        if not isinstance(item, dict) or not item.get("path"):
            continue
        path = _child_path(parent, item["path"])
        if not _inside(parent, path):
            log.debug("ignored %s in the listing of %s: not inside it", path, parent)
            continue
        entries.setdefault(path, entry(item, path))
    return list(entries.values())


def _dbfs_entry(item: dict[str, Any], path: str) -> Entry:
    is_dir = _truthy(item.get("is_dir"))
    size = None if is_dir else _int_or_none(item.get("file_size"))
    return Entry(path, is_dir, size, _int_or_none(item.get("modification_time")), "DIRECTORY" if is_dir else "FILE")


def _workspace_entry(item: dict[str, Any], path: str) -> Entry:
    kind = item.get("object_type")
    # Unknown or missing object_type: counted as an object, unless it carries directory_info.
    is_folder = kind in WORKSPACE_FOLDERS or (not kind and isinstance(item.get("directory_info"), dict))
    size = None if is_folder else _int_or_none(item.get("size"))
    mtime = _int_or_none(item.get("modified_at")) or _int_or_none(item.get("created_at"))
    return Entry(path, is_folder, size, mtime, str(kind or "UNKNOWN"))


def parse_dbfs_list(body: dict[str, Any], parent: str) -> list[Entry]:
    return _children(body.get("files"), parent, _dbfs_entry)


def parse_workspace_list(body: dict[str, Any], parent: str) -> list[Entry]:
    return _children(body.get("objects"), parent, _workspace_entry)


DBFS_LISTING = listing_shape("files")
WORKSPACE_LISTING = listing_shape("objects")


def list_dbfs(client: RestClient, path: str) -> list[Entry]:
    return parse_dbfs_list(client.get("dbfs", "/api/2.0/dbfs/list", {"path": path}, shape=DBFS_LISTING), path)


def list_workspace(client: RestClient, path: str) -> list[Entry]:
    body = client.get("workspace", "/api/2.0/workspace/list", {"path": path}, shape=WORKSPACE_LISTING)
    return parse_workspace_list(body, path)


def _files_entry(item: dict[str, Any], path: str) -> Entry:
    is_dir = _truthy(item.get("is_directory"))
    size = None if is_dir else _int_or_none(item.get("file_size"))
    return Entry(path, is_dir, size, _int_or_none(item.get("last_modified")), "DIRECTORY" if is_dir else "FILE")


def parse_files_list(body: dict[str, Any], parent: str) -> list[Entry]:
    return _children(body.get("contents"), parent, _files_entry)


FILES_PAGE_SIZE = 1000  # the Files API's largest page (docs/api-notes.md, "Files API")


def _files_page(body: Any) -> str | None:
    """A page of a Files API listing: `contents` a list of objects with a path, or absent (an empty page or
    folder); `next_page_token` a string when present."""
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    if body.get("contents") is None and body.get("next_page_token") is None:
        return error_in_body(body)
    token = body.get("next_page_token")
    if token is not None and not isinstance(token, str):
        return "'next_page_token' is not a string"
    return FILES_LISTING(body) if body.get("contents") is not None else None


FILES_LISTING = listing_shape("contents")


def list_files(client: RestClient, path: str) -> list[Entry]:
    """One folder of a Unity Catalog volume, through the Files API, every page: pages go on while a
    `next_page_token` comes back, whatever their length (a short page is not the last one)."""
    entries: dict[str, Entry] = {}
    api_path = FILES_PREFIX + urllib.parse.quote(path, safe="/")
    for body in client.pages("files", api_path, {"page_size": FILES_PAGE_SIZE}, _files_page, path):
        for entry in parse_files_list(body, path):
            entries.setdefault(entry.path, entry)
    return list(entries.values())


# Workspace export refuses notebooks above its cap (10 MB) with this error code: not a failure, the notebook
# simply cannot be measured and stays estimated.
TOO_BIG = "MAX_NOTEBOOK_SIZE_EXCEEDED"


def notebook_size(body: dict[str, Any], path: str = "") -> int:
    """The size of an exported notebook: the length of its base64-decoded `content`."""
    content = body.get("content")
    if content is None:
        return 0  # an empty notebook may come back without content
    if not isinstance(content, str):
        raise ValueError(f"export of {path} answered a non-string content")
    try:
        return len(base64.b64decode(content, validate=True))
    except (binascii.Error, ValueError):
        raise ValueError(f"export of {path} answered content that is not base64") from None


def export_notebook(client: RestClient, path: str) -> int:
    """Export one notebook (format SOURCE) through the export family's pacer; returns its size in bytes.
    Raises ApiError like any request (400 MAX_NOTEBOOK_SIZE_EXCEEDED for a notebook over the cap)."""
    body = client.get("export", "/api/2.0/workspace/export", {"path": path, "format": "SOURCE"}, shape=_export_shape)
    return notebook_size(body, path)


def _export_shape(body: Any) -> str | None:
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    if "content" not in body:
        return error_in_body(body)
    return None if isinstance(body["content"], str) else "'content' is not a string"


def dbfs_disabled(client: RestClient) -> str | None:
    """Why DBFS cannot be read on this workspace at all, or None. Workspaces with the DBFS root disabled
    (`disable_legacy_dbfs`, or the account's `disable_legacy_features`) answer every DBFS call with 403
    PERMISSION_DENIED ("Public DBFS root is disabled"); FEATURE_DISABLED has been reported too. Probed once on
    the root, after the access check passed, so a denial here is the workspace's, not one user's."""
    try:
        client.get("dbfs", "/api/2.0/dbfs/list", {"path": "/"})
    except Unauthenticated as exc:
        raise AuthError(f"authentication failed for DBFS ({exc.describe()})") from exc
    except ApiError as exc:
        if isinstance(exc, PermissionDenied) or exc.error_code in ("FEATURE_DISABLED", "ENDPOINT_NOT_FOUND"):
            code = f" {exc.error_code}" if exc.error_code and exc.error_code != str(exc.status) else ""
            return f"HTTP {exc.status}{code} on dbfs:/"
    return None  # anything else is no workspace-wide verdict: each user's walk reports its own failures


Lister = Callable[[RestClient, str], list[Entry]]
Exporter = Callable[[RestClient, str], int]

LISTERS: dict[str, Lister] = {"dbfs": list_dbfs, "workspace": list_workspace, "files": list_files}

