"""Typed helpers that read settings from the environment.

Every setting Torget reads is named `TORGET_<NAME>`; `config/settings.py` documents each one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PREFIX = "TORGET_"


def env_str(name: str, default: str) -> str:
    """Return the variable `TORGET_<name>`, or `default` when it is unset or empty."""
    value = os.environ.get(PREFIX + name, "")
    return value if value != "" else default


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable: 1, true, yes, on (any case) mean yes; 0, false, no, off mean no."""
    raw = os.environ.get(PREFIX + name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{PREFIX}{name} must be a yes/no value, not {raw!r}")


def env_int(name: str, default: int) -> int:
    """Read a whole number."""
    raw = os.environ.get(PREFIX + name, "").strip()
    return int(raw) if raw else default


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list; blanks are dropped."""
    raw = os.environ.get(PREFIX + name, "")
    if raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_key(var_dir: Path) -> str:
    """Return `TORGET_SECRET_KEY`, or a key generated once into `var/secret_key`.

    The generated key is written with mode 0600 so that only the service user reads it, and is
    kept across restarts so that sessions survive them.
    """
    given = os.environ.get(PREFIX + "SECRET_KEY", "")
    if given:
        return given
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # The web server and the worker start together; the other one wrote it first.
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
