"""The REST client's HTTP session reads the environment once: proxies still apply, ~/.netrc never replaces the
token. Against the emulator, which serves a proxy's absolute-URL requests as well as direct ones."""

import random

import pytest

from dbx_inventory.api.rest import RestClient
from dbx_inventory.core.errors import NoResponse
from tests.conftest import TOKEN
from tests.fakes import FakeClock, token_auth

LISTING = ("dbfs", "/api/2.0/dbfs/list", {"path": "/Users"})


def client_for(url: str) -> RestClient:
    return RestClient(token_auth(url, TOKEN), clock=FakeClock(), rng=random.Random(1))


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_netrc_entry_for_the_host_does_not_replace_the_token(server, tmp_path, no_proxy_env):
    # requests would send this entry as basic auth in place of the Authorization header it was given.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-the-token\n")
    netrc.chmod(0o600)
    no_proxy_env.setenv("NETRC", str(netrc))
    body = client_for(server.url).get(*LISTING)
    assert body["files"]
    assert server.stats()["by_token"] == {"user": {"dbfs": 1}}


def test_the_proxy_variables_are_honoured(server, no_proxy_env):
    # The emulator stands for the proxy: the client asks it for an absolute URL on a host that does not
    # resolve, as a client behind a corporate proxy does.
    no_proxy_env.setenv("HTTP_PROXY", server.url)
    body = client_for("http://workspace.invalid").get(*LISTING)
    assert body["files"]
    assert server.stats()["requests"] == {"dbfs": 1}


def test_no_proxy_takes_the_host_out_of_the_proxy(server, no_proxy_env):
    no_proxy_env.setenv("HTTP_PROXY", server.url)
    no_proxy_env.setenv("NO_PROXY", "workspace.invalid")
    with pytest.raises(NoResponse, match="no such host"):  # straight to a host that does not resolve
        client_for("http://workspace.invalid").get(*LISTING)
    assert server.stats()["requests"] == {}
