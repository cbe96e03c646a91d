"""Opaque page tokens, as the Files API and Unity Catalog hand them out: a client can only pass them back.

A token names the listing it belongs to (a key the route chooses: the path and page size for the Files API, the
parent for Unity Catalog) and where the next page starts. It is signed with a secret of this server and carries
a nonce, so it cannot be guessed from an offset or reused for another listing: either is a 400
INVALID_PARAMETER_VALUE, as a real server refuses a token whose "other parameters" changed
(https://docs.databricks.com/api/workspace/files/listdirectorycontents)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

from .replies import Reply, err


class PageTokens:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or os.urandom(16)

    def issue(self, listing: str, offset: int) -> str:
        """A token for the page of `listing` that starts at `offset`."""
        payload = json.dumps({"l": hashlib.sha256(listing.encode()).hexdigest()[:16], "o": offset,
                              "n": os.urandom(6).hex()}, separators=(",", ":")).encode()
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def read(self, listing: str, token: str | None) -> int:
        """-> where the page of `token` starts (0 without one). Raises a 400 Reply for a token that this server
        did not issue for this listing."""
        if not token:
            return 0
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            mac, payload = raw[:12], raw[12:]
            if not hmac.compare_digest(mac, hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]):
                raise ValueError("signature")
            data = json.loads(payload)
            if data["l"] != hashlib.sha256(listing.encode()).hexdigest()[:16]:
                raise ValueError("another listing")
            return int(data["o"])
        except (ValueError, KeyError, TypeError):
            raise bad_token(token) from None


def bad_token(token: str) -> Reply:
    return err(400, f"Invalid page token: {token[:40]}", "INVALID_PARAMETER_VALUE")
