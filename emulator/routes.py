"""The route handlers: which API family a path belongs to, and each family's answer from the Workspace.

`Routes.answer` returns (status, body) or raises a Reply; faults that live in the data (a path that always
fails, DBFS turned off, a listing too slow to finish, a refused token) are answered here too."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from . import scim, views
from .replies import Reply, err, not_found
from .settings import Faults
from .stats import Stats
from .tokens import Tokens
from .volume_routes import VolumeRoutes
from .workspace import Workspace

SCIM = "/api/2.0/preview/scim/v2/"
LISTINGS = ("/list", "/get-status")


def family_of(route: str) -> str:
    if route.startswith(SCIM):
        return "scim"
    if route.startswith("/api/2.0/dbfs/"):
        return "dbfs"
    if route == "/api/2.0/workspace/export":
        return "export"
    if route.startswith("/api/2.0/workspace/"):
        return "workspace"
    if route.startswith("/api/2.0/fs/"):
        return "files"
    if route.startswith("/api/2.1/unity-catalog/"):
        return "unity"
    if "/clusters/" in route:
        return "clusters"
    if route.startswith("/api/2.0/token/"):
        return "tokens"
    return "other"


def query(text: str) -> dict:
    try:
        return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True, errors="strict").items()}
    except UnicodeDecodeError:
        raise err(400, "Query string is not valid UTF-8") from None


def path_of(q: dict, dbfs: bool) -> str:
    """The `path` parameter, normalised: absolute, no dbfs: scheme, no doubled or trailing slash."""
    path = q.get("path")
    if not path:
        raise err(400, "Path must be provided")
    if dbfs and path.startswith("dbfs:"):
        path = path[5:]
    if not path.startswith("/"):
        raise err(400, f"Path ({path}) must be absolute")
    while "//" in path:
        path = path.replace("//", "/")
    return path.rstrip("/") or "/"


class Routes:
    def __init__(self, ws: Workspace, tokens: Tokens, stats: Stats) -> None:
        self.ws, self._tokens, self._stats = ws, tokens, stats
        self.faults = Faults()
        # Clusters, for Databricks Connect's check of the runtime (clusters/get): id -> spark_version, state.
        self.clusters = {"1234-567890-abc123": {"spark_version": "19.3.x-scala2.13", "state": "RUNNING"}}
        # The Files API and Unity Catalog; `volumes` (paths of the volumes that exist) and `volume_files` (files
        # written at run time, in memory) are theirs.
        self.uc = VolumeRoutes(ws, stats)
        self.volumes, self.volume_files = self.uc.volumes, self.uc.volume_files
        self.me: Callable[[str | None], dict] | None = None  # SCIM Me: the caller, from the token's label

    def answer(self, family: str, route: str, q: dict, method: str, body: bytes, label: str | None):
        if family == "files":
            return self.uc.files(route, method, q, body, label, self.faults)
        if family == "unity":
            return self.uc.unity(route, method, q, self.faults)
        if family == "tokens":
            return self._tokens.api(route, method, body, label, self.faults.refuse_tokens)
        if method != "GET":
            raise not_found(method, route)
        if family == "scim":
            if route == SCIM + "Me" and self.me is not None:
                return 200, {"schemas": [scim.USER_SCHEMA], **self.me(label)}
            return self._scim(route, q)
        if family == "clusters":
            return self._cluster(route, q)
        if route in ("/api/2.0/dbfs/list", "/api/2.0/dbfs/get-status"):
            return self._dbfs(route.rsplit("/", 1)[1], q, label)
        if route in ("/api/2.0/workspace/list", "/api/2.0/workspace/get-status"):
            return self._workspace(route.rsplit("/", 1)[1], q, label)
        if route == "/api/2.0/workspace/export":
            return self._export(q)
        raise not_found("GET", route)

    def _scim(self, route: str, q: dict):
        kind, _, ident = route[len(SCIM):].partition("/")
        if kind == "Users":
            items, schema, allowed = self.ws.users, scim.USER_SCHEMA, scim.USER_ATTRS
        elif kind == "ServicePrincipals":
            items, schema, allowed = self.ws.service_principals, scim.SP_SCHEMA, scim.SP_ATTRS
        elif kind == "Groups":
            items, schema, allowed = self.ws.groups, scim.GROUP_SCHEMA, scim.GROUP_ATTRS
        else:
            raise not_found("GET", route)
        if ident:
            for r in items:
                if r["id"] == ident:
                    return 200, {"schemas": [schema], **r}
            raise Reply(404, scim.error(f"Resource {ident} not found.", 404, None))
        start = q.get("startIndex", "1")
        self._fail_always("scim", f"{kind}@{start[0] if isinstance(start, list) else start}")
        try:
            return 200, scim.list_page(items, schema, allowed, q, self.faults.scim_page_cap)
        except scim.InvalidFilter as e:
            raise Reply(400, scim.error(str(e))) from None

    def _cluster(self, route: str, q: dict):
        if route not in ("/api/2.0/clusters/get", "/api/2.1/clusters/get"):
            raise not_found("GET", route)
        cluster_id = q.get("cluster_id", "")
        cluster = self.clusters.get(cluster_id)
        if cluster is None:  # what the real API answers for an unknown id
            raise err(400, f"Cluster {cluster_id} does not exist", "INVALID_PARAMETER_VALUE")
        if cluster.get("denied"):
            raise err(403, f"User does not have permission to attach to cluster {cluster_id}")
        return 200, {"cluster_id": cluster_id, "cluster_name": f"cluster {cluster_id}", "state": cluster["state"],
                     "spark_version": cluster["spark_version"], "num_workers": 2}

    def _fail_always(self, prefix: str, path: str) -> None:
        fa = self.faults.fail_always
        status = (fa.get(f"{prefix}:{path}") or fa.get(path)) if fa else None
        if status:
            raise err(int(status), f"Persistent failure on {path}")

    def _too_slow(self, key: str, entries: int | None) -> None:
        """A listing the server gives up on: 504 DEADLINE_EXCEEDED, at once or after hanging."""
        f = self.faults
        kind = f.too_slow.get(key)
        if kind is None and f.too_slow_above is not None and entries is not None and entries > f.too_slow_above:
            kind = f.too_slow_kind
        if kind is None:
            return
        self._stats.count("too_slow", key)
        if kind == "hang":
            time.sleep(f.hang_seconds)
        raise err(504, f"The request to list {key} did not finish in time", "DEADLINE_EXCEEDED")

    def _listed(self, key: str, label: str | None) -> None:
        self._stats.count("list_calls", key)
        self._stats.listed_with(key, label)

    def _dbfs(self, op: str, q: dict, label: str | None):
        path = path_of(q, dbfs=True)
        if self.faults.dbfs_disabled:
            raise err(403, f"Public DBFS root is disabled. Access is denied on path: {path}")
        self._fail_always("dbfs", path)
        result = views.dbfs_list(self.ws, path) if op == "list" else views.dbfs_status(self.ws, path)
        if result is None:
            raise err(404, f"No file or directory exists on path dbfs:{path}.")
        if op == "get-status":
            return 200, result
        self._too_slow(f"dbfs:{path}", len(result))
        self._listed(f"dbfs:{path}", label)
        return 200, {"files": result} if result else {}  # "files" absent for an empty dir

    def _workspace(self, op: str, q: dict, label: str | None):
        path = path_of(q, dbfs=False)
        self._fail_always("ws", path)
        try:
            result = views.ws_list(self.ws, path) if op == "list" else views.ws_status(self.ws, path)
        except views.Denied:
            raise err(403, f"User does not have READ permission on {path}") from None
        if result is None:
            raise err(404, f"Path ({path}) doesn't exist.")
        if op == "get-status":
            return 200, result
        self._too_slow(f"ws:{path}", None)
        self._listed(f"ws:{path}", label)
        return 200, {"objects": result} if result else {}  # "objects" absent for an empty dir

    def _export(self, q: dict):
        path = path_of(q, dbfs=False)
        fmt = q.get("format", "SOURCE").upper()
        if fmt not in ("SOURCE", "AUTO", "JUPYTER", "HTML", "DBC", "R_MARKDOWN", "RAW"):
            raise err(400, f"Invalid format: {fmt}")
        try:
            status, payload = views.ws_export(self.ws, path)
        except views.Denied:
            raise err(403, f"User does not have READ permission on {path}") from None
        if status != 200:
            raise err(status, payload[1], payload[0])
        content, file_type = payload
        if q.get("direct_download", "").lower() == "true":
            return 200, content  # raw bytes
        body = {"content": base64.b64encode(content).decode("ascii")}
        if file_type:
            body["file_type"] = file_type
        return 200, body
