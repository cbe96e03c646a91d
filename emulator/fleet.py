"""An emulated account at work: one EmulatorServer per running workspace, the account server and the front door,
started and stopped together. For the tests (tests/account.py), `python -m emulator --workspaces N` and demos."""

from __future__ import annotations

from pathlib import Path

from .account import Account, Member, build_account
from .account_server import AccountServer
from .frontdoor import FrontDoor
from .identity import ACCOUNTS_HOST
from .server import EmulatorServer
from .settings import Faults


class Fleet:
    def __init__(self, account: Account | None = None, faults: Faults | None = None, **build) -> None:
        self.account = account or build_account(**build)
        self.servers = [EmulatorServer(m.workspace, token=m.token, faults=faults, identity=m.identity,
                                       oauth=self.account.oauth) for m in self.account.running]
        self.account_server = AccountServer(self.account)
        self.door: FrontDoor | None = None

    @property
    def members(self) -> list[Member]:
        """The running workspaces, in the order of `servers`."""
        return self.account.running

    @property
    def account_url(self) -> str:
        return f"https://{ACCOUNTS_HOST}"

    def routes(self) -> dict[str, int]:
        routes = {srv.identity.host: srv.port for srv in self.servers}
        routes[ACCOUNTS_HOST] = self.account_server.port
        return routes

    def start(self) -> Fleet:
        for srv in self.servers:
            srv.start()
        self.account_server.start()
        self.door = FrontDoor(self.routes()).start()
        return self

    def stop(self) -> None:
        if self.door:
            self.door.stop()
        self.account_server.stop()
        for srv in self.servers:
            srv.stop()

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """What a process needs to reach the emulated hosts through the front door (frontdoor.py)."""
        assert self.door is not None, "start() first"
        return self.door.env()

    def databrickscfg(self, path: Path, hosts: str = "deployment", principal: str = "inventory-sp") -> Path:
        """A config file with a profile per running workspace (named after the workspace: host and its token) and
        an `account` profile (the account host, account_id and `principal`'s OAuth client id and secret).
        hosts="deployment": workspace hosts are https://dbc-emu-N.cloud.databricks.com (through the front door);
        "direct": http://127.0.0.1:PORT."""
        if hosts not in ("deployment", "direct"):
            raise ValueError(f"hosts must be 'deployment' or 'direct', not {hosts!r}")
        sp = self.account.principal(principal)
        lines = []
        for m, srv in zip(self.members, self.servers):
            host = m.identity.url if hosts == "deployment" else srv.url
            lines += [f"[{m.identity.workspace_name}]", f"host = {host}", f"token = {m.token}", ""]
        lines += ["[account]", f"host = {self.account_url}", f"account_id = {self.account.account_id}",
                  f"client_id = {sp.client_id}", f"client_secret = {sp.secret}", ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path
