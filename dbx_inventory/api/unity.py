"""The Unity Catalog volumes of a workspace and their owners: catalogs, then each catalog's schemas, then each
schema's volumes, every listing paged (`max_results`, `page_token`) until no token comes back
(docs/api-notes.md, "Unity Catalog"). A catalog whose schemas the principal may not list is named, not
skipped silently: its volumes are unknown."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import (
    ApiError,
    AuthError,
    InventoryError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from .listers import listing_shape
from .rest import RestClient

log = logging.getLogger("dbx_inventory")

CATALOGS = "/api/2.1/unity-catalog/catalogs"
SCHEMAS = "/api/2.1/unity-catalog/schemas"
VOLUMES = "/api/2.1/unity-catalog/volumes"
PAGE_SIZE = 1000  # max_results; the server may send fewer, and a token means there is more


@dataclass(frozen=True)
class Volume:
    catalog: str
    schema: str
    name: str
    owner: str  # a userName, a service principal's applicationId, or a group's name

    @property
    def path(self) -> str:
        return f"/Volumes/{self.catalog}/{self.schema}/{self.name}"


@dataclass
class VolumeListing:
    volumes: list[Volume] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # catalog (or catalog.schema) -> why not listed
    # The workspace's metastore, where the answers name it: the workspaces of a region share one, and list
    # the same volumes.
    metastore: str = ""


def _pages(client: RestClient, api_path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for body in client.pages("unity", api_path, {**params, "max_results": PAGE_SIZE}, listing_shape(key, paths=False), key):
        for item in body.get(key) or []:
            if isinstance(item, dict):
                yield item


def list_volumes(client: RestClient) -> VolumeListing:
    """Every volume the principal can see, with its owner; the catalogs and schemas it could not list."""
    out = VolumeListing()
    try:
        found = [c for c in _pages(client, CATALOGS, "catalogs", {}) if isinstance(c.get("name"), str)]
        catalogs = [c["name"] for c in found]
        out.metastore = next((str(c["metastore_id"]) for c in found if c.get("metastore_id")), "")
    except Unauthenticated as exc:
        raise AuthError(f"authentication failed while listing Unity Catalog's catalogs ({exc.describe()})") from exc
    except NotFound as exc:
        raise InventoryError(f"this workspace has no Unity Catalog to list volumes from ({exc.describe()}): run "
                             "without --locations volumes") from None
    except ApiError as exc:
        raise InventoryError(f"cannot list Unity Catalog's catalogs ({exc.describe()}): the volumes cannot be "
                             "counted") from None
    for catalog in catalogs:
        try:
            schemas = [s["name"] for s in _pages(client, SCHEMAS, "schemas", {"catalog_name": catalog})
                       if isinstance(s.get("name"), str)]
        except Unauthenticated as exc:
            raise AuthError(f"authentication failed while listing Unity Catalog ({exc.describe()})") from exc
        except ApiError as exc:
            out.unreadable[catalog] = _why(exc)
            continue
        for schema in schemas:
            try:
                for v in _pages(client, VOLUMES, "volumes", {"catalog_name": catalog, "schema_name": schema}):
                    if isinstance(v.get("name"), str):
                        out.volumes.append(Volume(catalog, schema, v["name"], str(v.get("owner") or "")))
                        out.metastore = out.metastore or str(v.get("metastore_id") or "")
            except Unauthenticated as exc:
                raise AuthError(f"authentication failed while listing Unity Catalog ({exc.describe()})") from exc
            except ApiError as exc:
                out.unreadable[f"{catalog}.{schema}"] = _why(exc)
    for name, why in out.unreadable.items():
        log.warning("cannot list the volumes of %s (%s): they are not counted", name, why)
    return out


def _why(exc: ApiError) -> str:
    return f"HTTP {exc.status} {exc.error_code}".strip() if isinstance(exc, PermissionDenied) else exc.describe()
