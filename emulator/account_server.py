"""The emulated account console host (accounts.cloud.databricks.com): the host-metadata probe, the account's
OIDC endpoints (oauth.py), the workspace listing and account SCIM.

- GET /.well-known/databricks-config -> {"oidc_endpoint": "{host}/oidc/accounts/{account_id}", "account_id"}
- GET /oidc/accounts/{account_id}/.well-known/oauth-authorization-server, POST .../v1/token
- GET /api/2.0/accounts/{account_id}/workspaces: a plain JSON array, no paging; .../workspaces/{workspace_id}
- GET /api/2.0/accounts/{account_id}/scim/v2/Users and /ServicePrincipals (paging, filter, attributes as the
  workspace's SCIM, scim.py), and .../Users/{id}
Every API call needs an account-level OAuth token of one of the account's service principals."""

from __future__ import annotations

from urllib.parse import urlsplit

from . import scim
from .account import Account
from .host import HttpHost, _Handler
from .identity import ACCOUNTS_HOST
from .replies import Reply, err, not_found
from .routes import query


class AccountServer(HttpHost):
    def __init__(self, account: Account, port: int = 0, host: str = "127.0.0.1") -> None:
        super().__init__(port, host, "account")
        self.account = account
        self.scim_page_cap = 100

    @property
    def oauth(self):
        return self.account.oauth

    def stats(self) -> dict:
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset()

    def _base(self, h: _Handler) -> str:
        if (h.headers.get("Host") or "").split(":")[0] == ACCOUNTS_HOST:
            return f"https://{ACCOUNTS_HOST}"
        return self.url

    def handle(self, h: _Handler) -> None:
        route = urlsplit(h.path).path
        aid = self.account.account_id
        try:
            if route == "/.well-known/databricks-config":
                return self._send(h, 200, {"oidc_endpoint": f"{self._base(h)}/oidc/accounts/{{account_id}}",
                                           "account_id": aid})
            if route == "/__emulator/stats":
                return self._send(h, 200, self.stats())
            oidc = f"/oidc/accounts/{aid}"
            if route.startswith(oidc + "/"):
                self._stats.count("requests", "oidc")
                status, body = self.oauth.answer_oidc(route[len(oidc):], h.command, h.headers, h.body,
                                                      self._base(h) + oidc, None)
                return self._send(h, status, body)
            if route.startswith("/api/2.0/accounts/"):
                status, body = self._api(h, route)
                return self._send(h, status, body)
            raise not_found(h.command, route)
        except Reply as r:
            return self._send(h, r.status, r.body, headers=r.headers, ctype=r.ctype)

    def _api(self, h: _Handler, route: str):
        family = "scim" if "/scim/" in route else "workspaces" if "/workspaces" in route else "other"
        self._stats.count("requests", family)
        sp = self.oauth.caller(h.headers.get("Authorization") or "", None)
        if sp is None:
            raise err(401, "Invalid access token", "UNAUTHENTICATED")
        self._stats.by_token(f"sp:{sp.client_id}", family)
        prefix = f"/api/2.0/accounts/{self.account.account_id}/"
        if not route.startswith(prefix):
            raise err(403, "This account is not accessible with the given credentials", "PERMISSION_DENIED")
        if h.command != "GET":
            raise not_found(h.command, route)
        rest = route[len(prefix):].rstrip("/")
        if rest == "workspaces" or rest.startswith("workspaces/"):
            if not sp.account_admin:
                raise err(403, "Only account admins can list workspaces", "PERMISSION_DENIED")
            listing = self.account.listing()
            if rest == "workspaces":
                return 200, listing
            wid = rest.split("/", 1)[1]
            for w in listing:
                if str(w["workspace_id"]) == wid:
                    return 200, w
            raise err(404, f"Workspace {wid} does not exist", "RESOURCE_DOES_NOT_EXIST")
        if rest.startswith("scim/v2/"):
            return self._scim(rest[len("scim/v2/"):], query(urlsplit(h.path).query))
        raise not_found("GET", route)

    def _scim(self, rest: str, q: dict):
        kind, _, ident = rest.partition("/")
        if kind == "Users":
            items, schema, allowed = self.account.users, scim.USER_SCHEMA, scim.USER_ATTRS
        elif kind == "ServicePrincipals":
            items, schema, allowed = self.account.service_principals, scim.SP_SCHEMA, scim.SP_ATTRS
        else:
            raise not_found("GET", rest)
        if ident:
            for r in items:
                if r["id"] == ident:
                    return 200, {"schemas": [schema], **r}
            raise Reply(404, scim.error(f"Resource {ident} not found.", 404, None))
        try:
            return 200, scim.list_page(items, schema, allowed, q, self.scim_page_cap)
        except scim.InvalidFilter as e:
            raise Reply(400, scim.error(str(e))) from None
