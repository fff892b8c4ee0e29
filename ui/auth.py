"""The UI's login: one user:pass pair, with failed tries throttled per user name and address.

Gradio checks a login by calling ``auth(username, password)``; it does not say who is asking.
``ClientAddress`` (ASGI middleware) remembers the caller's address for the request, so
``LoginGuard`` can count failures both per user name and per address. After
``max_failures`` failures a key is locked out for ``lockout_s`` seconds, doubling with each
further failure; while locked out every try is refused (HTTP 429, with Retry-After),
right password or not, so guessing gets nowhere.
"""

from __future__ import annotations

import contextvars
import hmac
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The address of the request being served (set by ClientAddress).
CLIENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("newsrag_client", default=None)
MAX_LOCKOUT_S = 3600.0  # the doubling stops at an hour
MAX_TRACKED = 4096  # keys remembered before stale ones are dropped


class ClientAddress:
    """ASGI middleware: puts the client's address in ``CLIENT`` for the request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        client = scope.get("client") if scope.get("type") == "http" else None
        if not client:
            await self.app(scope, receive, send)
            return
        token = CLIENT.set(str(client[0]))
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT.reset(token)


class LoginLocked(Exception):
    """Too many failed logins for this user name or address; ``retry_after`` in seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"Too many failed logins: try again in {math.ceil(retry_after)} s.",
        )


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class LoginGuard:
    """``auth`` for Gradio: checks the pair and throttles failures (see the module doc)."""

    def __init__(
        self,
        credentials: tuple[str, str],
        max_failures: int = 5,
        lockout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.user, self.password = credentials
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], _Failures] = {}

    def _keys(self, username: str) -> list[tuple[str, str]]:
        keys = [("user", username.strip().lower())]
        address = CLIENT.get()
        if address:
            keys.append(("address", address))
        return keys

    def retry_after(self, username: str) -> float:
        """Seconds until ``username`` (from the current address) may try again; 0 if now."""
        now = self.clock()
        with self._lock:
            return max(
                (
                    f.locked_until - now
                    for k in self._keys(username)
                    if (f := self._failures.get(k))
                ),
                default=0.0,
            )

    def check(self, username: str, password: str) -> bool:
        """True for the right pair; False for a wrong one; LoginLocked while locked out."""
        wait = self.retry_after(username)
        if wait > 0:
            raise LoginLocked(wait)
        ok = hmac.compare_digest(username.encode(), self.user.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode()
        )
        now = self.clock()
        with self._lock:
            for key in self._keys(username):
                if ok:
                    self._failures.pop(key, None)
                    continue
                f = self._failures.setdefault(key, _Failures())
                f.count += 1
                f.last = now
                if f.count >= self.max_failures:
                    extra = f.count - self.max_failures
                    f.locked_until = now + min(MAX_LOCKOUT_S, self.lockout_s * 2**extra)
            self._prune(now)
        return ok

    def _prune(self, now: float) -> None:
        if len(self._failures) <= MAX_TRACKED:
            return
        stale = [k for k, f in self._failures.items() if f.locked_until <= now]
        for key in sorted(stale, key=lambda k: self._failures[k].last)[: len(stale) // 2 + 1]:
            del self._failures[key]

    def __call__(self, username: str, password: str) -> bool:
        """Gradio's ``auth`` callable: a lockout becomes HTTP 429 with Retry-After."""
        try:
            return self.check(username, password)
        except LoginLocked as exc:
            from fastapi import HTTPException

            raise HTTPException(
                status_code=429,
                detail=str(exc),
                headers={"Retry-After": str(math.ceil(exc.retry_after))},
            ) from None
