"""Who an emulated workspace is within its account: the id, name and deployment name the account's workspace
listing gives, and the host the SDK builds from them."""

from __future__ import annotations

from dataclasses import dataclass

# databricks-sdk `environments.py`: AWS workspaces live at https://{deployment_name}.cloud.databricks.com and the
# account console at https://accounts.cloud.databricks.com (`DatabricksEnvironment.deployment_url`).
DNS_ZONE = ".cloud.databricks.com"
ACCOUNTS_HOST = "accounts" + DNS_ZONE


@dataclass(frozen=True)
class WorkspaceIdentity:
    workspace_id: int
    workspace_name: str
    deployment_name: str  # e.g. dbc-emu-1

    @property
    def host(self) -> str:
        """The workspace's public host name, as `AccountClient.get_workspace_client()` builds it."""
        return f"{self.deployment_name}{DNS_ZONE}"

    @property
    def url(self) -> str:
        return f"https://{self.host}"
