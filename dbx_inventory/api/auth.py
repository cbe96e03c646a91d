"""The credentials a Spark task carries: a host and a bearer token, without the SDK on the executor.

The token is kept masked (XOR with a random pad) inside the pickled task, so it never appears as text in a
DataFrame row, a query plan, a log or an error message. This is obfuscation, not encryption: whoever can read the cluster's task payloads can recover it, as with any
job that calls an API from executors. So the token masked here is, where the workspace allows it, a
short-lived one minted for the tasks alone and revoked when the run ends (task_token.py).
"""

from __future__ import annotations

import secrets


class MaskedToken:
    def __init__(self, token: str) -> None:
        raw = token.encode("utf-8")
        self._pad = secrets.token_bytes(len(raw))
        self._masked = bytes(a ^ b for a, b in zip(raw, self._pad))

    def reveal(self) -> str:
        return bytes(a ^ b for a, b in zip(self._masked, self._pad)).decode("utf-8")

    def __repr__(self) -> str:
        return "MaskedToken(***)"


class StaticAuth:
    """The part of databricks-sdk's Config that RestClient uses: `host` and `authenticate()`."""

    def __init__(self, host: str, token: MaskedToken) -> None:
        self.host = host
        self._token = token

    def authenticate(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.reveal()}"}

    def __repr__(self) -> str:
        return f"StaticAuth({self.host}, ***)"
