"""The account behind several workspaces, through databricks-sdk's AccountClient: its running workspaces, a
client for each with the account's own credentials, and its users (docs/api-notes.md, "Accounts").

The account's credentials come from the SDK's unified auth like a workspace's: a profile with `host =
https://accounts.cloud.databricks.com` (or the Azure or GCP account host) and `account_id`, usually OAuth M2M.
`get_workspace_client` reaches a workspace with those credentials when the principal is assigned to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.errors import ApiError, AuthError, ConfigError, InventoryError, Unauthenticated
from .config import NO_CREDENTIALS, AuthOptions, resolve_config
from .hosts import workspace_label
from .rest import RestClient
from .scim import iter_pages

RUNNING = "RUNNING"


@dataclass(frozen=True)
class AccountWorkspace:
    label: str  # host[:port]
    name: str
    id: str
    config: Any  # the SDK Config of a client for it, with the account's credentials
    url: str = ""
    deployment_name: str = ""


class Account:
    def __init__(self, profile: str | None, probe_seconds: int = 10) -> None:
        from databricks.sdk import AccountClient

        try:
            config = resolve_config(AuthOptions(profile=profile, probe_seconds=probe_seconds))
        except ConfigError as exc:
            if profile or str(exc) != NO_CREDENTIALS:
                raise
            raise ConfigError("no account credentials found: pass --account-profile NAME (a profile with host = "
                              "https://accounts.cloud.databricks.com and account_id), or set DATABRICKS_HOST, "
                              "DATABRICKS_ACCOUNT_ID and OAuth (DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET)") from None
        if not config.is_account_client or not config.account_id:
            where = f"profile '{profile}'" if profile else "the environment"
            raise ConfigError(f"{where} is not an account's: the account needs host = https://accounts.cloud.databricks.com "
                              "(or the account host of Azure or GCP) and account_id (see --account-profile)")
        self.config = config
        self.client = AccountClient(config=config)

    def workspaces(self) -> list[AccountWorkspace]:
        """The account's running workspaces, each with a client config; the others are left out, as a
        workspace being provisioned or deleted has no homes to scan."""
        try:
            listed = list(self.client.workspaces.list())
        except Exception as exc:
            raise _failure("list the account's workspaces", exc,
                           "where the listing is not available (it has been on Azure), list the URLs in a "
                           "--workspaces file") from None
        out = []
        for ws in listed:
            status = getattr(ws.workspace_status, "value", ws.workspace_status)
            if status != RUNNING or not ws.deployment_name:
                continue
            try:
                config = self.client.get_workspace_client(ws).config
            except Exception as exc:
                raise _failure(f"reach workspace {ws.workspace_name or ws.deployment_name}", exc) from None
            out.append(AccountWorkspace(workspace_label(config.host), ws.workspace_name or "", str(ws.workspace_id or ""),
                                        config, config.host, ws.deployment_name))
        return out

    def config_for(self, url: str) -> Any:
        """A client config for the workspace at `url` with the account's credentials, as the SDK's
        get_workspace_client makes one from a listed workspace."""
        config = self.config.deep_copy()  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated
        config.host = url
        config.account_id = None
        try:
            config.init_auth()
        except Exception as exc:
            raise _failure(f"reach {url} with the account's credentials", exc) from None
        return config

    def users(self, client: RestClient) -> dict[str, bool]:
        """Every user of the account, by case-folded userName: True if active. Joined to the workspaces'
        users on userName without case, as identity federation does."""
        people: dict[str, bool] = {}
        endpoint = f"/api/2.0/accounts/{self.config.account_id}/scim/v2/Users"
        try:
            for page in iter_pages(client, endpoint, {"attributes": "userName,active"}):
                for r in page:
                    if isinstance(r.get("userName"), str):
                        people[r["userName"].casefold()] = r.get("active") is not False
        except Unauthenticated as exc:
            raise AuthError(f"authentication failed while listing the account's users ({exc.describe()})") from exc
        except ApiError as exc:
            raise InventoryError(f"cannot list the account's users ({exc.describe()}): without them a home "
                                 "whose owner left a workspace cannot be told unassigned or removed") from None
        return people


def _failure(what: str, exc: Exception, hint: str = "") -> InventoryError:
    """The SDK's error as one sentence: its message, without the config dump it sometimes carries."""
    message = str(exc).split(". Config:")[0].strip() or type(exc).__name__
    status = getattr(exc, "error_code", None) or ""
    kind = AuthError if status in ("UNAUTHENTICATED", "PERMISSION_DENIED") or "401" in message else InventoryError
    return kind(f"cannot {what} ({message}){': ' + hint if hint else ''}")

