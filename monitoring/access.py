"""Users and roles (viewer, editor) from a config mapping; scrypt password hashes. Pure, no Streamlit."""

import hashlib
import hmac
import secrets
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
        role = entry.get("role", VIEWER)
        if role not in ROLES:
            raise MonitoringError(f"user {name!r} has role {role!r}; use one of {', '.join(ROLES)}")
        if not entry.get("password_hash"):
            raise MonitoringError(
                f"user {name!r} has no password_hash; make one with `python -m monitoring hash-password`"
            )
        users[name] = User(name, role, entry["password_hash"])
    return users


def authenticate(users: dict[str, User], name: str, password: str) -> User | None:
    """The user when name and password match, else None (same work either way)."""
    user = users.get(name)
    stored = user.password_hash if user else hash_password("not a user")
    ok = verify_password(password, stored)
    return user if ok and user else None


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
