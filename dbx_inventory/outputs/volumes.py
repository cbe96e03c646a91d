"""Unity Catalog Volume paths (/Volumes/catalog/schema/volume/...) as outputs.

On a Databricks cluster, Volumes are mounted as files and are written like any local path. Elsewhere, the
file is uploaded whole through the Files API (PUT /api/2.0/fs/files{path}), which makes it appear complete
or not at all, like the local atomic rename.
"""

from __future__ import annotations

import os
import urllib.parse

from ..api.rest import RestClient
from ..core.errors import ApiError, NotFound, OutputError


def is_remote_volume(path: str | None) -> bool:
    """A /Volumes path that is not mounted here: it must go through the Files API."""
    if not path or not path.startswith("/Volumes/"):
        return False
    return not os.path.isdir(os.path.dirname(path))


def _api(kind: str, path: str) -> str:
    return f"/api/2.0/fs/{kind}" + urllib.parse.quote(path)


def check_volume_directory(client: RestClient, path: str) -> None:
    directory = os.path.dirname(path)
    try:
        client.request("HEAD", "files", _api("directories", directory))
    except NotFound as exc:
        raise OutputError(f"Volume directory does not exist: {directory}") from exc
    except ApiError as exc:
        raise OutputError(f"cannot use Volume directory {directory}: {exc.describe()}") from exc


def upload(client: RestClient, path: str, data: bytes) -> None:
    try:
        client.request("PUT", "files", _api("files", path), {"overwrite": "true"}, data=data)
    except ApiError as exc:
        raise OutputError(f"could not write {path} to the Volume: {exc.describe()}") from exc
