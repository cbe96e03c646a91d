"""The Files API (family "files": `/api/2.0/fs/...`) and the Unity Catalog listings (family "unity":
`/api/2.1/unity-catalog/...`), answered from the workspace's metastore (metastore.py) and per-user folders
(places.py), with files written at run time kept in memory.

Paging follows the API reference: the Files API answers at most `page_size` entries (default and maximum 1000,
larger values coerced), Unity Catalog at most min(`max_results`, the server's page length); both hand out opaque
tokens (paging.py) and say nothing of the end but by leaving `next_page_token` out. Faults.files_page_cap makes
Files API pages shorter than asked while a token still comes; Faults.uc_page_cap is the server's page length for
Unity Catalog; Faults.empty_pages starts every listing with a page of no entries that carries a token."""

from __future__ import annotations

from urllib.parse import unquote

from .metastore import Metastore, Volume
from .paging import PageTokens
from .places import SHARED_VOLUME
from .replies import err, not_found
from .settings import Faults
from .stats import Stats
from .workspace import Workspace

FILES_PAGE_MAX = 1000  # https://docs.databricks.com/api/workspace/files/listdirectorycontents
UC = "/api/2.1/unity-catalog/"
# A catalog and a schema answer all at once without max_results (the legacy unpaginated form); volumes always
# page. https://docs.databricks.com/aws/en/data-governance/unity-catalog/paginate-legacy-list-apis
UNPAGINATED_WITHOUT_MAX = ("catalogs", "schemas")


