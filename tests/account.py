"""An emulated account for the tests: N workspaces, the account host and the TLS front door (emulator/fleet.py),
with what a test needs to drive the real SDK or the real scripts at them. The `emulated_account` fixture
(conftest.py) gives one, shared by the session and reset for each test; `start_account()` makes another."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from emulator import EmulatorServer, Faults
from emulator.account import Member
from emulator.fleet import Fleet
from emulator.oauth import ServicePrincipal
from tests.conftest import NO_LIMITS, clean_env


@dataclass
class EmulatedWorkspace:
    """One running workspace of the account."""

    server: EmulatorServer
    member: Member

    @property
    def workspace_id(self) -> int:
        return self.member.identity.workspace_id

    @property
    def name(self) -> str:
        """workspace_name, also its profile's name in write_databrickscfg()."""
        return self.member.identity.workspace_name

    @property
    def host(self) -> str:
        """The deployment host, dbc-emu-N.cloud.databricks.com: what an output's `workspace` column holds for a
        workspace reached at https://{host}."""
        return self.member.identity.host

    @property
    def https_url(self) -> str:
        """https://dbc-emu-N.cloud.databricks.com, reached through the front door."""
        return self.member.identity.url

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, reached directly (NO_PROXY)."""
        return self.server.url

    @property
    def token(self) -> str:
        assert self.member.token is not None
        return self.member.token

    @property
    def users(self) -> list[dict]:
        """Its SCIM users."""
        return self.server.ws.users

    @cached_property
    def truth(self) -> dict:
        """Ground truth per home (emulator/workspace.py's shape), owner_status as the account tells it: the
        leftover homes are "unassigned" or "removed"."""
        return self.member.ground_truth()

    @property
    def account_status(self) -> dict[str, str]:
        """Leftover home -> "unassigned" | "removed"."""
        return self.member.account_status

    @property
    def removed_kinds(self) -> dict[str, str]:
        """Leftover home -> "unassigned" | "unassigned_case" | "absent" | "deactivated" (emulator/account.py)."""
        return self.member.removed_kinds


class EmulatedAccount:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.workspaces = [EmulatedWorkspace(srv, m) for srv, m in zip(fleet.servers, fleet.members)]

    @property
    def account_id(self) -> str:
        return self.fleet.account.account_id

    @property
    def host(self) -> str:
        """https://accounts.cloud.databricks.com"""
        return self.fleet.account_url

    @property
    def principal(self) -> ServicePrincipal:
        """inventory-sp: account admin, admin of every running workspace."""
        return self.fleet.account.principal("inventory-sp")

    @property
    def limited(self) -> ServicePrincipal:
        """limited-sp: account admin; a plain user of the first workspace, not assigned to the second, admin of
        the others."""
        return self.fleet.account.principal("limited-sp")

    @property
    def client_id(self) -> str:
        return self.principal.client_id

    @property
    def client_secret(self) -> str:
        return self.principal.secret

    @property
    def listing(self) -> list[dict]:
        """The account's workspace listing, the one still provisioning included."""
        return self.fleet.account.listing()

    @property
    def users(self) -> list[dict]:
        """The account's SCIM users."""
        return self.fleet.account.users

    @property
    def server(self):
        """The account host's AccountServer (stats(), reset_stats(), scim_page_cap)."""
        return self.fleet.account_server

    @property
    def oauth(self):
        """The account's OAuth authority: `issued` lists (client_id, workspace_id or None) per token minted."""
        return self.fleet.account.oauth

    @property
    def door(self):
        """The front door: `connects` counts tunnels per host; `routes` maps host -> port."""
        return self.fleet.door

    @property
    def proxy_env(self) -> dict[str, str]:
        """HTTPS_PROXY/https_proxy, NO_PROXY/no_proxy (127.0.0.1 stays direct) and REQUESTS_CA_BUNDLE."""
        return self.fleet.env()

    def env(self, tmp_path: Path, **extra: str) -> dict[str, str]:
        """A subprocess's environment: clean_env() (no DATABRICKS_* variables, HOME in tmp_path) plus proxy_env."""
        return clean_env(tmp_path, **{**self.proxy_env, **extra})

    def write_databrickscfg(self, path: Path, hosts: str = "deployment", principal: str = "inventory-sp") -> Path:
        """One profile per running workspace, named workspace_name (host, token), and [account] (host,
        account_id, client_id, client_secret of `principal`). hosts="deployment": https://dbc-emu-N...;
        "direct": http://127.0.0.1:PORT."""
        return self.fleet.databrickscfg(path, hosts=hosts, principal=principal)

    def reset(self) -> EmulatedAccount:
        """As a test finds the account: no faults, fresh counters, no OAuth token minted, every route in place."""
        for w in self.workspaces:
            w.server.set_faults(NO_LIMITS)
            w.server.set_token(w.token)
            w.server.reset_stats()
        self.server.reset_stats()
        self.oauth.reset()
        if self.door is not None:
            self.door.routes = self.fleet.routes()
            self.door.connects.clear()
        return self


@contextmanager
def start_account(workspaces: int = 3, users: int = 24, seed: int = 100,
                  faults: Faults = NO_LIMITS) -> Iterator[EmulatedAccount]:
    with Fleet(faults=faults, workspaces=workspaces, users=users, seed=seed) as fleet:
        yield EmulatedAccount(fleet)
