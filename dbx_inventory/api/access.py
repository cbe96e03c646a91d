"""The access checks, worded for an admin: before scanning, the credentials are checked once (a wrong token
must stop the run, not produce an inventory of "empty" users), and during the scan, a 401 or 403 asks that
check again, once for all workers, to tell a closed folder from credentials that stopped working.
"""

from __future__ import annotations

import dataclasses
import threading
import urllib.parse
from typing import TYPE_CHECKING

from ..core.errors import (
    ApiError,
    AuthError,
    BadRequest,
    MalformedAnswer,
    NoResponse,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    UnreachableError,
)
from .retry import NO_SUCH_HOST

if TYPE_CHECKING:
    from .rest import RestClient


class Access:
    def __init__(self, client: RestClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._last_check: tuple[float, AuthError | None] = (float("-inf"), None)  # (started, its failure)

    def check(self, max_seconds: float = 30.0) -> None:
        """Before scanning. Everyone may read the workspace root, so a 401 or 403 here means bad credentials.
        A host that never answers is given up on after `max_seconds`, so that it fails within a minute."""
        client = self._client
        policy = dataclasses.replace(client.policy, unanswered_deadline=min(client.policy.deadline, max_seconds))
        try:
            # Not JSON here is final: a login page or a proxy, not a Databricks API at all.
            client.get("workspace", "/api/2.0/workspace/get-status", {"path": "/"}, policy, retry_malformed=False)
        except MalformedAnswer as exc:
            raise UnreachableError(f"{client.host} answered /api/2.0/workspace/get-status with something that is "
                                   f"not the Databricks API ({exc.message}): is it a Databricks workspace URL?") from exc
        except (Unauthenticated, PermissionDenied) as exc:
            detail = f": {exc.message}" if exc.message else ""
            raise AuthError(f"authentication failed for {client.host} (HTTP {exc.status}{detail})") from exc
        except NoResponse as exc:
            if exc.message == NO_SUCH_HOST:
                raise UnreachableError(f"cannot resolve {urllib.parse.urlparse(client.host).hostname}: no such host") from exc
            raise UnreachableError(f"cannot reach {client.host} ({exc.message})") from exc
        except (NotFound, BadRequest):
            return  # the server read our credentials and answered about the path: good enough
        except ApiError as exc:
            raise UnreachableError(f"{client.host} is not answering normally: {exc.describe()}") from exc

    def check_admin(self) -> None:
        """That the principal administers the workspace, as databrickslabs/ucx's `can_administer` asks: its
        SCIM `Me` is in the `admins` group. A non-admin sees only the homes shared with it, so every other home
        would fail one by one. A workspace without `Me` (an older API) is not refused for it."""
        client = self._client
        try:
            me = client.get("scim", "/api/2.0/preview/scim/v2/Me", {"attributes": "userName,groups"})
        except (NotFound, BadRequest, MalformedAnswer):
            return
        except (Unauthenticated, PermissionDenied) as exc:
            raise AuthError(f"authentication failed for {client.host} (HTTP {exc.status})") from exc
        groups = me.get("groups") if isinstance(me, dict) else None
        if isinstance(groups, list) and not any(isinstance(g, dict) and g.get("display") == "admins" for g in groups):
            who = me.get("userName") if isinstance(me, dict) else None
            raise AuthError(f"{who or 'this principal'} is not an admin of {client.host}: its users' homes cannot "
                            "all be read (add it to the workspace's admins group)")

    def confirm(self) -> None:
        """A 401 or 403 during the scan means either that one place is closed to us, or that the credentials
        stopped working (a revoked or expired token: many workspaces answer 403, not 401). Ask the access
        check again, once at a time for all workers; if it fails now, the run must stop, not mark every
        remaining user as failed."""
        seen = self._client.clock.time()
        with self._lock:
            started, failure = self._last_check
            if started < seen:  # no check began after this answer came: its verdict would be stale
                started, failure = self._client.clock.time(), None
                try:
                    self.check()
                except AuthError as exc:
                    failure = AuthError(f"the credentials stopped working during the scan: {exc}")
                self._last_check = (started, failure)
        if failure is not None:
            raise failure
