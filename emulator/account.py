"""A synthetic Databricks account: its workspaces (each a synthetic Workspace of its own seed), its people, its
service principals, and the ground truth of whose leftover home is whose.

People. Every SCIM user of every workspace is an active account user (identity federation: users live in the
account and are assigned to workspaces). Each running workspace also holds the homes of four users it no longer
lists in SCIM, one of each kind the account tells apart (`REMOVED_KINDS`):
- "unassigned": an active account user assigned to another workspace: a SCIM user of the next workspace;
- "unassigned_case": likewise, an active account user (assigned only to the workspace still provisioning) whose
  account userName differs from the home folder's name in case only: identities join case-insensitively;
- "absent": gone from the account;
- "deactivated": still in the account, `active: false`.
The first two are "unassigned" to a scanner that reads the account's SCIM, the last two "removed"
(`ACCOUNT_STATUS`).

Service principals (OAuth M2M, oauth.py): "inventory-sp" is an account admin and an admin of every running
workspace. "limited-sp" is an account admin too, but only a plain user (not in `admins`) of the first workspace,
not assigned to the second, and an admin of the others."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from .identity import WorkspaceIdentity
from .oauth import OAuth, ServicePrincipal
from .workspace import Workspace, build_workspace

REMOVED_KINDS = ("unassigned", "unassigned_case", "absent", "deactivated")
ACCOUNT_STATUS = {"unassigned": "unassigned", "unassigned_case": "unassigned", "absent": "removed",
                  "deactivated": "removed"}
NOW_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z, the synthetic workspaces' "now"


@dataclass
class Member:
    """One workspace of the account. A workspace not RUNNING has no Workspace, token or server."""

    identity: WorkspaceIdentity
    status: str  # RUNNING, PROVISIONING, ...
    workspace: Workspace | None = None
    token: str | None = None  # a personal access token of the workspace's admin
    removed_kinds: dict[str, str] = field(default_factory=dict)  # leftover home -> one of REMOVED_KINDS

    def listing(self, account_id: str, index: int) -> dict:
        """Its entry in GET /api/2.0/accounts/{account_id}/workspaces."""
        entry = {"account_id": account_id, "workspace_id": self.identity.workspace_id,
                 "workspace_name": self.identity.workspace_name, "deployment_name": self.identity.deployment_name,
                 "workspace_status": self.status, "cloud": "aws", "aws_region": "us-west-2",
                 "pricing_tier": "PREMIUM", "creation_time": NOW_MS - (index + 1) * 86_400_000 * 90,
                 "credentials_id": str(uuid.UUID(int=self.identity.workspace_id)),
                 "storage_configuration_id": str(uuid.UUID(int=self.identity.workspace_id + 1))}
        if self.status == "RUNNING":
            entry["workspace_status_message"] = "Workspace is running."
        else:
            entry["workspace_status_message"] = "Workspace resources are being set up."
        return entry

    @property
    def account_status(self) -> dict[str, str]:
        """Leftover home -> "unassigned" or "removed", as a scanner with the account's SCIM should call it."""
        return {home: ACCOUNT_STATUS[kind] for home, kind in self.removed_kinds.items()}

    def ground_truth(self) -> dict:
        """The workspace's ground truth (workspace.py), with each leftover home's owner_status as the account
        tells it: "unassigned" or "removed"."""
        assert self.workspace is not None, "only a running workspace has data"
        truth = self.workspace.ground_truth()
        for home, status in self.account_status.items():
            truth[home]["owner_status"] = status
        return truth


@dataclass
class Account:
    account_id: str
    members: list[Member]
    users: list[dict]  # account SCIM Users
    principals: list[ServicePrincipal]
    oauth: OAuth

    @property
    def running(self) -> list[Member]:
        return [m for m in self.members if m.status == "RUNNING"]

    def listing(self) -> list[dict]:
        return [m.listing(self.account_id, i) for i, m in enumerate(self.members)]

    def principal(self, name: str) -> ServicePrincipal:
        return next(p for p in self.principals if p.name == name)

    @property
    def service_principals(self) -> list[dict]:
        """Account SCIM ServicePrincipals."""
        return [{"id": str(int(p.client_id.replace("-", "")[:12], 16)), "applicationId": p.client_id,
                 "displayName": p.name, "active": True} for p in self.principals]


def _user(rng: random.Random, name: str, active: bool) -> dict:
    return {"id": str(rng.randrange(10**15, 10**16)), "userName": name, "displayName": name.split("@")[0],
            "active": active, "emails": [{"value": name, "type": "work", "primary": True}]}


def build_account(workspaces: int = 3, users: int = 24, seed: int = 100) -> Account:
    """`workspaces` running workspaces of `users` users each (seeds seed+1, seed+2, ...), one more workspace
    still provisioning, and the account's people and service principals (see the module's docstring)."""
    if workspaces < 1:
        raise ValueError("an account needs at least one running workspace")
    rng = random.Random(f"account:{seed}")
    account_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    members = []
    for i in range(workspaces + 1):
        ident = WorkspaceIdentity(1_111_111_111_111_000 + i + 1, f"emulated-{i + 1}", f"dbc-emu-{i + 1}")
        if i == workspaces:
            members.append(Member(ident, "PROVISIONING"))
        else:
            ws = build_workspace(seed=seed + i + 1, users=users)
            members.append(Member(ident, "RUNNING", ws, f"dapi{rng.getrandbits(128):032x}-ws{i + 1}"))
    running = [m for m in members if m.workspace is not None]

    account_users: dict[str, dict] = {}  # casefolded userName -> account SCIM user
    for m in running:
        for u in m.workspace.users:  # type: ignore[union-attr]
            account_users.setdefault(u["userName"].casefold(), _user(rng, u["userName"], True))
    for i, m in enumerate(running):
        ws = m.workspace
        assert ws is not None
        here = {u["userName"].casefold() for u in ws.users}
        homes = {}
        nxt = running[(i + 1) % len(running)].workspace
        if nxt is not ws:
            assert nxt is not None
            homes["unassigned"] = next(u["userName"] for u in nxt.users if u["userName"].casefold() not in here)
        elsewhere = f"Someone.Elsewhere{i + 1}@Example.com"
        account_users[elsewhere.casefold()] = _user(rng, elsewhere, True)
        homes["unassigned_case"] = elsewhere.lower()
        homes["absent"] = f"gone.for.good{i + 1}@example.com"
        deactivated = f"deactivated.user{i + 1}@example.com"
        account_users[deactivated.casefold()] = _user(rng, deactivated, False)
        homes["deactivated"] = deactivated
        for kind, home in homes.items():
            ws.add_removed_home(home)
            m.removed_kinds[home] = kind

    def sp(name: str, roles: dict) -> ServicePrincipal:
        return ServicePrincipal(str(uuid.UUID(int=rng.getrandbits(128), version=4)), f"dose{rng.getrandbits(128):032x}",
                                name, roles)

    ids = [m.identity.workspace_id for m in running]
    limited = {wid: "admin" for wid in ids[2:]}
    limited[ids[0]] = "user"
    principals = [sp("inventory-sp", {wid: "admin" for wid in ids}), sp("limited-sp", limited)]
    return Account(account_id, members, list(account_users.values()), principals, OAuth(account_id, principals))
