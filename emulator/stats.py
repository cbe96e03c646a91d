"""What the emulator saw, for tests to assert on; served at /__emulator/stats too."""

from __future__ import annotations

import json
import threading
import time


class Stats:
    """Requests per family and per token, answers per status, 429s, injected faults, the most requests in flight
    at once, listings per path and the token each used, listings that were too slow, tokens minted, and
    requests per family in each second since the reset (when a client's requests began and ended)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._data: dict = {"requests": {}, "by_status": {}, "throttled": 0, "faults": 0,
                                "max_in_flight": 0, "list_calls": {}, "too_slow": {},
                                # Which token each request used: "user" (the workspace's token) or a minted
                                # token's id, per family and per listing; and the tokens minted (never their
                                # values).
                                "by_token": {}, "list_tokens": {}, "tokens": {}, "per_second": {},
                                # Per family, the arrival numbers of its first and last request, and per
                                # path listed, of its first listing: what ran before or beside what.
                                "spans": {}, "listed_at": {}}
            self.in_flight = 0
            self._arrivals = 0
            self._t0 = time.monotonic()

    def snapshot(self) -> dict:
        with self._lock:
            s = json.loads(json.dumps(self._data))
            s["elapsed_s"] = round(time.monotonic() - self._t0, 3)
            s["in_flight"] = self.in_flight
            return s

    def count(self, key: str, sub: str, n: int = 1) -> None:
        with self._lock:
            d = self._data[key]
            d[sub] = d.get(sub, 0) + n
            if key == "list_calls":
                self._data["listed_at"].setdefault(sub, self._arrivals)

    def request(self, family: str) -> None:
        """One request of `family` arrived: counted in all and in its second."""
        with self._lock:
            self._data["requests"][family] = self._data["requests"].get(family, 0) + 1
            second = self._data["per_second"].setdefault(family, {})
            now = int(time.monotonic() - self._t0)
            second[now] = second.get(now, 0) + 1
            self._arrivals += 1
            self._data["spans"].setdefault(family, [self._arrivals, self._arrivals])[1] = self._arrivals

    def answered(self, status) -> None:
        """One answer sent (status "drop": the connection closed without one)."""
        with self._lock:
            self._data["by_status"][str(status)] = self._data["by_status"].get(str(status), 0) + 1
            if status == 429:
                self._data["throttled"] += 1

    def fault(self) -> None:
        with self._lock:
            self._data["faults"] += 1

    def by_token(self, label: str, family: str) -> None:
        with self._lock:
            per_family = self._data["by_token"].setdefault(label, {})
            per_family[family] = per_family.get(family, 0) + 1

    def listed_with(self, key: str, label: str | None) -> None:
        with self._lock:
            self._data["list_tokens"][key] = label

    def enter(self) -> int:
        """A request starts: -> how many are in flight, this one included."""
        with self._lock:
            self.in_flight += 1
            self._data["max_in_flight"] = max(self._data["max_in_flight"], self.in_flight)
            return self.in_flight

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def minted(self, token_id: str, info: dict) -> None:
        with self._lock:
            self._data["tokens"][token_id] = info

    def deleted(self, token_id: str) -> None:
        with self._lock:
            self._data["tokens"][token_id]["deleted"] = True
