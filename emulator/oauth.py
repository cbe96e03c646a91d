"""OAuth M2M (client credentials) as an emulated account serves it to databricks-sdk, for the account host and
each of its workspaces: the host-metadata probe, the OIDC discovery document, the token endpoint, and the check
of a Bearer token on each API call.

The SDK's flow (databricks-sdk 0.16x, `config.py` `_resolve_host_metadata`, `credentials_provider.py`
`oauth_service_principal`, `oauth.py` `retrieve_token`):
1. `GET {host}/.well-known/databricks-config` -> `oidc_endpoint` (`{host}/oidc` for a workspace,
   `{host}/oidc/accounts/{account_id}` for the account host), from which the SDK forms the discovery URL;
2. `GET {oidc_endpoint}/.well-known/oauth-authorization-server` -> `token_endpoint`;
3. `POST {token_endpoint}` form `grant_type=client_credentials&scope=all-apis`, client id and secret in HTTP
   Basic auth -> `{access_token, token_type, expires_in}`.
`AccountClient.get_workspace_client()` copies the account's config, discovery URL included, so a workspace
client it makes presents an account-level token to the workspace: the workspace accepts it when the service
principal is assigned to it, and answers 401 "Unauthorized access to Org: <id>" otherwise. A workspace's own
token endpoint refuses a service principal not assigned to it with 401 `invalid_client`, as an unknown client or
a wrong secret gets (docs/api-notes.md, "Accounts")."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from .replies import Reply

LIFETIME_S = 3600  # what Databricks gives an M2M access token: one hour


@dataclass(frozen=True)
class ServicePrincipal:
    """An account's service principal with an OAuth secret. `roles`: workspace_id -> "admin" (in the workspace's
    `admins` group) or "user"; a workspace not listed has not been assigned the principal."""

    client_id: str  # the applicationId, a UUID
    secret: str
    name: str
    roles: dict = field(default_factory=dict)
    account_admin: bool = True


@dataclass(frozen=True)
class Grant:
    client_id: str
    workspace_id: int | None  # None: an account-level token
    expiry: float


def _oauth_error(status: int, error: str, description: str) -> Reply:
    """The token endpoint's error shape (RFC 6749 5.2), which the SDK turns into `ValueError("error: description")`."""
    return Reply(status, {"error": error, "error_id": secrets.token_hex(8), "error_description": description})


class OAuth:
    """The account's authorization server: mints tokens for its service principals and says whose a token is."""

    def __init__(self, account_id: str, principals: list[ServicePrincipal]) -> None:
        self.account_id = account_id
        self.principals = {p.client_id: p for p in principals}
        self.lifetime_s = LIFETIME_S
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self.issued: list[tuple[str, int | None]] = []  # (client_id, workspace_id or None), for tests to assert on

    # --- discovery -----------------------------------------------------------------------------------------
    @staticmethod
    def discovery(oidc_root: str) -> dict:
        return {"issuer": oidc_root, "authorization_endpoint": f"{oidc_root}/v1/authorize",
                "token_endpoint": f"{oidc_root}/v1/token", "jwks_uri": f"{oidc_root}/jwks.json",
                "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}

    def answer_oidc(self, route: str, method: str, headers, body: bytes, oidc_root: str,
                    workspace_id: int | None) -> tuple[int, dict]:
        """`route` relative to the OIDC root: the discovery document or the token endpoint."""
        if route == "/.well-known/oauth-authorization-server" and method == "GET":
            return 200, self.discovery(oidc_root)
        if route == "/v1/token" and method == "POST":
            return 200, self.token(headers.get("Authorization", ""), body, workspace_id)
        raise Reply(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"No API found for '{method} {route}'"})

    # --- the token endpoint --------------------------------------------------------------------------------
    def token(self, authorization: str, body: bytes, workspace_id: int | None) -> dict:
        try:
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            raise _oauth_error(400, "invalid_request", "Malformed request body") from None
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(authorization[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                raise _oauth_error(401, "invalid_client", "Client authentication failed") from None
        if form.get("grant_type") != "client_credentials":
            raise _oauth_error(400, "unsupported_grant_type", f"Grant type {form.get('grant_type')} is not supported")
        sp = self.principals.get(client_id or "")
        if sp is None or not secrets.compare_digest(sp.secret, secret or ""):
            raise _oauth_error(401, "invalid_client", "Client authentication failed")
        if workspace_id is not None and workspace_id not in sp.roles:
            raise _oauth_error(401, "invalid_client", "Client authentication failed")
        value = "eyJ" + secrets.token_urlsafe(32)  # opaque here; a JWT in reality
        with self._lock:
            self._grants[value] = Grant(sp.client_id, workspace_id, time.time() + self.lifetime_s)
            self.issued.append((sp.client_id, workspace_id))
        return {"access_token": value, "token_type": "Bearer", "expires_in": self.lifetime_s,
                "scope": form.get("scope") or "all-apis"}

    # --- checking a Bearer token ---------------------------------------------------------------------------
    def caller(self, authorization: str, workspace_id: int | None) -> ServicePrincipal | None:
        """The service principal a request's token was minted for, or None: not a live token of this account.
        Raises a 401 Reply for a live token that this host does not take: an account-level token at a workspace
        the principal is not assigned to, or a token minted by one workspace presented to another host."""
        if not authorization.startswith("Bearer "):
            return None
        with self._lock:
            grant = self._grants.get(authorization[7:])
        if grant is None or time.time() >= grant.expiry:
            return None
        sp = self.principals[grant.client_id]
        if workspace_id is None:
            if grant.workspace_id is not None:
                raise Reply(401, {"error_code": "UNAUTHENTICATED",
                                  "message": "A workspace-level token cannot call account APIs"})
            return sp
        if grant.workspace_id not in (None, workspace_id) or workspace_id not in sp.roles:
            raise Reply(401, {"error_code": "UNAUTHENTICATED",
                              "message": f"Unauthorized access to Org: {workspace_id}"})
        return sp

    def reset(self) -> None:
        """No tokens minted yet: every token so far is refused from now on, and `issued` is empty."""
        with self._lock:
            self._grants, self.issued = {}, []

    def expire_all(self) -> None:
        """Every token minted so far expires now, as after an hour: clients must fetch new ones."""
        with self._lock:
            self._grants = {k: Grant(g.client_id, g.workspace_id, 0.0) for k, g in self._grants.items()}
