"""SCIM user (and service principal) export.

Paging as docs/api-notes.md ("SCIM identities") says: start at 1, advance by the number of items actually returned, stop on a
page without `Resources`, de-duplicate by `id`, ask only for the attributes needed. An error after retries
propagates: a partial list is never returned.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .rest import RestClient, error_in_body

log = logging.getLogger("dbx_inventory")

USERS_ENDPOINT = "/api/2.0/preview/scim/v2/Users"
SP_ENDPOINT = "/api/2.0/preview/scim/v2/ServicePrincipals"
PAGE_SIZE = 100  # documented maximum; the server may return fewer and we cope
# `groups` on big workspaces makes SCIM time out: ask for these only.
USER_ATTRIBUTES = "id,userName,displayName,active"
SP_ATTRIBUTES = "id,applicationId,displayName,active"


@dataclass(frozen=True)
class Principal:
    id: str
    name: str  # userName, or applicationId for a service principal: the name of its home folder
    display_name: str
    active: bool
    kind: str = "user"


def iter_pages(client: RestClient, endpoint: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    start = 1
    while True:
        body = client.get("scim", endpoint, {**params, "startIndex": start, "count": PAGE_SIZE}, shape=_page_shape)
        resources = body.get("Resources")
        if not resources:  # absent (or empty) Resources ends the listing; totalResults is not trusted
            return
        log.debug("SCIM %s: %d items from index %d (totalResults says %s)", endpoint.rsplit("/", 1)[-1],
                  len(resources), start, body.get("totalResults"))
        yield resources
        start += len(resources)


def _page_shape(body: Any) -> str | None:
    """A ListResponse: `Resources` a list of objects, or absent on an empty page; an error body is none."""
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    resources = body.get("Resources")
    if resources is None:
        return error_in_body(body)
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        return "'Resources' is not a list of objects"
    return None


def _primary_email(res: dict[str, Any]) -> str:
    emails = [e for e in res.get("emails") or [] if isinstance(e, dict) and e.get("value")]
    primary = [e for e in emails if e.get("primary")]
    return str((primary or emails)[0]["value"]) if emails else ""


def _active(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() != "false"
    return True if value is None else bool(value)


SOURCES = {"user": (USERS_ENDPOINT, USER_ATTRIBUTES, "userName"),
           "service_principal": (SP_ENDPOINT, SP_ATTRIBUTES, "applicationId")}


def iter_principals(
    client: RestClient, scim_filter: str | None = None, kinds: tuple[str, ...] = ("user",)
) -> Iterator[Principal]:
    """Users and/or service principals, in SCIM order, each once."""
    seen: set[str] = set()
    for kind in kinds:
        endpoint, attributes, name_field = SOURCES[kind]
        params: dict[str, Any] = {"attributes": attributes}
        if scim_filter:
            params["filter"] = scim_filter
        for page in iter_pages(client, endpoint, params):
            before = len(seen)
            for res in page:
                key = f"{kind}:{res.get('id') or res.get(name_field)}"
                name = str(res.get(name_field) or _primary_email(res) or "").strip()
                if not name or key in seen:  # offset paging shifts while users are added
                    continue
                seen.add(key)
                display = str(res.get("displayName") or "")
                yield Principal(str(res.get("id") or ""), name, display, _active(res.get("active")), kind)
            if len(seen) == before:
                break  # a server that ignores startIndex would otherwise send the same page forever
