"""Users and roles (viewer, editor) from a config mapping; scrypt password hashes; sign-in throttling.
Pure, no Streamlit."""

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from monitoring.errors import MonitoringError

VIEWER, EDITOR = "viewer", "editor"
ROLES = (VIEWER, EDITOR)
_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str


def hash_password(password: str, salt: bytes | None = None) -> str:
    """An `scrypt$N$r$p$salt$hash` string (hex) for storing in secrets.toml."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash; constant-time comparison."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected) // 2,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), expected)


def load_users(config) -> dict[str, User]:
    """Users from a mapping `{name: {role, password_hash}}` (secrets' [access.users])."""
    users = {}
    for name, entry in dict(config or {}).items():
        if name == "system":  # the alert history's name for automatic changes
            raise MonitoringError(
                "user name 'system' is reserved for automatic alert changes; choose another"
            )
        role = entry.get("role", VIEWER)
        if role not in ROLES:
            raise MonitoringError(f"user {name!r} has role {role!r}; use one of {', '.join(ROLES)}")
        if not entry.get("password_hash"):
            raise MonitoringError(
                f"user {name!r} has no password_hash; make one with `python -m monitoring hash-password`"
            )
        users[name] = User(name, role, entry["password_hash"])
    return users


# What an unknown name is checked against: one scrypt with the default parameters, like a real user,
# and a digest no password gives (all zeros), so a known and an unknown name cost the same.
_NO_USER_HASH = f"scrypt${_N}${_R}${_P}${'00' * 16}${'00' * 32}"


def authenticate(users: dict[str, User], name: str, password: str) -> User | None:
    """The user when name and password match, else None (one scrypt hash either way)."""
    user = users.get(name)
    ok = verify_password(password, user.password_hash if user else _NO_USER_HASH)
    return user if ok and user else None


class Throttle:
    """Failed attempts per key (a user name or a client address) and how long the key must wait.

    The first `free` failures cost nothing; from then on each failure makes the key wait twice as
    long as the one before (2, 4, 8 ... seconds, at most `longest` seconds) before its next attempt
    is checked. Attempts during a wait are refused unchecked and do not count. A success clears
    the key; failures are forgotten `forget_after` seconds after the last one.
    """

    def __init__(
        self,
        free: int,
        *,
        longest: float = 900.0,
        forget_after: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.free, self.longest, self.forget_after, self.clock = free, longest, forget_after, clock
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (failures, time of the last)
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds until `key` may try again (0: now)."""
        with self._lock:
            count, last = self._current(key)
        if count < self.free:
            return 0.0
        return max(0.0, last + min(2.0 ** (count - self.free + 1), self.longest) - self.clock())

    def failed(self, key: str) -> None:
        with self._lock:
            count, _ = self._current(key)
            self._failures[key] = (count + 1, self.clock())
            if len(self._failures) > 10_000:  # many made-up names: keep only the recent ones
                now = self.clock()
                self._failures = {k: v for k, v in self._failures.items() if now - v[1] < self.forget_after}

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _current(self, key: str) -> tuple[int, float]:
        count, last = self._failures.get(key, (0, 0.0))
        return (0, 0.0) if count and self.clock() - last >= self.forget_after else (count, last)


@dataclass(frozen=True)
class SignIn:
    """The answer to one sign-in attempt: the user, or None; `wait` > 0 when it was not even checked."""

    user: User | None
    wait: float = 0.0


class SignInGuard:
    """Password sign-in throttled per user name (after 5 failures) and per client address (after 20).

    An address gets more free failures because many people may share one (an office, a proxy).
    Unknown names are throttled like known ones, so the answers never tell which names exist.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.names = Throttle(5, clock=clock)
        self.addresses = Throttle(20, clock=clock)

    def attempt(self, users: dict[str, User], name: str, password: str, address: str) -> SignIn:
        wait = max(self.names.wait(name), self.addresses.wait(address))
        if wait > 0:
            return SignIn(None, wait)
        user = authenticate(users, name, password)
        for throttle, key in ((self.names, name), (self.addresses, address)):
            (throttle.succeeded if user else throttle.failed)(key)
        return SignIn(user)


def role_for_identity(roles_config, email: str | None, verified: bool | None = None) -> str:
    """The role of a user signed in through an identity provider (st.login).

    `roles_config` is secrets' [access.roles], `{email: role}` (case-insensitive). Everyone else, and
    an address the provider says is not verified, is a viewer.
    """
    roles = {}
    for address, role in dict(roles_config or {}).items():
        if role not in ROLES:
            raise MonitoringError(f"{address!r} has role {role!r}; use one of {', '.join(ROLES)}")
        roles[str(address).strip().lower()] = role
    if not email or verified is False:
        return VIEWER
    return roles.get(email.strip().lower(), VIEWER)
