"""Bearer tokens of the HTTP API, kept hashed in the same secrets file as the app's users:

    [api.tokens.ingest-bot]
    role = "editor"              # viewer: read only; editor: may also ingest
    models = ["credit"]          # optional: the models it may touch (all when left out)
    token_hash = "sha256$..."

A token is 256 random bits, so a fast hash (SHA-256) is enough to keep it unusable if the file
leaks; a slow password hash would only cost every request time. Comparisons are constant-time.
"""

import hashlib
import hmac
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from monitoring.access import EDITOR, ROLES
from monitoring.errors import InputError

DEFAULT_SECRETS = Path(".streamlit") / "secrets.toml"
PREFIX = "mm_"
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Token:
    name: str
    role: str
    models: tuple[str, ...]  # empty: every model
    token_hash: str

    def may_use(self, model: str) -> bool:
        return not self.models or model in self.models

    @property
    def can_write(self) -> bool:
        return self.role == EDITOR


LOCAL = Token("local", EDITOR, (), "")  # the caller when no token is configured (localhost only)


def hash_token(token: str) -> str:
    return "sha256$" + hashlib.sha256(token.encode()).hexdigest()


def read_secrets(path: str | Path) -> dict:
    """The secrets file as a mapping ({} when it does not exist)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"the secrets file {path} is not valid TOML ({error}); fix it") from None


def load_tokens(secrets_config: dict) -> dict[str, Token]:
    """The tokens under [api.tokens] of a secrets mapping, by name."""
    tokens = {}
    for name, entry in dict(secrets_config.get("api", {}).get("tokens", {})).items():
        role = entry.get("role", "viewer")
        if role not in ROLES:
            raise InputError(f"API token {name!r} has role {role!r}; use one of {', '.join(ROLES)}")
        if not str(entry.get("token_hash", "")).startswith("sha256$"):
            raise InputError(
                f"API token {name!r} has no token_hash; make one with `python -m monitoring token create`"
            )
        tokens[name] = Token(name, role, tuple(entry.get("models") or ()), entry["token_hash"])
    return tokens


def find_token(tokens: dict[str, Token], presented: str) -> Token | None:
    """The token whose hash matches `presented`, else None (every stored hash is compared)."""
    digest = hash_token(presented)
    found = None
    for token in tokens.values():
        if hmac.compare_digest(token.token_hash, digest):
            found = token
    return found


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def create_token(path: str | Path, name: str, role: str, models: list[str] | None = None) -> str:
    """Add a token to the secrets file (created if missing) and return it; only its hash is kept."""
    if not NAME.match(name or ""):
        raise InputError(f"token name {name!r} must be 1-64 letters, digits, '-' or '_'")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    path = Path(path)
    if name in load_tokens(read_secrets(path)):
        raise InputError(
            f"{path} already has a token named {name!r}; choose another name or delete its table"
        )
    token = PREFIX + secrets.token_urlsafe(32)
    lines = [f"[api.tokens.{name}]", f"role = {_toml_string(role)}"]
    if models:
        lines.append("models = [" + ", ".join(_toml_string(m) for m in models) + "]")
    lines.append(f"token_hash = {_toml_string(hash_token(token))}")
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    separator = "" if not before.strip() else ("\n" if before.endswith("\n") else "\n\n")
    after = before + separator + "\n".join(lines) + "\n"
    try:
        load_tokens(tomllib.loads(after))  # refuse to write a file that would no longer parse
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"cannot add [api.tokens.{name}] to {path} ({error}); fix the file first") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(after, encoding="utf-8")
    temporary.chmod(0o600)  # secrets: readable by the owner only
    temporary.replace(path)
    return token
