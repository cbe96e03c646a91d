"""The Spark tasks' token, in process against the emulator: minted with a personal access token, the current
one otherwise, revoked once, never printed."""

from __future__ import annotations

import random

import pytest

from dbx_inventory.api.pacer import Pacer
from dbx_inventory.api.rest import FAMILIES, RestClient
from dbx_inventory.api.retry import RetryPolicy
from dbx_inventory.api.task_token import TaskToken
from dbx_inventory.core.errors import InventoryError
from dbx_inventory.core.redact import redact
from emulator import Faults
from tests.conftest import TOKEN
from tests.fakes import FakeClock, token_auth


class PatConfig:
    """What RestClient and TaskToken read of the SDK's Config, for a personal access token."""

    auth_type = "pat"

    def __init__(self, host: str, token: str) -> None:
        self.host, self._token = host, token

    def authenticate(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}


def client_for(config) -> RestClient:
    clock = FakeClock()
    return RestClient(config, RetryPolicy(deadline=5), clock, {f: Pacer(f, clock) for f in FAMILIES},
                      rng=random.Random(1))


def test_with_a_personal_access_token_one_token_is_minted_and_revoked(server):
    task_token = TaskToken(client_for(PatConfig(server.url, TOKEN)))
    value = task_token.value(7200)
    assert value != TOKEN and task_token.value(7200) == value  # minted once for the whole run
    assert redact(f"echoed {value}") == "echoed ***"  # known to the redaction from the start
    (token_id, minted), = server.stats()["tokens"].items()
    assert minted["lifetime_seconds"] == 7200 and "dbx-inventory" in minted["comment"]
    task_token.revoke()
    task_token.revoke()  # a second call does nothing
    assert server.stats()["tokens"][token_id]["deleted"]
    with pytest.raises(InventoryError):
        task_token.value(7200)


def test_where_minting_is_refused_the_run_token_travels_with_one_warning(server, caplog):
    server.set_faults(Faults(rate=None, refuse_tokens=(400, "FEATURE_DISABLED")))
    task_token = TaskToken(client_for(PatConfig(server.url, TOKEN)))
    assert task_token.value(3600) == TOKEN and task_token.value(3600) == TOKEN
    assert len([r for r in caplog.records if "could not create a short-lived token" in r.getMessage()]) == 1
    assert server.stats()["requests"]["tokens"] == 1  # asked once, not per chunk
    task_token.revoke()


def test_other_credentials_pass_the_current_access_token(server):
    task_token = TaskToken(client_for(token_auth(server.url, TOKEN)))  # no auth_type "pat": OAuth and the like
    assert task_token.value(3600) == TOKEN
    task_token.revoke()
    assert server.stats()["tokens"] == {} and "tokens" not in server.stats()["requests"]
