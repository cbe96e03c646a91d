"""The emulated account through the real databricks-sdk, in process: the account host, OAuth M2M, the workspace
listing, account SCIM, and every workspace reached at https://dbc-emu-N.cloud.databricks.com through the front
door. The process's environment carries only the proxy and the test CA (monkeypatch), as a subprocess's would."""

from __future__ import annotations

import os
import subprocess
import sys

import certifi
import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.service.provisioning import WorkspaceStatus

from tests.account import EmulatedAccount


@pytest.fixture
def acct(emulated_account: EmulatedAccount, monkeypatch, tmp_path) -> EmulatedAccount:
    """The account, with this process set up as a process under test: the proxy, the test CA, no Databricks
    variables and no config file."""
    for k in list(os.environ):
        if k.startswith(("DATABRICKS_", "ARM_", "AZURE_")):
            monkeypatch.delenv(k)
    monkeypatch.setenv("HOME", str(tmp_path))
    for k, v in emulated_account.proxy_env.items():
        monkeypatch.setenv(k, v)
    return emulated_account


def account_client(acct: EmulatedAccount, client_id: str | None = None, secret: str | None = None) -> AccountClient:
    return AccountClient(host=acct.host, account_id=acct.account_id, client_id=client_id or acct.client_id,
                         client_secret=secret or acct.client_secret)


def is_admin(w: WorkspaceClient) -> bool:
    return any(g.display == "admins" for g in w.current_user.me().groups or [])


def test_the_account_lists_its_workspaces_and_reaches_each_running_one(acct):
    a = account_client(acct)
    listed = list(a.workspaces.list())
    assert [w.workspace_id for w in listed] == [w["workspace_id"] for w in acct.listing]
    assert [w.workspace_status for w in listed].count(WorkspaceStatus.PROVISIONING) == 1
    running = [w for w in listed if w.workspace_status == WorkspaceStatus.RUNNING]
    assert [w.deployment_name for w in running] == [w.host.split(".")[0] for w in acct.workspaces]
    for ws, emulated in zip(running, acct.workspaces):
        w = a.get_workspace_client(ws)
        assert w.config.host == emulated.https_url
        assert is_admin(w)
        assert sorted(u.user_name for u in w.users.list()) == sorted(u["userName"] for u in emulated.users)
        homes = {o.path.rsplit("/", 1)[1] for o in w.workspace.list("/Users")}
        assert set(emulated.removed_kinds) <= homes
        assert emulated.server.stats()["by_token"], "the workspace saw the SDK's calls"
    # Every workspace call went through the door, with an account-level token (get_workspace_client keeps the
    # account's OIDC endpoint).
    assert all(acct.door.connects.get(w.host) for w in acct.workspaces)
    assert {wid for _, wid in acct.oauth.issued} == {None}


def test_account_scim_tells_the_kinds_of_leftover_homes_apart(acct):
    acct.server.scim_page_cap = 10  # the SDK pages by the number of users a page gives
    try:
        people = {u.user_name.casefold(): u for u in account_client(acct).users.list()}
    finally:
        acct.server.scim_page_cap = 100
    assert len(people) == len(acct.users) and acct.server.stats()["requests"]["scim"] > len(acct.users) // 10
    for w in acct.workspaces:
        assert all(people[u["userName"].casefold()].active for u in w.users)
        for home, kind in w.removed_kinds.items():
            person = people.get(home.casefold())
            if kind in ("unassigned", "unassigned_case"):
                assert person is not None and person.active and w.account_status[home] == "unassigned", home
            elif kind == "absent":
                assert person is None and w.account_status[home] == "removed", home
            else:
                assert person is not None and person.active is False and w.account_status[home] == "removed", home
            assert w.truth[home]["owner_status"] == w.account_status[home]
        case = next(h for h, k in w.removed_kinds.items() if k == "unassigned_case")
        assert people[case.casefold()].user_name != case, "the account's userName differs from the home in case"
    one = acct.users[5]["userName"]
    found = list(account_client(acct).users.list(filter=f'userName eq "{one.upper()}"'))
    assert [u.user_name for u in found] == [one]


def test_a_wrong_secret_is_refused_with_invalid_client(acct):
    a = account_client(acct, secret="dose-not-the-secret")
    with pytest.raises(Exception, match="invalid_client: Client authentication failed"):
        list(a.workspaces.list())
    assert acct.oauth.issued == []


def test_a_principal_is_refused_where_it_is_not_assigned_and_is_no_admin_where_it_is_a_user(acct):
    a = account_client(acct, acct.limited.client_id, acct.limited.secret)
    first, second, third = [w for w in a.workspaces.list() if w.workspace_status == WorkspaceStatus.RUNNING]
    assert not is_admin(a.get_workspace_client(first))
    with pytest.raises(Exception, match=f"Unauthorized access to Org: {second.workspace_id}") as refused:
        a.get_workspace_client(second).current_user.me()
    assert type(refused.value).__name__ == "Unauthenticated"  # the SDK's class for a 401
    assert is_admin(a.get_workspace_client(third))


