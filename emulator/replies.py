"""An answer decided before the route's own: an error, a gate's 429, an injected fault, a dropped connection."""

from __future__ import annotations

ERROR_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
               404: "RESOURCE_DOES_NOT_EXIST", 429: "REQUEST_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR",
               503: "TEMPORARILY_UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


class Reply(Exception):
    """Raised inside a route (or returned by a gate) to answer at once. `drop`: close the socket, answer nothing."""

    def __init__(self, status: int, body, headers: dict | None = None, ctype: str | None = None,
                 drop: bool = False):
        self.status, self.body, self.headers, self.ctype, self.drop = status, body, headers or {}, ctype, drop


def err(status: int, message: str, code: str | None = None) -> Reply:
    """The API's error shape: {"error_code", "message"}."""
    return Reply(status, {"error_code": code or ERROR_CODES.get(status, str(status)), "message": message})


def not_found(method: str, route: str) -> Reply:
    return err(404, f"No API found for '{method} {route}'", "ENDPOINT_NOT_FOUND")
