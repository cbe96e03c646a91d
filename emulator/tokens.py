"""Auth: the workspace's valid token, the tokens minted through the token API, and which one a request used."""

from __future__ import annotations

import json
import secrets
import threading
import time

from .replies import err, not_found
from .stats import Stats


class Tokens:
    def __init__(self, token: str, stats: Stats) -> None:
        self.token = token
        self.minted: dict[str, dict] = {}  # token_id -> value, expiry (epoch s or None), deleted
        self._stats = stats
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.minted = {}

    def label(self, auth: str) -> str | None:
        """"user" for the workspace's token, a live minted token's id, or None: refused."""
        if auth == f"Bearer {self.token}":
            return "user"
        with self._lock:
            for token_id, t in self.minted.items():
                if auth == f"Bearer {t['value']}" and not t["deleted"]:
                    return token_id if t["expiry"] is None or time.time() < t["expiry"] else None
        return None

    def api(self, route: str, method: str, body: bytes, label: str | None, refuse: tuple | None):
        """Token API: create (a token valid until deleted or expired) and delete. `refuse`: (status, error_code)
        that token/create answers instead."""
        if method != "POST" or route not in ("/api/2.0/token/create", "/api/2.0/token/delete"):
            raise not_found(method, route)
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            raise err(400, "Malformed request body") from None
        if route.endswith("/delete"):
            token_id = str(req.get("token_id", ""))
            with self._lock:
                t = self.minted.get(token_id)
                if t is None or t["deleted"]:
                    raise err(404, f"Token with id {token_id} does not exist")
                t["deleted"] = True
            self._stats.deleted(token_id)
            return 200, {}
        if refuse:
            status, code = refuse
            raise err(status, "Token creation is not allowed for this user in this workspace", code)
        lifetime = req.get("lifetime_seconds")
        now = time.time()
        expiry = now + lifetime if isinstance(lifetime, (int, float)) and lifetime > 0 else None
        token_id, value = secrets.token_hex(32), "dapi" + secrets.token_hex(16)
        info = {"token_id": token_id, "creation_time": int(now * 1000),
                "expiry_time": int(expiry * 1000) if expiry else -1, "comment": req.get("comment", "")}
        with self._lock:
            self.minted[token_id] = {"value": value, "expiry": expiry, "deleted": False}
        self._stats.minted(token_id, {"comment": info["comment"], "lifetime_seconds": lifetime,
                                      "created_with": label, "deleted": False})
        return 200, {"token_value": value, "token_info": info}