def test_workspace_level_oauth_from_the_workspace_host(acct):
    first, second = acct.workspaces[:2]
    w = WorkspaceClient(host=first.https_url, client_id=acct.client_id, client_secret=acct.client_secret)
    assert is_admin(w)
    assert acct.oauth.issued == [(acct.client_id, first.workspace_id)]
    # A workspace's own token endpoint refuses a principal not assigned to it.
    w = WorkspaceClient(host=second.https_url, client_id=acct.limited.client_id, client_secret=acct.limited.secret)
    with pytest.raises(Exception, match="invalid_client"):
        w.current_user.me()


def test_the_front_door_serves_plain_requests_and_leaves_loopback_direct(acct, monkeypatch):
    # Even with a proxy for plain http in the environment too, as CI machines may have, NO_PROXY keeps 127.0.0.1
    # direct.
    monkeypatch.setenv("HTTP_PROXY", acct.door.url)
    monkeypatch.setenv("http_proxy", acct.door.url)
    w = acct.workspaces[0]
    auth = {"Authorization": f"Bearer {w.token}"}
    r = requests.get(f"{w.https_url}/api/2.0/preview/scim/v2/Users", headers=auth, params={"count": 1}, timeout=10)
    assert r.status_code == 200 and r.json()["totalResults"] == len(w.users)
    assert acct.door.connects == {w.host: 1}
    r = requests.get(f"{w.url}/api/2.0/preview/scim/v2/Users", headers=auth, params={"count": 1}, timeout=10)
    assert r.status_code == 200 and acct.door.connects == {w.host: 1}, "NO_PROXY keeps 127.0.0.1 direct"
    # A workspace's token is its own: the next workspace refuses it.
    r = requests.get(f"{acct.workspaces[1].https_url}/api/2.0/preview/scim/v2/Users", headers=auth, timeout=10)
    assert r.status_code == 403
    with pytest.raises(requests.exceptions.ProxyError):
        requests.get("https://dbc-unknown.cloud.databricks.com/api/2.0/preview/scim/v2/Me", timeout=10)
    with pytest.raises(requests.exceptions.SSLError):  # only the test CA vouches for the door's certificate
        requests.get(f"{w.https_url}/api/2.0/preview/scim/v2/Me", headers=auth, timeout=10, verify=certifi.where())


def test_a_subprocess_reaches_the_account_with_the_env_and_profiles_alone(emulated_account, tmp_path):
    env = emulated_account.env(tmp_path)
    emulated_account.write_databrickscfg(tmp_path / "home" / ".databrickscfg")
    code = ("from databricks.sdk import AccountClient, WorkspaceClient\n"
            "a = AccountClient(profile='account')\n"
            "print(sorted(w.deployment_name for w in a.workspaces.list()))\n"
            "print(sum(1 for _ in WorkspaceClient(profile='emulated-2').users.list()))\n")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    names, users = r.stdout.splitlines()
    assert names == str(sorted(w["deployment_name"] for w in emulated_account.listing))
    assert int(users) == len(emulated_account.workspaces[1].users)
    assert emulated_account.door.connects.get(emulated_account.workspaces[1].host)


def test_python_m_emulator_starts_an_account(tmp_path):
    cfg = tmp_path / "databrickscfg"
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "--workspaces", "2", "--users", "12", "--rate", "none",
                             "--databrickscfg", str(cfg)], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("READY "):
                break
        exports = next(x for x in lines if x.strip().startswith("export "))
        env = dict(kv.split("=", 1) for kv in exports.split()[1:])
        profile = cfg.read_text()
        token = profile.split("[emulated-1]\nhost = https://dbc-emu-1.cloud.databricks.com\ntoken = ")[1].split()[0]
        r = requests.get("https://dbc-emu-1.cloud.databricks.com/api/2.0/preview/scim/v2/Me", timeout=10,
                         headers={"Authorization": f"Bearer {token}"}, verify=env["REQUESTS_CA_BUNDLE"],
                         proxies={"https": env["HTTPS_PROXY"]})
    finally:
        proc.terminate()
        proc.wait(10)
    assert lines[-1] == "READY https://accounts.cloud.databricks.com"
    assert sum(" RUNNING: https://dbc-emu-" in x for x in lines) == 2 and any(" PROVISIONING" in x for x in lines)
    assert r.status_code == 200 and r.json()["userName"] == "workspace.admin@example.com"
    assert proc.returncode == 0
