"""An emulated workspace's request pipeline (the server's lifecycle is host.py's): per request, auth -> gates
(gates.py) -> route (routes.py) -> malformed answer -> send."""

from __future__ import annotations

from urllib.parse import urlsplit

from .gates import Gates
from .host import HttpHost, _Handler
from .identity import WorkspaceIdentity
from .oauth import OAuth
from .replies import Reply
from .routes import LISTINGS, Routes, family_of, path_of, query
from .settings import Faults
from .tokens import Tokens
from .workspace import Workspace


class EmulatorServer(HttpHost):
    """One emulated workspace. `identity` (its id, name and deployment host) and `oauth` (the account's OAuth
    authority, oauth.py) make it a workspace of an emulated account: it then answers the host-metadata probe and
    the OIDC endpoints, and accepts the account's service principals' OAuth tokens where they are assigned."""

    def __init__(self, ws: Workspace, token: str = "dapi-test-token", faults: Faults | None = None,
                 port: int = 0, host: str = "127.0.0.1", identity: WorkspaceIdentity | None = None,
                 oauth: OAuth | None = None):
        super().__init__(port, host, "emulator")
        self.ws, self.identity, self.oauth = ws, identity, oauth
        self._tokens = Tokens(token, self._stats)
        self.routes = Routes(ws, self._tokens, self._stats)
        self.routes.me = self._me
        self.set_faults(faults or Faults())

    # --- what a test sets and reads ------------------------------------------------------
    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.routes.faults = faults
        self._gates = Gates(faults, self._stats)

    def storm(self, requests: int, retry_after: str | None = "30") -> None:
        """From now on, answer the next `requests` requests with 429 and this Retry-After."""
        self._gates.storm(requests, retry_after)

    @property
    def token(self) -> str:
        return self._tokens.token

    def set_token(self, token: str) -> None:
        """Rotate the workspace's valid token at run time: the old one is refused from now on, as when an
        admin revokes a token mid-scan."""
        self._tokens.token = token

    @property
    def minted(self) -> dict[str, dict]:
        """Tokens minted through the token API: id -> value, expiry (epoch s or None), deleted."""
        return self._tokens.minted

    @property
    def clusters(self) -> dict:
        return self.routes.clusters

    @clusters.setter
    def clusters(self, clusters: dict) -> None:
        self.routes.clusters = clusters

    @property
    def volumes(self) -> set:
        return self.routes.volumes

    @property
    def volume_files(self) -> dict[str, bytes]:
        return self.routes.volume_files

    def reset_stats(self) -> None:
        """Fresh counters, and no minted tokens."""
        self._stats.reset()
        self._tokens.reset()

    def stats(self) -> dict:
        return self._stats.snapshot()

    # --- request pipeline ----------------------------------------------------------------
    def handle(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        route = parts.path
        if route == "/.well-known/databricks-config":  # SDK config probe: a 404 is fine for a lone workspace
            if self.identity is None or self.oauth is None:
                return self._send(h, 404, {"error_code": "NOT_FOUND", "message": "Not found"})
            return self._send(h, 200, {"oidc_endpoint": f"{self._base(h)}/oidc", "account_id": self.oauth.account_id,
                                       "workspace_id": str(self.identity.workspace_id)})
        if route.startswith("/oidc/") and self.identity is not None and self.oauth is not None:
            try:
                status, body = self.oauth.answer_oidc(route[len("/oidc"):], h.command, h.headers, h.body,
                                                      f"{self._base(h)}/oidc", self.identity.workspace_id)
            except Reply as r:
                return self._reply(h, r)
            return self._send(h, status, body)
        if route == "/__emulator/stats":
            return self._send(h, 200, self.stats())
        family = family_of(route)
        self._stats.request(family)
        auth = h.headers.get("Authorization")
        if not auth:
            return self._send(h, 401, {"error_code": "UNAUTHENTICATED",
                                       "message": "Unable to authenticate: no credentials provided"})
        label = self._tokens.label(auth)
        if label is None and self.identity is not None and self.oauth is not None:
            try:
                sp = self.oauth.caller(auth, self.identity.workspace_id)
            except Reply as r:
                return self._reply(h, r)
            label = None if sp is None else f"sp:{sp.client_id}"
        if label is None:  # legacy shape: the status number as error_code
            return self._send(h, 403, {"error_code": "403", "message": "Invalid access token."})
        self._stats.by_token(label, family)
        gates, in_flight = self._gates, self._stats.enter()
        try:
            stopped = gates.check(family, f"{family} {route}?{parts.query}", in_flight)
            if stopped is not None:
                return self._reply(h, stopped)
            gates.delay()
            try:
                q = query(parts.query)
                status, body = self.routes.answer(family, route, q, h.command, getattr(h, "body", b""), label)
            except Reply as r:
                if gates.faults.echo_auth and isinstance(r.body, dict) and r.status >= 400:
                    r.body["message"] = f"{r.body.get('message', '')} (request had Authorization: {auth})"
                return self._reply(h, r)
            if gates.faults.malformed and route.endswith(LISTINGS):
                raw = gates.malform(family, path_of(q, dbfs=family == "dbfs"), body)
                if raw is not None:
                    return self._send(h, 200, raw[0], ctype=raw[1])
            return self._send(h, status, body)
        finally:
            self._stats.leave()

    def _base(self, h: _Handler) -> str:
        """This workspace's URL as the client reached it: its public https URL through the front door
        (frontdoor.py, which keeps the Host header), else its local http URL."""
        if self.identity is not None and (h.headers.get("Host") or "").split(":")[0] == self.identity.host:
            return self.identity.url
        return self.url

    def _me(self, label: str | None) -> dict:
        """SCIM Me for the caller: a service principal of the account (in `admins` where it is a workspace
        admin), else the owner of the workspace's token, an admin."""
        if label and label.startswith("sp:") and self.oauth is not None and self.identity is not None:
            sp = self.oauth.principals[label[3:]]
            admin = sp.roles.get(self.identity.workspace_id) == "admin"
            return {"id": str(int(sp.client_id.replace("-", "")[:12], 16)), "userName": sp.client_id,
                    "applicationId": sp.client_id, "displayName": sp.name, "active": True,
                    "groups": [{"display": "admins", "value": "1", "type": "direct"}] if admin else [],
                    "entitlements": [{"value": "workspace-access"}]}
        return {"id": "1000000000000001", "userName": "workspace.admin@example.com", "displayName": "Workspace Admin",
                "active": True, "emails": [{"value": "workspace.admin@example.com", "primary": True}],
                "groups": [{"display": "admins", "value": "1", "type": "direct"}]}

    def _reply(self, h: _Handler, r: Reply) -> None:
        if r.drop:  # close the socket without any response
            self._stats.answered("drop")
            h.close_connection = True
            return None
        return self._send(h, r.status, r.body, headers=r.headers, ctype=r.ctype)
