"""The bearer token that Spark tasks carry, and its end.

A task's payload can be read by whoever can read the cluster's task payloads, and a masked token in it is
only obfuscated (auth.py). So, with a personal access token, the tasks get a token of their own, minted
through the Token API (https://docs.databricks.com/api/workspace/tokens/create) with a lifetime that covers
the run, and revoked when the run ends, however it ends; after a kill it expires by itself. Where minting is
not allowed (tokens disabled, no permission, the API absent), the tasks carry this run's token, masked, as
one warning says. With OAuth and the other short-lived credentials, the tasks carry the current access
token: it expires within about an hour anyway, and the tasks cannot refresh it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import threading
from typing import Any

from ..core.errors import ApiError, InventoryError
from ..core.redact import add_secret
from .rest import RestClient

log = logging.getLogger("dbx_inventory")

COMMENT = "dbx-inventory Spark tasks (revoked when the run ends)"
# The lifetime asked for. A task scans its share of the users, up to its workers at a time; a generous bound
# on one user is a minute of listing plus one whole retry deadline (a user whose requests met the workspace
# at its worst). At least an hour, for Spark to start and for small runs; at most a day, so that a token left
# behind by a killed run does not live long. A run that outlasts it stops when the tasks' requests are refused
# ("the credentials stopped working"), with its users saved, and --resume mints a new token.
MIN_LIFETIME = 3600
MAX_LIFETIME = 24 * 3600
PER_USER_SECONDS = 60.0
REVOKE_DEADLINE = 30.0  # revoking at the end of a run, or after Ctrl-C, waits at most this long


def task_lifetime(users: int, tasks: int, retry_deadline: float) -> int:
    """Seconds of lifetime for the tasks' token: a generous bound on the run, see above."""
    per_task = math.ceil(max(1, users) / max(1, tasks))
    bound = per_task * (PER_USER_SECONDS + retry_deadline)
    return int(min(MAX_LIFETIME, max(MIN_LIFETIME, bound)))


def _minted_shape(body: Any) -> str | None:
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    info = body.get("token_info")
    if not isinstance(body.get("token_value"), str) or not body["token_value"]:
        return "no token_value"
    if not isinstance(info, dict) or not info.get("token_id"):
        return "no token_info.token_id"
    return None


class TaskToken:
    """One per run: `value()` gives the token for the next Spark job's tasks, `revoke()` ends a minted one.
    Both are safe to call from any thread; `revoke()` may be called more than once."""

    def __init__(self, client: RestClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._minted: tuple[str, str, float] | None = None  # token_id, value, expiry (epoch seconds)
        self._refused = False  # minting is not allowed here: the tasks carry the run's own token
        self._revoked = False

    @property
    def minted(self) -> bool:
        return self._minted is not None

    def value(self, lifetime: int) -> str:
        """The token for the tasks: minted once (with a personal access token), else the current one."""
        with self._lock:
            if self._revoked:
                raise InventoryError("the Spark tasks' token was revoked: the run is ending")
            if getattr(self._client.config, "auth_type", None) != "pat":
                return self._current()  # OAuth and the like: short-lived already, refreshed for each job
            if self._minted is None and not self._refused:
                self._mint(lifetime)
            return self._minted[1] if self._minted else self._current()

    def _current(self) -> str:
        header = self._client.config.authenticate().get("Authorization", "")
        return header[len("Bearer "):] if header.startswith("Bearer ") else ""

    def _mint(self, lifetime: int) -> None:
        try:
            body = self._client.post("tokens", "/api/2.0/token/create",
                                     {"lifetime_seconds": lifetime, "comment": COMMENT}, shape=_minted_shape)
        except ApiError as exc:
            self._refused = True
            log.warning("could not create a short-lived token for the Spark tasks (%s): they carry this run's own "
                        "token, masked, which whoever can read the tasks' payloads can recover", exc.describe())
            return
        value = body["token_value"]
        add_secret(value)  # before anything can print it
        token_id = str(body["token_info"]["token_id"])
        self._minted = (token_id, value, self._client.clock.epoch() + lifetime)
        log.debug("Spark tasks: a token of their own, %s, valid for %d s", token_id, lifetime)

    def revoke(self) -> None:
        """However the run ended: revoke a minted token (bounded, so that an interrupted run ends soon)."""
        with self._lock:
            if self._revoked:
                return
            self._revoked = True
            if self._minted is None:
                return
            token_id, _, expiry = self._minted
        policy = dataclasses.replace(self._client.policy, deadline=min(self._client.policy.deadline, REVOKE_DEADLINE))
        try:
            self._client.post("tokens", "/api/2.0/token/delete", {"token_id": token_id}, policy=policy)
        except (ApiError, InventoryError) as exc:
            when = dt.datetime.fromtimestamp(expiry, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            detail = exc.describe() if isinstance(exc, ApiError) else str(exc)
            log.warning("could not revoke the Spark tasks' token %s (%s): it expires by itself at %s", token_id,
                        detail, when)
            return
        log.debug("Spark tasks: token %s revoked", token_id)
