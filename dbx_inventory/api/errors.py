"""One small hierarchy for fatal errors, and the exit codes they map to; per-user failures are data
(status=error), not exceptions."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """A contract with cron (README, "Exit codes")."""

    OK = 0  # every user scanned (or exported)
    FATAL = 1  # nothing trustworthy was produced: auth, configuration, input, unreachable host, output
    USAGE = 2  # bad command line (argparse's own code)
    PARTIAL = 3  # the run finished, but some users have status=error
    INTERRUPTED = 130  # Ctrl-C / SIGTERM


class InventoryError(Exception):
    """A fatal error: the run cannot produce a trustworthy inventory. Printed as one sentence."""


class ConfigError(InventoryError):
    """Bad or missing configuration: unknown profile, no credentials, insecure host."""


class AuthError(InventoryError):
    """The workspace refused our credentials (401, or 403 on a resource everyone may read)."""


class UnreachableError(InventoryError):
    """The host did not answer, or answered with something that is not a Databricks API."""


class ThrottledError(InventoryError):
    """The workspace throttled one request for longer than the retry deadline: the run stops, keeping what it
    has, instead of failing users for a limit that is the workspace's, not theirs."""


class InputError(InventoryError):
    """Bad input: missing users file, unwritable output, no users."""


class ApiError(Exception):
    """One request failed for good (after retries, or not retryable). Caught per user."""

    def __init__(self, status: int | None, error_code: str, message: str, path: str = "",
                 too_slow: bool = False) -> None:
        self.status = status
        self.error_code = error_code
        self.message = message
        self.path = path
        self.too_slow = too_slow  # no answer in time, however often asked (retry.py, Verdict.too_slow)
        super().__init__(self.describe())

    def describe(self) -> str:
        code = f"HTTP {self.status}" if self.status is not None else "no response"
        what = f" {self.error_code}" if self.error_code and self.error_code != str(self.status) else ""
        where = f" on {self.path}" if self.path else ""
        msg = f": {self.message}" if self.message else ""
        return f"{code}{what}{where}{msg}"

    @property
    def not_found(self) -> bool:
        return self.status == 404 or self.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")
