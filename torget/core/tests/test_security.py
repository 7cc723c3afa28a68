"""Security headers, secrets and the production profile.

The anonymous page cache, which keeps these headers on its copies, is tested in test_asgi_cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.test import Client

from config.env import secret_key
from torget.organisation.models import Municipality

ROOT = Path(__file__).resolve().parents[3]


def test_pages_carry_security_headers(client: Client, municipality: Municipality) -> None:
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_secret_key_is_generated_once_and_private(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TORGET_SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) >= 50
    assert secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("TORGET_SECRET_KEY", "from-the-environment")
    assert secret_key(tmp_path) == "from-the-environment"


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_for_production_profile(tmp_path: Path) -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "TORGET_HTTPS": "yes",
            "TORGET_DEBUG": "no",
            "TORGET_VAR_DIR": str(tmp_path),
            "TORGET_SECRET_KEY": "",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_sets_hsts_and_secure_cookies(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG)"
    )
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env={"TORGET_HTTPS": "yes", "TORGET_VAR_DIR": str(tmp_path)},
    )
    assert result.stdout.split() == ["31536000", "True", "True", "False"], result.stderr
