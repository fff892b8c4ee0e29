"""ui/auth.py: failed logins are throttled per user name and per client address."""

from __future__ import annotations

import pytest


def test_failed_logins_are_throttled_per_user_and_per_address() -> None:
    from ui.auth import CLIENT, LoginGuard, LoginLocked

    now = [0.0]
    guard = LoginGuard(("ann", "secret"), max_failures=3, lockout_s=30, clock=lambda: now[0])
    CLIENT.set("10.0.0.1")
    assert [guard.check("ann", f"guess{n}") for n in range(3)] == [False, False, False]
    with pytest.raises(LoginLocked, match="try again in 30 s"):
        guard.check("ann", "secret")  # locked: even the right password waits
    with pytest.raises(LoginLocked):
        guard.check("bob", "x")  # the same address, another name
    now[0] = 31
    assert guard.check("ann", "guess") is False  # one more failure: locked for twice as long
    with pytest.raises(LoginLocked, match="try again in 60 s"):
        guard.check("ann", "secret")
    now[0] = 92
    assert guard.check("ann", "secret") is True
    assert guard.check("ann", "oops") is False  # a success starts the count again
    assert guard.check("ann", "secret") is True
    from fastapi import HTTPException

    for n in range(3):
        guard("mallory", str(n))
    with pytest.raises(HTTPException) as err:
        guard("mallory", "3")
    assert err.value.status_code == 429 and err.value.headers["Retry-After"] == "30"