class VolumeRoutes:
    def __init__(self, ws: Workspace, stats: Stats) -> None:
        self.ws, self._stats = ws, stats
        self._tokens = PageTokens()
        ms = ws.metastore
        # Volumes that exist, by path: the metastore's, and any a test adds; files written there live in memory.
        self.volumes = {"/Volumes/main/admin/inventory"} | ({v.path for v in ms.volumes} if ms else set())
        self.volume_files: dict[str, bytes] = {}

    # --- Files API -----------------------------------------------------------------------------
    def files(self, route: str, method: str, q: dict, body: bytes, label: str | None, faults: Faults):
        """PUT/GET a file, HEAD a directory, GET a directory's listing (paged)."""
        kind, _, rest = route[len("/api/2.0/fs/"):].partition("/")
        path = "/" + unquote(rest)
        while "//" in path:
            path = path.replace("//", "/")
        path = path.rstrip("/") or "/"
        if not any(path == v or path.startswith(v + "/") for v in self.volumes):
            raise err(404, f"Volume for {path} does not exist", "NOT_FOUND")
        self._may_read(path)
        fa = faults.fail_always.get(f"files:{path}") or faults.fail_always.get(path)
        if fa:
            raise err(int(fa), f"Persistent failure on {path}")
        if kind == "files":
            if method == "PUT":
                if path in self.volume_files and q.get("overwrite", "false").lower() != "true":
                    raise err(409, f"{path} already exists", "ALREADY_EXISTS")
                self.volume_files[path] = body
                return 204, b""
            if path not in self.volume_files:
                raise err(404, f"{path} does not exist", "NOT_FOUND")
            return 200, self.volume_files[path]
        if kind != "directories" or method not in ("GET", "HEAD"):
            raise not_found(method, route)
        entries = self._entries(path)
        if entries is None:
            raise err(404, f"The directory {path} does not exist.", "NOT_FOUND")
        if method == "HEAD":
            return 200, b""
        return 200, self._files_page(path, entries, q, label, faults)

    def _may_read(self, path: str) -> None:
        ms = self.ws.metastore
        vol = ms.volume_at(path) if ms else None
        if vol is None or ms is None:
            return
        catalog = next(c for c in ms.catalogs if c.name == vol.catalog)
        if not catalog.readable:
            raise err(403, f"User does not have USE CATALOG on Catalog '{catalog.name}'.", "PERMISSION_DENIED")
        if not vol.readable:
            raise err(403, f"User does not have READ VOLUME on Volume '{vol.full_name}'.", "PERMISSION_DENIED")

    def _tree_of(self, path: str) -> tuple[dict | None, bool]:
        """-> (the generated tree that holds path, whether path is the shared volume's root)."""
        ms = self.ws.metastore
        vol: Volume | None = ms.volume_at(path) if ms else None
        if vol is None or ms is None:
            return None, False
        if vol.content != "per_user":
            return ms.tree(vol), False
        if path == SHARED_VOLUME:
            return None, True
        tree, _, _ = self.ws.places.lookup("files", path) if self.ws.places else (None, None, False)
        return tree, False

    def _entries(self, path: str) -> dict | None:
        """A directory's children: name -> (is_dir, size, mtime_ms); None when it is no directory."""
        tree, shared_root = self._tree_of(path)
        if shared_root and self.ws.places is not None:
            out = {name: (True, 0, 0) for name in self.ws.places.names("volume")}
        elif tree is not None and path in tree:
            out = dict(tree[path])
        elif path in self.volumes:
            out = {}
        else:
            out = None
        prefix = path + "/"
        for f, data in self.volume_files.items():  # files written at run time, and the folders above them
            if f.startswith(prefix):
                head, _, tail = f[len(prefix):].partition("/")
                out = {} if out is None else out
                out[head] = (True, 0, 0) if tail else (False, len(data), 1_735_689_600_000)
        return out

    def _files_page(self, path: str, entries: dict, q: dict, label: str | None, faults: Faults) -> dict:
        raw = q.get("page_size", "")
        try:
            size = int(raw) if raw else 0
        except ValueError:
            raise err(400, f"Invalid page_size: {raw}", "INVALID_PARAMETER_VALUE") from None
        if size < 0:
            raise err(400, f"page_size must not be negative: {raw}", "INVALID_PARAMETER_VALUE")
        size = min(size or FILES_PAGE_MAX, FILES_PAGE_MAX)
        if faults.files_page_cap:
            size = min(size, faults.files_page_cap)
        listing = f"files:{path}?page_size={raw}"  # the other parameters must not change between pages
        self._stats.count("list_calls", f"files:{path}")
        self._stats.listed_with(f"files:{path}", label)
        names = sorted(entries)
        page, token = self._page(listing, names, size, q.get("page_token"), faults)
        body: dict = {}
        if page:  # "contents" is left out of an empty page, as for an empty directory
            body["contents"] = [_entry(f"{path}/{n}", n, entries[n]) for n in page]
        if token:
            body["next_page_token"] = token
        return body

    def _page(self, listing: str, items: list, size: int, token: str | None, faults: Faults) -> tuple[list, str | None]:
        start = self._tokens.read(listing, token)
        if faults.empty_pages and not token and items:  # the token of offset 0 then asks for the first entries
            return [], self._tokens.issue(listing, 0)
        end = start + size
        return items[start:end], self._tokens.issue(listing, end) if end < len(items) else None

    # --- Unity Catalog -------------------------------------------------------------------------
    def unity(self, route: str, method: str, q: dict, faults: Faults):
        what = route[len(UC):]
        ms = self.ws.metastore
        if method != "GET" or what not in ("catalogs", "schemas", "volumes") or ms is None:
            raise not_found(method, route)
        if what == "catalogs":
            items, parent = [ms.catalog_info(c) for c in ms.catalogs], ""
        else:
            catalog = self._catalog(ms, q)
            if what == "schemas":
                items = [ms.schema_info(s) for s in ms.schemas if s.catalog == catalog]
                parent = catalog
            else:
                schema = q.get("schema_name")
                if not schema:
                    raise err(400, "schema_name is required", "INVALID_PARAMETER_VALUE")
                if not any(s.catalog == catalog and s.name == schema for s in ms.schemas):
                    raise err(404, f"Schema '{catalog}.{schema}' does not exist.", "SCHEMA_DOES_NOT_EXIST")
                items = [ms.volume_info(v) for v in ms.volumes if v.catalog == catalog and v.schema == schema]
                parent = f"{catalog}.{schema}"
        raw = q.get("max_results")
        try:
            wanted = None if raw is None else int(raw)
        except ValueError:
            raise err(400, f"Invalid max_results: {raw}", "INVALID_PARAMETER_VALUE") from None
        if wanted is not None and wanted < 0:
            raise err(400, f"max_results must be non-negative: {raw}", "INVALID_PARAMETER_VALUE")
        self._stats.count("list_calls", f"unity:{what}:{parent}")
        if wanted is None and what in UNPAGINATED_WITHOUT_MAX:
            return 200, {what: items} if items else {}
        size = min(wanted or faults.uc_page_cap, faults.uc_page_cap)
        page, token = self._page(f"unity:{what}:{parent}", items, size, q.get("page_token"), faults)
        body: dict = {what: page} if page else {}
        if token:
            body["next_page_token"] = token
        return 200, body

    @staticmethod
    def _catalog(ms: Metastore, q: dict) -> str:
        name = q.get("catalog_name")
        if not name:
            raise err(400, "catalog_name is required", "INVALID_PARAMETER_VALUE")
        catalog = next((c for c in ms.catalogs if c.name == name), None)
        if catalog is None:
            raise err(404, f"Catalog '{name}' does not exist.", "CATALOG_DOES_NOT_EXIST")
        if not catalog.readable:
            raise err(403, f"User does not have USE CATALOG on Catalog '{name}'.", "PERMISSION_DENIED")
        return name


def _entry(path: str, name: str, e: tuple) -> dict:
    is_dir, size, mtime = e
    if is_dir:  # directories carry neither size nor time, and their path ends with a slash
        return {"path": path + "/", "is_directory": True, "name": name}
    return {"path": path, "is_directory": False, "file_size": size, "last_modified": mtime, "name": name}
