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
    """Bad input: missing users file, no users, options that cannot work together."""


class OutputError(InventoryError):
    """What the run writes cannot be written: a full disk, an unwritable path, a checkpoint another run holds."""


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



# Each failed answer is classified once, where it enters (RestClient, through `api_error`), in the manner of
# databricks-sdk's errors/mapper.py; callers catch these types instead of reading status codes again.
class Unauthenticated(ApiError):
    """401: no credentials, or ones the workspace does not take."""


class PermissionDenied(ApiError):
    """403: not allowed here; many workspaces also answer an invalid token this way."""


class NotFound(ApiError):
    """404, or RESOURCE_DOES_NOT_EXIST / NOT_FOUND: the path or object does not exist (or cannot be seen)."""


class BadRequest(ApiError):
    """Another 4xx, e.g. 400 MAX_NOTEBOOK_SIZE_EXCEEDED for an export over the cap."""


class Unavailable(ApiError):
    """A server error that outlasted the retries, or an answer that never came in time (`too_slow`)."""


class MalformedAnswer(ApiError):
    """A 2xx answer that is not the documented shape (an HTML page from a proxy, an error body)."""


class NoResponse(ApiError):
    """No answer at all: the connection failed, or the name does not resolve."""


NOT_FOUND_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"})
MALFORMED = "MALFORMED_RESPONSE"  # our code for a 2xx answer that is not the documented shape


def api_error(status: int | None, error_code: str, message: str, path: str = "", too_slow: bool = False) -> ApiError:
    """The one mapping of a failed request to its type."""
    kind: type[ApiError]
    if error_code == MALFORMED:
        kind = MalformedAnswer
    elif status is None:
        kind = Unavailable if too_slow else NoResponse
    elif status == 401:
        kind = Unauthenticated
    elif status == 404 or error_code in NOT_FOUND_CODES:
        kind = NotFound
    elif status == 403:
        kind = PermissionDenied
    elif 400 <= status < 500:
        kind = BadRequest
    else:
        kind = Unavailable
    return kind(status, error_code, message, path, too_slow)
