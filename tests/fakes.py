"""Doubles that implement the real interfaces, for the few tests that run parts of the package in process."""

from __future__ import annotations

import threading

from dbx_inventory.api.auth import MaskedToken, StaticAuth
from dbx_inventory.core.locations import HOME_DBFS, HOME_WORKSPACE


class FakeClock:
    """A clock whose sleep advances time instantly; records every sleep for assertions."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def time(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if seconds > 0:
                self._now += seconds

    def epoch(self) -> float:
        return 1_700_000_000.0 + self.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class NoHttp:
    """A client for walks whose listers and exporter answer in process: any request through it is a bug."""

    host = "http://127.0.0.1:9"

    def get(self, *args, **kwargs):
        raise AssertionError("this walk must not make HTTP requests")

    class access:  # noqa: N801 - stands for RestClient.access
        @staticmethod
        def confirm() -> None:
            """The credentials still work: a 401 or 403 is about that one place."""


def token_auth(url: str, token: str) -> StaticAuth:
    """The credentials a Spark task carries: enough for RestClient, without the SDK's resolution."""
    return StaticAuth(url, MaskedToken(token))


WORKSPACE_HOME = (HOME_WORKSPACE,)
BOTH_HOMES = (HOME_DBFS, HOME_WORKSPACE)
